//! `embedded`: writes the processed vCon into the working store (the
//! vcon-store `Store` that `vcon serve` runs on), replacing the stored
//! bytes. Writing identical bytes again changes nothing, so repeated
//! deliveries are harmless. It never re-creates a vCon: one deleted while
//! its chain ran (an API delete, an expiry) is not written back.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vcon_store::{RecordOptions, Store, StoreError, VconRecord, VconUuid};

use crate::error::ConfigError;
use crate::registry::{BuildContext, StorageKind, example_of, option_error, storage_options};
use crate::storage::{DeleteRequest, SaveRequest, Storage, StorageError};

/// Registration.
pub const KIND: StorageKind = StorageKind {
    name: "embedded",
    about: "the working store of vcon serve (SQLite)",
    build,
    example,
};

/// Options of the `embedded` storage (none yet; unknown ones are errors).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedOptions {}

/// The `embedded` storage.
pub struct EmbeddedStorage {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for EmbeddedStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStorage").finish_non_exhaustive()
    }
}

impl EmbeddedStorage {
    /// A storage writing into `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

fn build(name: &str, options: &Value, ctx: &BuildContext) -> Result<Arc<dyn Storage>, ConfigError> {
    let _: EmbeddedOptions = storage_options(KIND.name, name, options)?;
    let store = ctx.store.clone().ok_or_else(|| {
        option_error(
            "storages",
            KIND.name,
            name,
            "no working store is open to write to",
        )
    })?;
    Ok(Arc::new(EmbeddedStorage::new(store)))
}

fn example() -> Value {
    example_of(&EmbeddedOptions {})
}

/// Writes tried against a vCon that keeps changing meanwhile before the
/// save fails (retryably).
const MAX_TRIES: usize = 4;

/// Whether a store error may go away on a later attempt.
pub(crate) fn store_error_retryable(e: &StoreError) -> bool {
    !matches!(
        e,
        StoreError::Record(_) | StoreError::Name(_) | StoreError::Invalid { .. }
    )
}

#[async_trait]
impl Storage for EmbeddedStorage {
    async fn save(&self, request: &SaveRequest<'_>) -> Result<(), StorageError> {
        let uuid = VconUuid::parse(request.uuid).map_err(|e| StorageError::Store {
            message: e.to_string(),
            retryable: false,
        })?;
        let options = RecordOptions {
            uuid: Some(uuid.clone()),
            tenant: request.tenant.map(str::to_owned),
            ..RecordOptions::default()
        };
        let record = VconRecord::from_bytes(request.bytes.to_vec(), &options).map_err(|e| {
            StorageError::Store {
                message: e.to_string(),
                retryable: false,
            }
        })?;
        let failed = |e: StoreError| StorageError::Store {
            retryable: store_error_retryable(&e),
            message: e.to_string(),
        };
        // Over the version stored now, never in place of none: a vCon
        // deleted while its chain ran (API or retention) stays deleted.
        for _ in 0..MAX_TRIES {
            let Some(now) = self.store.head(&uuid).await.map_err(failed)? else {
                tracing::debug!(
                    uuid = request.uuid,
                    "deleted while processed; not written back"
                );
                return Ok(());
            };
            match self.store.replace(record.clone(), Some(&now.etag)).await {
                Ok(_) => return Ok(()),
                // Replaced or deleted between the two calls: look again.
                Err(StoreError::PreconditionFailed { .. }) => {}
                Err(e) => return Err(failed(e)),
            }
        }
        Err(StorageError::Store {
            message: format!(
                "{}: changed {MAX_TRIES} times while being written back",
                request.uuid
            ),
            retryable: true,
        })
    }

    async fn delete(&self, request: &DeleteRequest<'_>) -> Result<bool, StorageError> {
        let uuid = VconUuid::parse(request.uuid).map_err(|e| StorageError::Store {
            message: e.to_string(),
            retryable: false,
        })?;
        self.store
            .delete(&uuid, None)
            .await
            .map_err(|e| StorageError::Store {
                retryable: store_error_retryable(&e),
                message: e.to_string(),
            })
    }

    fn is_working_store(&self) -> bool {
        true
    }

    async fn healthcheck(&self) -> Result<(), StorageError> {
        self.store.health().await.map_err(|e| StorageError::Store {
            message: e.to_string(),
            retryable: true,
        })
    }
}
