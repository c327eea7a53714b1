//! [`ConfigError`]: why a configuration cannot be used, and which key of
//! the file it is about.

use std::path::PathBuf;

/// A configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{}: {reason}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS reported.
        reason: String,
    },
    /// The file is not valid TOML, or a value does not fit its key.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters) of the error.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// An environment variable has a value that does not fit.
    #[error("environment variable {var}={value:?}: {reason}")]
    Env {
        /// The variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// Why it does not fit.
        reason: String,
    },
    /// A value is out of range.
    #[error("{key}: {reason}")]
    Invalid {
        /// The key, as a dotted path (`limits.max_body_bytes`).
        key: &'static str,
        /// Why.
        reason: String,
    },
    /// The `[pipeline]` section, merged with the chains of the conserver
    /// config it imports, is inconsistent: a chain names an unknown link,
    /// a list feeds two chains, a link's options are wrong.
    #[error("pipeline: {0}")]
    Pipeline(Box<vcon_pipeline::ConfigError>),
    /// The conserver `config.yml` (`conserver.config_file`) cannot be used.
    #[error("{}: {source}", path.display())]
    Conserver {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: Box<vcon_pipeline::ConfigError>,
    },
    /// A link, storage or chain is defined both in `[pipeline]` and in the
    /// conserver `config.yml`.
    #[error("pipeline.{section}.{name} is defined both in [pipeline] and in {}", path.display())]
    Clash {
        /// `links`, `storages` or `chains`.
        section: &'static str,
        /// The name defined twice.
        name: String,
        /// The conserver file.
        path: PathBuf,
    },
    /// An error about a key of the file, with where that key is.
    #[error("{}:{line}:{column}: {error}", path.display())]
    At {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key.
        line: usize,
        /// 1-based column (in characters) of the key.
        column: usize,
        /// The error.
        error: Box<ConfigError>,
    },
}

impl ConfigError {
    /// A [`ConfigError::Pipeline`].
    pub fn pipeline(e: vcon_pipeline::ConfigError) -> Self {
        Self::Pipeline(Box::new(e))
    }

    /// The key of the file this error is about, as table keys
    /// (`["limits", "max_body_bytes"]`, `["pipeline", "chains", "main",
    /// "timeout_secs"]`); `None` when it is about no key of the file (or
    /// is already located).
    pub fn key_path(&self) -> Option<Vec<String>> {
        match self {
            Self::Invalid { key, .. } => Some(key.split('.').map(str::to_owned).collect()),
            Self::Pipeline(e) => e.key_path().map(|k| {
                std::iter::once("pipeline".to_owned())
                    .chain(k.segments().iter().cloned())
                    .collect()
            }),
            Self::Clash { section, name, .. } => Some(vec![
                "pipeline".to_owned(),
                (*section).to_owned(),
                name.clone(),
            ]),
            Self::Io { .. }
            | Self::Parse { .. }
            | Self::Env { .. }
            | Self::Conserver { .. }
            | Self::At { .. } => None,
        }
    }
}
