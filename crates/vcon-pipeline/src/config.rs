//! [`PipelineConfig`]: the `[pipeline]` section of the `vcon serve`
//! configuration file (TOML). Every field's doc comment is its user
//! documentation.
//!
//! ```
//! let config = vcon_pipeline::PipelineConfig::from_toml(r#"
//! [links.support_tags]
//! type = "tag"
//! options = { tags = ["support"] }
//!
//! [storages.archive]
//! type = "directory"
//! options = { path = "/tmp/vcon-archive" }
//!
//! [chains.main]
//! ingress = ["default"]
//! links = ["support_tags"]
//! storages = ["archive"]
//! egress = ["processed"]
//! concurrency = 4
//! "#).unwrap();
//! assert_eq!(config.chains["main"].concurrency, 4);
//! assert_eq!(config.chains["main"].timeout_secs, 30.0); // the default
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ConfigError, KeyPath};

/// The pipeline: named link and storage instances, and the chains that use
/// them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// Link instances by name. A chain lists the names of the links it runs,
    /// so one instance can serve several chains.
    pub links: BTreeMap<String, LinkDef>,
    /// Storage instances by name, referenced the same way.
    pub storages: BTreeMap<String, StorageDef>,
    /// Chains by name.
    pub chains: BTreeMap<String, ChainConfig>,
    /// Retries of failed vCons, for chains that do not set their own.
    pub retry: RetryConfig,
    /// How long a worker holds a leased vCon before the queue hands it to
    /// another worker, in seconds. Keep it above the longest chain timeout.
    pub lease_secs: f64,
    /// How long a worker with nothing to do waits before asking the queue
    /// again, in milliseconds.
    pub idle_poll_ms: u64,
    /// How often queue depths are sampled into the
    /// `vcon_pipeline_queue_depth` gauge, in seconds (0 turns sampling off).
    pub queue_depth_interval_secs: f64,
    /// On shutdown, how long in-flight vCons may take to finish before they
    /// are handed back to the queue, in seconds.
    pub shutdown_grace_secs: f64,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            links: BTreeMap::new(),
            storages: BTreeMap::new(),
            chains: BTreeMap::new(),
            retry: RetryConfig::default(),
            lease_secs: 300.0,
            idle_poll_ms: 200,
            queue_depth_interval_secs: 10.0,
            shutdown_grace_secs: 30.0,
        }
    }
}

/// A named link: its type and that type's options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkDef {
    /// The link type: `tag`, `tag_router`, `jq`, `sampler`, `diet`,
    /// `expire`, `webhook`, `validate` or `sign`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The type's options (see each link's documentation). Unknown options
    /// are errors.
    #[serde(default = "empty_object")]
    pub options: Value,
}

/// A named storage: its type and that type's options.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageDef {
    /// The storage type: `embedded`, `directory` or `webhook`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The type's options (see each storage's documentation).
    #[serde(default = "empty_object")]
    pub options: Value,
}

fn empty_object() -> Value {
    Value::Object(serde_json::Map::new())
}

/// One chain: where vCons come from, what is done to them, where they go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// The lists this chain takes vCons from. A list feeds one chain only.
    pub ingress: Vec<String>,
    /// Names of the links to run, in order.
    #[serde(default)]
    pub links: Vec<String>,
    /// Names of the storages every vCon that went through all links is
    /// written to. A write that fails fails the vCon (it is retried).
    #[serde(default)]
    pub storages: Vec<String>,
    /// The lists the vCon's uuid is pushed to once it is stored.
    #[serde(default)]
    pub egress: Vec<String>,
    /// How long the links of one vCon may take, in seconds; past it the
    /// attempt fails and is retried.
    #[serde(default = "default_timeout")]
    pub timeout_secs: f64,
    /// Whether the chain runs. A disabled chain leaves its ingress lists alone.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How many vCons of this chain are processed at once (workers).
    #[serde(default = "one")]
    pub concurrency: usize,
    /// Retries for this chain, replacing the pipeline's `retry`.
    #[serde(default)]
    pub retry: Option<RetryConfig>,
}

fn default_timeout() -> f64 {
    30.0
}
fn yes() -> bool {
    true
}
fn one() -> usize {
    1
}

/// How a failed vCon is retried before it goes to the dead-letter list.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetryConfig {
    /// Deliveries before the vCon is dead-lettered (1 = no retry). Permanent
    /// failures (an invalid vCon, a bad jq program) are dead-lettered at once.
    pub max_attempts: u32,
    /// Wait before the first retry, in milliseconds.
    pub initial_backoff_ms: u64,
    /// Factor applied to the wait after each retry.
    pub multiplier: f64,
    /// Longest wait between retries, in milliseconds.
    pub max_backoff_ms: u64,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff_ms: 1_000,
            multiplier: 2.0,
            max_backoff_ms: 300_000,
        }
    }
}

impl RetryConfig {
    /// The wait before retrying after failed attempt number `attempt`
    /// (1-based): `initial × multiplier^(attempt-1)`, capped.
    ///
    /// ```
    /// let r = vcon_pipeline::RetryConfig::default();
    /// assert_eq!(r.backoff(1).as_millis(), 1_000);
    /// assert_eq!(r.backoff(3).as_millis(), 4_000);
    /// assert_eq!(r.backoff(40).as_millis(), 300_000);
    /// ```
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(64) as i32;
        let ms = self.initial_backoff_ms as f64 * self.multiplier.max(1.0).powi(exp);
        Duration::from_millis(ms.min(self.max_backoff_ms as f64) as u64)
    }

    /// Checks the values; `at` is where this retry table sits (`retry`,
    /// `chains.main.retry`).
    fn check(&self, at: &KeyPath) -> Result<(), ConfigError> {
        if self.max_attempts == 0 {
            return Err(ConfigError::invalid(
                at.join("max_attempts"),
                "must be at least 1",
            ));
        }
        if !self.multiplier.is_finite() || self.multiplier < 1.0 {
            return Err(ConfigError::invalid(
                at.join("multiplier"),
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

impl PipelineConfig {
    /// An example with one instance of every link and storage type of this
    /// build (their own example options) and one chain using them, as TOML.
    /// Generated from the registry, so it cannot drift from the code.
    pub fn example_toml() -> String {
        let mut config = Self::default();
        let mut chain = ChainConfig {
            ingress: vec!["default".into()],
            links: Vec::new(),
            storages: Vec::new(),
            egress: vec!["processed".into()],
            timeout_secs: default_timeout(),
            enabled: true,
            concurrency: 4,
            retry: None,
        };
        for kind in crate::registry::LINKS {
            let name = format!("my_{}", kind.name);
            chain.links.push(name.clone());
            config.links.insert(
                name,
                LinkDef {
                    kind: kind.name.into(),
                    options: without_nulls((kind.example)()),
                },
            );
        }
        for kind in crate::registry::STORAGES {
            let name = format!("my_{}", kind.name);
            chain.storages.push(name.clone());
            config.storages.insert(
                name,
                StorageDef {
                    kind: kind.name.into(),
                    options: without_nulls((kind.example)()),
                },
            );
        }
        config.chains.insert("main".into(), chain);
        toml::to_string(&config).unwrap_or_default()
    }

    /// Parses the section from TOML text (the section's own contents, not
    /// the whole server file).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text).map_err(|e| ConfigError::Toml {
            message: e.to_string(),
        })?;
        config.check()?;
        Ok(config)
    }

    /// Checks what serde cannot: names that chains reference exist, numbers
    /// are in range, and no list feeds two enabled chains. Link and storage
    /// options are checked when the pipeline is built.
    pub fn check(&self) -> Result<(), ConfigError> {
        positive(KeyPath::new(["lease_secs"]), self.lease_secs)?;
        positive(
            KeyPath::new(["shutdown_grace_secs"]),
            self.shutdown_grace_secs,
        )?;
        if !self.queue_depth_interval_secs.is_finite() || self.queue_depth_interval_secs < 0.0 {
            return Err(ConfigError::invalid(
                KeyPath::new(["queue_depth_interval_secs"]),
                "must be 0 or more",
            ));
        }
        self.retry.check(&KeyPath::new(["retry"]))?;
        let mut feeds: BTreeMap<&str, &str> = BTreeMap::new();
        for (name, chain) in &self.chains {
            let at = KeyPath::new(["chains", name.as_str()]);
            if chain.ingress.is_empty() {
                return Err(ConfigError::invalid(
                    at.join("ingress"),
                    "must name at least one list",
                ));
            }
            positive(at.join("timeout_secs"), chain.timeout_secs)?;
            if chain.timeout_secs >= self.lease_secs {
                return Err(ConfigError::invalid(
                    at.join("timeout_secs"),
                    format!(
                        "{} must be below lease_secs ({}), or a slow vCon \
                         would be handed to a second worker while the first still holds it",
                        chain.timeout_secs, self.lease_secs
                    ),
                ));
            }
            if chain.concurrency == 0 {
                return Err(ConfigError::invalid(
                    at.join("concurrency"),
                    "must be at least 1",
                ));
            }
            if let Some(retry) = &chain.retry {
                retry.check(&at.join("retry"))?;
            }
            for link in &chain.links {
                if !self.links.contains_key(link) {
                    return Err(ConfigError::UnknownName {
                        chain: name.clone(),
                        what: "link",
                        name: link.clone(),
                    });
                }
            }
            for storage in &chain.storages {
                if !self.storages.contains_key(storage) {
                    return Err(ConfigError::UnknownName {
                        chain: name.clone(),
                        what: "storage",
                        name: storage.clone(),
                    });
                }
            }
            if !chain.enabled {
                continue;
            }
            for list in &chain.ingress {
                if let Some(other) = feeds.insert(list, name) {
                    return Err(ConfigError::SharedIngress {
                        list: list.clone(),
                        first: other.to_owned(),
                        second: name.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// TOML has no null: options left unset are dropped from examples.
fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        other => other,
    }
}

fn positive(what: KeyPath, secs: f64) -> Result<(), ConfigError> {
    if secs.is_finite() && secs > 0.0 && secs < 1e9 {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            what,
            "must be a positive number of seconds",
        ))
    }
}

/// Seconds as a [`Duration`] (the callers checked the range).
pub(crate) fn secs(value: f64) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or(Duration::from_secs(1))
}
