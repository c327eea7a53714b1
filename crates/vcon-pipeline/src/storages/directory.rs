//! `directory`: writes each vCon to a file under a base directory,
//! `YYYY/MM/DD/<uuid>.vcon` by its `created_at` (UTC), optionally gzipped
//! (`.vcon.gz`), like the conserver's `file` storage.
//!
//! Writes are atomic and durable: the bytes go to a temporary file in the
//! target directory, which is fsynced, renamed over the target, and the
//! directory is fsynced. Saving the same uuid again replaces the file, so
//! repeated deliveries are harmless. A vCon without a readable `created_at`
//! (signed or encrypted, or missing) goes directly under the base directory.
//!
//! Deleting looks for `<uuid>.<extension>` and `<uuid>.<extension>.gz` at the
//! dated path of the `created_at` given, then directly under the base
//! directory, then (as the conserver's `file` storage globs) in each
//! `YYYY/MM/DD` directory, at most [`MAX_DATE_DIRS`] of them. Emptied date
//! directories are left in place (a concurrent save may be writing there).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ConfigError;
use crate::registry::{BuildContext, StorageKind, example_of, option_error, storage_options};
use crate::storage::{DeleteRequest, SaveRequest, Storage, StorageError};

/// Registration.
pub const KIND: StorageKind = StorageKind {
    name: "directory",
    about: "files under YYYY/MM/DD/<uuid>.vcon, optional gzip, atomic and fsynced",
    build,
    example,
};

/// Most `YYYY/MM/DD` directories a delete looks in for a file it did not
/// find at its expected place (about 27 years of days).
pub const MAX_DATE_DIRS: usize = 10_000;

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
        let [name, _] = self.file_names(uuid);
        self.dir_for(created_at).join(name)
    }

    /// The directory a vCon created at `created_at` is filed in: the base
    /// directory, then `YYYY/MM/DD` when partitioned by date.
    fn dir_for(&self, created_at: Option<DateTime<Utc>>) -> PathBuf {
        let mut path = self.options.path.clone();
        if self.options.date_partition
            && let Some(t) = created_at
        {
            path.push(t.format("%Y").to_string());
            path.push(t.format("%m").to_string());
            path.push(t.format("%d").to_string());
        }
        path
    }

    /// The names a vCon's file may have: with the configured compression
    /// first (the name it is written under), then the other (the option
    /// may have changed since it was written).
    fn file_names(&self, uuid: &str) -> [String; 2] {
        let ext = &self.options.extension;
        let (plain, gz) = (format!("{uuid}.{ext}"), format!("{uuid}.{ext}.gz"));
        if self.options.gzip {
            [gz, plain]
        } else {
            [plain, gz]
        }
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

/// Runs the file work `f` on the blocking pool; a task that fails to
/// finish is an I/O error of `operation` on `path`.
async fn blocking<T: Send + 'static>(
    operation: &'static str,
    path: &Path,
    f: impl FnOnce() -> Result<T, StorageError> + Send + 'static,
) -> Result<T, StorageError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::Io {
            operation,
            path: path.display().to_string(),
            source: std::io::Error::other(e.to_string()),
        })?
}

/// Removes `path`: `Ok(true)` if it was there, `Ok(false)` if not; the
/// directory is fsynced after a removal when `fsync`.
fn remove(path: &Path, fsync: bool) -> Result<bool, StorageError> {
    match std::fs::remove_file(path) {
        Ok(()) => {
            if fsync {
                let dir = path.parent().unwrap_or(Path::new("."));
                std::fs::File::open(dir)
                    .and_then(|d| d.sync_all())
                    .map_err(io("fsync directory", dir))?;
            }
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io("remove", path)(e)),
    }
}

/// The subdirectories of `dir` whose names are `digits` ASCII digits
/// (none when `dir` does not exist).
fn digit_dirs(dir: &Path, digits: usize) -> Result<Vec<PathBuf>, StorageError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("list", dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(io("list", dir))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.len() == digits
            && name.bytes().all(|b| b.is_ascii_digit())
            && entry.file_type().map(|t| t.is_dir()).unwrap_or(false)
        {
            out.push(entry.path());
        }
    }
    out.sort_unstable_by(|a, b| b.cmp(a)); // newest first
    Ok(out)
}

/// Looks for one of `names` in the `YYYY/MM/DD` directories under `base`
/// (at most [`MAX_DATE_DIRS`]) and removes the first found.
fn remove_dated(
    base: &Path,
    uuid: &str,
    names: &[String],
    fsync: bool,
) -> Result<bool, StorageError> {
    let mut looked = 0usize;
    for year in digit_dirs(base, 4)? {
        for month in digit_dirs(&year, 2)? {
            for day in digit_dirs(&month, 2)? {
                if looked == MAX_DATE_DIRS {
                    return Err(StorageError::NotFoundWithin {
                        uuid: uuid.to_owned(),
                        path: base.display().to_string(),
                        limit: MAX_DATE_DIRS,
                    });
                }
                looked += 1;
                for name in names {
                    if remove(&day.join(name), fsync)? {
                        return Ok(true);
                    }
                }
            }
        }
    }
    Ok(false)
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
        blocking("write (task)", &path, move || {
            write_atomic(&target, &bytes, gzip, fsync)
        })
        .await
    }

    async fn delete(&self, request: &DeleteRequest<'_>) -> Result<bool, StorageError> {
        if !safe_name(request.uuid) {
            // Nothing can have been saved under this name.
            return Ok(false);
        }
        let names = self.file_names(request.uuid);
        let base = self.options.path.clone();
        // Where it was filed, then the base directory (the same one when
        // not partitioned, or without a date).
        let mut dirs = vec![self.dir_for(request.created_at)];
        if dirs[0] != base {
            dirs.push(base.clone());
        }
        let uuid = request.uuid.to_owned();
        let fsync = self.options.fsync;
        blocking("delete (task)", &self.options.path, move || {
            for dir in &dirs {
                for name in &names {
                    if remove(&dir.join(name), fsync)? {
                        return Ok(true);
                    }
                }
            }
            remove_dated(&base, &uuid, &names, fsync)
        })
        .await
    }

    async fn healthcheck(&self) -> Result<(), StorageError> {
        let dir = self.options.path.clone();
        blocking("healthcheck (task)", &self.options.path, move || {
            let probe = dir.join(".vcon-healthcheck");
            write_atomic(&probe, b"ok", false, false)?;
            std::fs::remove_file(&probe).map_err(io("remove", &probe))
        })
        .await
    }
}
