//! Live configuration: `POST /config` applies a new conserver `config.yml`
//! without a restart, as the conserver does by re-reading it.
//!
//! A reload, one at a time: plan the pipeline from the posted text exactly
//! as start-up does (the TOML's chains plus the file's, clashes, strict
//! import, every link and storage built), build it on the store and run
//! its health checks; only then write the file (atomically), swap in the
//! new `ingress_auth` keys, stop the running worker pool (in-flight vCons
//! finish or are handed back within its `[pipeline] shutdown_grace_secs`)
//! and start the new one, with the storages deletes and retention go to.
//! A configuration that fails any check is refused and nothing changes:
//! the file, the keys and the running chains stay as they were.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use vcon_pipeline::WorkerPool;
use vcon_store::Backend;

use crate::auth::{IngressKeys, TokenHash};
use crate::config::{ConfigError, ServerConfig};
use crate::pipeline_setup;
use crate::state::{AppState, PoolWorkers, WorkerStatus};

/// A value readers take a snapshot of and a reload replaces whole.
#[derive(Debug, Default)]
pub struct Swap<T>(RwLock<Arc<T>>);

impl<T> Swap<T> {
    /// Holds `value`.
    pub fn new(value: T) -> Self {
        Self(RwLock::new(Arc::new(value)))
    }

    /// The value now (a later [`Swap::store`] does not change it).
    pub fn load(&self) -> Arc<T> {
        Arc::clone(&self.0.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// Replaces the value.
    pub fn store(&self, value: T) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(value);
    }
}

/// Why a posted configuration was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    /// No `conserver.config_file` is configured: there is nothing to write.
    #[error("no conserver.config_file is configured")]
    NoFile,
    /// The posted object cannot be written as YAML.
    #[error("the configuration cannot be written as YAML: {0}")]
    Yaml(String),
    /// The pipeline it describes is invalid (a chain, link or storage, a
    /// clash with the TOML's names, or, with `strict_import`, something
    /// that cannot be mapped). Nothing was written.
    #[error("{0}")]
    Invalid(ConfigError),
    /// The pipeline it describes was built but failed its health check.
    /// Nothing was written.
    #[error("the new pipeline failed its health check: {0}")]
    Unhealthy(ConfigError),
    /// The file could not be written. Nothing changed.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// What the OS reported.
        source: std::io::Error,
    },
    /// The server is shutting down; nothing changed.
    #[error("the server is shutting down")]
    ShuttingDown,
    /// The reload task failed.
    #[error("the reload task failed: {0}")]
    Task(String),
}

/// What a reload changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// Enabled chains now running.
    pub chains: usize,
    /// What the conserver import left out (as at start-up).
    pub warnings: Vec<String>,
}

/// The running worker pool and its `/ready` status.
#[derive(Debug)]
struct Running {
    pool: WorkerPool,
    workers: Arc<PoolWorkers>,
}

impl Running {
    /// Marks the workers down for `/ready`, then stops them: in-flight
    /// vCons finish within the grace or are handed back. Logs `what`.
    async fn stop(self, what: &str) {
        self.workers.flag.set(false);
        let report = self.pool.shutdown().await;
        tracing::info!(
            drained = report.drained,
            requeued = report.stats.requeued,
            "{what}"
        );
    }
}

#[derive(Debug, Default)]
struct Slot {
    running: Option<Running>,
    closed: bool,
}

/// Owns the running worker pool: replaces it on a reload, stops it at
/// shutdown. Its lock serializes reloads and the final stop.
pub struct PipelineHost {
    config: Arc<ServerConfig>,
    backend: Backend,
    slot: tokio::sync::Mutex<Slot>,
}

impl std::fmt::Debug for PipelineHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineHost").finish_non_exhaustive()
    }
}

impl PipelineHost {
    /// A host for the pool started with the server (if any), planning
    /// reloads from `config` (the TOML `[pipeline]` and `[conserver]`).
    pub fn new(
        config: ServerConfig,
        backend: &Backend,
        pool: Option<(WorkerPool, Arc<PoolWorkers>)>,
    ) -> Self {
        Self {
            config: Arc::new(config),
            backend: Backend {
                store: Arc::clone(&backend.store),
                queue: Arc::clone(&backend.queue),
            },
            slot: tokio::sync::Mutex::new(Slot {
                running: pool.map(|(pool, workers)| Running { pool, workers }),
                closed: false,
            }),
        }
    }

    /// Stops the current pool (waiting for a reload under way to finish
    /// first) and refuses reloads from now on. In-flight vCons finish
    /// within `[pipeline] shutdown_grace_secs`, else are handed back.
    pub async fn close(&self) {
        let mut slot = self.slot.lock().await;
        slot.closed = true;
        if let Some(running) = slot.running.take() {
            running.stop("processing workers stopped").await;
        }
    }
}

/// The `ingress_auth` keys in force: the conserver file's (`file`, its
/// `ingress_auth` value), then the TOML's `[conserver.ingress_auth]`,
/// which wins for a list named in both.
pub fn ingress_keys(
    config: &ServerConfig,
    file: Option<&serde_json::Value>,
) -> BTreeMap<String, IngressKeys> {
    let mut ingress = file
        .map(crate::auth::ingress_keys_from_yaml)
        .unwrap_or_default();
    for (list, keys) in &config.conserver.ingress_auth {
        ingress.insert(
            list.clone(),
            IngressKeys::Keys(keys.to_vec().iter().map(|k| TokenHash::of(k)).collect()),
        );
    }
    ingress
}

/// Applies a posted conserver configuration (see the module docs). Runs
/// on its own task, so a client that goes away (or a request timeout)
/// cannot leave a reload half done.
pub async fn reload(
    state: &AppState,
    value: serde_json::Map<String, serde_json::Value>,
) -> Result<Reloaded, ReloadError> {
    let state = state.clone();
    tokio::spawn(async move { apply(&state, value).await })
        .await
        .map_err(|e| ReloadError::Task(e.to_string()))?
}

async fn apply(
    state: &AppState,
    value: serde_json::Map<String, serde_json::Value>,
) -> Result<Reloaded, ReloadError> {
    let host = &state.pipeline;
    let Some(path) = host.config.conserver.config_file.clone() else {
        return Err(ReloadError::NoFile);
    };
    let yaml = serde_norway::to_string(&value).map_err(|e| ReloadError::Yaml(e.to_string()))?;
    let plan =
        pipeline_setup::plan_with_text(&host.config, Some(&yaml)).map_err(ReloadError::Invalid)?;
    pipeline_setup::check_build(&plan).map_err(ReloadError::Invalid)?;
    let ingress = ingress_keys(&host.config, value.get("ingress_auth"));

    let mut slot = host.slot.lock().await;
    if slot.closed {
        return Err(ReloadError::ShuttingDown);
    }
    // Build and health-check the new pipeline while the old one runs: a
    // pipeline that cannot start changes nothing.
    let prepared = pipeline_setup::prepare(&plan, &host.backend)
        .await
        .map_err(ReloadError::Unhealthy)?;
    let storages = pipeline_setup::storages_of(&plan, &host.backend, prepared.as_ref())
        .map_err(ReloadError::Invalid)?;
    write_atomically(&path, &yaml).await?;
    state.auth.set_ingress(ingress);
    for warning in &plan.warnings {
        tracing::warn!(%warning, "conserver config: not mapped");
    }
    if let Some(old) = slot.running.take() {
        old.stop("config reload: previous workers stopped").await;
    }
    let running = prepared.map(|p| {
        let started = p.launch(&host.backend);
        let workers = PoolWorkers::of(&started.pool);
        Running {
            pool: started.pool,
            workers,
        }
    });
    state.workers.store(
        running
            .as_ref()
            .map(|r| Arc::clone(&r.workers) as Arc<dyn WorkerStatus>),
    );
    state.storages.store(storages);
    state
        .pipeline_config
        .store(serde_json::to_value(&plan.config).unwrap_or_default());
    slot.running = running;
    drop(slot);
    let reloaded = Reloaded {
        chains: plan.enabled_chains(),
        warnings: plan.warnings,
    };
    tracing::info!(path = %path.display(), chains = reloaded.chains, "conserver config replaced and applied");
    Ok(reloaded)
}

/// Writes `text` to a temporary file beside `path`, then renames it over
/// `path`: readers see the old file or the new one, never a part.
async fn write_atomically(path: &Path, text: &str) -> Result<(), ReloadError> {
    let tmp = path.with_extension("yml.tmp");
    let write = async {
        tokio::fs::write(&tmp, text.as_bytes()).await?;
        tokio::fs::rename(&tmp, path).await
    };
    write.await.map_err(|source| ReloadError::Write {
        path: path.display().to_string(),
        source,
    })
}
