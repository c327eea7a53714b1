//! `tag_router`: pushes the vCon's uuid to other lists according to its
//! tags, like the conserver's `tag_router`.
//!
//! Tag names are read from every tags attachment (`purpose` or legacy
//! `type` = `"tags"`): `name:value` entries of an array body (or a string
//! holding one), or the keys of an object body. Each name with a route sends
//! the uuid to that list. With `forward_original = false` the chain stops
//! here (the routes still happen); the default goes on.
//!
//! Routes are carried out by the worker when it acknowledges the vCon, in
//! the same transaction as the chain's egress lists.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use vcon_core::tags::{body_entries, is_tags_attachment};

use crate::document::VconDoc;
use crate::error::ConfigError;
use crate::link::{Flow, Link, LinkContext, LinkError};
use crate::registry::{BuildContext, LinkKind, example_of, link_options, option_error};

/// Registration.
pub const KIND: LinkKind = LinkKind {
    name: "tag_router",
    about: "routes the vCon to lists by tag name",
    build,
    example,
};

/// Options of the `tag_router` link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TagRouterOptions {
    /// Tag name → list the uuid is pushed to (conserver `tag_routes`).
    pub routes: BTreeMap<String, String>,
    /// Whether the chain goes on after routing (conserver
    /// `forward_original`, default true). When false the chain stops for
    /// every vCon, routed or not.
    pub forward_original: bool,
}

impl Default for TagRouterOptions {
    fn default() -> Self {
        Self {
            routes: BTreeMap::new(),
            forward_original: true,
        }
    }
}

/// The `tag_router` link.
#[derive(Debug)]
pub struct TagRouterLink {
    options: TagRouterOptions,
}

impl TagRouterLink {
    /// A link with these options.
    pub fn new(options: TagRouterOptions) -> Self {
        Self { options }
    }
}

fn build(name: &str, options: &Value, _: &BuildContext) -> Result<Arc<dyn Link>, ConfigError> {
    let options: TagRouterOptions = link_options(KIND.name, name, options)?;
    if options.routes.values().any(String::is_empty) {
        return Err(option_error(
            "links",
            KIND.name,
            name,
            "a route's list name is empty",
        ));
    }
    Ok(Arc::new(TagRouterLink::new(options)))
}

fn example() -> Value {
    example_of(&TagRouterOptions {
        routes: BTreeMap::from([("urgent".into(), "urgent_vcons".into())]),
        forward_original: true,
    })
}

/// The tag names of every tags attachment, in order.
pub fn tag_names(vcon: &Map<String, Value>) -> Result<Vec<String>, LinkError> {
    let mut names = Vec::new();
    let Some(Value::Array(attachments)) = vcon.get("attachments") else {
        return Ok(names);
    };
    for (i, attachment) in attachments.iter().enumerate() {
        let Value::Object(a) = attachment else {
            continue;
        };
        if !is_tags_attachment(a) {
            continue;
        }
        if let Some(Value::Object(body)) = a.get("body") {
            names.extend(body.keys().filter(|k| !k.is_empty()).cloned());
            continue;
        }
        for entry in body_entries(a, i)? {
            if let Some((name, _)) = entry.split_once(':')
                && !name.is_empty()
            {
                names.push(name.to_owned());
            }
        }
    }
    Ok(names)
}

#[async_trait]
impl Link for TagRouterLink {
    async fn process(&self, doc: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        if self.options.routes.is_empty() {
            return Ok(Flow::Continue);
        }
        for name in tag_names(doc.object())? {
            if let Some(list) = self.options.routes.get(&name) {
                doc.route_to(list);
            }
        }
        Ok(if self.options.forward_original {
            Flow::Continue
        } else {
            Flow::stop("tag_router: forward_original is false")
        })
    }
}
