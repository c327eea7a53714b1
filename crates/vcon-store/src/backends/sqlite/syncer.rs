//! The syncer: group commit for [`super::config::Durability::Full`],
//! pipelined when the disk is slow.
//!
//! The writer connection runs with `synchronous = OFF`: a commit appends its
//! frames to the WAL file and returns without an fsync. The writer then
//! hands the batch's answers to this thread and goes on with the next
//! batch. This thread takes every batch handed over so far, calls
//! `fdatasync` once on the WAL file, and only then answers them. An
//! `fdatasync` makes durable every write to the file made before it
//! started, so each answer still follows the fsync of its commit; but the
//! writer's CPU work on batch N+1 now overlaps the fsync of batch N, and one
//! fsync serves every batch committed while the previous one ran.
//!
//! That overlap pays when an fsync takes long (4 ms on the disk of
//! 2026-11-25). When it is quick (0.08–0.1 ms on the VMs of 2026-12-07) the
//! hand-over costs more than it hides: two thread wake-ups per batch, ~7 µs
//! of CPU per vCon on the syncer and the latency of each wake-up. So while
//! the average fsync takes less than [`INLINE_BELOW`] and the thread holds
//! nothing, the writer syncs and answers the batch itself, the same way
//! (durable ingest +10 %, docs/BENCHMARKS.md, "Writer round 6"). The batches
//! that arrive meanwhile wait in the writer's queue and form the next batch.
//!
//! Answers leave in commit order, after every earlier batch is durable too:
//! a lease, an ack or a put's reply never reveals a write that a power cut
//! could still take back. One exception keeps chains from waiting for the
//! fsync of their own write-backs: a lease all of whose items were created by
//! commits already synced ([`Syncer::all_synced`]) is answered at once by the
//! writer. Such a lease reveals no unsynced item; what it may reveal is an
//! unsynced change of an item's state (a retry made it ready), and losing
//! that only delivers the item once more, as losing the lease itself does.
//! (A read on another connection can see a commit up to one fsync before it
//! is acknowledged, the usual window of a group-committing database; its
//! writer has no answer yet.)
//!
//! Crash safety is SQLite's own: the WAL's frames carry checksums chained
//! from its header, so recovery keeps exactly the commits whose frames all
//! reached the disk, in order. Checkpoints run on the checkpointer's
//! connection, which syncs the WAL and the database file itself before the
//! WAL may be reused. The WAL file is opened here once; the writer's
//! connection keeps it (the same inode) for the store's life.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::{oneshot, watch};

use super::indexer::{IndexSink, IndexWork};
use super::schema::{self, sql_error};
use super::writer::Reply;
use crate::error::StoreError;

/// One answer to send.
pub(super) type Answer = (
    oneshot::Sender<Result<Reply, StoreError>>,
    Result<Reply, StoreError>,
);

/// The answers of one committed batch.
pub(super) struct Committed {
    /// The answers, in the batch's order.
    pub answers: Vec<Answer>,
    /// Whether the batch holds a write that must be durable when answered.
    pub must_sync: bool,
    /// Whether the batch may have made queue items ready.
    pub readies: bool,
    /// The largest queue item id created by this commit or before it.
    pub queue_seq: i64,
    /// The commit's index work, sent to the indexer once the commit is durable.
    pub index: Option<IndexWork>,
}

/// While fsyncs take less than this on average, the writer syncs a batch
/// itself when the thread holds nothing (see the module's doc).
pub(super) const INLINE_BELOW: Duration = Duration::from_millis(1);

/// A running syncer.
pub(super) struct Syncer {
    tx: mpsc::Sender<Committed>,
    handle: JoinHandle<()>,
    shared: Arc<Shared>,
}

/// What the writer (syncing inline) and the thread share.
struct Shared {
    wal: File,
    wal_path: PathBuf,
    ready: Arc<watch::Sender<u64>>,
    index: IndexSink,
    /// The largest queue item id whose creating commit is known durable.
    synced_seq: AtomicI64,
    /// After a failed fsync the kernel may have dropped the dirty pages and
    /// a later fsync can succeed without them: nothing is claimed durable
    /// again until the store is reopened (recovery then reads what is on disk).
    failed: Mutex<Option<StoreError>>,
    /// Batches handed to the thread and not answered yet.
    in_flight: AtomicUsize,
    /// The moving average of an `fdatasync`'s time, in microseconds.
    fsync_micros: AtomicU64,
}

impl Syncer {
    /// Switches the writer's connection `conn` to `synchronous = OFF` and
    /// starts a syncer for its database `db`.
    pub fn start_for(
        conn: &Connection,
        db: &Path,
        ready: Arc<watch::Sender<u64>>,
        index: IndexSink,
    ) -> Result<Self, StoreError> {
        // Everything in the file at start-up is made durable by `start`.
        let seq = queue_seq(conn).map_err(|e| sql_error("read the queue sequence", e))?;
        let syncer = Self::start(db, ready, seq, index)?;
        conn.execute_batch("PRAGMA synchronous = OFF")
            .map_err(|e| sql_error("set synchronous = OFF on the writer", e))?;
        Ok(syncer)
    }

    /// Opens the WAL file of `db` (it must exist: the writer's connection
    /// created it when it switched to WAL mode), makes it and its directory
    /// entry durable and starts the thread.
    pub fn start(
        db: &Path,
        ready: Arc<watch::Sender<u64>>,
        queue_seq: i64,
        index: IndexSink,
    ) -> Result<Self, StoreError> {
        let wal_path = wal_path(db);
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::Io { path, source }
        };
        let wal = File::open(&wal_path).map_err(io(&wal_path))?;
        wal.sync_all().map_err(io(&wal_path))?;
        if let Some(dir) = db.parent() {
            sync_dir(dir).map_err(io(dir))?;
        }
        let (tx, rx) = mpsc::channel::<Committed>();
        let shared = Arc::new(Shared {
            wal,
            wal_path,
            ready,
            index,
            synced_seq: AtomicI64::new(queue_seq),
            failed: Mutex::new(None),
            in_flight: AtomicUsize::new(0),
            fsync_micros: AtomicU64::new(0),
        });
        let on_thread = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name("vcon-store-sync".to_owned())
            .spawn(move || run(&on_thread, &rx))
            .map_err(io(db))?;
        Ok(Self { tx, handle, shared })
    }

    /// Whether every queue item up to id `max_item` was created by a commit
    /// that is durable now.
    pub fn all_synced(&self, max_item: i64) -> bool {
        max_item <= self.shared.synced_seq.load(Ordering::Acquire)
    }

    /// Makes a committed batch durable and answers it: on the writer's
    /// thread, now, when fsyncs are quick and the syncer's thread holds
    /// nothing (so the answers still leave in commit order); else handed
    /// over to that thread. If the thread is gone (it never stops before
    /// the writer) the answers are dropped and their callers hear that the
    /// store closed.
    pub fn send(&self, committed: Committed) {
        let quick = self.shared.fsync_micros.load(Ordering::Relaxed) < micros(INLINE_BELOW);
        if quick && self.shared.in_flight.load(Ordering::Acquire) == 0 {
            self.shared.sync_and_answer(vec![committed]);
            return;
        }
        self.shared.in_flight.fetch_add(1, Ordering::AcqRel);
        if self.tx.send(committed).is_err() {
            self.shared.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Answers everything handed over, then stops the thread.
    pub fn stop(self) {
        drop(self.tx);
        let _ = self.handle.join();
    }
}

/// The largest queue item id ever created in the database (`AUTOINCREMENT`
/// ids are never reused), 0 when none was.
pub(super) fn queue_seq(conn: &Connection) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'queue_items'), 0)",
    )?
    .query_row([], |r| r.get(0))
}

/// `<db>-wal`, SQLite's name for the WAL file of `db`.
fn wal_path(db: &Path) -> PathBuf {
    schema::beside(db, "-wal")
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn run(shared: &Shared, rx: &mpsc::Receiver<Committed>) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        group.extend(rx.try_iter());
        let n = group.len();
        shared.sync_and_answer(group);
        // Only now: the writer syncs inline only once every batch handed
        // over before is answered.
        shared.in_flight.fetch_sub(n, Ordering::AcqRel);
    }
}

impl Shared {
    /// One `fdatasync` for a group of committed batches (none if none must
    /// be durable), then their index work and answers, in commit order.
    fn sync_and_answer(&self, group: Vec<Committed>) {
        let synced = self.sync(group.iter().any(|c| c.must_sync));
        if synced.is_ok() {
            // Every batch before these is durable too: the groups are synced in order.
            let seq = group.iter().map(|c| c.queue_seq).max().unwrap_or(i64::MIN);
            self.synced_seq.fetch_max(seq, Ordering::AcqRel);
            if group.iter().any(|c| c.readies) {
                self.ready.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
        for mut committed in group {
            // Before the answers, so a search after an answer waits for it.
            // Not durable: the rows stay marked and are indexed at next open.
            if let Some(work) = committed.index.take()
                && synced.is_ok()
            {
                self.index.send(work);
            }
            for (reply, result) in committed.answers {
                let result = match (&synced, result) {
                    (Err(e), Ok(_)) if committed.must_sync => Err(clone_error(e)),
                    (_, r) => r,
                };
                // A caller that gave up waiting is not an error.
                let _ = reply.send(result);
            }
        }
    }

    /// `fdatasync`s the WAL when `must` (timed, for [`INLINE_BELOW`]);
    /// after a failure, fails for good.
    fn sync(&self, must: bool) -> Result<(), StoreError> {
        let mut failed = self
            .failed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(e) = &*failed {
            return Err(clone_error(e));
        }
        if !must {
            return Ok(());
        }
        let started = Instant::now();
        let synced = self.wal.sync_data();
        let took = micros(started.elapsed());
        // An average over about the last 8 fsyncs.
        let average = self.fsync_micros.load(Ordering::Relaxed);
        let average = average - average / 8 + took / 8;
        self.fsync_micros.store(average, Ordering::Relaxed);
        synced.map_err(|e| {
            let e = StoreError::Backend {
                backend: "sqlite",
                op: format!("fsync {}", self.wal_path.display()),
                message: format!(
                    "{e}; the write may or may not be on disk (a retry of the same vCon \
                     is safe); no write is acknowledged until the store is reopened"
                ),
            };
            *failed = Some(clone_error(&e));
            e
        })
    }
}

fn clone_error(e: &StoreError) -> StoreError {
    match e {
        StoreError::Backend {
            backend,
            op,
            message,
        } => StoreError::Backend {
            backend,
            op: op.clone(),
            message: message.clone(),
        },
        other => StoreError::Backend {
            backend: "sqlite",
            op: "fsync".to_owned(),
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A syncer on a WAL file in a temporary directory (the directory
    /// lives as long as the syncer's test).
    fn syncer() -> (tempfile::TempDir, Syncer) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("vcon.db");
        std::fs::write(wal_path(&db), b"").unwrap();
        let ready = Arc::new(watch::Sender::new(0));
        let syncer = Syncer::start(&db, ready, 0, IndexSink::detached()).unwrap();
        (dir, syncer)
    }

    /// A batch of one answer that must be durable, and where it arrives.
    fn batch() -> (Committed, oneshot::Receiver<Result<Reply, StoreError>>) {
        let (tx, rx) = oneshot::channel();
        let committed = Committed {
            answers: vec![(tx, Ok(Reply::Unit))],
            must_sync: true,
            readies: false,
            queue_seq: 0,
            index: None,
        };
        (committed, rx)
    }

    #[test]
    fn with_quick_fsyncs_the_writer_answers_the_batch_itself() {
        let (_dir, syncer) = syncer();
        for _ in 0..3 {
            // As if the last fsyncs had been quick: how quick this
            // machine's are is not what is tested (a loaded CI disk took
            // over 1 ms and failed an assertion on it).
            syncer.shared.fsync_micros.store(0, Ordering::Relaxed);
            let (committed, mut answer) = batch();
            syncer.send(committed);
            assert!(
                matches!(answer.try_recv(), Ok(Ok(Reply::Unit))),
                "answered before send returned"
            );
        }
        syncer.stop();
    }

    #[test]
    fn with_slow_fsyncs_the_thread_answers_and_batches_stay_in_order() {
        let (_dir, syncer) = syncer();
        // As if the last fsyncs had taken 10 ms.
        syncer.shared.fsync_micros.store(10_000, Ordering::Relaxed);
        let (first, first_answer) = batch();
        syncer.send(first);
        // Quick again: the writer may answer itself only once the thread
        // has answered what it holds.
        syncer.shared.fsync_micros.store(0, Ordering::Relaxed);
        let (second, mut second_answer) = batch();
        syncer.send(second);
        let second_reply = loop {
            match second_answer.try_recv() {
                Ok(reply) => break reply,
                Err(oneshot::error::TryRecvError::Empty) => std::thread::yield_now(),
                Err(e) => panic!("{e}"),
            }
        };
        assert!(matches!(second_reply, Ok(Reply::Unit)));
        let mut first_answer = first_answer;
        assert!(
            matches!(first_answer.try_recv(), Ok(Ok(Reply::Unit))),
            "the earlier batch was answered first"
        );
        syncer.stop();
    }

    #[test]
    fn after_a_failed_fsync_nothing_is_claimed_durable() {
        let (_dir, syncer) = syncer();
        *syncer.shared.failed.lock().unwrap() = Some(StoreError::Backend {
            backend: "sqlite",
            op: "fsync".to_owned(),
            message: "EIO".to_owned(),
        });
        let (committed, mut answer) = batch();
        syncer.send(committed);
        let err = answer.try_recv().unwrap().unwrap_err();
        assert!(err.to_string().contains("EIO"), "{err}");
        syncer.stop();
    }
}
