//! Environment overrides of [`ServerConfig`]: the variables named on each
//! field, applied after the file and before the command-line flags.

use std::path::PathBuf;

use super::{ConfigError, LogFormat, ProfileName, ServerConfig};

impl ServerConfig {
    /// Applies the environment variables named on each field.
    pub fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = env("VCON_LISTEN") {
            self.listen = parse_env("VCON_LISTEN", &v)?;
        }
        if let Some(v) = env("VCON_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("VCON_LOG_FORMAT") {
            self.log_format =
                parse_named::<LogFormat>("VCON_LOG_FORMAT", &v, "expected `text` or `json`")?;
        }
        if let Some(v) = env("VCON_LOG").or_else(|| env("RUST_LOG")) {
            self.log_filter = v;
        }
        if let Some(v) = env("VCON_CORS_ALLOW_ORIGINS") {
            self.cors_allow_origins = v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = env("VCON_RETENTION_SWEEP_SECS") {
            self.retention.sweep_interval_secs = parse_env("VCON_RETENTION_SWEEP_SECS", &v)?;
        }
        if let Some(v) = env("VCON_MAX_BODY_BYTES") {
            self.limits.max_body_bytes = parse_env("VCON_MAX_BODY_BYTES", &v)?;
        }
        if let Some(v) = env("VCON_REQUEST_TIMEOUT_SECS") {
            self.limits.request_timeout_secs = parse_env("VCON_REQUEST_TIMEOUT_SECS", &v)?;
        }
        if let Some(v) = env("VCON_MAX_CONCURRENT_REQUESTS") {
            self.limits.max_concurrent_requests = parse_env("VCON_MAX_CONCURRENT_REQUESTS", &v)?;
        }
        if let Some(v) = env("VCON_AUTH") {
            self.auth.enabled = match v.to_ascii_lowercase().as_str() {
                "on" | "true" | "1" | "yes" => true,
                "off" | "false" | "0" | "no" => false,
                _ => return Err(env_error("VCON_AUTH", &v, "expected `on` or `off`")),
            };
        }
        if let Some(v) = env("VCON_VALIDATION_PROFILE") {
            self.validation.profile = parse_named::<ProfileName>(
                "VCON_VALIDATION_PROFILE",
                &v,
                "expected `strict` or `lenient`",
            )?;
        }
        if let Some(v) = env("VCON_DURABILITY") {
            self.store.durability = parse_named::<vcon_store::Durability>(
                "VCON_DURABILITY",
                &v,
                "expected `full` or `process`",
            )?;
        }
        if let Some(v) = env("API_ROOT_PATH") {
            self.conserver.root_path = v;
        }
        if let Some(v) = env("CONSERVER_HEADER_NAME") {
            self.conserver.header_name = v;
        }
        if let Some(v) = env("CONSERVER_CONFIG_FILE") {
            self.conserver.config_file = Some(PathBuf::from(v));
        }
        Ok(())
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
