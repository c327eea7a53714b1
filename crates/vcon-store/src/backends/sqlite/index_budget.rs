//! The bytes of index work queued for the indexer, bounded.
//!
//! The indexer's queue holds at most `QUEUE` commits, but a commit's index
//! work is as large as its vCons' text (up to 1 MiB each, up to 512 vCons a
//! commit). vCons with large transcripts are stored far faster than FTS5
//! tokenizes them: 8 clients posting vCons with 1 MB of text filled 3.2–3.6
//! GB of memory in 20 s before this bound (docs/BENCHMARKS.md, "Index work bounded
//! in bytes"). So the writer also takes the work's bytes from this budget
//! before it queues a commit, and waits while the budget is spent; the
//! indexer gives them back as it takes the work off the queue. As with the
//! commit bound, the wait is the back-pressure that keeps the index current.
//!
//! One commit larger than the whole budget still passes, alone: the bound is
//! the budget plus one commit, whose vCons are in memory anyway.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A byte budget shared by one sender (the writer or the syncer) and one
/// receiver (the indexer).
#[derive(Debug)]
pub(super) struct IndexBudget {
    limit: usize,
    state: Mutex<State>,
    freed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    /// Bytes taken and not given back.
    queued: usize,
    /// Senders waiting for bytes (the receiver wakes them only then).
    waiting: usize,
    /// The receiver is gone: nothing will be given back, nobody waits.
    closed: bool,
}

impl IndexBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            state: Mutex::new(State::default()),
            freed: Condvar::new(),
        }
    }

    /// Takes `bytes`, first waiting while they would pass the limit and
    /// something is queued (or until the receiver is gone). Returns how long
    /// it waited.
    pub fn take(&self, bytes: usize) -> Duration {
        let mut state = self.lock();
        let mut since = None;
        while !state.closed && state.queued > 0 && state.queued + bytes > self.limit {
            since.get_or_insert_with(Instant::now);
            state.waiting += 1;
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
            state.waiting -= 1;
        }
        state.queued += bytes;
        since.map_or(Duration::ZERO, |t| t.elapsed())
    }

    /// Gives back `bytes` taken earlier, waking a waiting sender.
    pub fn give_back(&self, bytes: usize) {
        let mut state = self.lock();
        state.queued = state.queued.saturating_sub(bytes);
        if state.waiting > 0 {
            self.freed.notify_all();
        }
    }

    /// The receiver is gone: no sender waits from now on.
    pub fn close(&self) {
        let mut state = self.lock();
        state.closed = true;
        self.freed.notify_all();
    }

    /// Bytes taken and not given back.
    #[cfg(test)]
    pub fn queued(&self) -> usize {
        self.lock().queued
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent whatever a panicking holder did.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    /// Starts a sender taking `bytes` and returns what reports how long it waited.
    fn taker(budget: &Arc<IndexBudget>, bytes: usize) -> mpsc::Receiver<Duration> {
        let (tx, rx) = mpsc::channel();
        let budget = Arc::clone(budget);
        std::thread::spawn(move || {
            let _ = tx.send(budget.take(bytes));
        });
        rx
    }

    #[test]
    fn takes_within_the_limit_without_waiting() {
        let budget = IndexBudget::new(100);
        assert_eq!(budget.take(60), Duration::ZERO);
        assert_eq!(budget.take(40), Duration::ZERO);
        assert_eq!(budget.queued(), 100);
        budget.give_back(70);
        assert_eq!(budget.queued(), 30);
    }

    #[test]
    fn a_sender_past_the_limit_waits_until_bytes_come_back() {
        let budget = Arc::new(IndexBudget::new(100));
        budget.take(80);
        let done = taker(&budget, 30);
        assert!(
            done.recv_timeout(Duration::from_millis(100)).is_err(),
            "110 bytes of 100 were taken without a wait"
        );
        budget.give_back(80);
        let waited = done
            .recv_timeout(Duration::from_secs(10))
            .expect("the sender still waits after the bytes came back");
        assert!(waited > Duration::ZERO, "the wait was not measured");
        assert_eq!(budget.queued(), 30);
    }

    #[test]
    fn one_commit_larger_than_the_budget_passes_alone() {
        let budget = Arc::new(IndexBudget::new(100));
        budget.take(500); // nothing queued: passes
        let done = taker(&budget, 1);
        assert!(done.recv_timeout(Duration::from_millis(100)).is_err());
        budget.give_back(500);
        done.recv_timeout(Duration::from_secs(10))
            .expect("the sender still waits");
    }

    #[test]
    fn closing_releases_a_waiting_sender() {
        let budget = Arc::new(IndexBudget::new(10));
        budget.take(10);
        let done = taker(&budget, 10);
        assert!(done.recv_timeout(Duration::from_millis(100)).is_err());
        budget.close();
        done.recv_timeout(Duration::from_secs(10))
            .expect("the sender still waits after the receiver went");
        // And later senders do not wait at all.
        budget.take(1_000);
    }
}
