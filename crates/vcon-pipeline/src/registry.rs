//! The link and storage registries: one [`LinkKind`] or [`StorageKind`] per
//! type. Adding a link is one file under `links/` and one line in
//! [`LINKS`]; adding a storage, one file under `storages/` and one line in
//! [`STORAGES`].

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ConfigError;
use crate::link::Link;
use crate::storage::Storage;
use crate::{links, storages};

/// What links and storages may need when they are built.
#[derive(Clone)]
pub struct BuildContext {
    /// The working store (for the `embedded` storage). `None` when the
    /// pipeline is built without one (checking a config, tests of single links).
    pub store: Option<Arc<dyn vcon_store::Store>>,
    /// The HTTP client shared by webhook links and storages.
    pub http: reqwest::Client,
}

impl BuildContext {
    /// A context with the given store and a default HTTP client.
    pub fn new(store: Option<Arc<dyn vcon_store::Store>>) -> Self {
        Self {
            store,
            http: reqwest::Client::new(),
        }
    }
}

impl std::fmt::Debug for BuildContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildContext")
            .field("store", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

/// Builds a link instance from its name (for errors), options and context.
pub type BuildLink = fn(&str, &Value, &BuildContext) -> Result<Arc<dyn Link>, ConfigError>;

/// Builds a storage instance from its name (for errors), options and context.
pub type BuildStorage = fn(&str, &Value, &BuildContext) -> Result<Arc<dyn Storage>, ConfigError>;

/// A link type: how to build it from options, and an example of them.
#[derive(Debug, Clone, Copy)]
pub struct LinkKind {
    /// The `type` name in the configuration.
    pub name: &'static str,
    /// One line on what it does.
    pub about: &'static str,
    /// Builds an instance from its options (`name` is the instance's, for errors).
    pub build: BuildLink,
    /// Example options, as they would appear in `options = { ... }`.
    pub example: fn() -> Value,
}

/// A storage type.
#[derive(Debug, Clone, Copy)]
pub struct StorageKind {
    /// The `type` name in the configuration.
    pub name: &'static str,
    /// One line on what it does.
    pub about: &'static str,
    /// Builds an instance from its options.
    pub build: BuildStorage,
    /// Example options.
    pub example: fn() -> Value,
}

/// Every link type of this build.
pub static LINKS: &[LinkKind] = &[
    links::tag::KIND,
    links::tag_router::KIND,
    links::jq::KIND,
    links::sampler::KIND,
    links::diet::KIND,
    links::expire::KIND,
    links::webhook::KIND,
    links::validate::KIND,
    #[cfg(feature = "sign")]
    links::sign::KIND,
];

/// Every storage type of this build.
pub static STORAGES: &[StorageKind] = &[
    storages::embedded::KIND,
    storages::directory::KIND,
    storages::webhook::KIND,
];

/// The link type called `name`.
pub fn link_kind(name: &str) -> Option<&'static LinkKind> {
    LINKS.iter().find(|k| k.name == name)
}

/// The storage type called `name`.
pub fn storage_kind(name: &str) -> Option<&'static StorageKind> {
    STORAGES.iter().find(|k| k.name == name)
}

/// Builds the link instance `name` of type `kind`.
pub fn build_link(
    name: &str,
    kind: &str,
    options: &Value,
    ctx: &BuildContext,
) -> Result<Arc<dyn Link>, ConfigError> {
    let found = link_kind(kind).ok_or_else(|| ConfigError::UnknownType {
        section: "links",
        section_kind: "link",
        name: name.to_owned(),
        kind: kind.to_owned(),
        known: LINKS.iter().map(|k| k.name).collect::<Vec<_>>().join(", "),
    })?;
    (found.build)(name, options, ctx)
}

/// Builds the storage instance `name` of type `kind`.
pub fn build_storage(
    name: &str,
    kind: &str,
    options: &Value,
    ctx: &BuildContext,
) -> Result<Arc<dyn Storage>, ConfigError> {
    let found = storage_kind(kind).ok_or_else(|| ConfigError::UnknownType {
        section: "storages",
        section_kind: "storage",
        name: name.to_owned(),
        kind: kind.to_owned(),
        known: STORAGES
            .iter()
            .map(|k| k.name)
            .collect::<Vec<_>>()
            .join(", "),
    })?;
    (found.build)(name, options, ctx)
}

/// Deserialises a link's options (`deny_unknown_fields` in each options
/// struct makes typos errors).
pub(crate) fn link_options<T: DeserializeOwned>(
    kind: &'static str,
    name: &str,
    options: &Value,
) -> Result<T, ConfigError> {
    parse_options("links", kind, name, options)
}

/// Deserialises a storage's options.
pub(crate) fn storage_options<T: DeserializeOwned>(
    kind: &'static str,
    name: &str,
    options: &Value,
) -> Result<T, ConfigError> {
    parse_options("storages", kind, name, options)
}

fn parse_options<T: DeserializeOwned>(
    section: &'static str,
    kind: &'static str,
    name: &str,
    options: &Value,
) -> Result<T, ConfigError> {
    let options = match options {
        Value::Null => &Value::Object(serde_json::Map::new()),
        other => other,
    };
    T::deserialize(options).map_err(|e| ConfigError::Options {
        section,
        name: name.to_owned(),
        kind,
        message: e.to_string(),
    })
}

/// An options error raised after deserialisation (a value out of range).
pub(crate) fn option_error(
    section: &'static str,
    kind: &'static str,
    name: &str,
    message: impl Into<String>,
) -> ConfigError {
    ConfigError::Options {
        section,
        name: name.to_owned(),
        kind,
        message: message.into(),
    }
}

/// An example options value from a serialisable options struct.
pub(crate) fn example_of<T: Serialize>(options: &T) -> Value {
    serde_json::to_value(options).unwrap_or(Value::Null)
}
