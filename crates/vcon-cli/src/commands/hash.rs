//! `vcon hash`: compute or check `content_hash` tokens of a file.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::{Parser, ValueEnum};
use serde::Serialize;
use vcon_core::hash::{ContentHash, ContentHashes, HashAlg, HashError};

use crate::cli::{Command, Ctx, Spec, Status, UsageError, spec};
use crate::input::Input;
use crate::output::{Format, Style};

/// Registration of `vcon hash`.
pub const SPEC: Spec = spec::<Args>("hash");

const LONG_ABOUT: &str = "\
Compute the content_hash token of a file (core-03 §content_hash), or check a file against
tokens.

A token is `<alg>-<base64url digest, unpadded>`, such as `sha512-GLy6IPaI...`: the value a
vCon gives in `content_hash` next to a `url` for an externally referenced recording or
document. sha512 is required by core-03; sha256 and sha384 may be added.

With --check, the file is hashed with each token's algorithm and compared; every token
must match. Tokens of an algorithm this tool does not know are an error (exit 2).

Text output: one token per line. JSON output:
  {\"path\":\"call.mp3\",\"bytes\":33537,\"tokens\":[\"sha512-...\"],\"content_hash\":\"sha512-...\"}
where `content_hash` is the value to paste into a vCon (a string for one token, an array
for several); with --check:
  {\"path\":\"call.mp3\",\"bytes\":33537,\"match\":true,
   \"checks\":[{\"token\":\"sha512-...\",\"match\":true,\"computed\":\"sha512-...\"}]}

Examples:
  vcon hash recording.mp3
  vcon hash --alg sha256 --alg sha512 --format json recording.mp3
  curl -s https://example.com/rec.mp3 | vcon hash -
  vcon hash --check sha512-GLy6IPaIUM1GqzZq...yj82UQ recording.mp3

Exit status:
  0  tokens printed, or every checked token matches
  1  a checked token does not match
  2  usage error (malformed token, unknown algorithm) or the file cannot be read";

/// `vcon hash` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Compute or check the content_hash token (sha512-...) of a file",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// The file to hash, or `-` for standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Algorithm; repeat for several tokens (default sha512).
    #[arg(long = "alg", value_enum, value_name = "ALG", conflicts_with = "check")]
    algs: Vec<AlgArg>,

    /// Check the file against this token instead of printing; repeatable (all must match).
    #[arg(long, value_name = "TOKEN")]
    check: Vec<String>,
}

/// The `--alg` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AlgArg {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512 (required in every content_hash).
    Sha512,
}

impl From<AlgArg> for HashAlg {
    fn from(a: AlgArg) -> Self {
        match a {
            AlgArg::Sha256 => Self::Sha256,
            AlgArg::Sha384 => Self::Sha384,
            AlgArg::Sha512 => Self::Sha512,
        }
    }
}

#[derive(Serialize)]
struct Computed<'a> {
    path: &'a str,
    bytes: usize,
    tokens: Vec<String>,
    content_hash: serde_json::Value,
}

#[derive(Serialize)]
struct Check {
    token: String,
    #[serde(rename = "match")]
    matches: bool,
    computed: String,
}

#[derive(Serialize)]
struct Checked<'a> {
    path: &'a str,
    bytes: usize,
    #[serde(rename = "match")]
    matches: bool,
    checks: Vec<Check>,
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        // Parse tokens before reading, so that a typo fails fast.
        let tokens = self
            .check
            .iter()
            .map(|t| parse_token(t))
            .collect::<Result<Vec<_>>>()?;
        let input = Input::from_arg(&self.file);
        let bytes = input.read_all()?;
        let name = input.name();
        if tokens.is_empty() {
            compute(ctx, &name, &bytes, &self.algs)
        } else {
            check(ctx, &name, &bytes, tokens)
        }
    }
}

fn parse_token(t: &str) -> Result<(ContentHash, HashAlg)> {
    let token: ContentHash = t
        .trim()
        .parse()
        .map_err(|e: HashError| UsageError(format!("--check {t}: {e}")))?;
    let alg = token.alg.ok_or_else(|| {
        UsageError(format!(
            "--check {t}: unknown algorithm `{}`; known: sha256, sha384, sha512",
            token.alg_name
        ))
    })?;
    Ok((token, alg))
}

fn compute(ctx: &Ctx, name: &str, bytes: &[u8], algs: &[AlgArg]) -> Result<Status> {
    let mut algs: Vec<HashAlg> = algs.iter().map(|a| HashAlg::from(*a)).collect();
    if algs.is_empty() {
        algs.push(HashAlg::Sha512);
    }
    algs.dedup();
    let hashes = ContentHashes(
        algs.iter()
            .map(|a| ContentHash::compute(*a, bytes))
            .collect(),
    );
    let tokens: Vec<String> = hashes.0.iter().map(ToString::to_string).collect();
    let mut out = std::io::stdout().lock();
    match ctx.format {
        Format::Text => {
            use std::io::Write as _;
            for t in &tokens {
                writeln!(out, "{t}")?;
            }
        }
        Format::Json => crate::output::json_line(
            &mut out,
            &Computed {
                path: name,
                bytes: bytes.len(),
                content_hash: hashes.to_value(),
                tokens,
            },
        )?,
    }
    Ok(Status::Ok)
}

fn check(
    ctx: &Ctx,
    name: &str,
    bytes: &[u8],
    tokens: Vec<(ContentHash, HashAlg)>,
) -> Result<Status> {
    let checks: Vec<Check> = tokens
        .into_iter()
        .map(|(token, alg)| {
            let computed = ContentHash::compute(alg, bytes);
            Check {
                matches: computed.digest == token.digest,
                token: token.to_string(),
                computed: computed.to_string(),
            }
        })
        .collect();
    let all = checks.iter().all(|c| c.matches);
    let mut out = std::io::stdout().lock();
    match ctx.format {
        Format::Text => {
            use std::io::Write as _;
            for c in &checks {
                if c.matches {
                    writeln!(
                        out,
                        "{} {name}: {}",
                        ctx.out.paint(Style::Green, "OK      "),
                        c.token
                    )
                } else {
                    writeln!(
                        out,
                        "{} {name}: declared {}, computed {}",
                        ctx.out.paint(Style::Red, "MISMATCH"),
                        c.token,
                        c.computed
                    )
                }
                .context("cannot write standard output")?;
            }
        }
        Format::Json => crate::output::json_line(
            &mut out,
            &Checked {
                path: name,
                bytes: bytes.len(),
                matches: all,
                checks,
            },
        )?,
    }
    Ok(if all { Status::Ok } else { Status::Failed })
}
