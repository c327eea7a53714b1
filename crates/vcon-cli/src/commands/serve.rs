//! `vcon serve`: the conversation server (crate `vcon-server`) on the
//! embedded store. The server itself is behind the default cargo feature
//! `server`; without it the command says so and exits 2.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, ValueEnum};

use crate::cli::{Command, Ctx, Spec, Status, spec};

#[cfg(feature = "server")]
mod run;

/// Registration of `vcon serve`.
pub const SPEC: Spec = spec::<Args>("serve");

const LONG_ABOUT: &str = "\
Serve vCons over HTTP: store, search and process them, with no set-up.

With no arguments it listens on 127.0.0.1:8000 and keeps its data in ./vcon-data (an
embedded, durable store: a 2xx on a write means it is on disk). Authentication is on: at
first start an admin token is created and printed once on standard error; only its SHA-256
is kept. Set VCON_ADMIN_TOKEN to choose the token instead.

APIs:
  /v1/...          native API (Authorization: Bearer TOKEN); OpenAPI 3.1 at /openapi.json
  /vcon, /vcons... the conserver's API, same paths and answers, also under /api
                   (x-conserver-api-token: CONSERVER_API_TOKEN, a line of
                   CONSERVER_API_TOKEN_FILE, or the admin token; conserver
                   tokens open these routes only, and are checked even
                   with VCON_AUTH=off)
  /health /ready /metrics /version

Configuration: --config FILE (TOML; every key optional; --print-config shows them all with
their defaults), then environment variables (VCON_LISTEN, VCON_DATA_DIR, VCON_LOG_FORMAT,
VCON_LOG, VCON_AUTH, CONSERVER_CONFIG_FILE, API_ROOT_PATH, ...), then these flags.
A conserver config.yml can be named in the file (conserver.config_file): its chains run
here and its ingress_auth keys guard /vcon/external-ingress. What it holds that is not
implemented here is left out with a warning naming its line (conserver.strict_import =
true, or VCON_CONSERVER_STRICT=on, refuses it instead). POST /config replaces that file and
applies it at once, as the conserver does; a config that cannot run is refused with a 422.

SIGTERM or SIGINT stops it gracefully: no new connections, requests in flight finish,
processing workers finish or requeue their vCons, the store is closed.

Examples:
  vcon serve
  vcon serve --listen 0.0.0.0:8080 --data-dir /var/lib/vcon --log-format json
  vcon serve --print-config > vcon.toml
  vcon serve --check-config --config vcon.toml

Exit status:
  0  stopped by a signal after serving, or --check-config found no problem
  2  the configuration is invalid, the address or data directory cannot be used";

/// `vcon serve` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Serve vCons over HTTP (native /v1 API and the conserver's API) on an embedded store",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// Address and port to listen on (default 127.0.0.1:8000; env VCON_LISTEN).
    #[arg(long, value_name = "ADDR")]
    listen: Option<SocketAddr>,

    /// Data directory of the embedded store (default ./vcon-data; env VCON_DATA_DIR).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Configuration file (TOML). Every key is optional.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Check the configuration (file, environment, chains) and exit: 0 valid, 2 invalid.
    #[arg(long, conflicts_with = "print_config")]
    check_config: bool,

    /// Print the default configuration, commented, and exit.
    #[arg(long)]
    print_config: bool,

    /// Log format on standard error (default text; env VCON_LOG_FORMAT).
    #[arg(long, value_enum, value_name = "FORMAT")]
    log_format: Option<LogFormatArg>,
}

/// The `--log-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormatArg {
    /// One human-readable line per event.
    Text,
    /// One JSON object per event.
    Json,
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        #[cfg(feature = "server")]
        {
            run::run(self, ctx)
        }
        #[cfg(not(feature = "server"))]
        {
            let _ = ctx;
            Err(anyhow::anyhow!(
                "this vcon was built without the `server` feature; rebuild with default features to use `vcon serve`"
            ))
        }
    }
}
