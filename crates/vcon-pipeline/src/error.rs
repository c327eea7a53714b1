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
        /// The key at fault (`chains.main.timeout_secs`, `retry.max_attempts`).
        at: KeyPath,
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
    /// A strict conserver import met what it cannot map.
    #[error("conserver config: not everything could be mapped (strict import): {}", .0.join("; "))]
    Unmapped(Vec<String>),
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
    pub(crate) fn invalid(at: KeyPath, message: impl Into<String>) -> Self {
        Self::Invalid {
            at,
            message: message.into(),
        }
    }

    /// The key of the pipeline configuration this error is about, when it
    /// is about one: `["chains", "main", "timeout_secs"]`. A key that may be
    /// left at its default (a chain's `timeout_secs`, a link's `options`)
    /// is named even when absent, so a caller may fall back to its table.
    /// `None` for errors of the whole text (TOML, YAML, strict import).
    ///
    /// ```
    /// let e = vcon_pipeline::PipelineConfig::from_toml("lease_secs = 0\n").unwrap_err();
    /// assert_eq!(e.key_path().unwrap().segments(), ["lease_secs"]);
    /// ```
    pub fn key_path(&self) -> Option<KeyPath> {
        let chain = |chain: &str, key: &str| KeyPath::new(["chains", chain, key]);
        match self {
            Self::Toml { .. } | Self::Yaml { .. } | Self::Unmapped(_) => None,
            Self::Invalid { at, .. } => Some(at.clone()),
            Self::UnknownName { chain: c, what, .. } => {
                Some(chain(c, if *what == "link" { "links" } else { "storages" }))
            }
            Self::SharedIngress { second, .. } => Some(chain(second, "ingress")),
            Self::UnknownType { section, name, .. } => {
                Some(KeyPath::new([*section, name.as_str(), "type"]))
            }
            Self::Options { section, name, .. } => {
                Some(KeyPath::new([*section, name.as_str(), "options"]))
            }
            Self::Healthcheck { section, name, .. } => {
                Some(KeyPath::new([*section, name.as_str()]))
            }
        }
    }
}

/// A key of the configuration as the table keys leading to it, so that a
/// name holding a dot (`[chains."a.b"]`) stays one key. Shown dotted, with
/// such names quoted as in TOML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPath(Vec<String>);

impl KeyPath {
    /// The path of `segments`, outermost first.
    pub fn new<S: Into<String>>(segments: impl IntoIterator<Item = S>) -> Self {
        Self(segments.into_iter().map(Into::into).collect())
    }

    /// The path with `key` appended.
    pub fn join(&self, key: &str) -> Self {
        let mut out = self.clone();
        out.0.push(key.to_owned());
        out
    }

    /// The table keys, outermost first.
    pub fn segments(&self) -> &[String] {
        &self.0
    }
}

impl std::fmt::Display for KeyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, key) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            let bare = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if bare {
                f.write_str(key)?;
            } else {
                write!(f, "{key:?}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_paths_show_dotted_and_quote_what_is_not_bare() {
        assert_eq!(
            KeyPath::new(["chains", "main", "timeout_secs"]).to_string(),
            "chains.main.timeout_secs"
        );
        assert_eq!(
            KeyPath::new(["chains", "a.b", "links"]).to_string(),
            "chains.\"a.b\".links"
        );
    }

    #[test]
    fn errors_name_their_key() {
        let e = ConfigError::Options {
            section: "storages",
            name: "archive".into(),
            kind: "directory",
            message: "bad".into(),
        };
        assert_eq!(
            e.key_path().unwrap().segments(),
            ["storages", "archive", "options"]
        );
        let e = ConfigError::SharedIngress {
            list: "a".into(),
            first: "one".into(),
            second: "two".into(),
        };
        assert_eq!(e.key_path().unwrap().to_string(), "chains.two.ingress");
        assert!(ConfigError::Unmapped(vec![]).key_path().is_none());
    }
}
