//! Backends, and [`open`] to pick one from configuration. Adding a backend
//! is one module here plus one variant of [`StoreConfig`] and one arm in [`open`].

pub(crate) mod sqlite;

use std::sync::Arc;

use serde::Deserialize;

use crate::error::StoreError;
use crate::queue::Queue;
use crate::store::Store;

/// Which backend to use, with its settings; in a config file:
/// `{"backend": "sqlite", "dir": "./vcon-data"}`.
///
/// ```
/// use vcon_store::StoreConfig;
/// let c: StoreConfig = serde_json::from_str(r#"{"backend": "sqlite", "dir": "/tmp/x"}"#).unwrap();
/// assert!(matches!(c, StoreConfig::Sqlite(_)));
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "backend", rename_all = "snake_case")]
pub enum StoreConfig {
    /// The embedded SQLite store ([`sqlite::SqliteStore`]).
    Sqlite(sqlite::config::SqliteConfig),
}

impl Default for StoreConfig {
    /// SQLite in `./vcon-data`.
    fn default() -> Self {
        Self::Sqlite(sqlite::config::SqliteConfig::default())
    }
}

/// An opened backend: the same storage seen as a [`Store`] and as a [`Queue`].
#[derive(Clone)]
pub struct Backend {
    /// The vCon store.
    pub store: Arc<dyn Store>,
    /// The queues.
    pub queue: Arc<dyn Queue>,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Backend { .. }")
    }
}

/// Opens the configured backend (blocking while files are opened and migrated).
pub fn open(config: StoreConfig) -> Result<Backend, StoreError> {
    match config {
        StoreConfig::Sqlite(c) => {
            let s = sqlite::SqliteStore::open(c)?;
            Ok(Backend {
                store: s.clone(),
                queue: s,
            })
        }
    }
}
