//! The syncer: pipelined group commit for [`super::config::Durability::Full`].
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
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use rusqlite::Connection;
use tokio::sync::{oneshot, watch};

use super::indexer::{IndexSink, IndexWork};
use super::schema::sql_error;
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

/// A running syncer.
pub(super) struct Syncer {
    tx: mpsc::Sender<Committed>,
    handle: JoinHandle<()>,
    /// The largest queue item id whose creating commit is known durable.
    synced_seq: Arc<AtomicI64>,
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
        let synced_seq = Arc::new(AtomicI64::new(queue_seq));
        let synced = Arc::clone(&synced_seq);
        let handle = std::thread::Builder::new()
            .name("vcon-store-sync".to_owned())
            .spawn(move || run(&wal, &wal_path, &rx, &ready, &synced, &index))
            .map_err(io(db))?;
        Ok(Self {
            tx,
            handle,
            synced_seq,
        })
    }

    /// Whether every queue item up to id `max_item` was created by a commit
    /// that is durable now.
    pub fn all_synced(&self, max_item: i64) -> bool {
        max_item <= self.synced_seq.load(Ordering::Acquire)
    }

    /// Hands over the answers of a committed batch. If the thread is gone
    /// (it never stops before the writer) the answers are dropped and
    /// their callers hear that the store closed.
    pub fn send(&self, committed: Committed) {
        let _ = self.tx.send(committed);
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
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

fn run(
    wal: &File,
    wal_path: &Path,
    rx: &mpsc::Receiver<Committed>,
    ready: &watch::Sender<u64>,
    synced_seq: &AtomicI64,
    index: &IndexSink,
) {
    let mut group: Vec<Committed> = Vec::new();
    // After a failed fsync the kernel may have dropped the dirty pages and
    // a later fsync can succeed without them: nothing is claimed durable
    // again until the store is reopened (recovery then reads what is on disk).
    let mut failed: Option<StoreError> = None;
    while let Ok(first) = rx.recv() {
        group.push(first);
        group.extend(rx.try_iter());
        let synced = match &failed {
            Some(e) => Err(clone_error(e)),
            None if group.iter().any(|c| c.must_sync) => {
                wal.sync_data().map_err(|e| StoreError::Backend {
                    backend: "sqlite",
                    op: format!("fsync {}", wal_path.display()),
                    message: format!(
                        "{e}; the write may or may not be on disk (a retry of the same vCon \
                         is safe); no write is acknowledged until the store is reopened"
                    ),
                })
            }
            None => Ok(()),
        };
        if let Err(e) = &synced
            && failed.is_none()
        {
            failed = Some(clone_error(e));
        }
        if synced.is_ok() {
            // Every batch before these is durable too: the groups are synced in order.
            let seq = group.iter().map(|c| c.queue_seq).max().unwrap_or(i64::MIN);
            synced_seq.fetch_max(seq, Ordering::AcqRel);
            if group.iter().any(|c| c.readies) {
                ready.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
        for mut committed in group.drain(..) {
            // Before the answers, so a search after an answer waits for it.
            // Not durable: the rows stay marked and are indexed at next open.
            if let Some(work) = committed.index.take()
                && synced.is_ok()
            {
                index.send(work);
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
