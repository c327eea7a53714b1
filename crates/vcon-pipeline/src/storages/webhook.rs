//! `webhook`: POSTs each stored vCon's JSON to one or more URLs, like the
//! conserver's `webhook` storage, with the same options, signature header
//! and retries as the `webhook` link ([`crate::delivery::WebhookOptions`]).
//! Receivers should treat the uuid as an idempotency key: a vCon may be
//! delivered more than once.
//!
//! Deletes are not forwarded: a webhook has no delete convention (the
//! conserver's `webhook` storage has no `delete`, so its `DELETE /vcon`
//! skips it), so [`Storage::delete`] answers [`StorageError::Unsupported`]
//! and `vcon serve` logs the storage as skipped, not failed.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;

use crate::delivery::{Webhook, WebhookOptions};
use crate::error::ConfigError;
use crate::registry::{BuildContext, StorageKind, example_of, option_error, storage_options};
use crate::storage::{SaveRequest, Storage, StorageError};

/// Registration.
pub const KIND: StorageKind = StorageKind {
    name: "webhook",
    about: "POSTs stored vCons to URLs (HMAC-SHA256 signature, retries)",
    build,
    example,
};

/// The `webhook` storage.
#[derive(Debug)]
pub struct WebhookStorage {
    webhook: Webhook,
}

impl WebhookStorage {
    /// A storage delivering through `webhook`.
    pub fn new(webhook: Webhook) -> Self {
        Self { webhook }
    }
}

fn build(name: &str, options: &Value, ctx: &BuildContext) -> Result<Arc<dyn Storage>, ConfigError> {
    let options: WebhookOptions = storage_options(KIND.name, name, options)?;
    let webhook = Webhook::new(&options, ctx.http.clone())
        .map_err(|m| option_error("storages", KIND.name, name, m))?;
    Ok(Arc::new(WebhookStorage::new(webhook)))
}

fn example() -> Value {
    example_of(&WebhookOptions::new(vec![
        "https://archive.example.com/vcons".into(),
    ]))
}

#[async_trait]
impl Storage for WebhookStorage {
    async fn save(&self, request: &SaveRequest<'_>) -> Result<(), StorageError> {
        self.webhook
            .deliver(bytes::Bytes::copy_from_slice(request.bytes))
            .await
            .map_err(|e| StorageError::Http {
                url: e.url,
                reason: e.reason,
                retryable: e.retryable,
            })
    }
}
