//! `expire`: records when the vCon should be erased, like the conserver's
//! `expire_vcon` (which sets a Redis TTL of `seconds`, default one day).
//!
//! The expiry is written as the tag `expires_at:<RFC 3339 UTC>` (set, not
//! added, so a second run moves it), which survives export, which the
//! store's tag search finds and from which the store learns the expiry
//! (`vcon_store::Store::expired`; `vcon serve`'s retention sweep erases the
//! vCon then). Only unsigned vCons can carry the tag; signed and encrypted
//! ones pass by.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vcon_core::tags::{Tagged, TagsAnchor};

use crate::document::VconDoc;
use crate::error::ConfigError;
use crate::link::{Flow, Link, LinkContext, LinkError};
use crate::registry::{BuildContext, LinkKind, example_of, link_options, option_error};

/// Registration.
pub const KIND: LinkKind = LinkKind {
    name: "expire",
    about: "records an expiry (tag expires_at) for the store to enforce",
    build,
    example,
};

/// The tag name the expiry is written under.
pub const EXPIRES_AT_TAG: &str = vcon_store::EXPIRES_AT_TAG;

/// Options of the `expire` link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExpireOptions {
    /// Seconds from now until the vCon expires (conserver `seconds`,
    /// default 86400: one day).
    pub seconds: u64,
}

impl Default for ExpireOptions {
    fn default() -> Self {
        Self { seconds: 86_400 }
    }
}

/// The `expire` link.
#[derive(Debug)]
pub struct ExpireLink {
    ttl: chrono::Duration,
}

impl ExpireLink {
    /// A link with these options.
    pub fn new(options: &ExpireOptions) -> Result<Self, String> {
        i64::try_from(options.seconds)
            .ok()
            .and_then(chrono::Duration::try_seconds)
            .filter(|d| *d < chrono::Duration::days(365 * 1000))
            .map(|ttl| Self { ttl })
            .ok_or_else(|| format!("seconds {} is too large", options.seconds))
    }
}

fn build(name: &str, options: &Value, _: &BuildContext) -> Result<Arc<dyn Link>, ConfigError> {
    let options: ExpireOptions = link_options(KIND.name, name, options)?;
    let link = ExpireLink::new(&options).map_err(|m| option_error("links", KIND.name, name, m))?;
    Ok(Arc::new(link))
}

fn example() -> Value {
    example_of(&ExpireOptions { seconds: 604_800 })
}

#[async_trait]
impl Link for ExpireLink {
    async fn process(&self, doc: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        let when = Utc::now() + self.ttl;
        let anchor = TagsAnchor::for_vcon(doc.object());
        let text = when.to_rfc3339_opts(SecondsFormat::Secs, true);
        doc.object_mut().set_tag(EXPIRES_AT_TAG, &text, &anchor)?;
        Ok(Flow::Continue)
    }
}
