//! [`ServerConfig`]: the `vcon serve` configuration file (TOML).
//!
//! Every setting has a default, so no file is needed. Precedence, lowest
//! first: defaults, the file (`--config`), environment variables (listed on
//! each field), command-line flags. Unknown keys are errors, reported with
//! their line and column ([`ConfigError::Parse`]); so is every other error
//! about a key of the file, found when loading (ranges) or later, when the
//! chains are built (link and storage options): the error names its key
//! ([`ConfigError::key_path`]) and [`ConfigFile::locate`] finds it in the
//! file ([`ConfigError::At`]). A value out of range that came from the
//! environment names its variable instead ([`ConfigError::Env`]).
//! `vcon serve --print-config` prints [`DEFAULT_CONFIG_TOML`], the
//! commented defaults.
//!
//! Secrets never live here: the admin token comes from `VCON_ADMIN_TOKEN` or
//! is generated (see [`crate::auth`]); conserver tokens come from
//! `CONSERVER_API_TOKEN` and `CONSERVER_API_TOKEN_FILE`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

mod env;
mod error;
mod locate;

pub use error::ConfigError;
pub use locate::ConfigFile;

/// The commented default configuration, printed by `--print-config`.
/// A test checks that it parses to [`ServerConfig::default`].
pub const DEFAULT_CONFIG_TOML: &str = include_str!("config/default.toml");

/// The whole configuration of `vcon serve`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address and port to listen on. Env: `VCON_LISTEN`. Flag: `--listen`.
    pub listen: SocketAddr,
    /// Directory of the embedded store and of the admin token's hash,
    /// created if absent. Env: `VCON_DATA_DIR`. Flag: `--data-dir`.
    pub data_dir: PathBuf,
    /// Log format: `text` for people, `json` for log collectors.
    /// Env: `VCON_LOG_FORMAT`. Flag: `--log-format`.
    pub log_format: LogFormat,
    /// Which logs to write, in `tracing-subscriber` filter syntax
    /// (`info`, `vcon_server=debug,info`). Env: `VCON_LOG`, else `RUST_LOG`.
    pub log_filter: String,
    /// Browser origins allowed to call the APIs (CORS): `["*"]` for any,
    /// as the conserver allows; empty (the default) sends no CORS headers.
    /// Env: `VCON_CORS_ALLOW_ORIGINS` (comma-separated).
    pub cors_allow_origins: Vec<String>,
    /// Request limits.
    pub limits: LimitsConfig,
    /// Authentication of the native API.
    pub auth: AuthConfig,
    /// Validation of vCons posted to the native API.
    pub validation: ValidationConfig,
    /// The conserver-compatible API.
    pub conserver: ConserverConfig,
    /// The embedded store.
    pub store: StoreConfig,
    /// Retention: erasing vCons whose `expires_at` tag has passed.
    pub retention: RetentionConfig,
    /// Processing chains: links, storages, chains, retries (see
    /// `vcon_pipeline::PipelineConfig`). Chains from `conserver.config_file`
    /// are added to these.
    pub pipeline: vcon_pipeline::PipelineConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            data_dir: PathBuf::from("vcon-data"),
            log_format: LogFormat::Text,
            log_filter: "info".to_owned(),
            cors_allow_origins: Vec::new(),
            limits: LimitsConfig::default(),
            auth: AuthConfig::default(),
            validation: ValidationConfig::default(),
            conserver: ConserverConfig::default(),
            store: StoreConfig::default(),
            retention: RetentionConfig::default(),
            pipeline: vcon_pipeline::PipelineConfig::default(),
        }
    }
}

/// How logs are written (to standard error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event.
    Json,
}

/// Limits on requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Largest request body, in bytes (a larger one gets 413).
    /// Env: `VCON_MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// Largest size an `application/vcon+gzip` body may inflate to, in bytes.
    pub max_inflated_bytes: usize,
    /// Deepest nesting of JSON arrays and objects accepted in a vCon.
    pub max_json_depth: usize,
    /// How long one request may take, in seconds, before it is answered 503.
    /// Env: `VCON_REQUEST_TIMEOUT_SECS`.
    pub request_timeout_secs: f64,
    /// Requests handled at once; more wait for a slot (up to the request
    /// timeout). Env: `VCON_MAX_CONCURRENT_REQUESTS`.
    pub max_concurrent_requests: usize,
    /// On SIGTERM or SIGINT, how long in-flight requests may take to finish,
    /// in seconds, before the server stops anyway. The processing workers
    /// stop at the same time, within `pipeline.shutdown_grace_secs`, so
    /// shutdown takes at most the longer of the two.
    pub shutdown_grace_secs: f64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 64 * 1024 * 1024,
            max_inflated_bytes: 256 * 1024 * 1024,
            max_json_depth: 64,
            request_timeout_secs: 30.0,
            max_concurrent_requests: 1024,
            shutdown_grace_secs: 30.0,
        }
    }
}

/// Authentication of the native API (`/v1`, `Authorization: Bearer`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Whether requests need a token. Turning it off opens the API to anyone
    /// who can reach the address. Env: `VCON_AUTH` (`on`/`off`).
    pub enabled: bool,
    /// Where the SHA-256 of the admin token is kept; relative paths are
    /// under `data_dir`. Written at first start, when the token is generated.
    pub admin_token_hash_file: PathBuf,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            admin_token_hash_file: PathBuf::from("admin-token.sha256"),
        }
    }
}

/// How vCons posted to the native API are validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidationConfig {
    /// `strict` (every MUST of core-03 is an error) or `lenient` (what the
    /// draft's own examples and legacy upgrades break is a warning).
    /// Env: `VCON_VALIDATION_PROFILE`.
    pub profile: ProfileName,
    /// Extensions this server supports; a vCon naming another one as
    /// `critical` is refused (R-6). Empty means vcon-core's default list.
    pub supported_extensions: Vec<String>,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        Self {
            profile: ProfileName::Strict,
            supported_extensions: Vec::new(),
        }
    }
}

/// A validation profile of vcon-core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileName {
    /// Every MUST is an error.
    #[default]
    Strict,
    /// Accepts, as warnings, what vCons in the wild commonly break.
    Lenient,
}

/// What the conserver-compatible routes accept as a vCon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConserverValidation {
    /// Exactly what the conserver accepts (its request model: `vcon`, `uuid`
    /// and `created_at` present; party `tel`, dialog `duration`, `url`,
    /// `mimetype`, `alg` and party indexes well-formed), legacy 0.0.1 included.
    #[default]
    Conserver,
    /// vcon-core's strict profile.
    Strict,
    /// vcon-core's lenient profile.
    Lenient,
}

/// The conserver-compatible API (`/vcon`, `/vcons`, `/dlq`, ... at the root
/// and under `root_path`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConserverConfig {
    /// Whether the conserver routes are served.
    pub enabled: bool,
    /// The prefix the routes are also served under, as the conserver's
    /// `API_ROOT_PATH` (empty: root only). Env: `API_ROOT_PATH`.
    pub root_path: String,
    /// The header carrying the token. Env: `CONSERVER_HEADER_NAME`.
    pub header_name: String,
    /// What counts as a valid vCon on these routes.
    pub validation: ConserverValidation,
    /// A conserver `config.yml`: `GET /config` returns it, `POST /config`
    /// checks, replaces and applies it without a restart (see
    /// [`crate::live`]), and its `ingress_auth` adds to the one below
    /// (which wins for a list named in both).
    /// Env: `CONSERVER_CONFIG_FILE`.
    pub config_file: Option<PathBuf>,
    /// Whether what `config_file` holds that cannot be mapped (links and
    /// storages of modules not implemented here, ignored options, dropped
    /// chains) is an error, at start and in `--check-config`. When false,
    /// the chains run without it, with a warning. Env: `VCON_CONSERVER_STRICT`.
    pub strict_import: bool,
    /// Keys for `POST /vcon/external-ingress`, by ingress list: one key or a
    /// list of keys (the conserver's `ingress_auth`).
    pub ingress_auth: BTreeMap<String, OneOrMany>,
}

impl Default for ConserverConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            root_path: "/api".to_owned(),
            header_name: "x-conserver-api-token".to_owned(),
            validation: ConserverValidation::Conserver,
            config_file: None,
            strict_import: false,
            ingress_auth: BTreeMap::new(),
        }
    }
}

/// One string or a list of strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    /// A single value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl OneOrMany {
    /// The values as a list.
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}

/// The embedded store (SQLite in `data_dir`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// When a write is acknowledged: `full` (fsynced; survives power loss)
    /// or `process` (survives a killed process, not an OS crash).
    /// Env: `VCON_DURABILITY`.
    pub durability: vcon_store::Durability,
    /// Read-only connections for reads and searches.
    pub readers: usize,
    /// Keep vCon bodies LZ4-compressed on disk when that saves an eighth or
    /// more (reads return the posted bytes either way).
    pub compress_bodies: bool,
    /// How far below the request path the search indexer runs (a nice
    /// increment, 0 to 19; Linux only). 19: the index is written in idle
    /// CPU time, so ingest is fastest, and under a saturated CPU searches
    /// wait longer for it; lower values keep searches fresher.
    pub indexer_nice: u8,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            durability: vcon_store::Durability::Full,
            readers: 4,
            compress_bodies: true,
            indexer_nice: vcon_store::DEFAULT_INDEXER_NICE,
        }
    }
}

/// Retention: vCons whose tag `expires_at:<RFC 3339>` has passed (the
/// `expire` link writes it) are erased by a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// Seconds between sweeps; 0 turns erasure off (the tags stay).
    /// Env: `VCON_RETENTION_SWEEP_SECS`.
    pub sweep_interval_secs: f64,
    /// Most vCons erased per store round trip within a sweep.
    pub batch: u32,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            sweep_interval_secs: 60.0,
            batch: 500,
        }
    }
}

impl ServerConfig {
    /// Parses TOML `text` read from `path` (the path only names the file in
    /// errors) and checks the values.
    ///
    /// ```
    /// use vcon_server::config::{ConfigError, ServerConfig};
    /// let c = ServerConfig::from_toml("listen = \"0.0.0.0:9000\"\n", "vcon.toml".as_ref()).unwrap();
    /// assert_eq!(c.listen.port(), 9000);
    /// let e = ServerConfig::from_toml("\n\nlisen = 1\n", "vcon.toml".as_ref()).unwrap_err();
    /// assert!(matches!(e, ConfigError::Parse { line: 3, .. }), "{e}");
    /// let e = ServerConfig::from_toml("[limits]\nmax_json_depth = 1\n", "vcon.toml".as_ref()).unwrap_err();
    /// assert!(matches!(e, ConfigError::At { line: 2, column: 1, .. }), "{e}");
    /// ```
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let file = ConfigFile {
            path: path.to_owned(),
            text: text.to_owned(),
        };
        Self::from_file(Some(&file), &|_| None)
    }

    /// Reads the file at `path` (defaults when `None`), then applies the
    /// environment through `env` (a lookup such as `std::env::var`).
    pub fn load(
        path: Option<&Path>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let file = path.map(ConfigFile::read).transpose()?;
        Self::from_file(file.as_ref(), env)
    }

    /// Parses `file` (defaults when `None`), applies the environment
    /// through `env`, then checks the values. An error about a key gives
    /// that key's line and column in the file ([`ConfigError::At`]), or
    /// names the environment variable that set it ([`ConfigError::Env`]).
    pub fn from_file(
        file: Option<&ConfigFile>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(f) => Self::parse(f)?,
            None => Self::default(),
        };
        let from_env = config.apply_env_tracked(env)?;
        config.check().map_err(|e| {
            let set_by = e.key_path().and_then(|k| {
                from_env
                    .iter()
                    .find(|(key, _, _)| key.split('.').eq(k.iter().map(String::as_str)))
            });
            match (set_by, file) {
                (Some((_, var, value)), _) => ConfigError::Env {
                    var,
                    value: value.clone(),
                    reason: e.to_string(),
                },
                (None, Some(f)) => f.locate(e),
                (None, None) => e,
            }
        })?;
        Ok(config)
    }

    /// The file's values, unchecked.
    fn parse(file: &ConfigFile) -> Result<Self, ConfigError> {
        toml::from_str(&file.text).map_err(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |span| locate::line_column(&file.text, span.start));
            ConfigError::Parse {
                path: file.path.clone(),
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })
    }

    /// Checks what the types cannot: ranges, header names, the root path.
    pub fn check(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        if l.max_body_bytes == 0 {
            return Err(invalid("limits.max_body_bytes", "must be at least 1"));
        }
        if l.max_inflated_bytes == 0 {
            return Err(invalid("limits.max_inflated_bytes", "must be at least 1"));
        }
        if l.max_json_depth < 2 {
            return Err(invalid("limits.max_json_depth", "must be at least 2"));
        }
        if l.max_concurrent_requests == 0 {
            return Err(invalid(
                "limits.max_concurrent_requests",
                "must be at least 1",
            ));
        }
        for (key, secs) in [
            ("limits.request_timeout_secs", l.request_timeout_secs),
            ("limits.shutdown_grace_secs", l.shutdown_grace_secs),
        ] {
            if !(secs.is_finite() && secs > 0.0 && secs < 1e9) {
                return Err(invalid(key, "must be a positive number of seconds"));
            }
        }
        for origin in &self.cors_allow_origins {
            let ok = origin == "*"
                || ((origin.starts_with("http://") || origin.starts_with("https://"))
                    && axum::http::HeaderValue::from_str(origin).is_ok());
            if !ok {
                return Err(invalid(
                    "cors_allow_origins",
                    "each origin is `*` or scheme://host[:port], such as https://console.example.com",
                ));
            }
        }
        let r = &self.retention;
        if !(r.sweep_interval_secs.is_finite()
            && r.sweep_interval_secs >= 0.0
            && r.sweep_interval_secs < 1e9)
        {
            return Err(invalid(
                "retention.sweep_interval_secs",
                "must be a number of seconds, 0 (off) or more",
            ));
        }
        if r.batch == 0 {
            return Err(invalid("retention.batch", "must be at least 1"));
        }
        if self.store.readers == 0 {
            return Err(invalid("store.readers", "must be at least 1"));
        }
        if self.store.indexer_nice > 19 {
            return Err(invalid(
                "store.indexer_nice",
                "must be a nice increment from 0 to 19",
            ));
        }
        let root = &self.conserver.root_path;
        if !root.is_empty()
            && (!root.starts_with('/') || root.ends_with('/') || root.contains("//"))
        {
            return Err(invalid(
                "conserver.root_path",
                "must be empty or start with `/` and not end with `/` (such as `/api`)",
            ));
        }
        if axum::http::HeaderName::from_bytes(self.conserver.header_name.as_bytes()).is_err() {
            return Err(invalid(
                "conserver.header_name",
                "is not a valid HTTP header name",
            ));
        }
        self.pipeline.check().map_err(ConfigError::pipeline)?;
        Ok(())
    }

    /// The file holding the admin token's hash (`auth.admin_token_hash_file`
    /// under `data_dir` when relative).
    pub fn admin_token_hash_path(&self) -> PathBuf {
        self.data_dir.join(&self.auth.admin_token_hash_file)
    }

    /// The validation options for the native API.
    pub fn validation_options(&self) -> vcon_core::Options {
        let profile = match self.validation.profile {
            ProfileName::Strict => vcon_core::Profile::Strict,
            ProfileName::Lenient => vcon_core::Profile::Lenient,
        };
        let mut options = vcon_core::Options::with_profile(profile);
        if !self.validation.supported_extensions.is_empty() {
            options.supported_extensions = self
                .validation
                .supported_extensions
                .iter()
                .cloned()
                .collect();
        }
        options.limits = self.read_limits();
        options
    }

    /// Read limits for request bodies.
    pub fn read_limits(&self) -> vcon_core::ReadLimits {
        vcon_core::ReadLimits {
            max_bytes: self.limits.max_body_bytes,
            max_inflated_bytes: self.limits.max_inflated_bytes,
            max_depth: self.limits.max_json_depth,
        }
    }
}

fn invalid(key: &'static str, reason: &str) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_default_config_parses_to_the_defaults() {
        let parsed =
            ServerConfig::from_toml(DEFAULT_CONFIG_TOML, Path::new("default.toml")).unwrap();
        assert_eq!(parsed, ServerConfig::default());
    }

    #[test]
    fn unknown_key_is_reported_with_its_line_and_column() {
        let text = "listen = \"127.0.0.1:8000\"\n[limits]\nmax_body_bytes = 10\nmax_bodie = 3\n";
        let e = ServerConfig::from_toml(text, Path::new("x.toml")).unwrap_err();
        match &e {
            ConfigError::Parse {
                line,
                column,
                message,
                ..
            } => {
                assert_eq!((*line, *column), (4, 1));
                assert!(message.contains("max_bodie"), "{message}");
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(e.to_string().starts_with("x.toml:4:1: "));
    }

    #[test]
    fn bad_value_is_reported_at_the_value() {
        let e = ServerConfig::from_toml("listen = \"nowhere\"\n", Path::new("x.toml")).unwrap_err();
        assert!(
            matches!(
                e,
                ConfigError::Parse {
                    line: 1,
                    column: 10,
                    ..
                }
            ),
            "{e}"
        );
    }

    /// The error inside a located one, and its line.
    fn at_line(e: ConfigError) -> (usize, ConfigError) {
        match e {
            ConfigError::At { line, error, .. } => (line, *error),
            other => panic!("not located: {other:?}"),
        }
    }

    #[test]
    fn ranges_are_checked_and_located() {
        let e =
            ServerConfig::from_toml("[limits]\nmax_body_bytes = 0\n", Path::new("x")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x:2:1: limits.max_body_bytes: must be at least 1"
        );
        let (line, e) = at_line(e);
        assert_eq!(line, 2);
        assert!(matches!(
            e,
            ConfigError::Invalid {
                key: "limits.max_body_bytes",
                ..
            }
        ));
        let e = ServerConfig::from_toml("[conserver]\nroot_path = \"api/\"\n", Path::new("x"))
            .unwrap_err();
        assert!(matches!(
            at_line(e),
            (
                2,
                ConfigError::Invalid {
                    key: "conserver.root_path",
                    ..
                }
            )
        ));
        let e =
            ServerConfig::from_toml("\n[store]\nindexer_nice = 20\n", Path::new("x")).unwrap_err();
        assert!(matches!(
            at_line(e),
            (
                3,
                ConfigError::Invalid {
                    key: "store.indexer_nice",
                    ..
                }
            )
        ));
        let c = ServerConfig::from_toml("[store]\nindexer_nice = 5\n", Path::new("x")).unwrap();
        assert_eq!(c.store.indexer_nice, 5);
    }

    #[test]
    fn pipeline_errors_point_at_their_key() {
        let text = "listen = \"127.0.0.1:1\"\n\n[pipeline.chains.main]\ningress = [\"a\"]\nlinks = [\"nope\"]\n";
        let e = ServerConfig::from_toml(text, Path::new("x.toml")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x.toml:5:1: pipeline: chains.main: link `nope` is not defined"
        );
    }

    #[test]
    fn ingress_auth_takes_one_key_or_many() {
        let c = ServerConfig::from_toml(
            "[conserver.ingress_auth]\na = \"k1\"\nb = [\"k2\", \"k3\"]\n",
            Path::new("x"),
        )
        .unwrap();
        assert_eq!(c.conserver.ingress_auth["a"].to_vec(), vec!["k1"]);
        assert_eq!(c.conserver.ingress_auth["b"].to_vec(), vec!["k2", "k3"]);
    }
}
