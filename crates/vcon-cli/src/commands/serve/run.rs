//! What `vcon serve` does when the `server` feature is on.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result};
use vcon_server::ServeError;
use vcon_server::auth::TokenSources;
use vcon_server::config::{ConfigError, ConfigFile, DEFAULT_CONFIG_TOML, LogFormat, ServerConfig};
use vcon_server::pipeline_setup;

use super::{Args, LogFormatArg};
use crate::cli::{Ctx, Status};
use crate::output::Style;

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Runs the command.
pub fn run(args: Args, ctx: &Ctx) -> Result<Status> {
    if args.print_config {
        std::io::stdout().write_all(DEFAULT_CONFIG_TOML.as_bytes())?;
        return Ok(Status::Ok);
    }
    let file = match args.config.as_deref().map(ConfigFile::read).transpose() {
        Ok(f) => f,
        Err(e) => return Ok(config_failed(&args, &e, ctx)),
    };
    let loaded = load(&args, file.as_ref());
    if args.check_config {
        return Ok(check(&args, loaded, file.as_ref(), ctx));
    }
    let config = match loaded {
        Ok(c) => c,
        Err(e) => return Ok(config_failed(&args, &e, ctx)),
    };
    vcon_server::logging::init(config.log_format, &config.log_filter);
    let tokens = TokenSources::from_env(&env);
    let hash_file = config.admin_token_hash_path();
    let plain = config.log_format == LogFormat::Text;
    let served = vcon_server::run(config, tokens, |server, addr| {
        if let Some(token) = server.generated_admin_token() {
            show_admin_token(ctx, token, &hash_file);
        }
        if plain {
            // JSON logs carry the same event; keep that stream pure JSON.
            eprintln!("vcon serve: listening on http://{addr} (OpenAPI at /openapi.json)");
        }
    });
    match served {
        Ok(()) => Ok(Status::Ok),
        // A chain that cannot be built: the same report as --check-config.
        Err(ServeError::Config(e)) => Ok(config_failed(&args, &located(file.as_ref(), e), ctx)),
        Err(e) => Err(e).context("vcon serve"),
    }
}

/// The configuration: defaults, the file, the environment, then the flags.
fn load(args: &Args, file: Option<&ConfigFile>) -> Result<ServerConfig, ConfigError> {
    let mut config = ServerConfig::from_file(file, &env)?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(f) = args.log_format {
        config.log_format = match f {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        };
    }
    Ok(config)
}

/// `e` with the line of its key in `file`, when it has one there.
fn located(file: Option<&ConfigFile>, e: ConfigError) -> ConfigError {
    match file {
        Some(f) => f.locate(e),
        None => e,
    }
}

fn name_of(args: &Args) -> String {
    args.config.as_deref().map_or_else(
        || "(defaults and environment)".to_owned(),
        |p| p.display().to_string(),
    )
}

fn config_failed(args: &Args, e: &ConfigError, ctx: &Ctx) -> Status {
    let label = ctx.err.paint(Style::Red, "config error");
    let at = match e {
        // Parse errors name the file, line and column themselves.
        ConfigError::Parse { .. } | ConfigError::At { .. } | ConfigError::Io { .. } => {
            String::new()
        }
        _ => format!("{}: ", name_of(args)),
    };
    eprintln!("vcon serve: {label}: {at}{e}");
    Status::IoError
}

/// `--check-config`: the file, the environment and the chains (built
/// without a store); 0 when usable, 2 otherwise.
fn check(
    args: &Args,
    loaded: Result<ServerConfig, ConfigError>,
    file: Option<&ConfigFile>,
    ctx: &Ctx,
) -> Status {
    let config = match loaded {
        Ok(c) => c,
        Err(e) => return config_failed(args, &e, ctx),
    };
    let plan = match pipeline_setup::plan(&config) {
        Ok(p) => p,
        Err(e) => return config_failed(args, &located(file, e), ctx),
    };
    let warning = ctx.err.paint(Style::Yellow, "warning");
    for w in &plan.warnings {
        eprintln!("vcon serve: {warning}: {w}");
    }
    if let (Some(path), false) = (&plan.conserver_file, plan.unmapped.is_empty()) {
        eprintln!(
            "vcon serve: {warning}: {} link(s)/storage(s) of {} not mapped; the chains run \
             without them (conserver.strict_import = true refuses them):",
            plan.unmapped.len(),
            path.display()
        );
        for u in &plan.unmapped {
            eprintln!("  {u}");
        }
    }
    if let Err(e) = pipeline_setup::check_build(&plan) {
        return config_failed(args, &located(file, e), ctx);
    }
    let chains = plan.config.chains.len();
    let unmapped = if plan.unmapped.is_empty() {
        String::new()
    } else {
        format!(", {} not mapped", plan.unmapped.len())
    };
    println!(
        "{}: OK ({chains} chain{}{unmapped}, listen {}, data in {})",
        name_of(args),
        if chains == 1 { "" } else { "s" },
        config.listen,
        config.data_dir.display()
    );
    Status::Ok
}

fn show_admin_token(ctx: &Ctx, token: &str, hash_file: &Path) {
    let title = ctx.err.paint(Style::Yellow, "admin token created");
    eprintln!(
        "vcon serve: {title} (shown this once; only its SHA-256 is kept, in {}):\n\n    {token}\n\n\
         Send it as `Authorization: Bearer TOKEN` (/v1) or `x-conserver-api-token: TOKEN` (conserver API).\n\
         Lost it? Delete that file and restart, or set VCON_ADMIN_TOKEN.\n",
        hash_file.display()
    );
}
