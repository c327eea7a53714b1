//! `vcon lineage`: prove that a redacted or amended vCon derives from an
//! original (hash, uuid and item-by-item content).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;
use serde::Serialize;
use vcon_core::lineage::{
    DiffKind, HashStatus, LineageOptions, LineageReport, Relation, check_lineage,
};

use super::redact::load_policy;
use crate::cli::{Command, Ctx, Spec, Status, UsageError, spec};
use crate::input::Input;
use crate::output::{Format, Style};

/// Registration of `vcon lineage`.
pub const SPEC: Spec = spec::<Args>("lineage");

const LONG_ABOUT: &str = "\
Prove that DERIVED is the redacted or amended version of ORIGINAL that it says it is
(core-03 §redacted, §amended; digest §6):

  hash     the content_hash in DERIVED's `redacted`/`amended` matches ORIGINAL's exact bytes
           (when it declares none, as the draft's A.8 and A.9 examples, only uuid and
           content can be checked: the report says so; --require-hash makes it a failure)
  uuid     the reference's uuid is ORIGINAL's uuid, and DERIVED has a uuid of its own
  content  redacted: every item of ORIGINAL is unchanged, removed (a `{}` placeholder or a
           dropped member) or masked (the same text with spans replaced by masks such as
           [PHONE], {{URL}}, <NAME>, or a WAV with samples set to silence); nothing added
           amended: every item of ORIGINAL is kept at the same index; additions are listed

Every difference is listed with its JSON pointer and kind (removed, masked, added, changed);
values are never printed. uuid, updated_at and the references themselves are not compared.
A signed ORIGINAL is compared through its payload (not verified here: use `vcon verify`).
--policy reads the masks of a redaction policy, for masks not in brackets.

With --format json, one document:
  {\"derived\":\"red.vcon\",\"original\":\"call.vcon\",\"relation\":\"redacted\",\"holds\":true,
   \"derived_uuid\":\"...\",\"original_uuid\":\"...\",\"referenced_uuid\":\"...\",
   \"hash\":{\"status\":\"verified\"},\"content_checked\":true,
   \"differences\":[{\"pointer\":\"/parties/0/tel\",\"kind\":\"removed\",\"detail\":\"member `tel` removed\"}],
   \"problems\":[],\"notes\":[]}
(`hash.status` is verified, mismatch (with declared and computed), not_declared or invalid.)

Examples:
  vcon lineage call-redacted.vcon call.vcon
  vcon lineage --format json call-v2.vcon call.vcon | jq '.differences[] | select(.kind==\"added\")'

Exit status:
  0  the relationship holds
  1  it does not: see the problems listed
  2  usage error, or a file cannot be read or is not a vCon";

/// `vcon lineage` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Prove that a redacted or amended vCon derives from an original (hash, uuid, content)",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// The redacted or amended vCon, or `-` for standard input.
    #[arg(value_name = "DERIVED")]
    derived: PathBuf,

    /// The vCon it says it derives from (the exact bytes that were hashed).
    #[arg(value_name = "ORIGINAL")]
    original: PathBuf,

    /// A redaction policy whose masks (including custom ones) count as masks.
    #[arg(short, long, value_name = "POLICY")]
    policy: Option<PathBuf>,

    /// Fail when DERIVED's reference declares no content_hash.
    #[arg(long)]
    require_hash: bool,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    derived: &'a str,
    original: &'a str,
    #[serde(flatten)]
    report: &'a LineageReport,
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        let masks = match &self.policy {
            Some(p) => load_policy(p)?.0.mask_texts(),
            None => Vec::new(),
        };
        let (derived, original) = (
            Input::from_arg(&self.derived),
            Input::from_arg(&self.original),
        );
        if derived == Input::Stdin && original == Input::Stdin {
            return Err(UsageError("`-` (standard input) may be given only once".into()).into());
        }
        let (d_bytes, o_bytes) = (derived.read_all()?, original.read_all()?);
        let options = LineageOptions {
            masks,
            require_hash: self.require_hash,
            ..Default::default()
        };
        let report =
            check_lineage(&d_bytes, &o_bytes, &options).map_err(|e| UsageError(e.to_string()))?;
        let mut out = std::io::stdout().lock();
        match ctx.format {
            Format::Json => crate::output::json_line(
                &mut out,
                &JsonReport {
                    derived: &derived.name(),
                    original: &original.name(),
                    report: &report,
                },
            )?,
            Format::Text => {
                let mut text = Vec::new();
                text_report(&mut text, ctx, &derived.name(), &original.name(), &report)?;
                out.write_all(&text)?;
            }
        }
        Ok(if report.holds {
            Status::Ok
        } else {
            Status::Failed
        })
    }
}

fn text_report(
    out: &mut Vec<u8>,
    ctx: &Ctx,
    derived: &str,
    original: &str,
    r: &LineageReport,
) -> std::io::Result<()> {
    let p = ctx.out;
    let relation = match r.relation {
        Some(Relation::Redacted) => "a redacted version",
        Some(Relation::Amended) => "an amended version",
        None => "a version",
    };
    let verdict = if r.holds {
        p.paint(Style::Green, "HOLDS")
    } else {
        p.paint(Style::Red, "DOES NOT HOLD")
    };
    writeln!(out, "{derived} is {relation} of {original}: {verdict}")?;
    let uuid_line = match (&r.referenced_uuid, &r.original_uuid) {
        (Some(a), Some(b)) if a == b => format!("reference names {a}, the original's uuid"),
        (Some(a), Some(b)) => format!("reference names {a}, the original is {b}"),
        (None, _) => "the reference names no uuid".to_owned(),
        (Some(a), None) => format!("reference names {a}, the original has no uuid"),
    };
    writeln!(out, "  uuid          {uuid_line}")?;
    let hash = match &r.hash {
        HashStatus::Verified => "verified against the original's bytes".to_owned(),
        HashStatus::NotDeclared => "not declared: only uuid and content were checked".to_owned(),
        HashStatus::Mismatch { declared, computed } => {
            format!("MISMATCH: declared {declared}, the original's bytes give {computed}")
        }
        HashStatus::Invalid { reason } => format!("invalid: {reason}"),
    };
    writeln!(out, "  content_hash  {hash}")?;
    if r.content_checked {
        let n = |k| r.count(k);
        writeln!(
            out,
            "  content       {} removed, {} masked, {} added, {} changed",
            n(DiffKind::Removed),
            n(DiffKind::Masked),
            n(DiffKind::Added),
            n(DiffKind::Changed)
        )?;
    } else {
        writeln!(out, "  content       not compared")?;
    }
    for d in &r.differences {
        let kind = format!("{:<8}", format!("{:?}", d.kind).to_lowercase());
        let style = match d.kind {
            DiffKind::Changed => Style::Red,
            DiffKind::Added if r.relation == Some(Relation::Redacted) => Style::Red,
            _ => Style::Dim,
        };
        writeln!(
            out,
            "    {} {}: {}",
            p.paint(style, &kind),
            d.pointer,
            d.detail
        )?;
    }
    for problem in &r.problems {
        writeln!(out, "  {} {problem}", p.paint(Style::Red, "problem:"))?;
    }
    for note in &r.notes {
        writeln!(out, "  {} {note}", p.paint(Style::Yellow, "note:"))?;
    }
    Ok(())
}
