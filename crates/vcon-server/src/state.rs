//! [`AppState`]: what every handler shares (store, queue, token checks,
//! validation settings, metrics handle, readiness).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use utoipa::ToSchema;
use vcon_store::{Queue, Store};

use crate::auth::Auth;
use crate::ingest::{Ingestor, Validation};
use crate::live::{PipelineHost, Swap};

/// Whether the processing workers run, for `/ready`.
pub trait WorkerStatus: Send + Sync {
    /// True while the workers lease and process vCons.
    fn running(&self) -> bool;

    /// Why they are not running, for the 503 answer.
    fn why_not(&self) -> String {
        "the processing workers are not running".to_owned()
    }
}

/// The pipeline's workers: running until the server stops them, and only
/// while every chain runner is alive (one that died makes `/ready` 503).
#[derive(Debug)]
pub struct PoolWorkers {
    /// Cleared when the server stops the pool.
    pub flag: WorkerFlag,
    /// The pool's chain runners.
    pub health: vcon_pipeline::PoolHealth,
}

impl PoolWorkers {
    /// The status of `pool`, just started.
    pub fn of(pool: &vcon_pipeline::WorkerPool) -> Arc<Self> {
        Arc::new(Self {
            flag: WorkerFlag::new(true),
            health: pool.health(),
        })
    }
}

impl WorkerStatus for PoolWorkers {
    fn running(&self) -> bool {
        self.flag.running() && self.health.all_alive()
    }

    fn why_not(&self) -> String {
        if self.flag.running() {
            format!(
                "{} of {} chain workers have stopped",
                self.health.started() - self.health.alive().min(self.health.started()),
                self.health.started()
            )
        } else {
            "the processing workers are stopped".to_owned()
        }
    }
}

/// Workers reported by a flag (set by whoever starts and stops them).
#[derive(Debug, Default)]
pub struct WorkerFlag(AtomicBool);

impl WorkerFlag {
    /// A flag, initially `running`.
    pub fn new(running: bool) -> Self {
        Self(AtomicBool::new(running))
    }

    /// Sets the flag.
    pub fn set(&self, running: bool) {
        self.0.store(running, Ordering::Release);
    }
}

impl WorkerStatus for WorkerFlag {
    fn running(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The server's version, as the conserver's `GET /version` reports it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VersionInfo {
    /// Version of vconkit.
    pub version: String,
    /// Git commit it was built from (`unknown` when not recorded).
    pub git_commit: String,
    /// When it was built (`unknown` when not recorded).
    pub build_time: String,
}

impl Default for VersionInfo {
    fn default() -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            git_commit: option_env!("VCON_GIT_COMMIT")
                .unwrap_or("unknown")
                .to_owned(),
            build_time: option_env!("VCON_BUILD_TIME")
                .unwrap_or("unknown")
                .to_owned(),
        }
    }
}

/// Everything the handlers share. Cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// The contents of [`AppState`].
pub struct Shared {
    /// The vCon store.
    pub store: Arc<dyn Store>,
    /// The queues (the same backend as the store for the embedded one).
    pub queue: Arc<dyn Queue>,
    /// Token checks.
    pub auth: Auth,
    /// Body reading limits.
    pub ingestor: Ingestor,
    /// Validation of the native API.
    pub native_validation: Validation,
    /// Validation of the conserver routes.
    pub conserver_validation: Validation,
    /// Renders `/metrics`, when a recorder is installed.
    pub metrics: Option<PrometheusHandle>,
    /// The conserver `config.yml` behind `GET`/`POST /config`.
    pub conserver_config_file: Option<PathBuf>,
    /// The pipeline in force, as JSON (`GET /config` without a conserver
    /// file); replaced by a reload.
    pub pipeline_config: Swap<serde_json::Value>,
    /// The workers, when a pipeline runs; replaced by a reload.
    pub workers: Swap<Option<Arc<dyn WorkerStatus>>>,
    /// The chains' storages, which deletes and retention also go to (empty
    /// without a pipeline); replaced by a reload.
    pub storages: Arc<Swap<vcon_pipeline::StorageEraser>>,
    /// Owns the running worker pool; `POST /config` replaces it.
    pub pipeline: PipelineHost,
    /// Version reported by `/version` and `/health`.
    pub version: VersionInfo,
    /// Set once shutdown begins: `/ready` turns 503.
    pub draining: AtomicBool,
    /// The OpenAPI document, rendered once when the router is built.
    pub openapi: OnceLock<Bytes>,
}

impl AppState {
    /// Wraps the shared parts.
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// Marks the server as shutting down (`/ready` answers 503).
    pub fn set_draining(&self) {
        self.0.draining.store(true, Ordering::Release);
    }

    /// Whether shutdown has begun.
    pub fn is_draining(&self) -> bool {
        self.0.draining.load(Ordering::Acquire)
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}
