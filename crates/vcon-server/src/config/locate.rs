//! Pointing errors at their key: a [`ConfigError`] that names a key of the
//! file ([`ConfigError::key_path`]) gets that key's line and column,
//! found by the `toml` crate's spanned parse of the text, not by searching
//! the message.

use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::ConfigError;

/// A configuration file's path and text, kept after loading so that errors
/// found later (building the chains at start or in `--check-config`) can
/// name the line of their key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFile {
    /// Where the text was read from (named in errors).
    pub path: PathBuf,
    /// The TOML text.
    pub text: String,
}

impl ConfigFile {
    /// Reads the file at `path`.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            path: path.to_owned(),
            text,
        })
    }

    /// `e` with the line and column of the key it is about
    /// ([`ConfigError::At`]) when that key, or for a key left at its
    /// default the table it belongs in, is in this file; otherwise `e`.
    ///
    /// ```
    /// use vcon_server::config::{ConfigError, ConfigFile};
    /// let file = ConfigFile { path: "vcon.toml".into(), text: "[limits]\n\nmax_body_bytes = 0\n".into() };
    /// let e = ConfigError::Invalid { key: "limits.max_body_bytes", reason: "must be at least 1".into() };
    /// assert_eq!(file.locate(e).to_string(), "vcon.toml:3:1: limits.max_body_bytes: must be at least 1");
    /// ```
    pub fn locate(&self, e: ConfigError) -> ConfigError {
        let Some(path) = e.key_path() else {
            return e;
        };
        match key_span(&self.text, &path) {
            Some(span) => {
                let (line, column) = line_column(&self.text, span.start);
                ConfigError::At {
                    path: self.path.clone(),
                    line,
                    column,
                    error: Box::new(e),
                }
            }
            None => e,
        }
    }
}

/// The span of the key at `path` in `text`; of its table when only the
/// last key is absent (a default at fault); `None` otherwise or when the
/// text does not parse.
fn key_span(text: &str, path: &[String]) -> Option<Range<usize>> {
    let root = DeTable::parse(text).ok()?;
    let mut table = Some(root.get_ref());
    let mut parent = None;
    for (i, key) in path.iter().enumerate() {
        let found = table.and_then(|t| t.iter().find(|(k, _)| k.get_ref().as_ref() == key));
        let Some((k, v)) = found else {
            return if i + 1 == path.len() { parent } else { None };
        };
        parent = Some(k.span());
        table = match v.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    parent
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(super) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, path: &[&str]) -> Option<(usize, usize)> {
        let path: Vec<String> = path.iter().map(|s| (*s).to_owned()).collect();
        key_span(text, &path).map(|s| line_column(text, s.start))
    }

    #[test]
    fn keys_are_found_in_tables_headers_and_inline_tables() {
        let text = "listen = \"x\"\n[limits]\n  max_body_bytes = 0\n\
                    [pipeline.chains.\"a.b\"]\ningress = [\"in\"]\n\
                    [pipeline.links.t]\ntype = \"tag\"\noptions = { tags = 1 }\n";
        assert_eq!(at(text, &["limits", "max_body_bytes"]), Some((3, 3)));
        assert_eq!(
            at(text, &["pipeline", "chains", "a.b", "ingress"]),
            Some((5, 1))
        );
        assert_eq!(
            at(text, &["pipeline", "links", "t", "options"]),
            Some((8, 1))
        );
        assert_eq!(
            at(text, &["pipeline", "links", "t", "options", "tags"]),
            Some((8, 13))
        );
        // A key left at its default: its table.
        assert_eq!(
            at(text, &["pipeline", "chains", "a.b", "timeout_secs"]),
            Some((4, 18))
        );
        // A table not in the file (a chain from the conserver file): nothing.
        assert_eq!(
            at(text, &["pipeline", "chains", "other", "timeout_secs"]),
            None
        );
        assert_eq!(at("not = toml = x", &["not"]), None);
    }
}

/// Every class of error about a key, loaded and checked as `vcon serve`
/// and `--check-config` do, points at the key's line.
#[cfg(test)]
mod classes {
    use super::*;
    use crate::config::ServerConfig;
    use crate::pipeline_setup;

    /// The line `--check-config` would report for `text`.
    fn line_of_error(text: &str) -> (usize, String) {
        let file = ConfigFile {
            path: "vcon.toml".into(),
            text: text.to_owned(),
        };
        let e = ServerConfig::from_file(Some(&file), &|_| None)
            .and_then(|c| pipeline_setup::plan(&c))
            .and_then(|p| pipeline_setup::check_build(&p))
            .map_err(|e| file.locate(e))
            .expect_err("the config should be refused");
        match e {
            ConfigError::At { line, .. } => (line, e.to_string()),
            other => panic!("no line: {other}"),
        }
    }

    const CHAIN: &str = "[pipeline.chains.main]\ningress = [\"in\"]\n";

    #[test]
    fn a_range_error() {
        let (line, e) =
            line_of_error("listen = \"127.0.0.1:1\"\n[limits]\nshutdown_grace_secs = -1\n");
        assert_eq!(line, 3, "{e}");
        assert!(e.contains("limits.shutdown_grace_secs"), "{e}");
    }

    #[test]
    fn a_link_option_error() {
        let text = format!(
            "[pipeline.links.t]\ntype = \"tag\"\n\noptions = {{ tagz = [\"a\"] }}\n{CHAIN}links = [\"t\"]\n"
        );
        let (line, e) = line_of_error(&text);
        assert_eq!(line, 4, "{e}");
        assert!(e.contains("links.t (tag)"), "{e}");
        let unknown = "[pipeline.links.t]\n\ntype = \"nope\"\n";
        assert_eq!(line_of_error(unknown).0, 3);
    }

    #[test]
    fn a_storage_option_error() {
        let text = "[pipeline.storages.archive]\ntype = \"directory\"\noptions = { path = \"/tmp/x\", compression = 3 }\n";
        let (line, e) = line_of_error(text);
        assert_eq!(line, 3, "{e}");
        assert!(e.contains("storages.archive"), "{e}");
        // Options left out entirely: the storage's table.
        let (line, e) = line_of_error("\n[pipeline.storages.archive]\ntype = \"directory\"\n");
        assert_eq!(line, 2, "{e}");
    }

    #[test]
    fn retry_and_lease_errors() {
        let (line, e) = line_of_error("[pipeline]\nlease_secs = 0\n");
        assert_eq!(line, 2, "{e}");
        let (line, e) = line_of_error("[pipeline.retry]\nmultiplier = 2.0\nmax_attempts = 0\n");
        assert_eq!(line, 3, "{e}");
        assert!(e.contains("retry.max_attempts: must be at least 1"), "{e}");
        let text = format!("{CHAIN}retry = {{ max_attempts = 0 }}\n");
        let (line, e) = line_of_error(&text);
        assert_eq!(line, 3, "{e}");
        assert!(e.contains("chains.main.retry.max_attempts"), "{e}");
    }

    #[test]
    fn a_list_feeding_two_chains() {
        let text = format!("{CHAIN}\n[pipeline.chains.second]\nlinks = []\ningress = [\"in\"]\n");
        let (line, e) = line_of_error(&text);
        assert_eq!(line, 6, "{e}");
        assert!(e.contains("list `in` feeds both chains"), "{e}");
    }

    #[test]
    fn a_chain_timeout() {
        let text = format!("{CHAIN}timeout_secs = 0\n");
        assert_eq!(line_of_error(&text).0, 3);
        // Left at its default (30) but above lease_secs: the chain's table.
        let text = format!("[pipeline]\nlease_secs = 10\n{CHAIN}");
        let (line, e) = line_of_error(&text);
        assert_eq!(line, 3, "{e}");
        assert!(
            e.contains("chains.main.timeout_secs: 30 must be below lease_secs (10)"),
            "{e}"
        );
    }
}
