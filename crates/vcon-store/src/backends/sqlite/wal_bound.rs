//! Keeps the writer's WAL bounded: a RESTART checkpoint once the WAL holds
//! [`WAL_RESTART_BYTES`] of frames.
//!
//! The checkpointer's passive checkpoints copy the WAL into the database
//! file but cannot make SQLite reuse it: that needs a moment with every
//! frame copied and no writer, which a busy writer never leaves. The WAL
//! would then grow without bound, and appending costs more than overwriting
//! (block allocation on every write, a journal commit for the new file size
//! in every fsync). So the writer itself, between batches, runs a RESTART
//! checkpoint (with `synchronous = FULL`, so the database file is synced
//! before the WAL may be overwritten): it copies what the checkpointer has
//! not yet copied, and the next commit writes from the start of the WAL
//! again, over blocks already allocated.
//!
//! The frame count comes from SQLite's WAL hook, called after every commit
//! with the frames the WAL holds. (The file's size cannot tell: a restarted
//! WAL keeps its length, so a size check fires again at every look and the
//! writer checkpoints, with an fsync of the database file, far too often.)

use std::os::raw::c_int;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use rusqlite::Connection;
use rusqlite::hooks::Wal;

use super::schema::sql_error;
use crate::error::StoreError;

/// The WAL's size that triggers a restart; equal to the schema's
/// `journal_size_limit`, so a restarted WAL keeps its blocks.
pub(super) const WAL_RESTART_BYTES: u64 = 64 * 1024 * 1024;

/// Batches to wait after a checkpoint that could not restart the WAL (a
/// reader still used it) before trying again.
const RETRY_AFTER_BATCHES: u32 = 64;

/// The writer's watch on its WAL.
#[derive(Debug)]
pub(super) struct WalBound {
    /// Frames in the WAL after the last commit (set by the WAL hook).
    frames: Arc<AtomicU32>,
    /// Frames that make [`WAL_RESTART_BYTES`] at this database's page size.
    limit: u32,
    /// Batches left before a restart may be tried again.
    backoff: u32,
}

impl WalBound {
    /// Installs the WAL hook on the writer's connection. Must come after
    /// `PRAGMA wal_autocheckpoint`, which replaces any WAL hook.
    pub fn install(conn: &mut Connection) -> Result<Self, StoreError> {
        let page: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .map_err(|e| sql_error("read the page size", e))?;
        let frame = u64::try_from(page).unwrap_or(4096).max(512) + 24;
        let limit = u32::try_from(WAL_RESTART_BYTES / frame).unwrap_or(u32::MAX);
        let frames = Arc::new(AtomicU32::new(0));
        let seen = Arc::clone(&frames);
        conn.wal_hook(Some(move |_: &mut Wal, pages: c_int| {
            seen.store(u32::try_from(pages).unwrap_or(0), Ordering::Relaxed);
            Ok(())
        }))
        .map_err(|e| sql_error("install the WAL hook", e))?;
        Ok(Self {
            frames,
            limit,
            backoff: 0,
        })
    }

    /// Runs a RESTART checkpoint on `conn` if the WAL is full. `unsynced`:
    /// the connection runs with `synchronous = OFF` (under the syncer), and
    /// is switched to FULL for the checkpoint. A failed checkpoint is tried
    /// again later; the WAL only grows meanwhile, no data is at risk.
    pub fn restart_if_full(&mut self, conn: &Connection, unsynced: bool) {
        if self.backoff > 0 {
            self.backoff -= 1;
            return;
        }
        if self.frames.load(Ordering::Relaxed) < self.limit {
            return;
        }
        if unsynced && conn.execute_batch("PRAGMA synchronous = FULL").is_err() {
            return;
        }
        // (busy, frames in the WAL, frames checkpointed): busy 0 means every
        // frame was copied and the next commit starts the WAL over.
        let restarted = conn
            .query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0))
            .is_ok_and(|busy| busy == 0);
        if unsynced {
            let _ = conn.execute_batch("PRAGMA synchronous = OFF");
        }
        if restarted {
            self.frames.store(0, Ordering::Relaxed);
        } else {
            self.backoff = RETRY_AFTER_BATCHES;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WAL database in a temporary directory, with its bound installed
    /// at `limit` frames.
    fn wal_db(limit: u32) -> (tempfile::TempDir, Connection, WalBound) {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = Connection::open(dir.path().join("t.db")).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE t (x BLOB);",
        )
        .unwrap();
        let mut bound = WalBound::install(&mut conn).unwrap();
        bound.limit = limit;
        (dir, conn, bound)
    }

    fn insert(conn: &Connection) {
        conn.execute("INSERT INTO t VALUES (zeroblob(3000))", [])
            .unwrap();
    }

    fn frames_in_wal(conn: &Connection) -> i64 {
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| r.get(1))
            .unwrap()
    }

    #[test]
    fn the_hook_counts_frames_and_a_full_wal_starts_over() {
        let (_dir, conn, mut bound) = wal_db(50);
        for _ in 0..20 {
            insert(&conn);
        }
        assert!(bound.frames.load(Ordering::Relaxed) >= 20);
        bound.restart_if_full(&conn, false);
        // Under the limit: no checkpoint ran.
        assert!(frames_in_wal(&conn) >= 20);
        for _ in 0..40 {
            insert(&conn);
        }
        bound.restart_if_full(&conn, false);
        assert_eq!(bound.frames.load(Ordering::Relaxed), 0);
        // The next commit writes from the start of the WAL again.
        insert(&conn);
        let after = bound.frames.load(Ordering::Relaxed);
        assert!((1..10).contains(&after), "{after} frames after a restart");
    }

    #[test]
    fn a_wal_held_by_a_reader_is_tried_again_later() {
        let (dir, conn, mut bound) = wal_db(5);
        conn.busy_timeout(std::time::Duration::from_millis(10))
            .unwrap();
        insert(&conn);
        let reader = Connection::open(dir.path().join("t.db")).unwrap();
        reader.execute_batch("BEGIN").unwrap();
        let _: i64 = reader
            .query_row("SELECT count(*) FROM t", [], |r| r.get(0))
            .unwrap();
        for _ in 0..10 {
            insert(&conn);
        }
        bound.restart_if_full(&conn, false);
        assert_eq!(bound.backoff, RETRY_AFTER_BATCHES);
        assert!(bound.frames.load(Ordering::Relaxed) >= 5);
        reader.execute_batch("COMMIT").unwrap();
    }
}
