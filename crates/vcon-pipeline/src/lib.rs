//! # vcon-pipeline
//!
//! The processing chains of `vcon serve`, replacing the conserver's: vCons
//! queued on an ingress list go through a chain of **links** (tag,
//! tag_router, jq, sampler, diet, expire, webhook, validate, sign), are
//! written to the chain's **storages** (embedded, directory, webhook) and
//! pushed to its egress lists, by a pool of tokio workers on the
//! `vcon-store` queue with retries, dead letters and graceful shutdown.
//!
//! * Configuration: [`PipelineConfig`] (the `[pipeline]` TOML section), or a
//!   conserver `config.yml` through [`conserver::from_conserver_yaml`].
//! * Building: [`Pipeline::build`] with a [`BuildContext`], then
//!   [`Pipeline::healthcheck`].
//! * Running: [`WorkerPool::start`], [`WorkerPool::shutdown`].
//! * Extending: a link implements [`Link`], a storage [`Storage`]; each
//!   lives in one file and is registered by one line in
//!   [`registry::LINKS`] or [`registry::STORAGES`].
//! * Metrics: see [`metrics`] for names and labels.
//!
//! Running one chain's links on a vCon, without a queue:
//!
//! ```
//! use std::sync::Arc;
//! use vcon_pipeline::{BuildContext, Flow, Pipeline, PipelineConfig, VconDoc};
//!
//! let config = PipelineConfig::from_toml(r#"
//! [links.support]
//! type = "tag"
//! options = { tags = ["support"] }
//!
//! [links.only_tagged]
//! type = "jq"
//! options = { filter = '.attachments // [] | any(.purpose == "tags")' }
//!
//! [chains.main]
//! ingress = ["default"]
//! links = ["support", "only_tagged"]
//! "#).unwrap();
//! let pipeline = Pipeline::build(&config, &BuildContext::new(None)).unwrap();
//! let chain = pipeline.chain_for("default").unwrap();
//!
//! let mut doc = VconDoc::from_bytes(br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46",
//!     "created_at":"2026-01-02T03:04:05Z","parties":[{"name":"Alice"}]}"#, &Default::default()).unwrap();
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let flow = runtime.block_on(chain.run_links(&mut doc, 1)).unwrap();
//! assert_eq!(flow, Flow::Continue);
//! assert_eq!(vcon_core::tags::get_tag(doc.object(), "support").unwrap().as_deref(), Some("support"));
//! ```
//!
//! ## Starting and stopping the workers (for `vcon serve`)
//!
//! ```no_run
//! # async fn serve(store: std::sync::Arc<dyn vcon_store::Store>,
//! #                queue: std::sync::Arc<dyn vcon_store::Queue>,
//! #                config: vcon_pipeline::PipelineConfig) -> Result<(), vcon_pipeline::ConfigError> {
//! use std::sync::Arc;
//! use vcon_pipeline::{BuildContext, Pipeline, WorkerPool};
//!
//! vcon_pipeline::metrics::describe(); // after installing the Prometheus recorder
//! let pipeline = Pipeline::build(&config, &BuildContext::new(Some(store.clone())))?;
//! pipeline.healthcheck().await?; // fail loudly at start-up
//! let pool = WorkerPool::start(Arc::new(pipeline), store, queue);
//! // ... serve until SIGTERM ...
//! let report = pool.shutdown().await; // stop leasing, drain, requeue the rest
//! # let _ = report; Ok(()) }
//! ```

pub mod config;
pub mod conserver;
pub mod delivery;
pub mod document;
pub mod erase;
mod error;
pub mod link;
pub mod links;
pub mod metrics;
pub mod pipeline;
pub mod pool;
pub mod registry;
pub mod storage;
pub mod storages;
mod worker;
pub mod yaml_place;

pub use config::{ChainConfig, LinkDef, PipelineConfig, RetryConfig, StorageDef};
pub use document::{DocError, Effects, VconDoc};
pub use erase::{EraseReport, StorageEraser};
pub use error::{ConfigError, KeyPath};
pub use link::{Flow, Link, LinkContext, LinkError};
pub use pipeline::{Chain, NamedLink, NamedStorage, Pipeline, PoolSettings, ProcessError};
pub use pool::{PoolHealth, PoolStats, ShutdownReport, WorkerPool};
pub use registry::BuildContext;
pub use storage::{DeleteRequest, SaveRequest, Storage, StorageError};
