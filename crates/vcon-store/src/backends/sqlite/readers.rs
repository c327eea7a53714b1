//! The pool of read-only connections; WAL lets them run beside the writer.
//! Long reads (searches, listings, counts) run on tokio's blocking threads,
//! at most one per pooled connection ([`Readers::run`]). Point reads by
//! primary key (a vCon by uuid, its metadata) take tens of microseconds,
//! less than a hop to the blocking pool and back, so they run on the
//! calling task ([`Readers::run_inline`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::config::SqliteConfig;
use super::schema::open_reader;
use crate::error::StoreError;

/// Idle connections kept beyond the configured number, for inline reads
/// that found none idle.
const INLINE_SPARE: usize = 4;

/// Read-only connections, opened lazily up to the configured number.
pub(super) struct Readers {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    path: PathBuf,
    /// The search index file, attached to each connection.
    index: PathBuf,
    config: SqliteConfig,
}

impl Readers {
    pub fn new(path: PathBuf, index: PathBuf, config: SqliteConfig) -> Arc<Self> {
        Arc::new(Self {
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(config.readers.max(1)),
            path,
            index,
            config,
        })
    }

    /// Runs `f` on a read connection, off the async threads.
    pub async fn run<T, F>(self: &Arc<Self>, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Closed { reason: None })?;
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || this.with_connection(f))
            .await
            .map_err(|e| StoreError::Backend {
                backend: "sqlite",
                op: "read".to_owned(),
                message: format!("read task failed: {e}"),
            })?
    }

    /// Runs `f` on a read connection on the calling thread. Only for short
    /// reads by key: it blocks the async worker while it runs. Never waits
    /// for a pooled connection: with none idle it opens one (kept if the
    /// pool has room, closed otherwise).
    pub fn run_inline<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.permits.is_closed() {
            return Err(StoreError::Closed { reason: None });
        }
        self.with_connection(f)
    }

    /// Runs `f` on an idle connection (or a new one when none is idle) and
    /// keeps the connection for the next read.
    fn with_connection<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match idle {
            Some(c) => c,
            None => open_reader(&self.path, &self.index, &self.config)?,
        };
        let result = f(&conn);
        self.give_back(conn);
        result
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut v) = self.idle.lock()
            && v.len() < self.config.readers.max(1) + INLINE_SPARE
            && !self.permits.is_closed()
        {
            v.push(conn);
        }
    }

    /// Closes idle connections (at shutdown).
    pub fn close(&self) {
        self.permits.close();
        if let Ok(mut v) = self.idle.lock() {
            v.clear();
        }
    }
}
