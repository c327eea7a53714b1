//! The processing chains `vcon serve` runs: the `[pipeline]` section merged
//! with the chains of the conserver `config.yml` (mapped by
//! `vcon_pipeline::conserver`), checked, built, health-checked and started
//! as a worker pool on the store's queue.

use std::path::Path;
use std::sync::Arc;

use vcon_pipeline::{BuildContext, Pipeline, PipelineConfig, StorageEraser, WorkerPool};
use vcon_store::Backend;

use crate::config::{ConfigError, ServerConfig};

/// The pipeline to run and what the conserver import could not map.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelinePlan {
    /// `[pipeline]` plus the conserver chains.
    pub config: PipelineConfig,
    /// Conserver modules, options or sections left out, with where.
    pub warnings: Vec<String>,
}

impl PipelinePlan {
    /// Whether any enabled chain would run.
    pub fn has_chains(&self) -> bool {
        self.config.chains.values().any(|c| c.enabled)
    }
}

/// Merges `config.pipeline` with the conserver file's chains (names must
/// not clash) and checks the result.
pub fn plan(config: &ServerConfig) -> Result<PipelinePlan, ConfigError> {
    let mut merged = config.pipeline.clone();
    let mut warnings = Vec::new();
    if let Some(path) = &config.conserver.config_file {
        let import = match read_conserver(path)? {
            Some(text) => vcon_pipeline::conserver::from_conserver_yaml(&text)
                .map_err(|e| ConfigError::Pipeline(format!("{}: {e}", path.display())))?,
            None => {
                warnings.push(format!(
                    "{}: does not exist yet; no conserver chains",
                    path.display()
                ));
                return finish(merged, warnings);
            }
        };
        warnings.extend(
            import
                .warnings
                .iter()
                .map(|w| format!("{}: {w}", path.display())),
        );
        let clash = |section: &str, name: &str| {
            ConfigError::Pipeline(format!(
                "{section}.{name} is defined both in [pipeline] and in {}",
                path.display()
            ))
        };
        for (name, link) in import.config.links {
            if merged.links.insert(name.clone(), link).is_some() {
                return Err(clash("links", &name));
            }
        }
        for (name, storage) in import.config.storages {
            if merged.storages.insert(name.clone(), storage).is_some() {
                return Err(clash("storages", &name));
            }
        }
        for (name, chain) in import.config.chains {
            if merged.chains.insert(name.clone(), chain).is_some() {
                return Err(clash("chains", &name));
            }
        }
    }
    finish(merged, warnings)
}

fn finish(config: PipelineConfig, warnings: Vec<String>) -> Result<PipelinePlan, ConfigError> {
    config
        .check()
        .map_err(|e| ConfigError::Pipeline(e.to_string()))?;
    Ok(PipelinePlan { config, warnings })
}

fn read_conserver(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        }),
    }
}

/// Builds every link and storage without a store, as `--check-config`
/// does: unknown types and bad options are reported.
pub fn check_build(plan: &PipelinePlan) -> Result<(), ConfigError> {
    Pipeline::build(&plan.config, &BuildContext::new(None))
        .map(drop)
        .map_err(|e| ConfigError::Pipeline(e.to_string()))
}

/// A started pipeline.
#[derive(Debug)]
pub struct Started {
    /// The workers.
    pub pool: WorkerPool,
    /// The storages of its chains, which deletes also go to.
    pub storages: StorageEraser,
}

/// Builds the pipeline on `backend`, runs its health checks and starts the
/// workers; `None` when no chain is enabled.
pub async fn start(plan: &PipelinePlan, backend: &Backend) -> Result<Option<Started>, ConfigError> {
    if !plan.has_chains() {
        return Ok(None);
    }
    vcon_pipeline::metrics::describe();
    let ctx = BuildContext::new(Some(Arc::clone(&backend.store)));
    let pipeline =
        Pipeline::build(&plan.config, &ctx).map_err(|e| ConfigError::Pipeline(e.to_string()))?;
    pipeline
        .healthcheck()
        .await
        .map_err(|e| ConfigError::Pipeline(e.to_string()))?;
    let storages = StorageEraser::of_pipeline(&pipeline);
    if !storages.is_empty() {
        tracing::info!(storages = ?storages.names().collect::<Vec<_>>(), "deletes and expiries also go to these storages");
    }
    let pool = WorkerPool::start(
        Arc::new(pipeline),
        Arc::clone(&backend.store),
        Arc::clone(&backend.queue),
    );
    Ok(Some(Started { pool, storages }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conserver_chains_are_added_and_clashes_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.yml");
        std::fs::write(
            &file,
            "links:\n  tagit:\n    module: links.tag\n    options:\n      tags: [a]\n\
             chains:\n  main:\n    links: [tagit]\n    ingress_lists: [default]\n    egress_lists: [out]\n    enabled: 1\n",
        )
        .unwrap();
        let mut config = ServerConfig::default();
        config.conserver.config_file = Some(file.clone());
        let p = plan(&config).unwrap();
        assert!(p.has_chains());
        assert_eq!(p.config.chains["main"].ingress, vec!["default"]);
        check_build(&p).unwrap();

        config.pipeline = PipelineConfig::from_toml(
            "[links.tagit]\ntype = \"tag\"\noptions = { tags = [\"b\"] }\n",
        )
        .unwrap();
        let e = plan(&config).unwrap_err();
        assert!(e.to_string().contains("links.tagit is defined both"), "{e}");
    }

    #[test]
    fn a_missing_conserver_file_is_a_warning() {
        let mut config = ServerConfig::default();
        config.conserver.config_file = Some("/nonexistent/config.yml".into());
        let p = plan(&config).unwrap();
        assert!(!p.has_chains());
        assert!(p.warnings[0].contains("does not exist yet"));
    }
}
