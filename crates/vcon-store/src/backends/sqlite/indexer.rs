//! The indexer: a thread that owns the search index's connection
//! (`index_db`) and writes the search rows of committed vCons, off the
//! writer.
//!
//! FTS5 pays per transaction (a new segment, its structure record, merge
//! work), so rows are indexed in large transactions. A put commits the vCon
//! row, its queue items and its mark in `index_pending` (the row id and the
//! generation of the commit); after the commit the writer sends the
//! extracted search fields here ([`IndexWork`], one message per commit, no
//! re-parse). The indexer gathers them and writes them in one transaction
//! when [`FLUSH_AT`] rows wait, when it has been idle for [`IDLE`], when
//! the oldest waits for [`MAX_AGE`], or when a search waits for it. Once
//! that transaction is durable (the index file runs with
//! `synchronous = FULL`), it asks the writer to clear the marks it covered
//! (one `ClearMarks` operation per batch), each only if its generation is
//! unchanged: a replace committed meanwhile keeps its newer mark, and its
//! own message follows. A crash therefore never leaves a cleared mark with
//! its search rows lost; what is still marked at open is indexed again from
//! the stored bytes (`index_db::recover`).
//!
//! The queue is bounded twice: in commits ([`QUEUE`]) and in bytes
//! ([`MAX_QUEUED_BYTES`], see `index_budget`), since one commit of vCons
//! with long transcripts can hold hundreds of megabytes of text.
//!
//! The indexer never waits for the writer (it hands marks over with
//! `try_send` and keeps them for later when the writer's queue is full),
//! so the writer may block on this thread's bounded queue without a
//! deadlock: that is the back-pressure when indexing falls behind.
//!
//! Searches see every acknowledged write: the writer counts the commits it
//! has sent ([`IndexProgress::sent`]), the indexer publishes the last one it
//! has indexed ([`IndexProgress::done`]), and a search first waits until
//! `done` reaches what `sent` was when it started.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self as std_mpsc, Receiver, SyncSender, TryRecvError, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, oneshot, watch};

use super::background;
use super::index_budget::IndexBudget;
use super::index_db::{Entry, Indexed, write_entries};
use super::writer::{Msg, Op};
use crate::error::StoreError;

/// Rows waiting that start an index transaction.
///
/// Each row puts one entry at a random place of the created order's index
/// (`vcon_created_order`), so a transaction writes about one leaf page per
/// row until the rows outnumber the leaves; a larger transaction shares
/// leaves, its fsync and its FTS5 segment among more rows. Indexer CPU per
/// vCon at 8 clients: 33–35 µs at 512 rows, 26–28 µs at 2,048, no better
/// at 4,096 (docs/BENCHMARKS.md, "Writer round 6"). A search does not wait
/// for the batch to fill: it asks for a flush ([`IndexProgress::wanted`]).
const FLUSH_AT: usize = 2048;
/// Indexing also starts when the waiting rows hold this many bytes (and the
/// indexer takes no more work off its queue until they are written).
const MAX_PENDING_BYTES: usize = 8 * 1024 * 1024;
/// Bytes of index work (see [`held_bytes`]) that may wait in the queue
/// before the writer blocks. Far above what [`QUEUE`] commits of typical
/// vCons hold (2.2 KB call vCons: ~5 MB), so only large texts meet it.
const MAX_QUEUED_BYTES: usize = 64 * 1024 * 1024;
/// With rows waiting, indexing starts after this long without a message.
/// Not shorter: FTS5 pays per transaction (a segment, merge work), and a
/// short pause between puts would cut the batch (10 ms gave transactions of
/// ~13 rows under a slow, steady ingest: see docs/BENCHMARKS.md, Indexer
/// round 2). Searches do not wait for it: they ask ([`IndexProgress::wanted`]).
const IDLE: Duration = Duration::from_millis(100);
/// Or when the oldest waiting row has waited this long.
const MAX_AGE: Duration = Duration::from_secs(1);
/// With rows waiting, how often the indexer takes new work and looks for a
/// search that waits.
const POLL: Duration = Duration::from_millis(5);
/// Commits that may wait in the indexer's queue before the writer blocks.
const QUEUE: usize = 1024;
/// After a failed index transaction, the wait before the next try.
const RETRY: Duration = Duration::from_millis(200);

/// One row's index work, as the writer sends it.
#[derive(Debug)]
pub(super) struct Item {
    /// The vCon row id.
    pub id: i64,
    /// What to index; `None`: the vCon was deleted.
    pub indexed: Option<Indexed>,
    /// The commit inserted the row (a created vCon): it has no search rows.
    pub new_row: bool,
}

/// The index work of one commit, whose generation is `seq`.
pub(super) struct IndexWork {
    pub seq: u64,
    pub items: Vec<Item>,
}

impl IndexWork {
    /// The bytes its items hold (see [`held_bytes`]).
    fn bytes(&self) -> usize {
        self.items
            .iter()
            .map(|i| held_bytes(i.indexed.as_ref()))
            .sum()
    }
}

/// What the writer, the indexer and searches share.
pub(super) struct IndexProgress {
    /// The last commit whose index work was sent to the indexer.
    pub sent: AtomicU64,
    /// The last commit whose index work is indexed (visible to readers).
    pub done: watch::Sender<u64>,
    /// Rows sent and not yet indexed.
    pub backlog: AtomicUsize,
    /// A search waits: index what is there now.
    pub wanted: AtomicBool,
    /// Why the last index transaction failed, when it did.
    pub failure: Mutex<Option<String>>,
    /// The bytes of work in the queue, bounded.
    pub queued: IndexBudget,
    /// How long senders have waited for room in the queue, in microseconds:
    /// the time indexing held ingest back.
    pub held_micros: AtomicU64,
}

impl IndexProgress {
    /// Nothing sent, nothing waiting.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            sent: AtomicU64::new(0),
            done: watch::Sender::new(0),
            backlog: AtomicUsize::new(0),
            wanted: AtomicBool::new(false),
            failure: Mutex::new(None),
            queued: IndexBudget::new(MAX_QUEUED_BYTES),
            held_micros: AtomicU64::new(0),
        })
    }

    /// Waits until everything sent before the call is indexed, at most `limit`.
    pub async fn wait(&self, limit: Duration) -> Result<(), StoreError> {
        let target = self.sent.load(Ordering::Acquire);
        let mut done = self.done.subscribe();
        if *done.borrow() >= target {
            return Ok(());
        }
        self.wanted.store(true, Ordering::Release);
        match tokio::time::timeout(limit, done.wait_for(|d| *d >= target)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(_)) => Err(StoreError::Closed { reason: None }),
            Err(_) => {
                let why = self
                    .failure
                    .lock()
                    .ok()
                    .and_then(|f| f.clone())
                    .map_or_else(String::new, |f| format!("; last index error: {f}"));
                Err(StoreError::Backend {
                    backend: "sqlite",
                    op: "wait for the search index".to_owned(),
                    message: format!(
                        "the indexer did not catch up within {limit:?} ({} vCons waiting){why}",
                        self.backlog.load(Ordering::Acquire)
                    ),
                })
            }
        }
    }
}

/// Where committed index work goes: the indexer's queue, counted in the
/// shared [`IndexProgress`]. The writer sends through it under
/// `Durability::Process`; under `Durability::Full` the syncer does, after
/// the fsync of the commit, so the index (fsynced itself) never holds rows
/// of a write that a power cut could still take back.
#[derive(Clone)]
pub(super) struct IndexSink {
    tx: SyncSender<IndexWork>,
    progress: Arc<IndexProgress>,
}

impl IndexSink {
    /// A sink whose indexer is gone (work sent to it stays marked), for
    /// tests of what sends to it.
    #[cfg(test)]
    pub fn detached() -> Self {
        let (tx, _) = sync_channel(1);
        Self {
            tx,
            progress: IndexProgress::new(),
        }
    }

    /// Sends the index work of a commit; blocks while the queue is full,
    /// in commits or in bytes. If the indexer is gone the rows stay marked,
    /// for the next open.
    pub fn send(&self, work: IndexWork) {
        let (n, seq) = (work.items.len(), work.seq);
        if n == 0 {
            return;
        }
        let bytes = work.bytes();
        let mut held = self.progress.queued.take(bytes);
        // Counted before the indexer can see (and uncount) it.
        self.progress.backlog.fetch_add(n, Ordering::AcqRel);
        let sent = match self.tx.try_send(work) {
            Ok(()) => true,
            Err(std_mpsc::TrySendError::Full(work)) => {
                let since = Instant::now();
                let sent = self.tx.send(work).is_ok();
                held += since.elapsed();
                sent
            }
            Err(std_mpsc::TrySendError::Disconnected(_)) => false,
        };
        if sent {
            self.progress.sent.fetch_max(seq, Ordering::AcqRel);
        } else {
            self.progress.backlog.fetch_sub(n, Ordering::AcqRel);
            self.progress.queued.give_back(bytes);
        }
        if !held.is_zero() {
            let micros = u64::try_from(held.as_micros()).unwrap_or(u64::MAX);
            self.progress
                .held_micros
                .fetch_add(micros, Ordering::AcqRel);
        }
    }
}

/// The writer's handle on the running indexer.
pub(super) struct Indexer {
    sink: IndexSink,
    handle: JoinHandle<Vec<(i64, i64)>>,
}

impl Indexer {
    /// Starts the thread on the index connection `conn`, at `nice` below
    /// the writer's priority (see `background`). `writer` reaches the
    /// writer for clearing marks (weak: the indexer keeps no store alive).
    pub fn start(
        conn: Connection,
        progress: Arc<IndexProgress>,
        writer: mpsc::WeakSender<Msg>,
        nice: u8,
    ) -> std::io::Result<Self> {
        let (tx, rx) = sync_channel(QUEUE);
        let sink = IndexSink {
            tx,
            progress: Arc::clone(&progress),
        };
        let handle = std::thread::Builder::new()
            .name("vcon-store-indexer".to_owned())
            .spawn(move || {
                background::lower_this_thread(nice);
                let mut state = State::new(conn, progress, writer);
                state.run(&rx);
                std::mem::take(&mut state.marks)
            })?;
        Ok(Self { sink, handle })
    }

    /// Where to send index work.
    pub fn sink(&self) -> &IndexSink {
        &self.sink
    }

    /// Has the thread index everything sent, then stops it (every other
    /// [`IndexSink`], the syncer's, must be gone). Returns the marks it
    /// indexed whose clearing did not reach the writer.
    pub fn stop(self) -> Vec<(i64, i64)> {
        drop(self.sink);
        self.handle.join().unwrap_or_default()
    }
}

/// What the indexer thread holds.
struct State {
    conn: Connection,
    progress: Arc<IndexProgress>,
    writer: mpsc::WeakSender<Msg>,
    /// Rows waiting, by row id (later work for a row replaces earlier).
    entries: BTreeMap<i64, Entry>,
    /// The bytes the waiting rows hold (see [`held_bytes`]).
    bytes: usize,
    /// When the oldest waiting row arrived.
    oldest: Option<Instant>,
    /// When the last message arrived.
    last_message: Instant,
    /// The last commit received.
    received: u64,
    /// Marks indexed, still to be cleared by the writer.
    marks: Vec<(i64, i64)>,
}

impl Drop for State {
    /// However the thread ends, a writer waiting for queue bytes goes on.
    fn drop(&mut self) {
        self.progress.queued.close();
    }
}

impl State {
    /// Nothing waiting yet.
    fn new(conn: Connection, progress: Arc<IndexProgress>, writer: mpsc::WeakSender<Msg>) -> Self {
        Self {
            conn,
            progress,
            writer,
            entries: BTreeMap::new(),
            bytes: 0,
            oldest: None,
            last_message: Instant::now(),
            received: 0,
            marks: Vec::new(),
        }
    }

    fn run(&mut self, rx: &Receiver<IndexWork>) {
        loop {
            if self.entries.is_empty() {
                // Nothing waits: sleep until work comes.
                match rx.recv() {
                    Ok(work) => {
                        self.add(work);
                        self.last_message = Instant::now();
                    }
                    Err(_) => break,
                }
            } else {
                // Rows wait: take what came in the meantime every POLL,
                // not one wake-up per commit (those were ~15 % of this
                // thread's CPU at 8 clients; the senders' wake-ups too).
                std::thread::sleep(POLL);
            }
            let mut gone = false;
            while self.entries.len() < FLUSH_AT * 4 && self.bytes < MAX_PENDING_BYTES {
                match rx.try_recv() {
                    Ok(work) => {
                        self.add(work);
                        self.last_message = Instant::now();
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        gone = true;
                        break;
                    }
                }
            }
            if gone {
                break;
            }
            let due = self.entries.len() >= FLUSH_AT
                || self.bytes >= MAX_PENDING_BYTES
                || self.progress.wanted.load(Ordering::Acquire)
                || self.last_message.elapsed() >= IDLE
                || self.oldest.is_some_and(|t| t.elapsed() >= MAX_AGE);
            if due && !self.flush() {
                std::thread::sleep(RETRY);
            }
        }
        // The writer is stopping: index what is left (or leave it marked).
        for _ in 0..3 {
            if self.flush() {
                break;
            }
        }
    }

    fn add(&mut self, work: IndexWork) {
        // What the sender took from the budget: the sum of its items'.
        let mut taken = 0;
        for item in work.items {
            let bytes = held_bytes(item.indexed.as_ref());
            taken += bytes;
            self.bytes += bytes;
            let entry = Entry {
                generation: i64::try_from(work.seq).unwrap_or(i64::MAX),
                indexed: item.indexed,
                new_row: item.new_row,
            };
            if let Some(old) = self.entries.insert(item.id, entry) {
                let old_len = held_bytes(old.indexed.as_ref());
                self.bytes = self.bytes.saturating_sub(old_len);
                // The earlier work was not written: the rows it would have
                // written (or removed) are unknown, so read the state first.
                if let Some(e) = self.entries.get_mut(&item.id) {
                    e.new_row = false;
                }
                // Counted once: the earlier item is done with this one.
                self.progress.backlog.fetch_sub(1, Ordering::AcqRel);
            }
        }
        // Off the queue: the writer may queue more.
        self.progress.queued.give_back(taken);
        self.oldest.get_or_insert_with(Instant::now);
        self.received = work.seq;
    }

    /// Indexes every waiting row in one transaction, publishes the progress
    /// and hands the marks to the writer. `false` when the transaction failed
    /// (the rows stay waiting).
    fn flush(&mut self) -> bool {
        if !self.entries.is_empty() {
            if let Err(e) = write_entries(&mut self.conn, &self.entries) {
                if let Ok(mut f) = self.progress.failure.lock() {
                    *f = Some(e.to_string());
                }
                return false;
            }
            if let Ok(mut f) = self.progress.failure.lock() {
                *f = None;
            }
            let n = self.entries.len();
            self.marks
                .extend(self.entries.iter().map(|(id, e)| (*id, e.generation)));
            self.entries.clear();
            self.bytes = 0;
            self.oldest = None;
            self.progress.backlog.fetch_sub(n, Ordering::AcqRel);
        }
        self.progress.done.send_replace(self.received);
        // A search that started after the last message received still waits.
        if self.received >= self.progress.sent.load(Ordering::Acquire) {
            self.progress.wanted.store(false, Ordering::Release);
        }
        self.hand_marks();
        true
    }

    /// Asks the writer to clear the indexed marks, without waiting for it:
    /// when its queue is full the marks stay for the next flush.
    fn hand_marks(&mut self) {
        if self.marks.is_empty() {
            return;
        }
        let Some(writer) = self.writer.upgrade() else {
            return; // stopping: `Indexer::stop` returns them
        };
        let marks = std::mem::take(&mut self.marks);
        // Nobody waits for the answer: a mark left uncleared is indexed
        // once more after a restart, nothing worse.
        let (reply, _) = oneshot::channel();
        match writer.try_send(Msg::Write(Op::ClearMarks { marks }, reply)) {
            Ok(()) => {}
            Err(TrySendError::Full(msg) | TrySendError::Closed(msg)) => {
                if let Msg::Write(Op::ClearMarks { marks }, _) = msg {
                    self.marks = marks;
                }
            }
        }
    }
}

/// About the bytes of memory a row's index work holds: its text and terms,
/// plus a fixed share for the rest (a removal holds only that).
fn held_bytes(indexed: Option<&Indexed>) -> usize {
    const PER_ROW: usize = size_of::<Entry>() + size_of::<Indexed>();
    const PER_TERM: usize = size_of::<crate::index::Term>();
    indexed.map_or(PER_ROW, |i| {
        let terms: usize = i
            .fields
            .terms
            .iter()
            .map(|t| PER_TERM + t.value.len())
            .sum();
        PER_ROW + i.fields.text.len() + terms
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::VconUuid;
    use crate::index::IndexFields;

    /// The index work of one new vCon whose text is `text_bytes` long.
    fn work(seq: u64, text_bytes: usize) -> IndexWork {
        let uuid = VconUuid::parse("018f0d7e-4a7b-8c3d-9e2f-0a1b2c3d4e5f").unwrap();
        let fields = IndexFields {
            text: "x".repeat(text_bytes),
            ..IndexFields::default()
        };
        IndexWork {
            seq,
            items: vec![Item {
                id: i64::try_from(seq).unwrap(),
                indexed: Some(Indexed {
                    fields,
                    at_ms: 0,
                    uuid,
                }),
                new_row: true,
            }],
        }
    }

    #[test]
    fn the_writer_waits_while_queued_work_holds_too_many_bytes() {
        let progress = IndexProgress::new();
        let (tx, rx) = sync_channel(QUEUE);
        let sink = IndexSink {
            tx,
            progress: Arc::clone(&progress),
        };
        // Two commits of 0.6 of the budget each: the first is queued at once.
        let bytes = MAX_QUEUED_BYTES * 3 / 5;
        sink.send(work(1, bytes));
        let first = progress.queued.queued();
        assert!(first > bytes);

        let next = work(2, bytes);
        let second = std::thread::spawn(move || sink.send(next));
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            !second.is_finished(),
            "a second commit went past the byte budget"
        );

        // The indexer takes the first off the queue: the second goes in.
        let (writer, _writer_rx) = mpsc::channel(1);
        let conn = Connection::open_in_memory().unwrap();
        let mut state = State::new(conn, Arc::clone(&progress), writer.downgrade());
        state.add(rx.recv().unwrap());
        second.join().unwrap();
        let held = progress.held_micros.load(Ordering::Acquire);
        assert!(held > 0, "the wait was not counted");
        assert_eq!(state.bytes, first, "the pending rows count their bytes");
        assert_eq!(progress.queued.queued(), first, "only the second is queued");
        assert_eq!(rx.try_recv().map(|w| w.seq).ok(), Some(2));

        // Once the indexer is gone, nothing waits for it.
        drop(state);
        progress.queued.take(MAX_QUEUED_BYTES);
    }
}
