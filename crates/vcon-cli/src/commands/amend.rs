//! `vcon amend`: a deep copy of a vCon with a new uuid and an `amended`
//! reference to it (core-03 §amended), ready for additions. Also holds the
//! helpers `vcon redact` shares: the new vCon's uuid, where reports go, and
//! refusals.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::Parser;
use serde::Serialize;
use uuid::Uuid;
use vcon_core::amend::{AmendError, AmendOptions, Amendment, amend, amend_verified};
use vcon_core::id::IdGenerator;

use crate::cli::{Command, Ctx, Spec, Status, UsageError, spec};
use crate::input::{Input, write_output};
use crate::output::{Format, Style};

/// Registration of `vcon amend`.
pub const SPEC: Spec = spec::<Args>("amend");

const LONG_ABOUT: &str = "\
Start an amended version of a vCon (core-03 §amended, digest §6.2): a deep copy of IN with
a new uuid, `updated_at` set to now, and `amended: {uuid, content_hash}` naming IN, where
content_hash is the sha512 of IN's exact bytes. Add dialogs, analyses or attachments to the
copy afterwards; `vcon lineage NEW IN` proves that every item of IN is still there.

Everything else is copied as it is, member order included (`created_at` too: the
conversation did not change). A `redacted` reference of IN is replaced, since a vCon is
either redacted or amended (R-8).

A signed IN is refused: the copy must come from content whose signature was verified.
Verify it first and pass the verified payload with --payload; the copy is then made from
the payload, and content_hash covers IN's signed bytes (what a reader of amended.url gets):
  vcon verify signed.vcon --trust root.crt -o payload.vcon
  vcon amend signed.vcon --payload payload.vcon -o amended.vcon
An encrypted IN must be decrypted (and verified) first.

The new vCon goes to OUT (-o) or standard output, as indented JSON. The report goes to
standard output when -o names a file, to standard error otherwise. With --format json:
  {\"path\":\"call.vcon\",\"output\":\"new.vcon\",\"uuid\":\"...\",\"amended\":{\"uuid\":\"...\",
   \"content_hash\":\"sha512-...\"},\"dropped\":[]}

Examples:
  vcon amend call.vcon -o call-v2.vcon
  vcon amend call.vcon --domain example.com --prior-url https://vault.example.com/call.vcon

Exit status:
  0  the amended vCon was written
  1  IN cannot be amended: signed without --payload, encrypted, not a vCon, or the payload
     is not IN's own
  2  usage error, or IN cannot be read or is not JSON, or OUT cannot be written";

/// `vcon amend` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Copy a vCon into a new one that references it (`amended`: uuid, content_hash)",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// The vCon to amend (JSON or gzip), or `-` for standard input.
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// Where to write the amended vCon (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    /// For a signed IN: its verified payload (as `vcon verify -o` writes it).
    #[arg(long, value_name = "PAYLOAD")]
    payload: Option<PathBuf>,

    /// HTTPS URL where IN is kept, written as `amended.url`.
    #[arg(long, value_name = "URL")]
    prior_url: Option<String>,

    #[command(flatten)]
    id: IdArgs,
}

/// How the new vCon's uuid is chosen (shared with `vcon redact`).
#[derive(Debug, Clone, clap::Args)]
pub struct IdArgs {
    /// Domain name for the new UUIDv8 (default: $VCON_DOMAIN, else the host name).
    #[arg(long, env = "VCON_DOMAIN", value_name = "DOMAIN")]
    domain: Option<String>,

    /// Use this uuid for the new vCon instead of making one (wins over --domain).
    #[arg(long, value_name = "UUID")]
    uuid: Option<String>,
}

impl IdArgs {
    /// The new vCon's uuid: --uuid, else a UUIDv8 for --domain or the host name.
    pub fn uuid(&self) -> Result<Uuid> {
        if let Some(u) = &self.uuid {
            return u
                .parse()
                .map_err(|e| UsageError(format!("--uuid {u}: {e}")).into());
        }
        let domain = self.domain.clone().unwrap_or_else(host_name);
        Ok(IdGenerator::new(domain).generate())
    }
}

/// The host name, for UUIDv8 ids when no domain is given.
fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Writes the new vCon; returns the name of where it went (`-` for stdout).
pub fn write_vcon(output: Option<&Path>, bytes: &[u8]) -> Result<String> {
    write_output(output, bytes)?;
    Ok(output.map_or_else(|| "-".to_owned(), |p| p.display().to_string()))
}

/// Sends a finished report where the vCon did not go.
pub fn emit_report(out_name: &str, report: &[u8]) -> Result<()> {
    if out_name == "-" {
        std::io::stderr().lock().write_all(report)?;
    } else {
        std::io::stdout().lock().write_all(report)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonRefusal<'a> {
    path: &'a str,
    ok: bool,
    pointer: &'a str,
    error: &'a str,
}

/// Reports an input the command cannot process (exit status 1).
pub fn refuse(ctx: &Ctx, what: &str, name: &str, pointer: &str, message: &str) -> Result<Status> {
    let mut err = std::io::stderr().lock();
    match ctx.format {
        Format::Json => crate::output::json_line(
            &mut err,
            &JsonRefusal {
                path: name,
                ok: false,
                pointer,
                error: message,
            },
        )?,
        Format::Text => writeln!(
            err,
            "vcon: {} {name}: {message}",
            ctx.err.paint(Style::Red, &format!("cannot {what}:"))
        )?,
    }
    Ok(Status::Failed)
}

#[derive(Serialize)]
struct JsonReport<'a> {
    path: &'a str,
    output: &'a str,
    uuid: &'a serde_json::Value,
    amended: &'a serde_json::Value,
    dropped: &'a [String],
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        let input = Input::from_arg(&self.input);
        let name = input.name();
        let bytes = input.read_all()?;
        let options = AmendOptions {
            prior_url: self.prior_url.clone(),
            ..AmendOptions::new(self.id.uuid()?)
        };
        let result = match &self.payload {
            Some(p) => {
                let payload = Input::from_arg(p).read_all()?;
                amend_verified(&bytes, &payload, &options)
            }
            None => amend(&bytes, &options),
        };
        let amendment = match result {
            Ok(a) => a,
            Err(AmendError::Read(e)) => return Err(UsageError(format!("{name}: {e}")).into()),
            Err(AmendError::BadUrl) => {
                return Err(UsageError(format!("--prior-url: {}", AmendError::BadUrl)).into());
            }
            Err(e) => {
                let hint = match e {
                    AmendError::Signed => {
                        " [here: `vcon verify IN --trust CA -o payload.vcon`, then `vcon amend IN --payload payload.vcon`]"
                    }
                    _ => "",
                };
                let pointer = if matches!(e, AmendError::PayloadMismatch(_)) {
                    "/payload"
                } else {
                    ""
                };
                return refuse(ctx, "amend", &name, pointer, &format!("{e}{hint}"));
            }
        };
        let text = amendment.to_vec_pretty()?;
        let out_name = write_vcon(self.output.as_deref(), &text)?;
        let mut report = Vec::new();
        match ctx.format {
            Format::Json => crate::output::json_line(
                &mut report,
                &JsonReport {
                    path: &name,
                    output: &out_name,
                    uuid: &amendment.vcon["uuid"],
                    amended: &amendment.vcon["amended"],
                    dropped: &amendment.dropped,
                },
            )?,
            Format::Text => text_report(&mut report, ctx, &name, &out_name, &amendment)
                .context("cannot format the report")?,
        }
        emit_report(&out_name, &report)?;
        Ok(Status::Ok)
    }
}

fn text_report(
    out: &mut Vec<u8>,
    ctx: &Ctx,
    name: &str,
    out_name: &str,
    a: &Amendment,
) -> std::io::Result<()> {
    let painter = if out_name == "-" { ctx.err } else { ctx.out };
    writeln!(
        out,
        "{name}: amended copy {} (amended.uuid {}, content_hash {})",
        painter.paint(Style::Cyan, a.vcon["uuid"].as_str().unwrap_or("?")),
        a.prior_uuid.as_deref().unwrap_or("(none: IN has no uuid)"),
        a.prior_content_hash
    )?;
    for d in &a.dropped {
        writeln!(
            out,
            "  dropped {d}: a vCon is either redacted or amended (R-8)"
        )?;
    }
    if out_name != "-" {
        writeln!(out, "wrote {out_name}")?;
    }
    Ok(())
}
