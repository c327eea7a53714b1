//! [`Server`]: opens the store, sets up tokens, metrics and the router,
//! starts the workers, serves until a shutdown signal, then stops: stop
//! accepting, and at the same time drain in-flight requests (within
//! `limits.shutdown_grace_secs`) and stop the worker pool (it finishes or
//! requeues in-flight vCons within `pipeline.shutdown_grace_secs`); then
//! close the store. The worker pool is owned by a
//! [`PipelineHost`](crate::live::PipelineHost) in the shared state, which
//! `POST /config` replaces it through (see [`crate::live`]); shutdown stops
//! whichever pool is current.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use axum::Router;
use axum::http::HeaderName;
use tokio::net::TcpListener;
use vcon_store::{Backend, SqliteConfig, StoreConfig, StoreError};

use crate::auth::{self, Auth, AuthError, TokenSources};
use crate::config::{ConfigError, ConserverValidation, ServerConfig};
use crate::ingest::{Ingestor, Validation};
use crate::live::{self, PipelineHost, Swap};
use crate::pipeline_setup;
use crate::retention::Sweeper;
use crate::routes;
use crate::state::{AppState, PoolWorkers, Shared, VersionInfo};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened or closed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Tokens could not be set up.
    #[error("auth: {0}")]
    Auth(#[from] AuthError),
    /// The conserver config file could not be read.
    #[error("{}: {reason}", path.display())]
    ConserverConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The address could not be bound, or serving failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// What the OS reported.
        source: std::io::Error,
    },
    /// A blocking start-up task failed.
    #[error("start-up task failed: {0}")]
    Task(String),
    /// The configuration (or the pipeline it describes) cannot be used.
    #[error("{0}")]
    Config(#[from] ConfigError),
}

/// A started server: store open, workers running, router built; not yet
/// listening (see [`Server::serve`]).
pub struct Server {
    config: ServerConfig,
    state: AppState,
    router: Router,
    backend: Backend,
    sweeper: Option<Sweeper>,
    generated_admin_token: Option<String>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listen", &self.config.listen)
            .field("data_dir", &self.config.data_dir)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Opens the store in `config.data_dir`, finds or creates the admin
    /// token, reads the conserver tokens and keys, installs the metrics
    /// recorder, starts the processing chains (after their health checks)
    /// and builds the router.
    pub async fn start(config: ServerConfig, tokens: TokenSources) -> Result<Self, ServeError> {
        let plan = pipeline_setup::plan(&config)?;
        for warning in &plan.warnings {
            tracing::warn!(%warning, "conserver config: not mapped");
        }
        let store_config = StoreConfig::Sqlite(SqliteConfig {
            durability: config.store.durability,
            readers: config.store.readers,
            compress_bodies: config.store.compress_bodies,
            indexer_nice: config.store.indexer_nice,
            max_vcon_bytes: config
                .limits
                .max_body_bytes
                .max(config.limits.max_inflated_bytes),
            ..SqliteConfig::in_dir(&config.data_dir)
        });
        let backend = tokio::task::spawn_blocking(move || vcon_store::open(store_config))
            .await
            .map_err(|e| ServeError::Task(e.to_string()))??;
        let (auth, generated_admin_token) = build_auth(&config, &tokens)?;
        let metrics = crate::metrics::install();
        let (pool, storages) = match pipeline_setup::start(&plan, &backend).await? {
            Some(started) => {
                let workers = PoolWorkers::of(&started.pool);
                (Some((started.pool, workers)), started.storages)
            }
            None => (None, pipeline_setup::storages_of(&plan, &backend, None)?),
        };
        let workers = pool
            .as_ref()
            .map(|(_, w)| Arc::clone(w) as Arc<dyn crate::state::WorkerStatus>);
        let storages = Arc::new(Swap::new(storages));
        let state = AppState::new(Shared {
            store: Arc::clone(&backend.store),
            queue: Arc::clone(&backend.queue),
            auth,
            ingestor: Ingestor {
                limits: config.read_limits(),
                max_text_bytes: 1024 * 1024,
            },
            native_validation: Validation::Core(Box::new(config.validation_options())),
            conserver_validation: conserver_validation(&config),
            metrics,
            conserver_config_file: config.conserver.config_file.clone(),
            pipeline_config: Swap::new(serde_json::to_value(&plan.config).unwrap_or_default()),
            workers: Swap::new(workers),
            storages: Arc::clone(&storages),
            pipeline: PipelineHost::new(config.clone(), &backend, pool),
            version: VersionInfo::default(),
            draining: AtomicBool::new(false),
            openapi: Default::default(),
        });
        let router = routes::build(state.clone(), &config);
        let sweeper = Sweeper::start(Arc::clone(&backend.store), storages, &config.retention);
        Ok(Self {
            config,
            state,
            router,
            backend,
            sweeper,
            generated_admin_token,
        })
    }

    /// The application, for tests (`tower::ServiceExt::oneshot`) or custom serving.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The admin token generated at this first start, to show once; `None`
    /// when a token already existed or came from `VCON_ADMIN_TOKEN`.
    pub fn generated_admin_token(&self) -> Option<&str> {
        self.generated_admin_token.as_deref()
    }

    /// Binds `config.listen`.
    pub async fn bind(&self) -> Result<TcpListener, ServeError> {
        TcpListener::bind(self.config.listen)
            .await
            .map_err(|source| ServeError::Io {
                context: format!("listening on {}", self.config.listen),
                source,
            })
    }

    /// Serves on `listener` until `shutdown` completes, then, at the same
    /// time, drains in-flight requests (at most `limits.shutdown_grace_secs`)
    /// and stops the workers (in-flight vCons finish within
    /// `pipeline.shutdown_grace_secs`, else are requeued); then closes the
    /// store. Shutdown thus takes at most the longer of the two graces, not
    /// their sum.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let grace = Duration::from_secs_f64(self.config.limits.shutdown_grace_secs);
        let (began_tx, mut began_rx) = tokio::sync::watch::channel(false);
        let mut workers_rx = began_rx.clone();
        let state = self.state.clone();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections; draining requests in flight");
            state.set_draining();
            let _ = began_tx.send(true);
        };
        let addr = listener
            .local_addr()
            .map_or_else(|_| "?".to_owned(), |a| a.to_string());
        tracing::info!(address = %addr, data_dir = %self.config.data_dir.display(), "vcon serve listening");
        let served = axum::serve(listener, self.router.clone()).with_graceful_shutdown(signal);
        let deadline = async {
            let _ = began_rx.wait_for(|began| *began).await;
            tokio::time::sleep(grace).await;
        };
        let http = async {
            tokio::select! {
                r = served => r.map_err(|source| ServeError::Io { context: "serving".into(), source }),
                () = deadline => {
                    tracing::warn!(grace_secs = grace.as_secs_f64(), "requests still in flight after the grace period; stopping anyway");
                    Ok(())
                }
            }
        };
        let workers_state = self.state.clone();
        let stop_workers = async move {
            // On the signal, or when serving ended without one (the sender
            // is dropped with the signal future). Stops whichever pool a
            // reload left running (after a reload under way), within
            // `[pipeline] shutdown_grace_secs`; later reloads are refused.
            let _ = workers_rx.wait_for(|began| *began).await;
            workers_state.pipeline.close().await;
        };
        let (result, ()) = tokio::join!(http, stop_workers);
        if let Some(sweeper) = self.sweeper {
            sweeper.stop().await;
        }
        let closed = self.backend.store.shutdown().await;
        tracing::info!("store closed; bye");
        result?;
        closed?;
        Ok(())
    }
}

fn conserver_validation(config: &ServerConfig) -> Validation {
    let core = |p| {
        let mut o = config.validation_options();
        o.profile = p;
        Validation::Core(Box::new(o))
    };
    match config.conserver.validation {
        ConserverValidation::Conserver => Validation::Conserver,
        ConserverValidation::Strict => core(vcon_core::Profile::Strict),
        ConserverValidation::Lenient => core(vcon_core::Profile::Lenient),
    }
}

/// The token checks, and the admin token generated at first start.
fn build_auth(
    config: &ServerConfig,
    tokens: &TokenSources,
) -> Result<(Auth, Option<String>), ServeError> {
    let mut admin = Vec::new();
    let mut generated = None;
    if config.auth.enabled {
        let token = auth::admin_token(
            &config.admin_token_hash_path(),
            tokens.admin_token.as_deref(),
        )?;
        admin.push(token.hash);
        generated = token.generated;
    }
    let conserver = auth::conserver_tokens(tokens)?;
    let file = match &config.conserver.config_file {
        Some(path) => ingress_auth_of_file(path)?,
        None => None,
    };
    let ingress = live::ingress_keys(config, file.as_ref());
    let header = HeaderName::from_bytes(config.conserver.header_name.as_bytes()).map_err(|e| {
        ServeError::ConserverConfig {
            path: PathBuf::from("conserver.header_name"),
            reason: e.to_string(),
        }
    })?;
    Ok((
        Auth::new(
            config.auth.enabled,
            auth::Tokens { admin, conserver },
            header,
            ingress,
        ),
        generated,
    ))
}

/// The `ingress_auth` value of a conserver `config.yml` (absent file or
/// key: none).
fn ingress_auth_of_file(path: &std::path::Path) -> Result<Option<serde_json::Value>, ServeError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(path = %path.display(), "conserver config file does not exist yet");
            return Ok(None);
        }
        Err(e) => {
            return Err(ServeError::ConserverConfig {
                path: path.to_owned(),
                reason: e.to_string(),
            });
        }
    };
    let mut value: serde_json::Value =
        serde_norway::from_str(&text).map_err(|e| ServeError::ConserverConfig {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
    Ok(value.get_mut("ingress_auth").map(serde_json::Value::take))
}

/// Runs the server to completion on a new multi-thread tokio runtime:
/// starts it, binds `config.listen`, calls `on_start` with the server and
/// the bound address (to show a generated admin token), then serves until
/// SIGINT or SIGTERM and shuts down in order. For the `vcon serve` command.
pub fn run(
    config: ServerConfig,
    tokens: TokenSources,
    on_start: impl FnOnce(&Server, std::net::SocketAddr),
) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("vcon-serve")
        .build()
        .map_err(|source| ServeError::Io {
            context: "starting the tokio runtime".into(),
            source,
        })?;
    runtime.block_on(async move {
        let server = Server::start(config, tokens).await?;
        let listener = server.bind().await?;
        let addr = listener.local_addr().map_err(|source| ServeError::Io {
            context: "reading the bound address".into(),
            source,
        })?;
        let signal = shutdown_signal();
        on_start(&server, addr);
        server.serve(listener, signal).await
    })
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM. The handlers are
/// installed when this is called, not when the future is first polled, so
/// a signal that arrives in between is not lost (nor does it kill the process).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            match (term, int) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => tracing::info!("SIGTERM received"),
                        _ = int.recv() => tracing::info!("SIGINT received"),
                    }
                }
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!(error = %e, "cannot listen for SIGTERM/SIGINT; stop with SIGKILL");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if let Err(e) = tokio::signal::ctrl_c().await {
                tracing::error!(error = %e, "cannot listen for Ctrl-C");
                std::future::pending::<()>().await;
            }
            tracing::info!("Ctrl-C received");
        }
    }
}
