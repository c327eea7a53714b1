//! The [`Storage`] trait: where a chain writes the vCons it has processed.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use vcon_core::Form;

/// One vCon to save, with everything a backend may want to key or index it
/// by. A relational backend reads columns from [`SaveRequest::object`]; an
/// object store keys by [`SaveRequest::uuid`] and
/// [`SaveRequest::created_at`] and stores [`SaveRequest::bytes`].
#[derive(Debug, Clone, Copy)]
pub struct SaveRequest<'a> {
    /// The uuid (the queue's).
    pub uuid: &'a str,
    /// The vCon's JSON, exactly what is to be stored.
    pub bytes: &'a [u8],
    /// The same vCon as an object.
    pub object: &'a Map<String, Value>,
    /// Its form.
    pub form: Form,
    /// `created_at`, when the vCon is unsigned and has a readable one.
    pub created_at: Option<DateTime<Utc>>,
    /// The tenant the vCon belongs to, if the deployment has tenants.
    pub tenant: Option<&'a str>,
    /// The chain that produced it.
    pub chain: &'a str,
}

impl SaveRequest<'_> {
    /// The media type of [`SaveRequest::bytes`].
    pub fn content_type(&self) -> &'static str {
        "application/vcon+json"
    }
}

/// One vCon to delete from a storage, with what a backend may need to find
/// it (a date-partitioned one files it by `created_at`).
#[derive(Debug, Clone, Copy)]
pub struct DeleteRequest<'a> {
    /// The uuid.
    pub uuid: &'a str,
    /// `created_at` of the vCon as the working store last held it, when
    /// readable: usually the [`SaveRequest::created_at`] it was saved with.
    pub created_at: Option<DateTime<Utc>>,
    /// The tenant the vCon belonged to, if the deployment has tenants.
    pub tenant: Option<&'a str>,
}

/// A sink for processed vCons.
///
/// Writes are **idempotent**: saving the same uuid again replaces (or keeps)
/// what is there and succeeds. The worker delivers at least once, so a vCon
/// can be saved twice after a crash or a retry.
#[async_trait]
pub trait Storage: Send + Sync + fmt::Debug {
    /// Saves one vCon.
    async fn save(&self, request: &SaveRequest<'_>) -> Result<(), StorageError>;

    /// Erases a vCon (a delete through the API, or retention); returns
    /// whether something was removed (`false`: nothing held it). Deleting
    /// again is harmless. The default says the backend cannot
    /// ([`StorageError::Unsupported`]).
    async fn delete(&self, request: &DeleteRequest<'_>) -> Result<bool, StorageError> {
        Err(StorageError::Unsupported {
            operation: "delete",
            uuid: request.uuid.to_owned(),
        })
    }

    /// Whether this storage is the working store itself (`embedded`): the
    /// server's own delete covers it, so deletes are not fanned out to it.
    fn is_working_store(&self) -> bool {
        false
    }

    /// Checks at start-up that the backend can be written to.
    async fn healthcheck(&self) -> Result<(), StorageError> {
        Ok(())
    }
}

/// Why a storage write failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A file operation failed (retryable: disks fill and free up).
    #[error("{operation} {path}: {source}")]
    Io {
        /// What was being done (`create directory`, `write`, `rename`, `fsync`).
        operation: &'static str,
        /// The path.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The vCon is larger than the backend accepts (permanent).
    #[error("vCon {uuid} is {size} bytes, over the storage's limit of {limit}")]
    TooLarge {
        /// The uuid.
        uuid: String,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// An HTTP delivery failed.
    #[error("POST {url}: {reason}")]
    Http {
        /// The target URL.
        url: String,
        /// Status or transport error, after the storage's own retries.
        reason: String,
        /// Whether a later attempt may succeed.
        retryable: bool,
    },
    /// The embedded store refused the write.
    #[error("embedded store: {message}")]
    Store {
        /// The store's error.
        message: String,
        /// Whether a later attempt may succeed.
        retryable: bool,
    },
    /// A date-partitioned backend did not find the vCon within the bounded
    /// look through its date directories (it may still be further on).
    #[error(
        "{uuid}: not found in the first {limit} date directories under {path}; looked no further"
    )]
    NotFoundWithin {
        /// The uuid.
        uuid: String,
        /// The base directory.
        path: String,
        /// How many date directories were looked in.
        limit: usize,
    },
    /// The backend cannot do this.
    #[error("{operation} of {uuid}: not supported by this storage")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// The uuid.
        uuid: String,
    },
}

impl StorageError {
    /// Whether retrying later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Io { .. } => true,
            Self::Http { retryable, .. } | Self::Store { retryable, .. } => *retryable,
            Self::TooLarge { .. } | Self::Unsupported { .. } | Self::NotFoundWithin { .. } => false,
        }
    }
}
