//! The pool of read-only connections. Reads run on tokio's blocking
//! threads, at most one per connection; WAL lets them run beside the writer.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::config::SqliteConfig;
use super::schema::open_reader;
use crate::error::StoreError;

/// Read-only connections, opened lazily up to the configured number.
pub(super) struct Readers {
    idle: Mutex<Vec<Connection>>,
    permits: Semaphore,
    path: PathBuf,
    config: SqliteConfig,
}

impl Readers {
    pub fn new(path: PathBuf, config: SqliteConfig) -> Arc<Self> {
        Arc::new(Self {
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(config.readers.max(1)),
            path,
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
        tokio::task::spawn_blocking(move || {
            let conn = match this.take() {
                Some(c) => c,
                None => open_reader(&this.path, &this.config)?,
            };
            let result = f(&conn);
            this.give_back(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Backend {
            backend: "sqlite",
            op: "read".to_owned(),
            message: format!("read task failed: {e}"),
        })?
    }

    fn take(&self) -> Option<Connection> {
        self.idle.lock().ok().and_then(|mut v| v.pop())
    }

    fn give_back(&self, conn: Connection) {
        if let Ok(mut v) = self.idle.lock() {
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
