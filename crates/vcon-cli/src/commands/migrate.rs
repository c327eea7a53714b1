//! `vcon migrate`: upgrade a legacy vCon (syntax 0.0.1, 0.0.2, 0.3.0) to 0.4.0.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Parser;
use serde::Serialize;
use vcon_core::migrate::{
    Change, MigrateError, MigrateOptions, Migration, SignedPolicy, migrate_with,
};
use vcon_core::read::{ReadLimits, read};

use crate::cli::{Command, Ctx, Spec, Status, spec};
use crate::input::{Input, write_output};
use crate::output::{Format, Painter, Style};

/// Registration of `vcon migrate`.
pub const SPEC: Spec = spec::<Args>("migrate");

const LONG_ABOUT: &str = "\
Upgrade a legacy vCon (syntax 0.0.1, 0.0.2 or 0.3.0, or a mixture) to syntax 0.4.0
(draft-ietf-vcon-vcon-core-03), following the digest's legacy map (§11): `mimetype` →
`mediatype`, `alg`+`signature` → `content_hash`, `appended` → `amended`, `must_support` →
`critical`, hyphenated transfer members, string `session_id`, attachment `type` → `purpose`,
empty leftovers (`group: []`, `redacted: {}`) removed, and `vcon` set to \"0.4.0\".

Member order and unknown members are kept. Nothing is silently dropped: data with no 0.4.0
place is moved under `legacy_preserved` in the object it came from, and listed. A vCon
already in 0.4.0 syntax is written back unchanged (migrating twice = migrating once).

The upgraded vCon is written as pretty JSON to OUT (-o), or to standard output. The list
of changes (kind, JSON pointer in the result, description) is a report: it goes to
standard error when the vCon goes to standard output, and to standard output when -o
names a file (or with --dry-run). With --format json the report is one JSON document:
  {\"path\":\"old.vcon\",\"output\":\"new.vcon\",\"from\":\"0.0.1\",\"to\":\"0.4.0\",\"changed\":true,
   \"changes\":[{\"pointer\":\"/dialog/0/mediatype\",\"kind\":\"renamed\",
                \"description\":\"`mimetype` renamed to `mediatype`\"}]}

A signed vCon with a legacy payload is refused: changing the payload breaks the JWS
signature. Verify it first, or pass --unverified-payload to drop the envelope and migrate
the payload anyway (the result is unsigned). An encrypted vCon must be decrypted first.

Examples:
  vcon migrate old.vcon -o new.vcon
  vcon migrate old.vcon > new.vcon 2> changes.txt
  vcon migrate --dry-run old.vcon                 # list the changes, write nothing
  vcon migrate --format json old.vcon -o new.vcon | jq '.changes | length'
  cat old.vcon | vcon migrate - | vcon validate -

Exit status:
  0  migrated (or already 0.4.0)
  1  the input cannot be migrated: not a JSON object, no vCon form, encrypted, or a signed
     legacy vCon without --unverified-payload
  2  usage error, or IN cannot be read, or OUT cannot be written";

/// `vcon migrate` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Upgrade a legacy vCon (0.0.1, 0.0.2, 0.3.0) to syntax 0.4.0, listing every change",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// The vCon to migrate (JSON or gzip), or `-` for standard input.
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// Where to write the upgraded vCon (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    /// List the changes only; write no vCon.
    #[arg(short = 'n', long, conflicts_with = "output")]
    dry_run: bool,

    /// For a signed vCon with a legacy payload: drop the JWS envelope WITHOUT verifying it and migrate the payload.
    #[arg(long)]
    unverified_payload: bool,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    path: &'a str,
    output: Option<String>,
    from: &'static str,
    to: &'static str,
    changed: bool,
    changes: &'a [Change],
}

#[derive(Serialize)]
struct JsonRefusal<'a> {
    path: &'a str,
    migrated: bool,
    pointer: &'a str,
    error: &'a str,
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        let input = Input::from_arg(&self.input);
        let name = input.name();
        let bytes = input.read_all()?;
        let limits = ReadLimits::default();
        let doc = match read(&bytes, &limits) {
            Ok(doc) => doc,
            Err(e) => {
                let message = format!("{name}: {e}");
                return refuse(ctx, &name, "", &message);
            }
        };
        let options = MigrateOptions {
            signed: if self.unverified_payload {
                SignedPolicy::MigrateUnverifiedPayload
            } else {
                SignedPolicy::Refuse
            },
            limits,
        };
        let migration = match migrate_with(doc.object, &options) {
            Ok(m) => m,
            Err(e) => {
                let hint = if matches!(e, MigrateError::Signed { .. }) {
                    " [here: pass --unverified-payload]"
                } else {
                    ""
                };
                let message = format!("{name}: {e}{hint}");
                return refuse(ctx, &name, e.pointer(), &message);
            }
        };
        let out_name = if self.dry_run {
            None
        } else {
            let mut text = serde_json::to_vec_pretty(&migration.object)
                .context("cannot serialise the migrated vCon")?;
            text.push(b'\n');
            write_output(self.output.as_deref(), &text)?;
            Some(
                self.output
                    .as_ref()
                    .map_or_else(|| "-".to_owned(), |p| p.display().to_string()),
            )
        };
        // The report goes where the vCon does not.
        let to_stdout = self.dry_run || out_name.as_deref().is_some_and(|o| o != "-");
        let painter = if to_stdout { ctx.out } else { ctx.err };
        let mut report = Vec::new();
        match ctx.format {
            Format::Json => crate::output::json_line(
                &mut report,
                &JsonReport {
                    path: &name,
                    output: out_name.clone(),
                    from: migration.from.as_str(),
                    to: "0.4.0",
                    changed: !migration.is_noop(),
                    changes: &migration.changes,
                },
            )?,
            Format::Text => text_report(
                &mut report,
                &name,
                out_name.as_deref(),
                &migration,
                &painter,
            )?,
        }
        if to_stdout {
            std::io::stdout().lock().write_all(&report)?;
        } else {
            std::io::stderr().lock().write_all(&report)?;
        }
        Ok(Status::Ok)
    }
}

fn text_report(
    out: &mut Vec<u8>,
    name: &str,
    out_name: Option<&str>,
    m: &Migration,
    p: &Painter,
) -> std::io::Result<()> {
    if m.is_noop() {
        writeln!(out, "{name}: already syntax 0.4.0, nothing to change")?;
    } else {
        let n = m.changes.len();
        writeln!(
            out,
            "{name}: syntax {} -> 0.4.0, {n} change{}",
            m.from,
            if n == 1 { "" } else { "s" }
        )?;
        let width = m
            .changes
            .iter()
            .map(|c| c.kind.to_string().len())
            .max()
            .unwrap_or(0);
        for c in &m.changes {
            let pointer = if c.pointer.is_empty() {
                "(document)"
            } else {
                &c.pointer
            };
            write!(out, "  ")?;
            p.write(out, Style::Cyan, &format!("{:<width$}", c.kind.to_string()))?;
            writeln!(out, " {pointer}: {}", c.description)?;
        }
    }
    match out_name {
        Some("-") | None => Ok(()),
        Some(path) => writeln!(out, "wrote {path}"),
    }
}

/// Reports an input that cannot be migrated (exit status 1).
fn refuse(ctx: &Ctx, name: &str, pointer: &str, message: &str) -> Result<Status> {
    let mut err = std::io::stderr().lock();
    match ctx.format {
        Format::Json => crate::output::json_line(
            &mut err,
            &JsonRefusal {
                path: name,
                migrated: false,
                pointer,
                error: message,
            },
        )?,
        Format::Text => writeln!(
            err,
            "vcon: {} {message}",
            ctx.err.paint(Style::Red, "cannot migrate:")
        )?,
    }
    Ok(Status::Failed)
}
