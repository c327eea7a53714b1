//! `vcon validate`: check vCons against the rules of draft-ietf-vcon-vcon-core-03.

mod batch;
mod open;
mod render;

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::{Parser, ValueEnum};
use vcon_core::validate::{Options, Profile};

use crate::cli::{Command, Ctx, Spec, Status, spec};

/// Registration of `vcon validate`.
pub const SPEC: Spec = spec::<Args>("validate");

const LONG_ABOUT: &str = "\
Validate vCons against draft-ietf-vcon-vcon-core-03 (syntax \"0.4.0\").

Each finding names the rule of the implementers' digest (R-1 ... R-50), a severity
(error: a MUST is broken; warning: a SHOULD; info), a JSON pointer (RFC 6901) to the
offending value (\"(document)\" for the input as a whole) and the reason. An input is
valid when it has no error.

Inputs: `-` reads standard input; a file is read whatever its name; a directory is walked
recursively, sorted by name, for files named *.vcon, *.json, *.vcon.gz or *.json.gz
(symlinked directories are not followed). Gzip input (application/vcon+gzip) is recognised
by its magic bytes. Inputs are checked in parallel on every core (see --jobs); reports
come out in input order.

Profiles:
  strict   every MUST of core-03 is an error (the default)
  lenient  what the draft's own appendix examples break (a missing created_at, a dialog
           without start) is a warning: for ingesting vCons found in the wild

Text output: one status line per input (OK, INVALID, or ERROR when it cannot be read)
with its form, syntax version and finding counts; its findings as
`severity rule pointer: message`; then a summary line (files, valid, invalid, unreadable,
errors, warnings, elapsed time, files per second).

JSON output (--format json) is JSON Lines on standard output, one object per input in
input order, so that big batches stream:
  {\"path\":\"a.vcon\",\"form\":\"unsigned\",\"version\":\"0.4.0\",\"declared_version\":null,
   \"gzip\":false,\"valid\":false,\"errors\":1,\"warnings\":0,\"infos\":0,
   \"findings\":[{\"rule\":\"R-3\",\"severity\":\"error\",\"pointer\":\"/created_at\",\"message\":\"...\"}]}
`form` is unsigned, signed, encrypted or null; `version` is the detected syntax (null when
the input is not a JSON object). An unreadable input gives
{\"path\":...,\"valid\":null,\"error\":\"...\"}. The summary goes to standard error, as
text, unless --quiet.

Examples:
  vcon validate call.vcon
  vcon validate --profile lenient ./archive/
  vcon validate -q ./archive/                # only the invalid inputs, then the summary
  vcon validate --format json ./archive/ | jq -r 'select(.valid == false) | .path'
  curl -s https://example.com/call.vcon | vcon validate -
  vcon validate --supported-extension agent_session call.vcon

Exit status:
  0  every input is valid
  1  at least one input is invalid (and every input could be read)
  2  usage error, or an input could not be read (the others are still reported)";

/// `vcon validate` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Validate vCons: files, directories (recursively) or - for standard input",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// Files, directories (walked recursively for *.vcon, *.json, *.vcon.gz, *.json.gz) or `-` (standard input).
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,

    /// Rule set: `strict` (every MUST is an error) or `lenient` (the draft examples' omissions are warnings).
    #[arg(long, value_enum, default_value_t = ProfileArg::Strict)]
    profile: ProfileArg,

    /// Also treat this extension as supported, so that naming it in `critical` is not an error. Repeatable, or comma-separated.
    #[arg(
        long = "supported-extension",
        value_name = "NAME",
        value_delimiter = ','
    )]
    supported_extensions: Vec<String>,

    /// Start from an empty supported set instead of the built-in one (CC, lawful_basis, wtf_transcription, sip-signaling, lifecycle).
    #[arg(long)]
    no_default_extensions: bool,

    /// Print nothing for valid inputs (the summary is still printed; in JSON mode it is not).
    #[arg(short, long)]
    quiet: bool,

    /// Show only findings of severity `error` (counts still include all findings).
    #[arg(long)]
    errors_only: bool,

    /// Refuse inputs larger than this many bytes, before or after gzip inflation.
    #[arg(long, value_name = "BYTES", default_value_t = 256 * 1024 * 1024)]
    max_bytes: usize,

    /// Worker threads (default: one per core).
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,

    /// Never draw the progress bar (it is drawn only on a terminal, for batches of 500 files or more).
    #[arg(long)]
    no_progress: bool,
}

/// The `--profile` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ProfileArg {
    /// Every MUST of core-03 is an error.
    Strict,
    /// The draft examples' omissions (created_at, dialog start) are warnings.
    Lenient,
}

impl Args {
    fn options(&self) -> Options {
        let profile = match self.profile {
            ProfileArg::Strict => Profile::Strict,
            ProfileArg::Lenient => Profile::Lenient,
        };
        let mut options = Options::with_profile(profile);
        if self.no_default_extensions {
            options.supported_extensions.clear();
        }
        options.supported_extensions.extend(
            self.supported_extensions
                .iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
        );
        options.limits.max_bytes = self.max_bytes;
        options.limits.max_inflated_bytes = self.max_bytes;
        options
    }
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        let options = self.options();
        let settings = batch::Settings {
            format: ctx.format,
            painter: ctx.out,
            quiet: self.quiet,
            errors_only: self.errors_only,
            progress: !self.no_progress,
        };
        let run = || batch::run(&self.paths, &options, &settings, ctx);
        match self.jobs {
            Some(0) => Err(crate::cli::UsageError("--jobs must be at least 1".to_owned()).into()),
            Some(n) => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .context("cannot start worker threads")?
                .install(run),
            None => run(),
        }
    }
}
