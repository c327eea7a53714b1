//! The processing chains `vcon serve` runs: the `[pipeline]` section merged
//! with the chains of the conserver `config.yml` (mapped by
//! `vcon_pipeline::conserver`), checked, built, health-checked and started
//! as a worker pool on the store's queue.

use std::path::Path;
use std::sync::Arc;

use vcon_pipeline::conserver::ImportWarning;
use vcon_pipeline::{BuildContext, Pipeline, PipelineConfig, StorageEraser, WorkerPool};
use vcon_store::Backend;

use crate::config::{ConfigError, ServerConfig};

/// The pipeline to run and what the conserver import could not map.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelinePlan {
    /// `[pipeline]` plus the conserver chains.
    pub config: PipelineConfig,
    /// Conserver modules, options or sections left out, with where (each
    /// prefixed by the conserver file's path).
    pub warnings: Vec<String>,
    /// The conserver file, when one is configured.
    pub conserver_file: Option<std::path::PathBuf>,
    /// Links and storages of the conserver file left out, and why
    /// (`links.transcribe: module `links.deepgram` is not implemented; left out`):
    /// the chains run without them. Also in `warnings`.
    pub unmapped: Vec<String>,
}

impl PipelinePlan {
    /// Whether any enabled chain would run.
    pub fn has_chains(&self) -> bool {
        self.enabled_chains() > 0
    }

    /// How many chains are enabled.
    pub fn enabled_chains(&self) -> usize {
        self.config.chains.values().filter(|c| c.enabled).count()
    }
}

/// Merges `config.pipeline` with the conserver file's chains (names must
/// not clash) and checks the result. With `conserver.strict_import`,
/// anything of the conserver file that cannot be mapped is an error.
pub fn plan(config: &ServerConfig) -> Result<PipelinePlan, ConfigError> {
    let text = match &config.conserver.config_file {
        Some(path) => read_conserver(path)?,
        None => None,
    };
    plan_with_text(config, text.as_deref())
}

/// [`plan`] with `text` as the contents of `conserver.config_file`
/// (`None`: the file does not exist) instead of reading it: what
/// `POST /config` checks before it writes the file. Errors and warnings
/// name the configured file.
pub fn plan_with_text(
    config: &ServerConfig,
    text: Option<&str>,
) -> Result<PipelinePlan, ConfigError> {
    let mut plan = PipelinePlan {
        config: config.pipeline.clone(),
        warnings: Vec::new(),
        conserver_file: config.conserver.config_file.clone(),
        unmapped: Vec::new(),
    };
    let Some(path) = &config.conserver.config_file else {
        return finish(plan);
    };
    let conserver = |source| ConfigError::Conserver {
        path: path.clone(),
        source: Box::new(source),
    };
    let Some(text) = text else {
        plan.warnings.push(format!(
            "{}: does not exist yet; no conserver chains",
            path.display()
        ));
        return finish(plan);
    };
    let import = vcon_pipeline::conserver::from_conserver_yaml(text).map_err(conserver)?;
    plan.unmapped = import
        .warnings
        .iter()
        .filter(|w| is_instance(&w.at))
        .map(ImportWarning::located)
        .collect();
    plan.warnings.extend(
        import
            .warnings
            .iter()
            .map(|w| format!("{}:{}", path.display(), placed_after_path(w))),
    );
    let imported = if config.conserver.strict_import {
        import.into_strict().map_err(conserver)?
    } else {
        import.config
    };
    let clash = |section: &'static str, name: String| ConfigError::Clash {
        section,
        name,
        path: path.clone(),
    };
    let merged = &mut plan.config;
    for (name, link) in imported.links {
        if merged.links.contains_key(&name) {
            return Err(clash("links", name));
        }
        merged.links.insert(name, link);
    }
    for (name, storage) in imported.storages {
        if merged.storages.contains_key(&name) {
            return Err(clash("storages", name));
        }
        merged.storages.insert(name, storage);
    }
    for (name, chain) in imported.chains {
        if merged.chains.contains_key(&name) {
            return Err(clash("chains", name));
        }
        merged.chains.insert(name, chain);
    }
    finish(plan)
}

/// A conserver warning after its file's path: `7: links.x: …` (making
/// `file:7: …`), or ` links.x: …` without a line.
fn placed_after_path(w: &ImportWarning) -> String {
    match w.line {
        Some(line) => format!("{line}: {w}"),
        None => format!(" {w}"),
    }
}

/// Whether a conserver warning's place is a whole link or storage
/// (`links.x`, `storages.y`), not an option or a chain.
fn is_instance(at: &str) -> bool {
    at.split_once('.').is_some_and(|(section, name)| {
        matches!(section, "links" | "storages") && !name.contains('.')
    })
}

fn finish(plan: PipelinePlan) -> Result<PipelinePlan, ConfigError> {
    plan.config.check().map_err(ConfigError::pipeline)?;
    Ok(plan)
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
        .map_err(ConfigError::pipeline)
}

/// A started pipeline.
#[derive(Debug)]
pub struct Started {
    /// The workers.
    pub pool: WorkerPool,
    /// The storages of its chains, which deletes also go to.
    pub storages: StorageEraser,
}

/// A pipeline built on the store and health-checked, not yet running.
#[derive(Debug)]
pub struct Prepared {
    pipeline: Pipeline,
    /// The storages of its chains, which deletes also go to.
    pub storages: StorageEraser,
}

impl Prepared {
    /// Starts the workers on `backend`'s queue.
    pub fn launch(self, backend: &Backend) -> Started {
        let pool = WorkerPool::start(
            Arc::new(self.pipeline),
            Arc::clone(&backend.store),
            Arc::clone(&backend.queue),
        );
        Started {
            pool,
            storages: self.storages,
        }
    }
}

/// Builds the pipeline on `backend` and runs its health checks, without
/// starting workers; `None` when no chain is enabled.
pub async fn prepare(
    plan: &PipelinePlan,
    backend: &Backend,
) -> Result<Option<Prepared>, ConfigError> {
    if !plan.has_chains() {
        return Ok(None);
    }
    vcon_pipeline::metrics::describe();
    let ctx = BuildContext::new(Some(Arc::clone(&backend.store)));
    let pipeline = Pipeline::build(&plan.config, &ctx).map_err(ConfigError::pipeline)?;
    pipeline
        .healthcheck()
        .await
        .map_err(ConfigError::pipeline)?;
    let storages = StorageEraser::of_pipeline(&pipeline);
    if !storages.is_empty() {
        tracing::info!(storages = ?storages.names().collect::<Vec<_>>(), "deletes and expiries also go to these storages");
    }
    Ok(Some(Prepared { pipeline, storages }))
}

/// The storages deletes and expiries go to: those of every chain, enabled
/// or not (a disabled chain's storage still holds what it wrote before).
/// With no chain enabled no pipeline is started, so its chains are built
/// here only to reach their storages (no health check: nothing writes).
pub fn storages_of(
    plan: &PipelinePlan,
    backend: &Backend,
    prepared: Option<&Prepared>,
) -> Result<StorageEraser, ConfigError> {
    if let Some(p) = prepared {
        return Ok(p.storages.clone());
    }
    if plan.config.chains.values().all(|c| c.storages.is_empty()) {
        return Ok(StorageEraser::default());
    }
    let ctx = BuildContext::new(Some(Arc::clone(&backend.store)));
    let pipeline = Pipeline::build(&plan.config, &ctx).map_err(ConfigError::pipeline)?;
    Ok(StorageEraser::of_pipeline(&pipeline))
}

/// Builds the pipeline on `backend`, runs its health checks and starts the
/// workers; `None` when no chain is enabled.
pub async fn start(plan: &PipelinePlan, backend: &Backend) -> Result<Option<Started>, ConfigError> {
    Ok(prepare(plan, backend)
        .await?
        .map(|prepared| prepared.launch(backend)))
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
    fn unmapped_links_are_listed_and_refused_when_strict() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.yml");
        std::fs::write(
            &file,
            "links:\n  tagit:\n    module: links.tag\n    options:\n      tags: [a]\n\
             \x20 transcribe:\n    module: links.deepgram_link\n\
             storages:\n  s3:\n    module: storage.s3\n\
             chains:\n  main:\n    links: [tagit, transcribe]\n    storages: [s3]\n\
             \x20   ingress_lists: [default]\n    enabled: 1\n",
        )
        .unwrap();
        let mut config = ServerConfig::default();
        config.conserver.config_file = Some(file.clone());
        let p = plan(&config).unwrap();
        assert_eq!(p.unmapped.len(), 2, "{:?}", p.unmapped);
        assert!(
            p.unmapped[0].starts_with("line 6: links.transcribe: module `links.deepgram_link`"),
            "{}",
            p.unmapped[0]
        );
        assert!(p.unmapped[1].starts_with("line 9: storages.s3: module `storage.s3`"));
        // The warnings name the file and the line, as compilers do.
        let at = format!("{}:6: links.transcribe", file.display());
        assert!(
            p.warnings.iter().any(|w| w.starts_with(&at)),
            "{:?}",
            p.warnings
        );
        assert_eq!(p.config.chains["main"].links, vec!["tagit"]);

        config.conserver.strict_import = true;
        let e = plan(&config).unwrap_err();
        assert!(
            matches!(
                &e,
                ConfigError::Conserver { source, .. }
                    if matches!(**source, vcon_pipeline::ConfigError::Unmapped(_))
            ),
            "{e:?}"
        );
        let text = e.to_string();
        assert!(
            text.contains("line 6: links.transcribe") && text.contains("line 9: storages.s3"),
            "{text}"
        );
        assert!(text.starts_with(&file.display().to_string()), "{text}");
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
