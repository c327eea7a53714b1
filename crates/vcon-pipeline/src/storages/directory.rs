//! `directory`: writes each vCon to a file under a base directory,
//! `YYYY/MM/DD/<uuid>.vcon` by its `created_at` (UTC), optionally gzipped
//! (`.vcon.gz`), like the conserver's `file` storage.
//!
//! Writes are atomic and durable: the bytes go to a temporary file in the
//! target directory, which is fsynced, renamed over the target, and the
//! directory is fsynced. Saving the same uuid again replaces the file, so
//! repeated deliveries are harmless. A vCon without a readable `created_at`
//! (signed or encrypted, or missing) goes directly under the base directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ConfigError;
use crate::registry::{BuildContext, StorageKind, example_of, option_error, storage_options};
use crate::storage::{SaveRequest, Storage, StorageError};

/// Registration.
pub const KIND: StorageKind = StorageKind {
    name: "directory",
    about: "files under YYYY/MM/DD/<uuid>.vcon, optional gzip, atomic and fsynced",
    build,
    example,
};

/// Options of the `directory` storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryOptions {
    /// The base directory (created if missing).
    pub path: PathBuf,
    /// Put files under `YYYY/MM/DD/` of the vCon's `created_at` (default true).
    #[serde(default = "yes")]
    pub date_partition: bool,
    /// Gzip the files (`.gz` is appended to the extension).
    #[serde(default)]
    pub gzip: bool,
    /// The file extension, without the dot (default `vcon`; the conserver
    /// writes `json`).
    #[serde(default = "default_extension")]
    pub extension: String,
    /// fsync each file and its directory before the write counts as done
    /// (default true).
    #[serde(default = "yes")]
    pub fsync: bool,
    /// Largest vCon written, in bytes (before gzip); larger ones fail
    /// permanently. Default 64 MiB.
    #[serde(default = "default_max")]
    pub max_file_size: usize,
}

fn yes() -> bool {
    true
}
fn default_extension() -> String {
    "vcon".into()
}
fn default_max() -> usize {
    64 * 1024 * 1024
}

impl DirectoryOptions {
    /// Options for `path`, everything else default.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            date_partition: true,
            gzip: false,
            extension: default_extension(),
            fsync: true,
            max_file_size: default_max(),
        }
    }
}

/// The `directory` storage.
#[derive(Debug)]
pub struct DirectoryStorage {
    options: DirectoryOptions,
}

impl DirectoryStorage {
    /// A storage with these options (the extension is checked).
    pub fn new(options: DirectoryOptions) -> Result<Self, String> {
        let ext = &options.extension;
        if ext.is_empty() || ext.contains(['/', '\\']) || ext.starts_with('.') {
            return Err(format!(
                "extension `{ext}` must be a plain suffix such as `vcon`"
            ));
        }
        if options.path.as_os_str().is_empty() {
            return Err("path is empty".into());
        }
        Ok(Self { options })
    }

    /// The file a vCon goes to.
    pub fn file_for(&self, uuid: &str, created_at: Option<DateTime<Utc>>) -> PathBuf {
        let mut path = self.options.path.clone();
        if self.options.date_partition
            && let Some(t) = created_at
        {
            path.push(t.format("%Y").to_string());
            path.push(t.format("%m").to_string());
            path.push(t.format("%d").to_string());
        }
        let gz = if self.options.gzip { ".gz" } else { "" };
        path.push(format!("{uuid}.{}{gz}", self.options.extension));
        path
    }
}

fn build(name: &str, options: &Value, _: &BuildContext) -> Result<Arc<dyn Storage>, ConfigError> {
    let options: DirectoryOptions = storage_options(KIND.name, name, options)?;
    let storage =
        DirectoryStorage::new(options).map_err(|m| option_error("storages", KIND.name, name, m))?;
    Ok(Arc::new(storage))
}

fn example() -> Value {
    let mut options = DirectoryOptions::new("/var/lib/vcon/archive");
    options.gzip = true;
    example_of(&options)
}

/// A uuid is used as a file name: refuse anything that could leave the directory.
fn safe_name(uuid: &str) -> bool {
    !uuid.is_empty()
        && uuid.len() <= 100
        && uuid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn io<'a>(
    operation: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> StorageError + 'a {
    move |source| StorageError::Io {
        operation,
        path: path.display().to_string(),
        source,
    }
}

/// Writes `bytes` to `target` atomically: temporary file, fsync, rename,
/// directory fsync.
fn write_atomic(target: &Path, bytes: &[u8], gzip: bool, fsync: bool) -> Result<(), StorageError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io("create directory", dir))?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.tmp-{:016x}", rand::random::<u64>()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp).map_err(io("create", &temp))?;
        if gzip {
            let mut encoder =
                flate2::write::GzEncoder::new(&mut file, flate2::Compression::default());
            encoder.write_all(bytes).map_err(io("write", &temp))?;
            encoder.finish().map_err(io("write", &temp))?;
        } else {
            file.write_all(bytes).map_err(io("write", &temp))?;
        }
        if fsync {
            file.sync_all().map_err(io("fsync", &temp))?;
        }
        drop(file);
        std::fs::rename(&temp, target).map_err(io("rename", target))?;
        if fsync {
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(io("fsync directory", dir))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[async_trait]
impl Storage for DirectoryStorage {
    async fn save(&self, request: &SaveRequest<'_>) -> Result<(), StorageError> {
        if !safe_name(request.uuid) {
            return Err(StorageError::Unsupported {
                operation: "save under a file name",
                uuid: request.uuid.to_owned(),
            });
        }
        if request.bytes.len() > self.options.max_file_size {
            return Err(StorageError::TooLarge {
                uuid: request.uuid.to_owned(),
                size: request.bytes.len(),
                limit: self.options.max_file_size,
            });
        }
        let target = self.file_for(request.uuid, request.created_at);
        let bytes = request.bytes.to_vec();
        let (gzip, fsync) = (self.options.gzip, self.options.fsync);
        let path = target.clone();
        tokio::task::spawn_blocking(move || write_atomic(&target, &bytes, gzip, fsync))
            .await
            .map_err(|e| StorageError::Io {
                operation: "write (task)",
                path: path.display().to_string(),
                source: std::io::Error::other(e.to_string()),
            })?
    }

    async fn healthcheck(&self) -> Result<(), StorageError> {
        let dir = self.options.path.clone();
        tokio::task::spawn_blocking(move || {
            let probe = dir.join(".vcon-healthcheck");
            write_atomic(&probe, b"ok", false, false)?;
            std::fs::remove_file(&probe).map_err(io("remove", &probe))
        })
        .await
        .map_err(|e| StorageError::Io {
            operation: "healthcheck (task)",
            path: self.options.path.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?
    }
}
