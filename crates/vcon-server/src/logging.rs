//! Structured logs to standard error through `tracing`: text for people,
//! JSON for collectors (`--log-format json`).

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global log subscriber. `filter` uses `tracing-subscriber`
/// syntax (`info`, `vcon_server=debug,info`); an unusable filter falls back
/// to `info` and says so. A second call does nothing.
pub fn init(format: LogFormat, filter: &str) {
    let (env_filter, bad) = match EnvFilter::try_new(filter) {
        Ok(f) => (f, None),
        Err(e) => (EnvFilter::new("info"), Some(e.to_string())),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(env_filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    if installed.is_ok()
        && let Some(reason) = bad
    {
        tracing::warn!(filter, reason, "log filter not understood; logging at info");
    }
}
