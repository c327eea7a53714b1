//! Configuration and build errors.

/// Why a pipeline configuration was refused. Every variant names the
/// section, chain, link or storage at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The TOML text does not parse or has unknown/mistyped fields.
    #[error("pipeline config (TOML): {message}")]
    Toml {
        /// The parser's message, with line and column.
        message: String,
    },
    /// The conserver YAML does not parse or has the wrong shape.
    #[error("conserver config (YAML): {message}")]
    Yaml {
        /// The parser's message, with line and column.
        message: String,
    },
    /// A value is out of range or inconsistent.
    #[error("{at}: {message}")]
    Invalid {
        /// Where (`chains.main`, `retry`, ...).
        at: String,
        /// What is wrong.
        message: String,
    },
    /// A chain references a link or storage that is not defined.
    #[error("chains.{chain}: {what} `{name}` is not defined")]
    UnknownName {
        /// The chain.
        chain: String,
        /// `link` or `storage`.
        what: &'static str,
        /// The missing name.
        name: String,
    },
    /// Two enabled chains take from the same list.
    #[error("list `{list}` feeds both chains `{first}` and `{second}`; a list feeds one chain")]
    SharedIngress {
        /// The list.
        list: String,
        /// The first chain.
        first: String,
        /// The second chain.
        second: String,
    },
    /// A link or storage names a type this build does not have.
    #[error("{section}.{name}: unknown {section_kind} type `{kind}` (known: {known})")]
    UnknownType {
        /// `links` or `storages`.
        section: &'static str,
        /// `link` or `storage`.
        section_kind: &'static str,
        /// The instance name.
        name: String,
        /// The type asked for.
        kind: String,
        /// The types this build has, comma-separated.
        known: String,
    },
    /// A link's or storage's options are wrong.
    #[error("{section}.{name} ({kind}): {message}")]
    Options {
        /// `links` or `storages`.
        section: &'static str,
        /// The instance name.
        name: String,
        /// Its type.
        kind: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A start-up healthcheck failed.
    #[error("healthcheck of {section}.{name} failed: {message}")]
    Healthcheck {
        /// `links` or `storages`.
        section: &'static str,
        /// The instance name.
        name: String,
        /// What failed.
        message: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(at: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            at: at.to_owned(),
            message: message.into(),
        }
    }
}
