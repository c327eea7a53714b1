//! The checkpointer: a thread that copies the WAL back into the database
//! file every quarter second with a PASSIVE checkpoint, which never blocks
//! the writer. The writer has automatic checkpoints turned off, so no commit
//! ever waits for a checkpoint's fsync of the database file.

use std::path::Path;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::background;
use crate::error::StoreError;

/// How often the WAL is checkpointed.
const PERIOD: Duration = Duration::from_millis(250);

/// A running checkpointer; dropping `stop` ends it.
pub(super) struct Checkpointer {
    stop: mpsc::Sender<()>,
    handle: JoinHandle<()>,
}

impl Checkpointer {
    /// Starts the thread on its own connection to `path`, at `nice` below
    /// the writer's priority (see `background`).
    pub fn start(path: &Path, busy_timeout: Duration, nice: u8) -> Result<Self, StoreError> {
        let err = |e: rusqlite::Error| StoreError::Backend {
            backend: "sqlite",
            op: format!("open checkpointer on {}", path.display()),
            message: e.to_string(),
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(err)?;
        conn.busy_timeout(busy_timeout).map_err(err)?;
        // Checkpoints must sync the WAL and the database file: the writer
        // runs with `synchronous = OFF` and relies on it (see `syncer`).
        conn.execute_batch("PRAGMA synchronous = FULL")
            .map_err(err)?;
        let (stop, stopped) = mpsc::channel::<()>();
        let handle = std::thread::Builder::new()
            .name("vcon-store-checkpoint".to_owned())
            .spawn(move || {
                background::lower_this_thread(nice);
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(PERIOD) {
                    // A failed checkpoint is retried at the next tick; the WAL
                    // only grows meanwhile, no data is at risk.
                    let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
                }
            })
            .map_err(|source| StoreError::Io {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self { stop, handle })
    }

    /// Stops the thread and waits for it.
    pub fn stop(self) {
        drop(self.stop);
        let _ = self.handle.join();
    }
}
