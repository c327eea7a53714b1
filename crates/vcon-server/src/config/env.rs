//! Environment overrides of [`ServerConfig`]: the variables named on each
//! field, applied after the file and before the command-line flags.

use std::path::PathBuf;

use super::{ConfigError, LogFormat, ProfileName, ServerConfig};

/// A key set from the environment: the key (dotted), the variable, its value.
pub(super) type FromEnv = (&'static str, &'static str, String);

impl ServerConfig {
    /// Applies the environment variables named on each field.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        self.apply_env_tracked(env).map(drop)
    }

    /// [`ServerConfig::apply_env`], returning which keys the environment
    /// set (so that a value out of range names its variable).
    pub(super) fn apply_env_tracked(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<FromEnv>, ConfigError> {
        let mut set: Vec<FromEnv> = Vec::new();
        let mut env = |key: &'static str, var: &'static str| {
            let value = env(var);
            if let Some(v) = &value {
                set.push((key, var, v.clone()));
            }
            value
        };
        if let Some(v) = env("listen", "VCON_LISTEN") {
            self.listen = parse_env("VCON_LISTEN", &v)?;
        }
        if let Some(v) = env("data_dir", "VCON_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("log_format", "VCON_LOG_FORMAT") {
            self.log_format =
                parse_named::<LogFormat>("VCON_LOG_FORMAT", &v, "expected `text` or `json`")?;
        }
        if let Some(v) = env("log_filter", "VCON_LOG").or_else(|| env("log_filter", "RUST_LOG")) {
            self.log_filter = v;
        }
        if let Some(v) = env("cors_allow_origins", "VCON_CORS_ALLOW_ORIGINS") {
            self.cors_allow_origins = v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = env("retention.sweep_interval_secs", "VCON_RETENTION_SWEEP_SECS") {
            self.retention.sweep_interval_secs = parse_env("VCON_RETENTION_SWEEP_SECS", &v)?;
        }
        if let Some(v) = env("limits.max_body_bytes", "VCON_MAX_BODY_BYTES") {
            self.limits.max_body_bytes = parse_env("VCON_MAX_BODY_BYTES", &v)?;
        }
        if let Some(v) = env("limits.request_timeout_secs", "VCON_REQUEST_TIMEOUT_SECS") {
            self.limits.request_timeout_secs = parse_env("VCON_REQUEST_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = env(
            "limits.max_concurrent_requests",
            "VCON_MAX_CONCURRENT_REQUESTS",
        ) {
            self.limits.max_concurrent_requests = parse_env("VCON_MAX_CONCURRENT_REQUESTS", &v)?;
        }
        if let Some(v) = env("auth.enabled", "VCON_AUTH") {
            self.auth.enabled = parse_switch("VCON_AUTH", &v)?;
        }
        if let Some(v) = env("validation.profile", "VCON_VALIDATION_PROFILE") {
            self.validation.profile = parse_named::<ProfileName>(
                "VCON_VALIDATION_PROFILE",
                &v,
                "expected `strict` or `lenient`",
            )?;
        }
        if let Some(v) = env("store.durability", "VCON_DURABILITY") {
            self.store.durability = parse_named::<vcon_store::Durability>(
                "VCON_DURABILITY",
                &v,
                "expected `full` or `process`",
            )?;
        }
        if let Some(v) = env("conserver.root_path", "API_ROOT_PATH") {
            self.conserver.root_path = v;
        }
        if let Some(v) = env("conserver.header_name", "CONSERVER_HEADER_NAME") {
            self.conserver.header_name = v;
        }
        if let Some(v) = env("conserver.config_file", "CONSERVER_CONFIG_FILE") {
            self.conserver.config_file = Some(PathBuf::from(v));
        }
        if let Some(v) = env("conserver.strict_import", "VCON_CONSERVER_STRICT") {
            self.conserver.strict_import = parse_switch("VCON_CONSERVER_STRICT", &v)?;
        }
        Ok(set)
    }
}

/// `on`/`off` (also `true`/`false`, `1`/`0`, `yes`/`no`).
fn parse_switch(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Ok(true),
        "off" | "false" | "0" | "no" => Ok(false),
        _ => Err(env_error(var, value, "expected `on` or `off`")),
    }
}

fn parse_env<T: std::str::FromStr>(var: &'static str, value: &str) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e: T::Err| env_error(var, value, &e.to_string()))
}

/// A value named as in the configuration file (the enum's serde names).
fn parse_named<T: serde::de::DeserializeOwned>(
    var: &'static str,
    value: &str,
    expected: &str,
) -> Result<T, ConfigError> {
    use serde::de::value::{Error, StrDeserializer};
    T::deserialize(StrDeserializer::<Error>::new(value))
        .map_err(|_| env_error(var, value, expected))
}

fn env_error(var: &'static str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Env {
        var,
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::super::ServerConfig;

    #[test]
    fn environment_overrides_the_file() {
        let env = |k: &str| match k {
            "VCON_LISTEN" => Some("0.0.0.0:9999".to_owned()),
            "VCON_DATA_DIR" => Some("/tmp/elsewhere".to_owned()),
            "VCON_AUTH" => Some("off".to_owned()),
            "API_ROOT_PATH" => Some("/conserver".to_owned()),
            _ => None,
        };
        let mut c = ServerConfig::from_toml("listen = \"127.0.0.1:1\"\n", Path::new("x")).unwrap();
        c.apply_env(&env).unwrap();
        assert_eq!(c.listen.port(), 9999);
        assert_eq!(c.data_dir, PathBuf::from("/tmp/elsewhere"));
        assert!(!c.auth.enabled);
        assert_eq!(c.conserver.root_path, "/conserver");
    }

    #[test]
    fn bad_environment_value_names_the_variable() {
        let env = |k: &str| (k == "VCON_LOG_FORMAT").then(|| "xml".to_owned());
        let e = ServerConfig::load(None, &env).unwrap_err();
        assert!(e.to_string().contains("VCON_LOG_FORMAT"), "{e}");
        assert!(ServerConfig::load(None, &|_| None).is_ok());
    }

    #[test]
    fn a_value_out_of_range_names_the_variable_that_set_it() {
        let env = |k: &str| (k == "VCON_MAX_BODY_BYTES").then(|| "0".to_owned());
        let e = ServerConfig::load(None, &env).unwrap_err();
        assert!(
            matches!(
                &e,
                super::super::ConfigError::Env {
                    var: "VCON_MAX_BODY_BYTES",
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(
            e.to_string()
                .contains("limits.max_body_bytes: must be at least 1"),
            "{e}"
        );
        let env = |k: &str| (k == "API_ROOT_PATH").then(|| "api/".to_owned());
        let e = ServerConfig::load(None, &env).unwrap_err().to_string();
        assert!(
            e.contains("API_ROOT_PATH") && e.contains("conserver.root_path"),
            "{e}"
        );
        // A bad value in the file that the environment replaces is no error.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("vcon.toml");
        std::fs::write(&file, "[limits]\nmax_body_bytes = 0\n").unwrap();
        let env = |k: &str| (k == "VCON_MAX_BODY_BYTES").then(|| "10".to_owned());
        assert_eq!(
            ServerConfig::load(Some(&file), &env)
                .unwrap()
                .limits
                .max_body_bytes,
            10
        );
    }

    #[test]
    fn named_values_read_as_in_the_file() {
        use super::super::{LogFormat, ProfileName};
        let env = |k: &str| match k {
            "VCON_LOG_FORMAT" => Some("json".to_owned()),
            "VCON_VALIDATION_PROFILE" => Some("lenient".to_owned()),
            "VCON_DURABILITY" => Some("process".to_owned()),
            _ => None,
        };
        let c = ServerConfig::load(None, &env).unwrap();
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.validation.profile, ProfileName::Lenient);
        assert_eq!(c.store.durability, vcon_store::Durability::Process);
        for (var, bad, expected) in [
            ("VCON_LOG_FORMAT", "JSON", "expected `text` or `json`"),
            (
                "VCON_VALIDATION_PROFILE",
                "loose",
                "expected `strict` or `lenient`",
            ),
            ("VCON_DURABILITY", " full", "expected `full` or `process`"),
        ] {
            let env = |k: &str| (k == var).then(|| bad.to_owned());
            let e = ServerConfig::load(None, &env).unwrap_err().to_string();
            assert!(e.contains(var) && e.contains(expected), "{e}");
        }
    }
}
