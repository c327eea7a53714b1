//! `tag`: adds tags, stored the vcon-lib way (one `purpose: "tags"`
//! attachment of `name:value` strings; see [`vcon_core::tags`]).
//!
//! Like the conserver's `tag` link, each entry of `tags` is added as
//! `name:name`; `set` adds `name:value` pairs (replacing an earlier value of
//! the same name, so running the link twice leaves one entry).

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vcon_core::tags::{Tagged, TagsAnchor};

use crate::document::VconDoc;
use crate::error::ConfigError;
use crate::link::{Flow, Link, LinkContext, LinkError};
use crate::registry::{BuildContext, LinkKind, example_of, link_options, option_error};

/// Registration.
pub const KIND: LinkKind = LinkKind {
    name: "tag",
    about: "adds tags (vcon-lib tags attachment)",
    build,
    example,
};

/// Options of the `tag` link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TagOptions {
    /// Tags added as `name:name`, as the conserver's `tag` link does
    /// (`tags = ["support"]` stores `support:support`). A tag already present
    /// with that exact entry is not added twice.
    pub tags: Vec<String>,
    /// Tags set as `name:value`; an existing tag of the same name gets the
    /// new value.
    pub set: BTreeMap<String, String>,
}

/// The `tag` link.
#[derive(Debug)]
pub struct TagLink {
    options: TagOptions,
}

impl TagLink {
    /// A link with these options (names are checked).
    pub fn new(options: TagOptions) -> Result<Self, String> {
        for name in options.tags.iter().chain(options.set.keys()) {
            if name.is_empty() || name.contains(':') {
                return Err(format!(
                    "tag name `{name}` must be non-empty and contain no `:` (vcon-lib splits at the first colon)"
                ));
            }
        }
        Ok(Self { options })
    }
}

fn build(name: &str, options: &Value, _: &BuildContext) -> Result<Arc<dyn Link>, ConfigError> {
    let options: TagOptions = link_options(KIND.name, name, options)?;
    let link = TagLink::new(options).map_err(|m| option_error("links", KIND.name, name, m))?;
    Ok(Arc::new(link))
}

fn example() -> Value {
    example_of(&TagOptions {
        tags: vec!["support".into()],
        set: BTreeMap::from([("priority".into(), "high".into())]),
    })
}

#[async_trait]
impl Link for TagLink {
    async fn process(&self, doc: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        if self.options.tags.is_empty() && self.options.set.is_empty() {
            return Ok(Flow::Continue);
        }
        let anchor = TagsAnchor::for_vcon(doc.object());
        let present = doc.object().tag_entries()?;
        let object = doc.object_mut();
        for tag in &self.options.tags {
            let entry = format!("{tag}:{tag}");
            if !present.contains(&entry) {
                object.add_tag(tag, tag, &anchor)?;
            }
        }
        for (name, value) in &self.options.set {
            object.set_tag(name, value, &anchor)?;
        }
        Ok(Flow::Continue)
    }
}
