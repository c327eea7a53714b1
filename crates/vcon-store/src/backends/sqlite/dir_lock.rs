//! The exclusive lock of a data directory, which keeps a second store out.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::error::StoreError;

/// Takes the exclusive lock of the data directory `dir` (its file `name`).
pub(super) fn lock_dir(dir: &Path, name: &str) -> Result<File, StoreError> {
    let path = dir.join(name);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::Locked { path }),
        Err(TryLockError::Error(source)) => Err(StoreError::Io { path, source }),
    }
}
