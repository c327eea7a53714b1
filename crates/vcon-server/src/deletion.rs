//! Deleting a vCon everywhere: from the working store, then from every
//! storage of the pipeline's chains ([`vcon_pipeline::StorageEraser`]),
//! as the conserver's `DELETE /vcon/{uuid}` deletes from Redis and every
//! configured storage. Used by both APIs' deletes and by retention.
//!
//! The storages are best effort: their failures are logged and counted
//! (`vcon_pipeline_storage_delete_failures_total`) and reported to the
//! caller, but do not undo or fail the working store's delete. A vCon's
//! `created_at` is read from the working store before it is deleted, so a
//! date-partitioned storage finds its file directly.

use axum::http::HeaderValue;
use axum::response::Response;
use vcon_pipeline::{DeleteRequest, EraseReport, StorageEraser};
use vcon_store::{Etag, Store, StoreError, VconUuid};

/// The response header naming the storages a delete failed in
/// (comma-separated); absent when none failed.
pub const STORAGE_FAILED_HEADER: &str = "x-vcon-storage-delete-failed";

/// When the storages are asked to delete too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanOut {
    /// Only when the working store held the vCon and deleted it.
    IfDeleted,
    /// Whatever the working store held (the conserver's delete: a vCon
    /// gone from the working store may remain in a storage).
    Always,
}

/// What [`delete_everywhere`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deletion {
    /// Whether the working store held the vCon and deleted it.
    pub deleted: bool,
    /// What each storage did (empty when they were not asked).
    pub storages: EraseReport,
}

/// Deletes `uuid` from `store` (only the version `if_match`, when given),
/// then, as `fan_out` says, from every storage of `eraser`. A store error
/// (a stale `if_match` included) returns before any storage is asked.
pub async fn delete_everywhere(
    store: &dyn Store,
    eraser: &StorageEraser,
    uuid: &VconUuid,
    if_match: Option<&Etag>,
    fan_out: FanOut,
) -> Result<Deletion, StoreError> {
    let meta = if eraser.is_empty() {
        None
    } else {
        store.head(uuid).await?
    };
    let deleted = store.delete(uuid, if_match).await?;
    let storages = if deleted || fan_out == FanOut::Always {
        let request = DeleteRequest {
            uuid: uuid.as_str(),
            created_at: meta.as_ref().and_then(|m| m.created_at),
            tenant: meta.as_ref().and_then(|m| m.tenant.as_deref()),
        };
        eraser.delete(&request).await
    } else {
        EraseReport::default()
    };
    Ok(Deletion { deleted, storages })
}

/// Adds [`STORAGE_FAILED_HEADER`] to `response` when a storage failed.
pub fn mark_failures(response: &mut Response, report: &EraseReport) {
    if report.is_ok() {
        return;
    }
    if let Ok(v) = HeaderValue::from_str(&report.failed_names()) {
        response.headers_mut().insert(STORAGE_FAILED_HEADER, v);
    }
}
