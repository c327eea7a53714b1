//! `vcon new`: build a vCon from flags and files, through `vcon_core::build::VconBuilder`.

mod spec;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::{Parser, ValueEnum};
use serde::Serialize;
use vcon_core::build::{BuildError, VconBuilder};
use vcon_core::hash::HashAlg;
use vcon_core::id::IdGenerator;
use vcon_core::model::{CC_EXTENSION, Vcon};

use crate::cli::{Command, Ctx, Spec, Status, UsageError, spec};
use crate::input::write_output;
use crate::output::{Format, Style};

/// Registration of `vcon new`.
pub const SPEC: Spec = spec::<Args>("new");

const LONG_ABOUT: &str = "\
Build a new vCon (syntax 0.4.0) from flags and files. The result is checked by the
builder (every party and dialog index, dates, https URLs, content hashes) and validated
strictly before it is written, as pretty JSON, to OUT (-o) or standard output.

Parties (--party, repeatable; the first is party 0) are comma-separated key=value pairs:
  tel, sip, mailto, name, did, validation, gmlpos, uuid, type, org, dept, stir,
  role and contact_list (CC extension members: `CC` is added to `extensions`).
Write `\\,` for a comma inside a value. Give `validation` (e.g. validation=none) with
`name`, or validation warns (R-38).

Dialogs, in the order given on the command line:
  --text 'PARTIES:MESSAGE'      a text/plain message; PARTIES such as `0` or `0,1`
                                (sender first, then recipients)
  --text-file 'PARTIES:FILE'    the same, the message read from FILE (UTF-8)
  --recording FILE              a recording, inline (base64url); mediatype from the file
                                extension (.wav .mp3 .m4a .ogg .mp4 ...) or --mediatype
  --recording-url URL --recording-file FILE
                                a recording at an https URL; its content_hash is computed
                                from FILE, the same bytes the URL serves (pairs match in order)
Recordings involve every party unless --recording-parties says otherwise. Every dialog
starts at --start (default: --created-at, default: now).

The uuid is a UUIDv8 (core-03 §uuid) made from the time and --domain (or $VCON_DOMAIN,
else the host name), unless --uuid gives one.

With -o, a report is printed on standard output (text: `wrote OUT (uuid ...)`; JSON:
{\"output\":\"chat.vcon\",\"uuid\":\"...\",\"parties\":2,\"dialog\":1,\"bytes\":612}).
Without -o the vCon goes to standard output, and a JSON report (--format json) to
standard error.

Examples:
  vcon new --party 'tel=+15551230001,name=Alice' --party 'mailto=bob@example.com,name=Bob' \\
           --text '0,1:Hello Bob' --text '1,0:Hi Alice' -o chat.vcon
  vcon new --domain example.com --subject 'Support call' \\
           --party 'tel=+15551230001,name=Alice,role=customer' --party 'name=Bob,role=agent' \\
           --recording call.wav --tag category=billing -o call.vcon
  vcon new --party 'name=Alice' --party 'name=Bob' \\
           --recording-url https://media.example.com/call.mp3 --recording-file call.mp3 \\
           --start 2026-06-29T23:11:19Z | vcon show -

Exit status:
  0  written
  1  the vCon was assembled but fails strict validation (the findings are listed)
  2  usage error (bad flag value, party index out of range, non-https URL, bad date),
     a file cannot be read, or OUT cannot be written";

/// `vcon new` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Build a new vCon from parties, messages and recordings",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// A party as key=value pairs, e.g. 'tel=+15551230001,name=Alice'. Repeatable; the first is party 0.
    #[arg(long = "party", value_name = "SPEC")]
    parties: Vec<String>,

    /// A text message dialog: 'PARTIES:MESSAGE', e.g. '0,1:Hello' (sender first). Repeatable.
    #[arg(long = "text", value_name = "PARTIES:MESSAGE")]
    texts: Vec<String>,

    /// A text message dialog read from a file: 'PARTIES:FILE'. Repeatable.
    #[arg(long = "text-file", value_name = "PARTIES:FILE")]
    text_files: Vec<String>,

    /// A recording dialog with FILE inline (base64url). Repeatable.
    #[arg(long = "recording", value_name = "FILE")]
    recordings: Vec<PathBuf>,

    /// A recording dialog at an https URL; pair each with a --recording-file. Repeatable.
    #[arg(
        long = "recording-url",
        value_name = "URL",
        requires = "recording_files"
    )]
    recording_urls: Vec<String>,

    /// The bytes served at the matching --recording-url, to compute its content_hash.
    #[arg(
        long = "recording-file",
        value_name = "FILE",
        requires = "recording_urls"
    )]
    recording_files: Vec<PathBuf>,

    /// Parties of the recordings, e.g. '0,1' (default: every party).
    #[arg(long, value_name = "PARTIES")]
    recording_parties: Option<String>,

    /// Media type of the recordings, instead of guessing it from the file extension.
    #[arg(long, value_name = "TYPE")]
    mediatype: Option<String>,

    /// The vCon's subject.
    #[arg(long)]
    subject: Option<String>,

    /// A tag, as NAME=VALUE (vcon-lib tags attachment; needs a party and a dialog). Repeatable.
    #[arg(long = "tag", value_name = "NAME=VALUE")]
    tags: Vec<String>,

    /// List an extension in `extensions`. Repeatable.
    #[arg(long = "extension", value_name = "NAME")]
    extensions: Vec<String>,

    /// List an extension in `critical` (and `extensions`). Repeatable.
    #[arg(long = "critical", value_name = "NAME")]
    critical: Vec<String>,

    /// Domain name for the UUIDv8 (default: $VCON_DOMAIN, else the host name).
    #[arg(long, env = "VCON_DOMAIN", value_name = "DOMAIN")]
    domain: Option<String>,

    /// Use this uuid instead of making one.
    #[arg(long, value_name = "UUID", conflicts_with = "domain")]
    uuid: Option<String>,

    /// created_at, RFC 3339 (default: now).
    #[arg(long, value_name = "DATE")]
    created_at: Option<String>,

    /// Start of every dialog, RFC 3339 (default: created_at).
    #[arg(long, value_name = "DATE")]
    start: Option<String>,

    /// Add a token of this algorithm to computed content hashes (sha512 is always there). Repeatable.
    #[arg(long = "hash-alg", value_enum, value_name = "ALG")]
    hash_algs: Vec<ExtraAlg>,

    /// Leave out the deprecated `vcon: \"0.4.0\"` member.
    #[arg(long)]
    no_syntax_version: bool,

    /// Where to write the vCon (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,

    /// Write compact JSON instead of pretty JSON.
    #[arg(long)]
    compact: bool,
}

/// Extra content-hash algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ExtraAlg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
}

/// One dialog to add, with the flag it came from (for error messages).
enum Source {
    Text(String),
    TextFile(String),
    Recording(PathBuf),
    External(String, PathBuf),
}

impl Source {
    fn flag(&self) -> String {
        match self {
            Self::Text(s) => format!("--text '{s}'"),
            Self::TextFile(s) => format!("--text-file '{s}'"),
            Self::Recording(p) => format!("--recording {}", p.display()),
            Self::External(u, _) => format!("--recording-url {u}"),
        }
    }
}

#[derive(Serialize)]
struct Report<'a> {
    output: &'a str,
    uuid: Option<&'a str>,
    parties: usize,
    dialog: usize,
    bytes: usize,
}

impl Args {
    /// The dialogs, in command-line order.
    fn sources(&self, ctx: &Ctx) -> Result<Vec<Source>> {
        if self.recording_urls.len() != self.recording_files.len() {
            return Err(UsageError(format!(
                "{} --recording-url but {} --recording-file: give one file per URL, in the same order",
                self.recording_urls.len(),
                self.recording_files.len()
            ))
            .into());
        }
        let at = |id: &str| -> Vec<usize> {
            ctx.matches
                .indices_of(id)
                .map(Iterator::collect)
                .unwrap_or_default()
        };
        let mut all: Vec<(usize, Source)> = Vec::new();
        all.extend(
            at("texts")
                .into_iter()
                .zip(self.texts.iter().cloned().map(Source::Text)),
        );
        all.extend(
            at("text_files")
                .into_iter()
                .zip(self.text_files.iter().cloned().map(Source::TextFile)),
        );
        all.extend(
            at("recordings")
                .into_iter()
                .zip(self.recordings.iter().cloned().map(Source::Recording)),
        );
        all.extend(
            at("recording_urls").into_iter().zip(
                self.recording_urls
                    .iter()
                    .cloned()
                    .zip(self.recording_files.iter().cloned())
                    .map(|(u, f)| Source::External(u, f)),
            ),
        );
        all.sort_by_key(|(i, _)| *i);
        Ok(all.into_iter().map(|(_, s)| s).collect())
    }

    fn builder(&self, sources: &[Source], now: &str) -> Result<VconBuilder> {
        let mut b = VconBuilder::new();
        b = match (&self.uuid, &self.domain) {
            (Some(u), _) => b.uuid(
                u.parse()
                    .map_err(|e| UsageError(format!("--uuid {u}: not a UUID: {e}")))?,
            ),
            (None, Some(d)) => b.uuid_from(&IdGenerator::new(d.as_str())),
            (None, None) => b.uuid_from(&IdGenerator::new(host_name())),
        };
        let created = self.created_at.clone().unwrap_or_else(|| now.to_owned());
        let start = self.start.clone().unwrap_or_else(|| created.clone());
        b = b.created_at(created.as_str());
        if let Some(s) = &self.subject {
            b = b.subject(s.as_str());
        }
        let extra: Vec<HashAlg> = self
            .hash_algs
            .iter()
            .map(|a| match a {
                ExtraAlg::Sha256 => HashAlg::Sha256,
                ExtraAlg::Sha384 => HashAlg::Sha384,
            })
            .collect();
        b = b.hash_algorithms(&extra);
        for p in &self.parties {
            let (party, uses_cc) = spec::party(p)?;
            b = b.party(party);
            if uses_cc {
                b = b.extension(CC_EXTENSION);
            }
        }
        if !sources.is_empty() && self.parties.is_empty() {
            return Err(
                UsageError("a dialog needs parties: give at least one --party".to_owned()).into(),
            );
        }
        let everyone: Vec<u64> = (0..self.parties.len() as u64).collect();
        let rec_parties = match &self.recording_parties {
            Some(list) => spec::indices(list, "--recording-parties", list)?,
            None => everyone,
        };
        for source in sources {
            b = match source {
                Source::Text(s) => {
                    let (parties, text) = spec::parties_and(s, "--text")?;
                    b.dialog_text(parties, start.as_str(), text)
                }
                Source::TextFile(s) => {
                    let (parties, file) = spec::parties_and(s, "--text-file")?;
                    let text = std::fs::read_to_string(file).with_context(|| {
                        format!("--text-file '{s}': cannot read {file} as UTF-8 text")
                    })?;
                    b.dialog_text(parties, start.as_str(), text)
                }
                Source::Recording(path) => {
                    let bytes = std::fs::read(path)
                        .with_context(|| format!("--recording: cannot read {}", path.display()))?;
                    let name = file_name(path);
                    let mediatype = self.recording_mediatype(&name, "--recording")?;
                    b.dialog_recording_inline(
                        rec_parties.clone(),
                        start.as_str(),
                        &bytes,
                        &mediatype,
                        Some(&name),
                    )
                }
                Source::External(url, path) => {
                    let bytes = std::fs::read(path).with_context(|| {
                        format!("--recording-file: cannot read {}", path.display())
                    })?;
                    let mediatype = self
                        .mediatype
                        .clone()
                        .or_else(|| {
                            spec::mediatype_for(url.split(['?', '#']).next().unwrap_or(url))
                                .map(str::to_owned)
                        })
                        .or_else(|| spec::mediatype_for(&file_name(path)).map(str::to_owned));
                    b.dialog_recording_external(
                        rec_parties.clone(),
                        start.as_str(),
                        url.as_str(),
                        &bytes,
                        mediatype.as_deref(),
                    )
                }
            };
        }
        for t in &self.tags {
            let (name, value) = t
                .split_once('=')
                .ok_or_else(|| UsageError(format!("--tag '{t}': expected NAME=VALUE")))?;
            b = b.tag(name.trim(), value.trim());
        }
        for e in &self.extensions {
            b = b.extension(e.as_str());
        }
        for c in &self.critical {
            b = b.critical(c.as_str());
        }
        if self.no_syntax_version {
            b = b.omit_syntax_version();
        }
        Ok(b)
    }

    fn recording_mediatype(&self, name: &str, flag: &str) -> Result<String, UsageError> {
        if let Some(m) = &self.mediatype {
            return Ok(m.clone());
        }
        spec::mediatype_for(name).map(str::to_owned).ok_or_else(|| {
            UsageError(format!(
                "{flag} {name}: cannot tell the media type from the file name; give --mediatype (e.g. audio/x-wav)"
            ))
        })
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
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

/// Says which flag a pointer such as `/dialog/2/parties/1` or `/parties/0` comes from.
fn hint(pointer: &str, sources: &[Source]) -> String {
    let mut parts = pointer.split('/').skip(1);
    let (Some(array), Some(index)) = (
        parts.next(),
        parts.next().and_then(|i| i.parse::<usize>().ok()),
    ) else {
        return String::new();
    };
    match array {
        "dialog" => sources.get(index).map_or_else(String::new, |s| {
            format!(" [dialog {index} is {}]", s.flag())
        }),
        "parties" => format!(" [party {index} is --party number {}]", index + 1),
        _ => String::new(),
    }
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let sources = self.sources(ctx)?;
        let builder = self.builder(&sources, &now)?;
        let vcon = match builder.build() {
            Ok(v) => v,
            Err(BuildError::Invalid { findings }) => {
                let mut err = std::io::stderr().lock();
                writeln!(
                    err,
                    "vcon: {} the assembled vCon fails strict validation:",
                    ctx.err.paint(Style::Red, "cannot build:")
                )?;
                for f in &findings {
                    let at = if f.pointer.is_empty() {
                        "(document)"
                    } else {
                        &f.pointer
                    };
                    writeln!(
                        err,
                        "  {} {} {at}: {}{}",
                        f.severity,
                        f.rule,
                        f.message,
                        hint(&f.pointer, &sources)
                    )?;
                }
                return Ok(Status::Failed);
            }
            Err(e) => {
                let h = e.pointer().map_or_else(String::new, |p| hint(p, &sources));
                return Err(UsageError(format!("cannot build the vCon: {e}{h}")).into());
            }
        };
        write(ctx, &self, &vcon)
    }
}

fn write(ctx: &Ctx, args: &Args, vcon: &Vcon) -> Result<Status> {
    let mut bytes = if args.compact {
        vcon.to_vec()
    } else {
        vcon.to_vec_pretty()
    }
    .map_err(|e| anyhow::anyhow!("cannot serialise the vCon: {e}"))?;
    bytes.push(b'\n');
    write_output(args.output.as_deref(), &bytes)?;
    let to_file = args.output.as_deref().filter(|p| *p != Path::new("-"));
    let output = to_file.map_or_else(|| "-".to_owned(), |p| p.display().to_string());
    let report = Report {
        output: &output,
        uuid: vcon.uuid.as_deref(),
        parties: vcon.parties().len(),
        dialog: vcon.dialogs().len(),
        bytes: bytes.len(),
    };
    match (ctx.format, to_file.is_some()) {
        (Format::Json, true) => crate::output::json_line(&mut std::io::stdout().lock(), &report)?,
        (Format::Json, false) => crate::output::json_line(&mut std::io::stderr().lock(), &report)?,
        (Format::Text, true) => writeln!(
            std::io::stdout().lock(),
            "wrote {output} (uuid {}, {} parties, {} dialogs)",
            report.uuid.unwrap_or("-"),
            report.parties,
            report.dialog
        )?,
        (Format::Text, false) => {}
    }
    Ok(Status::Ok)
}
