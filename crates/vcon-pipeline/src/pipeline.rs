//! [`Pipeline`]: the configuration built into running links, storages and
//! chains. A [`Chain`] runs its links on a [`VconDoc`] under its timeout
//! and writes the result to its storages; the queue side is in
//! [`crate::pool`].

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use vcon_store::{ListName, StoreError};

use crate::config::{PipelineConfig, RetryConfig, secs};
use crate::document::{DocError, VconDoc};
use crate::error::{ConfigError, KeyPath};
use crate::link::{Flow, Link, LinkContext, LinkError};
use crate::metrics as m;
use crate::registry::{BuildContext, build_link, build_storage};
use crate::storage::{SaveRequest, Storage, StorageError};

/// A built pipeline: every chain, ready for a [`crate::WorkerPool`].
#[derive(Debug)]
pub struct Pipeline {
    chains: Vec<Arc<Chain>>,
    settings: PoolSettings,
}

/// The pool-wide settings of a pipeline (from [`PipelineConfig`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolSettings {
    /// Lease visibility.
    pub lease: Duration,
    /// Wait of an idle worker.
    pub idle_poll: Duration,
    /// Queue depth sampling period (`None`: off).
    pub depth_interval: Option<Duration>,
    /// Shutdown grace period.
    pub shutdown_grace: Duration,
}

/// A link with its configured name.
#[derive(Debug, Clone)]
pub struct NamedLink {
    /// The name in the configuration.
    pub name: String,
    /// The link.
    pub link: Arc<dyn Link>,
}

/// A storage with its configured name.
#[derive(Debug, Clone)]
pub struct NamedStorage {
    /// The name in the configuration.
    pub name: String,
    /// The storage.
    pub storage: Arc<dyn Storage>,
}

impl NamedLink {
    /// Names a link.
    pub fn new(name: &str, link: Arc<dyn Link>) -> Self {
        Self {
            name: name.to_owned(),
            link,
        }
    }
}

impl NamedStorage {
    /// Names a storage.
    pub fn new(name: &str, storage: Arc<dyn Storage>) -> Self {
        Self {
            name: name.to_owned(),
            storage,
        }
    }
}

/// One built chain.
#[derive(Debug)]
pub struct Chain {
    /// The chain's name.
    pub name: String,
    /// Lists it takes vCons from.
    pub ingress: Vec<ListName>,
    /// Lists a stored vCon's uuid is pushed to.
    pub egress: Vec<ListName>,
    /// Its links, in order.
    pub links: Vec<NamedLink>,
    /// Its storages.
    pub storages: Vec<NamedStorage>,
    /// Time limit for the links of one vCon.
    pub timeout: Duration,
    /// Workers.
    pub concurrency: usize,
    /// Retry policy.
    pub retry: RetryConfig,
    /// Whether it runs.
    pub enabled: bool,
}

/// Why processing one vCon failed. Each variant names the chain, the vCon
/// and the step.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// A link failed.
    #[error("chain `{chain}`, vCon {uuid}, link `{link}`: {source}")]
    Link {
        /// The chain.
        chain: String,
        /// The vCon.
        uuid: String,
        /// The link's name.
        link: String,
        /// What the link reported.
        #[source]
        source: LinkError,
    },
    /// The links took longer than the chain's timeout.
    #[error(
        "chain `{chain}`, vCon {uuid}: links did not finish within {timeout:?} (was running link `{link}`)"
    )]
    Timeout {
        /// The chain.
        chain: String,
        /// The vCon.
        uuid: String,
        /// The timeout.
        timeout: Duration,
        /// The link that was running.
        link: String,
    },
    /// A storage write failed.
    #[error("chain `{chain}`, vCon {uuid}, storage `{storage}`: {source}")]
    Storage {
        /// The chain.
        chain: String,
        /// The vCon.
        uuid: String,
        /// The storage's name.
        storage: String,
        /// What the storage reported.
        #[source]
        source: StorageError,
    },
    /// The stored vCon could not be read.
    #[error("chain `{chain}`: {source}")]
    Document {
        /// The chain.
        chain: String,
        /// What was wrong with it.
        #[source]
        source: DocError,
    },
    /// The working store or queue failed.
    #[error("chain `{chain}`, vCon {uuid}, {step}: {source}")]
    Store {
        /// The chain.
        chain: String,
        /// The vCon.
        uuid: String,
        /// What was being done (`load`, `write back`, `acknowledge`).
        step: &'static str,
        /// The store's error.
        #[source]
        source: StoreError,
    },
}

impl ProcessError {
    /// Whether a later attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Link { source, .. } => source.is_retryable(),
            Self::Timeout { .. } => true,
            Self::Storage { source, .. } => source.is_retryable(),
            Self::Document { .. } => false,
            Self::Store { source, .. } => crate::storages::embedded::store_error_retryable(source),
        }
    }
}

impl Pipeline {
    /// Builds every link and storage defined, then the chains. Errors name
    /// the section and instance at fault.
    pub fn build(config: &PipelineConfig, ctx: &BuildContext) -> Result<Self, ConfigError> {
        config.check()?;
        let mut links = BTreeMap::new();
        for (name, def) in &config.links {
            links.insert(
                name.as_str(),
                build_link(name, &def.kind, &def.options, ctx)?,
            );
        }
        let mut storages = BTreeMap::new();
        for (name, def) in &config.storages {
            storages.insert(
                name.as_str(),
                build_storage(name, &def.kind, &def.options, ctx)?,
            );
        }
        let list = |chain: &str, key: &str, name: &str| {
            ListName::new(name).map_err(|e| {
                ConfigError::invalid(
                    KeyPath::new(["chains", chain, key]),
                    format!("list `{name}`: {e}"),
                )
            })
        };
        let mut chains = Vec::new();
        for (name, c) in &config.chains {
            let chain = Chain {
                name: name.clone(),
                ingress: c
                    .ingress
                    .iter()
                    .map(|l| list(name, "ingress", l))
                    .collect::<Result<_, _>>()?,
                egress: c
                    .egress
                    .iter()
                    .map(|l| list(name, "egress", l))
                    .collect::<Result<_, _>>()?,
                links: c
                    .links
                    .iter()
                    .filter_map(|l| {
                        links.get(l.as_str()).map(|link| NamedLink {
                            name: l.clone(),
                            link: Arc::clone(link),
                        })
                    })
                    .collect(),
                storages: c
                    .storages
                    .iter()
                    .filter_map(|s| {
                        storages.get(s.as_str()).map(|storage| NamedStorage {
                            name: s.clone(),
                            storage: Arc::clone(storage),
                        })
                    })
                    .collect(),
                timeout: secs(c.timeout_secs),
                concurrency: c.concurrency,
                retry: c.retry.unwrap_or(config.retry),
                enabled: c.enabled,
            };
            chains.push(Arc::new(chain));
        }
        Ok(Self {
            chains,
            settings: PoolSettings {
                lease: secs(config.lease_secs),
                idle_poll: Duration::from_millis(config.idle_poll_ms.max(1)),
                depth_interval: (config.queue_depth_interval_secs > 0.0)
                    .then(|| secs(config.queue_depth_interval_secs)),
                shutdown_grace: secs(config.shutdown_grace_secs),
            },
        })
    }

    /// A pipeline of chains built by hand (links the registry does not
    /// know, tests). Names of enabled chains' ingress lists must not repeat.
    pub fn new(chains: Vec<Chain>, settings: PoolSettings) -> Result<Self, ConfigError> {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for chain in chains.iter().filter(|c| c.enabled) {
            for list in &chain.ingress {
                if let Some(first) = seen.insert(list.as_str(), &chain.name) {
                    return Err(ConfigError::SharedIngress {
                        list: list.as_str().to_owned(),
                        first: first.to_owned(),
                        second: chain.name.clone(),
                    });
                }
            }
        }
        Ok(Self {
            chains: chains.into_iter().map(Arc::new).collect(),
            settings,
        })
    }

    /// Runs the healthcheck of every link and storage of every enabled
    /// chain; the first failure is returned, naming the instance.
    pub async fn healthcheck(&self) -> Result<(), ConfigError> {
        for chain in self.chains.iter().filter(|c| c.enabled) {
            for l in &chain.links {
                l.link
                    .healthcheck()
                    .await
                    .map_err(|e| ConfigError::Healthcheck {
                        section: "links",
                        name: l.name.clone(),
                        message: e.to_string(),
                    })?;
            }
            for s in &chain.storages {
                s.storage
                    .healthcheck()
                    .await
                    .map_err(|e| ConfigError::Healthcheck {
                        section: "storages",
                        name: s.name.clone(),
                        message: e.to_string(),
                    })?;
            }
        }
        Ok(())
    }

    /// Every chain, enabled or not, by name.
    pub fn chains(&self) -> &[Arc<Chain>] {
        &self.chains
    }

    /// The chain called `name`.
    pub fn chain(&self, name: &str) -> Option<&Arc<Chain>> {
        self.chains.iter().find(|c| c.name == name)
    }

    /// The enabled chain fed by `list`.
    pub fn chain_for(&self, list: &str) -> Option<&Arc<Chain>> {
        self.chains
            .iter()
            .find(|c| c.enabled && c.ingress.iter().any(|l| l.as_str() == list))
    }

    /// The pool-wide settings.
    pub fn settings(&self) -> PoolSettings {
        self.settings
    }

    /// Changes the pool-wide settings (tests and benches shorten waits).
    pub fn set_settings(&mut self, settings: PoolSettings) {
        self.settings = settings;
    }
}

impl Default for PoolSettings {
    /// The defaults of [`PipelineConfig`].
    fn default() -> Self {
        let c = PipelineConfig::default();
        Self {
            lease: secs(c.lease_secs),
            idle_poll: Duration::from_millis(c.idle_poll_ms),
            depth_interval: Some(secs(c.queue_depth_interval_secs)),
            shutdown_grace: secs(c.shutdown_grace_secs),
        }
    }
}

impl Chain {
    /// A chain of these links and storages taking from `ingress`, with the
    /// defaults of [`crate::ChainConfig`] (30 s timeout, one worker, the
    /// default retry policy, enabled, no egress).
    pub fn new(
        name: &str,
        ingress: Vec<ListName>,
        links: Vec<NamedLink>,
        storages: Vec<NamedStorage>,
    ) -> Self {
        Self {
            name: name.to_owned(),
            ingress,
            egress: Vec::new(),
            links,
            storages,
            timeout: Duration::from_secs(30),
            concurrency: 1,
            retry: RetryConfig::default(),
            enabled: true,
        }
    }

    /// Runs the links on `doc` in order, under the chain's timeout. Links
    /// that do not handle the vCon's form are passed by.
    pub async fn run_links(&self, doc: &mut VconDoc, attempt: u32) -> Result<Flow, ProcessError> {
        let at = AtomicUsize::new(0);
        let run = async {
            for (i, named) in self.links.iter().enumerate() {
                at.store(i, Ordering::Relaxed);
                if !named.link.handles(doc.form()) {
                    continue;
                }
                let ctx = LinkContext {
                    chain: &self.name,
                    link: &named.name,
                    attempt,
                };
                let started = Instant::now();
                let result = named.link.process(doc, &ctx).await;
                metrics::histogram!(m::LINK_DURATION, "chain" => self.name.clone(), "link" => named.name.clone())
                    .record(started.elapsed().as_secs_f64());
                match result {
                    Ok(Flow::Continue) => {}
                    Ok(stop @ Flow::Stop { .. }) => return Ok(stop),
                    Err(source) => {
                        let class = if source.is_retryable() {
                            "retryable"
                        } else {
                            "permanent"
                        };
                        metrics::counter!(m::LINK_FAILURES, "chain" => self.name.clone(), "link" => named.name.clone(), "class" => class)
                            .increment(1);
                        return Err(ProcessError::Link {
                            chain: self.name.clone(),
                            uuid: doc.uuid().to_owned(),
                            link: named.name.clone(),
                            source,
                        });
                    }
                }
            }
            Ok(Flow::Continue)
        };
        match tokio::time::timeout(self.timeout, run).await {
            Ok(result) => result,
            Err(_) => {
                let link = self
                    .links
                    .get(at.load(Ordering::Relaxed))
                    .map(|l| l.name.clone())
                    .unwrap_or_default();
                metrics::counter!(m::LINK_FAILURES, "chain" => self.name.clone(), "link" => link.clone(), "class" => "timeout")
                    .increment(1);
                Err(ProcessError::Timeout {
                    chain: self.name.clone(),
                    uuid: doc.uuid().to_owned(),
                    timeout: self.timeout,
                    link,
                })
            }
        }
    }

    /// Writes `doc` (serialised as `bytes`) to every storage at once. Every
    /// storage is tried; the first failure is returned (retryable only if
    /// every failure is).
    pub async fn save(
        &self,
        doc: &VconDoc,
        bytes: &[u8],
        tenant: Option<&str>,
    ) -> Result<(), ProcessError> {
        if self.storages.is_empty() {
            return Ok(());
        }
        let request = SaveRequest {
            uuid: doc.uuid(),
            bytes,
            object: doc.object(),
            form: doc.form(),
            created_at: doc.created_at(),
            tenant,
            chain: &self.name,
        };
        let writes = self.storages.iter().map(|s| {
            let request = &request;
            async move {
                let started = Instant::now();
                let result = s.storage.save(request).await;
                metrics::histogram!(m::STORAGE_DURATION, "chain" => self.name.clone(), "storage" => s.name.clone())
                    .record(started.elapsed().as_secs_f64());
                if result.is_err() {
                    metrics::counter!(m::STORAGE_FAILURES, "chain" => self.name.clone(), "storage" => s.name.clone())
                        .increment(1);
                }
                (s, result)
            }
        });
        let mut failures: Vec<ProcessError> = join_all(writes)
            .await
            .into_iter()
            .filter_map(|(s, r)| {
                r.err().map(|source| ProcessError::Storage {
                    chain: self.name.clone(),
                    uuid: doc.uuid().to_owned(),
                    storage: s.name.clone(),
                    source,
                })
            })
            .collect();
        if failures.is_empty() {
            return Ok(());
        }
        // Report a permanent failure first: retrying cannot fix it.
        failures.sort_by_key(ProcessError::is_retryable);
        Err(failures.swap_remove(0))
    }
}
