//! `vcon redact`: a new vCon with PII removed or masked by a TOML policy,
//! referencing the original by `redacted: {uuid, type, content_hash}`.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::Parser;
use serde::Serialize;
use vcon_core::redact::{
    Action, RedactError, RedactOptions, Redaction, RedactionPolicy, RedactionReport, redact,
    redact_verified,
};

use super::amend::{IdArgs, emit_report, refuse, write_vcon};
use crate::cli::{Command, Ctx, Spec, Status, UsageError, spec};
use crate::input::Input;
use crate::output::{Format, Style};

/// Registration of `vcon redact`.
pub const SPEC: Spec = spec::<Args>("redact");

const LONG_ABOUT: &str = "\
Make a redacted version of a vCon (core-03 §redacted, digest §6.1): a new vCon with a new
uuid, in which each datum of IN is removed, partly masked or copied as it is, and
`redacted: {uuid, type, content_hash}` names IN (content_hash = sha512 of IN's exact bytes,
so `vcon lineage OUT IN` can prove the link).

The policy (a TOML file, see docs/redaction-policy.example.toml) chooses:
  [parties]      remove = [2]; drop_members = [\"tel\", \"mailto\"]; replace_members = {name = \"[NAME]\"}
  [media]        dialogs = [0]; dialog_types = [\"recording\"]; mediatypes = [\"audio/*\"];
                 attachment_purposes = [...]: body/url removed, content_hash kept
  [analysis]     remove_types = [\"summary\"]       [attachments] remove_purposes = [...]
  [pii]          phone, email, card (Luhn), ssn, iban (mod-97), ip, dob = \"cue\"|\"all\"|\"off\",
                 party_identifiers (the parties' own tel/mailto/name), where to look, masks,
                 [[pii.custom]] name/pattern/replacement
  [audio]        silence = true; pad_seconds; unsupported = \"refuse\"|\"remove\"
Without --policy every PII kind is masked and nothing is removed. Removed array elements
leave `{}` so indices stay valid. Inline PCM WAV recordings are silenced during the masked
words of word-timed transcripts; a recording that cannot be silenced (external url, not
PCM WAV) is refused unless the policy removes it or says unsupported = \"remove\".

The new vCon goes to OUT (-o) or standard output. The report (what was removed, masked,
silenced, by kind and JSON pointer; never the PII itself) goes to standard output when -o
names a file, to standard error otherwise. With --format json:
  {\"path\":\"call.vcon\",\"output\":\"red.vcon\",\"original_uuid\":\"...\",\"redacted_uuid\":\"...\",
   \"original_content_hash\":\"sha512-...\",\"counts\":{\"phone\":3,\"party\":1},
   \"items\":[{\"pointer\":\"/dialog/0/body\",\"action\":\"masked\",\"kind\":\"phone\",\"count\":2}],
   \"notes\":[{\"pointer\":\"...\",\"message\":\"...\"}],\"silenced_seconds\":{\"/dialog/0\":1.2}}

A signed IN is refused; verify it and pass its payload with --payload (content_hash then
covers the signed bytes):  vcon verify IN --trust CA -o payload.vcon
                           vcon redact IN --payload payload.vcon --policy p.toml -o red.vcon

Examples:
  vcon redact call.vcon --policy pii.toml -o call-redacted.vcon
  vcon redact call.vcon --format json -o red.vcon | jq .counts

Exit status:
  0  the redacted vCon was written
  1  IN cannot be redacted: signed/encrypted, legacy syntax, invalid, or a recording must
     be silenced and cannot be
  2  usage error (bad policy file: line and column are given; a policy index out of range),
     IN cannot be read or is not JSON, or OUT cannot be written";

/// `vcon redact` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Remove and mask PII by a TOML policy into a new vCon that references the original",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// The vCon to redact (JSON or gzip), or `-` for standard input.
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// The redaction policy (TOML); default: mask every kind of PII, remove nothing.
    #[arg(short, long, value_name = "POLICY")]
    policy: Option<PathBuf>,

    /// Where to write the redacted vCon (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    /// For a signed IN: its verified payload (as `vcon verify -o` writes it).
    #[arg(long, value_name = "PAYLOAD")]
    payload: Option<PathBuf>,

    #[command(flatten)]
    id: IdArgs,
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// The span in the TOML text of the value at a JSON pointer (`/pii/custom/0/pattern`),
/// or of its deepest existing parent.
fn span_of(text: &str, pointer: &str) -> Option<Range<usize>> {
    use toml::de::{DeTable, DeValue};
    let root = DeTable::parse(text).ok()?;
    let mut span = None;
    let mut table = Some(root.get_ref());
    let mut value: Option<&DeValue<'_>> = None;
    for token in pointer.split('/').skip(1) {
        let next = match (table, value) {
            (Some(t), _) => t.iter().find(|(k, _)| k.get_ref() == token).map(|(_, v)| v),
            (None, Some(DeValue::Array(a))) => token.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        };
        let Some(next) = next else { break };
        span = Some(next.span());
        value = Some(next.get_ref());
        table = match next.get_ref() {
            DeValue::Table(t) => Some(t),
            _ => None,
        };
    }
    span
}

/// Reads and checks a policy file; errors name the file, line and column.
pub fn load_policy(path: &Path) -> Result<(RedactionPolicy, String)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| UsageError(format!("{}: not UTF-8: {e}", path.display())))?;
    let policy: RedactionPolicy = toml::from_str(&text).map_err(|e| {
        let (line, col) = e.span().map_or((1, 1), |s| line_col(&text, s.start));
        UsageError(format!(
            "{}:{line}:{col}: {}",
            path.display(),
            e.message().trim()
        ))
    })?;
    policy
        .check()
        .map_err(|e| policy_error(path, &text, &e.pointer, &e.message))?;
    Ok((policy, text))
}

/// A policy problem at a pointer, located in the file when possible.
fn policy_error(path: &Path, text: &str, pointer: &str, message: &str) -> anyhow::Error {
    let at = match span_of(text, pointer) {
        Some(s) => {
            let (line, col) = line_col(text, s.start);
            format!("{}:{line}:{col}", path.display())
        }
        None => path.display().to_string(),
    };
    UsageError(format!("{at}: {pointer}: {message}")).into()
}

#[derive(Serialize)]
struct JsonReport<'a> {
    path: &'a str,
    output: &'a str,
    #[serde(flatten)]
    report: &'a RedactionReport,
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        let input = Input::from_arg(&self.input);
        let name = input.name();
        let (policy, policy_text) = match &self.policy {
            Some(p) => load_policy(p)?,
            None => (RedactionPolicy::default(), String::new()),
        };
        let bytes = input.read_all()?;
        let options = RedactOptions::new(self.id.uuid()?);
        let result = match &self.payload {
            Some(p) => {
                let payload = Input::from_arg(p).read_all()?;
                redact_verified(&bytes, &payload, &policy, &options)
            }
            None => redact(&bytes, &policy, &options),
        };
        let redaction = match result {
            Ok(r) => r,
            Err(RedactError::Read(e)) => return Err(UsageError(format!("{name}: {e}")).into()),
            Err(RedactError::Policy(e)) => {
                return Err(match &self.policy {
                    Some(p) => policy_error(p, &policy_text, &e.pointer, &e.message),
                    None => UsageError(e.to_string()).into(),
                });
            }
            Err(e) => {
                let hint = if matches!(e, RedactError::Envelope { .. }) {
                    " [here: `vcon verify IN --trust CA -o payload.vcon`, then add `--payload payload.vcon`]"
                } else {
                    ""
                };
                return refuse(ctx, "redact", &name, e.pointer(), &format!("{e}{hint}"));
            }
        };
        let text = redaction.to_vec_pretty()?;
        let out_name = write_vcon(self.output.as_deref(), &text)?;
        let mut report = Vec::new();
        match ctx.format {
            Format::Json => crate::output::json_line(
                &mut report,
                &JsonReport {
                    path: &name,
                    output: &out_name,
                    report: &redaction.report,
                },
            )?,
            Format::Text => text_report(&mut report, ctx, &name, &out_name, &redaction)
                .context("cannot format the report")?,
        }
        emit_report(&out_name, &report)?;
        Ok(Status::Ok)
    }
}

/// Detail lines shown in text; the rest is summarised (JSON has them all).
const MAX_DETAIL_LINES: usize = 40;

fn text_report(
    out: &mut Vec<u8>,
    ctx: &Ctx,
    name: &str,
    out_name: &str,
    redaction: &Redaction,
) -> std::io::Result<()> {
    let p = if out_name == "-" { ctx.err } else { ctx.out };
    let r = &redaction.report;
    writeln!(
        out,
        "{name}: redacted copy {} (redacted.uuid {}, content_hash {})",
        p.paint(Style::Cyan, &r.redacted_uuid),
        r.original_uuid.as_deref().unwrap_or("(none)"),
        r.original_content_hash
    )?;
    if r.is_empty() {
        writeln!(
            out,
            "  nothing matched the policy: the copy differs only in uuid, updated_at and redacted"
        )?;
    }
    let mut by_action: BTreeMap<Action, BTreeMap<&str, usize>> = BTreeMap::new();
    for i in &r.items {
        *by_action
            .entry(i.action)
            .or_default()
            .entry(&i.kind)
            .or_default() += i.count;
    }
    for (action, kinds) in &by_action {
        let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let label = format!("{:<9}", action.to_string());
        writeln!(
            out,
            "  {} {}",
            p.paint(Style::Bold, &label),
            list.join(", ")
        )?;
    }
    for (dialog, seconds) in &r.silenced_seconds {
        writeln!(out, "  {:<9} {seconds:.3} s of audio in {dialog}", "")?;
    }
    for i in r.items.iter().take(MAX_DETAIL_LINES) {
        let times = if i.count > 1 {
            format!(" x{}", i.count)
        } else {
            String::new()
        };
        writeln!(
            out,
            "    {:<9} {} {}{times}",
            i.action.to_string(),
            p.paint(Style::Cyan, &i.pointer),
            i.kind
        )?;
    }
    if r.items.len() > MAX_DETAIL_LINES {
        writeln!(
            out,
            "    ... {} more (--format json lists them all)",
            r.items.len() - MAX_DETAIL_LINES
        )?;
    }
    for n in &r.notes {
        writeln!(
            out,
            "  {} {}: {}",
            p.paint(Style::Yellow, "note:"),
            n.pointer,
            n.message
        )?;
    }
    if out_name != "-" {
        writeln!(out, "wrote {out_name}")?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_pointers() {
        let text = "redaction_type = \"X\"\n[pii]\nphone = true\n[[pii.custom]]\nname = \"a\"\npattern = \"(\"\n";
        let s = span_of(text, "/pii/custom/0/pattern").unwrap();
        assert_eq!(line_col(text, s.start), (6, 11));
        let s = span_of(text, "/pii/phone").unwrap();
        assert_eq!(line_col(text, s.start).0, 3);
        // A missing member: the deepest parent that exists.
        let s = span_of(text, "/pii/masks/ssn").unwrap();
        assert_eq!(line_col(text, s.start).0, 2);
        assert!(span_of(text, "/parties/remove/1").is_none());
    }
}
