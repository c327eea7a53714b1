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

/// A sink for processed vCons.
///
/// Writes are **idempotent**: saving the same uuid again replaces (or keeps)
/// what is there and succeeds. The worker delivers at least once, so a vCon
/// can be saved twice after a crash or a retry.
#[async_trait]
pub trait Storage: Send + Sync + fmt::Debug {
    /// Saves one vCon.
    async fn save(&self, request: &SaveRequest<'_>) -> Result<(), StorageError>;

    /// Erases a vCon (retention); returns whether something was removed.
    /// The default says the backend cannot.
    async fn delete(&self, uuid: &str) -> Result<bool, StorageError> {
        Err(StorageError::Unsupported {
            operation: "delete",
            uuid: uuid.to_owned(),
        })
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
            Self::TooLarge { .. } | Self::Unsupported { .. } => false,
        }
    }
}
