//! `webhook`: POSTs the vCon's JSON to one or more URLs, as the conserver's
//! `webhook` link does, with an optional HMAC-SHA256 signature and retries
//! with exponential backoff (see [`crate::delivery::WebhookOptions`]).
//!
//! With a secret, each request carries `X-Vcon-Timestamp: <unix seconds>`
//! and `X-Vcon-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`
//! (both names configurable): receivers verify the HMAC over the timestamp
//! header, a `.` and the exact body, and refuse old timestamps, so a
//! captured request cannot be replayed (see [`crate::delivery`]).
//!
//! With several URLs, a retry of a vCon whose delivery failed at one URL
//! posts only to the URLs that have not yet accepted it (remembered in
//! memory; a restart forgets, so delivery stays at least once).
//!
//! Unlike the conserver's link, a non-2xx answer fails the delivery:
//! 408, 429, 5xx and transport errors are retried (by the link, then by the
//! worker with its own backoff); other statuses fail the vCon permanently.
//! Signed and encrypted vCons are posted as they are.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::Value;
use vcon_core::Form;

use crate::delivery::{Webhook, WebhookOptions};
use crate::document::VconDoc;
use crate::error::ConfigError;
use crate::link::{Flow, Link, LinkContext, LinkError};
use crate::registry::{BuildContext, LinkKind, example_of, link_options, option_error};

/// Registration.
pub const KIND: LinkKind = LinkKind {
    name: "webhook",
    about: "POSTs the vCon to URLs (HMAC-SHA256 signature, retries)",
    build,
    example,
};

/// The `webhook` link.
#[derive(Debug)]
pub struct WebhookLink {
    webhook: Webhook,
}

impl WebhookLink {
    /// A link delivering through `webhook`.
    pub fn new(webhook: Webhook) -> Self {
        Self { webhook }
    }
}

fn build(name: &str, options: &Value, ctx: &BuildContext) -> Result<Arc<dyn Link>, ConfigError> {
    let options: WebhookOptions = link_options(KIND.name, name, options)?;
    let webhook = Webhook::new(&options, ctx.http.clone())
        .map_err(|m| option_error("links", KIND.name, name, m))?;
    Ok(Arc::new(WebhookLink::new(webhook)))
}

fn example() -> Value {
    let mut options = WebhookOptions::new(vec!["https://hooks.example.com/vcon".into()]);
    options.secret_env = Some("VCON_WEBHOOK_SECRET".into());
    example_of(&options)
}

#[async_trait]
impl Link for WebhookLink {
    fn handles(&self, _: Form) -> bool {
        true
    }

    async fn process(&self, doc: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        self.webhook
            .deliver(doc.to_bytes().into())
            .await
            .map_err(|e| LinkError::Http {
                url: e.url,
                reason: e.reason,
                retryable: e.retryable,
            })?;
        Ok(Flow::Continue)
    }
}
