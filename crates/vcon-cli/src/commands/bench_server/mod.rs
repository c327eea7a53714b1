//! `vcon bench-server`: a load generator for `vcon serve` and the Python
//! conserver alike (any base URL and token): vCon ingest, reads, a mix, and
//! the throughput of a processing chain (`--chain-drain`).
//!
//! * [`client`]: the target and the requests it takes, as prepared bytes.
//! * [`wire`]: a keep-alive HTTP/1.1 connection (prepared bytes out, the
//!   answer parsed in place with `httparse`).
//! * [`corpus`]: requests serialised once, a fresh uuid per request.
//! * [`load`]: the closed-loop client tasks.
//! * [`drain`]: watching a chain drain its ingress list.
//! * [`report`]: counts, HdrHistogram latencies, text and JSON reports.

mod client;
mod corpus;
mod drain;
mod load;
mod report;
mod wire;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Command, Ctx, Spec, Status, UsageError, spec};
use crate::output::Format;
use client::{Api, Target};
use load::{Mix, Phase, Stop};
use report::RunReport;

/// Registration of `vcon bench-server`.
pub const SPEC: Spec = spec::<Args>("bench-server");

const LONG_ABOUT: &str = "\
Load-test a vCon server: vconkit's `vcon serve` or the Python conserver, at any base URL.

Each of --concurrency client tasks holds one keep-alive HTTP/1.1 connection and sends
requests back to back (a closed loop). Bodies are serialised once; each write gets a
fresh UUIDv8, so every POST stores a new vCon. Reports requests, answers by status,
requests without an answer, throughput (2xx per second) and latency p50/p90/p99/max.

APIs (--api):
  native     POST /v1/vcons, GET /v1/vcons/{uuid}, `Authorization: Bearer TOKEN`
  conserver  POST /vcon, GET /vcon/{uuid}, `x-conserver-api-token: TOKEN`
             (the Python conserver, or vcon serve's conserver-compatible routes)
A path in --url is a prefix: http://host:8000/api reaches the conserver's routes under /api.

Modes (--mode):
  ingest  POST new vCons (queued on each --ingress list).
  read    first stores --read-set vCons (reported as phase `seed`), then GETs them at random.
  mixed   the same seeding, then GETs with --read-percent probability, else POSTs.

Chain throughput (--chain-drain, needs one --ingress list): posts --requests vCons onto the
ingress list, then polls `GET /stats/queue?list_name=LIST` (and that of --egress)
until the list is empty and the egress list is full or has stopped changing for
--settle. Reports vCons per second through the chain, first post to last vCon processed.
A chain that drops vCons (a sampler) still empties its ingress list: give no --egress,
or expect the egress count below the queued count.

Only http:// URLs: TLS would measure the client. The client is light (one thread by
default, --client-threads to add more); on a machine shared with the server, check that
the client is not the bottleneck (its CPU time is printed with --format text).

Examples:
  vcon bench-server --url http://127.0.0.1:8000 --token \"$VCON_ADMIN_TOKEN\" --duration 30s
  vcon bench-server --url http://127.0.0.1:8000 --token T --mode read --duration 20s
  vcon bench-server --url http://127.0.0.1:8000 --token T --api conserver --requests 50000
  vcon bench-server --url http://127.0.0.1:8000 --token T --corpus ./vcons --mode mixed
  vcon bench-server --url http://127.0.0.1:8000 --token T --chain-drain \\
      --ingress bench_in --egress bench_out --requests 100000
  vcon bench-server --url http://127.0.0.1:8080 --token mytoken --api conserver \\
      --chain-drain --ingress default --requests 20000 --format json

Exit status:
  0  the run finished and every request got a 2xx answer (and the chain drained)
  1  some requests failed (non-2xx or no answer), or the chain did not drain in time
  2  usage error, or the server could not be reached at all";

/// `vcon bench-server` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Load-test a vCon server (vcon serve, the conserver): ingest, reads, chains",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// Base URL of the server, http:// only (a path is a prefix, as /api).
    #[arg(long, value_name = "URL")]
    url: String,
    /// API token: the Bearer token (native) or the conserver token.
    #[arg(
        long,
        env = "VCON_BENCH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: String,
    /// Which API to call.
    #[arg(long, value_enum, default_value_t = Api::Native)]
    api: Api,
    /// Client connections, each sending one request at a time.
    #[arg(long, default_value_t = 8, value_name = "N")]
    concurrency: usize,
    /// Run this long (`30s`, `2m`, `500ms`). Default 30s unless --requests is given.
    #[arg(long, value_parser = parse_duration, conflicts_with = "requests", value_name = "TIME")]
    duration: Option<Duration>,
    /// Send this many requests in the measured phase (10000 with --chain-drain).
    #[arg(long, value_name = "N")]
    requests: Option<u64>,
    /// What the requests do.
    #[arg(long, value_enum, default_value_t = ModeArg::Ingest)]
    mode: ModeArg,
    /// Send the *.vcon / *.json files of this directory (fresh uuids for unsigned ones)
    /// instead of generated realistic call vCons of about 2.2 KB.
    #[arg(long, value_name = "DIR")]
    corpus: Option<PathBuf>,
    /// Queue written vCons on this list (repeatable): `?ingress=` (native) or
    /// `?ingress_lists=` (conserver).
    #[arg(long, value_name = "LIST")]
    ingress: Vec<String>,
    /// Measure a chain: queue on the --ingress list and wait until it is drained.
    #[arg(long, requires = "ingress", conflicts_with = "duration")]
    chain_drain: bool,
    /// With --chain-drain: the chain's egress list to watch (its depth; nothing is popped).
    #[arg(long, requires = "chain_drain", value_name = "LIST")]
    egress: Option<String>,
    /// With --chain-drain: give up waiting this long after the last post.
    #[arg(long, value_parser = parse_duration, default_value = "10m", value_name = "TIME")]
    drain_timeout: Duration,
    /// With --chain-drain: how long the lists must stay unchanged to count as drained.
    #[arg(long, value_parser = parse_duration, default_value = "2s", value_name = "TIME")]
    settle: Duration,
    /// read/mixed: vCons stored first, then read at random.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    read_set: u64,
    /// mixed: share of reads, in percent.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u8).range(0..=100), value_name = "PCT")]
    read_percent: u8,
    /// Run the measured mode this long first, unmeasured (connections, caches).
    #[arg(long, value_parser = parse_duration, value_name = "TIME")]
    warmup: Option<Duration>,
    /// Generated templates to cycle through (distinct contents).
    #[arg(long, default_value_t = 256, value_name = "N")]
    templates: usize,
    /// Threads of the client's runtime (1: everything on one thread).
    #[arg(long, default_value_t = 1, value_name = "N")]
    client_threads: usize,
    /// No progress bar (it is drawn on standard error only when that is a terminal).
    #[arg(long)]
    no_progress: bool,
}

/// The `--mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ModeArg {
    /// POST new vCons.
    Ingest,
    /// GET stored vCons.
    Read,
    /// Reads and writes (--read-percent).
    Mixed,
}

impl ModeArg {
    fn name(self) -> &'static str {
        match self {
            Self::Ingest => "ingest",
            Self::Read => "read",
            Self::Mixed => "mixed",
        }
    }
}

/// Parses `30s`, `2m`, `500ms`, `1h` or a number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30s, 2m or 500ms"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("`{text}`: unit must be ms, s, m or h")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("`{text}`: {e}"))
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        if self.chain_drain && self.ingress.len() != 1 {
            return Err(UsageError("--chain-drain needs exactly one --ingress list".into()).into());
        }
        if self.concurrency == 0 || self.client_threads == 0 {
            return Err(
                UsageError("--concurrency and --client-threads must be at least 1".into()).into(),
            );
        }
        let runtime = if self.client_threads == 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(self.client_threads)
                .enable_all()
                .build()
        }
        .context("starting the client runtime")?;
        let cpu_before = cpu_time();
        let report = runtime.block_on(self.bench())?;
        let cpu = cpu_time().zip(cpu_before).map(|(a, b)| a.saturating_sub(b));
        match ctx.format {
            Format::Json => crate::output::json_line(&mut std::io::stdout().lock(), &report)?,
            Format::Text => {
                print!("{}", report.text());
                if let Some(cpu) = cpu {
                    println!(
                        "\nclient CPU time: {:.2} s (user + system, this process)",
                        cpu.as_secs_f64()
                    );
                }
            }
        }
        let failed = report.phases.iter().any(|p| p.errors > 0)
            || report.drain.as_ref().is_some_and(|d| !d.complete);
        Ok(if failed { Status::Failed } else { Status::Ok })
    }
}

impl Args {
    async fn bench(&self) -> Result<RunReport> {
        let target = Target::new(&self.url, &self.token, self.api)?;
        let templates = match &self.corpus {
            Some(dir) => corpus::from_dir(dir)?,
            None => corpus::generated(self.templates.max(1), 0x5eed),
        };
        let mean_body_bytes =
            templates.iter().map(|t| t.bytes.len()).sum::<usize>() / templates.len().max(1);
        let ingest_path = target.ingest_path(&self.ingress);
        let bodies = Arc::new(corpus::Bodies::new(templates, |len| {
            target.post_head(&ingest_path, len)
        })?);
        let stop = match (self.requests, self.duration, self.chain_drain) {
            (Some(n), _, _) => Stop::Requests(n),
            (None, _, true) => Stop::Requests(10_000),
            (None, Some(d), _) => Stop::After(d),
            (None, None, _) => Stop::After(Duration::from_secs(30)),
        };
        let phase = |mix, stop, reads: &Arc<Vec<Vec<u8>>>, keep_uuids| Phase {
            target: target.clone(),
            bodies: Arc::clone(&bodies),
            reads: Arc::clone(reads),
            mix,
            stop,
            concurrency: self.concurrency,
            keep_uuids,
        };
        let mut phases = Vec::new();
        let mut reads = Arc::new(Vec::new());
        if self.mode != ModeArg::Ingest {
            let bar = self.bar("seed", Stop::Requests(self.read_set));
            let seeded = load::run(
                phase(Mix::Ingest, Stop::Requests(self.read_set), &reads, true),
                &bar,
            )
            .await?;
            bar.finish_and_clear();
            phases.push(seeded.stats.summary("seed", seeded.elapsed));
            reads = Arc::new(
                seeded
                    .uuids
                    .iter()
                    .map(|u| target.get(&target.read_path(u)))
                    .collect(),
            );
            if reads.is_empty() {
                anyhow::bail!("no vCon could be stored for the reads: see the `seed` statuses");
            }
        }
        let mix = match self.mode {
            ModeArg::Ingest => Mix::Ingest,
            ModeArg::Read => Mix::Read,
            ModeArg::Mixed => Mix::Mixed(self.read_percent),
        };
        if let Some(warmup) = self.warmup {
            let bar = self.bar("warm-up", Stop::After(warmup));
            load::run(phase(mix, Stop::After(warmup), &reads, false), &bar).await?;
            bar.finish_and_clear();
        }
        let egress_before = match (&self.egress, self.chain_drain) {
            (Some(list), true) => Some((list.as_str(), drain::depth_now(&target, list).await?)),
            _ => None,
        };
        let name = self.mode.name();
        let bar = self.bar(name, stop);
        let measured = load::run(phase(mix, stop, &reads, false), &bar).await?;
        bar.finish_and_clear();
        let ingest_done = Instant::now();
        phases.push(measured.stats.summary(name, measured.elapsed));
        let drain = match (self.chain_drain, self.ingress.first()) {
            (true, Some(ingress)) => {
                let queued = measured.stats.successes();
                let bar = self.bar("drain", Stop::Requests(queued));
                let watch = drain::Watch {
                    target: &target,
                    ingress,
                    egress: egress_before,
                    queued,
                    started: measured.started,
                    ingest_done,
                    timeout: self.drain_timeout,
                    settle: self.settle,
                    poll: Duration::from_millis(50),
                };
                let d = drain::watch(&watch, &bar).await?;
                bar.finish_and_clear();
                Some(d)
            }
            _ => None,
        };
        Ok(RunReport {
            url: self.url.clone(),
            api: match self.api {
                Api::Native => "native",
                Api::Conserver => "conserver",
            }
            .to_owned(),
            mode: name.to_owned(),
            concurrency: self.concurrency,
            templates: bodies.len(),
            mean_body_bytes,
            phases,
            drain,
        })
    }

    /// A progress bar on standard error, when it is a terminal.
    fn bar(&self, name: &str, stop: Stop) -> ProgressBar {
        use std::io::IsTerminal as _;
        if self.no_progress || !std::io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let (len, unit) = match stop {
            Stop::Requests(n) => (n, "requests"),
            Stop::After(d) => (d.as_secs().max(1), "s"),
        };
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let template =
            format!("{name:>8} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar
    }
}

/// CPU time (user + system) of this process so far, where the OS tells it.
fn cpu_time() -> Option<Duration> {
    // /proc/self/stat fields 14 and 15: utime and stime in clock ticks (100 Hz on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_the_usual_units() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5").unwrap(), Duration::from_millis(1500));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3d").is_err());
    }

    #[test]
    fn cpu_time_is_read_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(cpu_time().is_some());
        }
    }
}
