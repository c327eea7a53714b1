//! `vcon verify`: check every signature of a signed vCon, its `x5c` chain to
//! the given trust anchors (or a given public key), the header `uuid` and
//! nested JWS layers; report who signed.

pub mod report;

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;
use serde_json::json;
use vcon_trust::{VerifyError, verify};

use super::keys::load::{TrustArgs, read_operand};
use crate::cli::{Command, Ctx, Spec, Status, spec};
use crate::input::write_output;
use crate::output::{Format, Style};

/// Registration of `vcon verify`.
pub const SPEC: Spec = spec::<Args>("verify");

const LONG_ABOUT: &str = "\
Verify a signed vCon (JWS General JSON, core-03 §Signed Form, digest rules R-39 to R-42):
every signature of every layer must verify, and the report says who signed.

A signature is trusted through its x5c certificate chain to a trust anchor given with
--trust (RFC 5280 path validation; X.509 v1 issuing certificates are refused unless
--allow-v1-intermediates), or through a public key given with --public-key (for
signatures without a certificate, such as those of the PyPI `vcon` library, or when no
--trust is given). x5u URLs are never fetched. The header `uuid` must match the payload's.
Nested JWS layers (a signed vCon re-signed with `vcon sign --wrap`) are unwrapped.
Things accepted with a remark (repeated header members, a missing `header`, members beside
payload/signatures that no signature covers, a lenient chain) are printed as warnings.

Text output names each signer (the leaf certificate's subject, or the key file), the chain
up to the anchor, and the warnings; a failure names the exact failing check. With
--format json, one document:
  {\"path\":\"signed.vcon\",\"verified\":true,\"uuid\":\"...\",\"layers\":[{\"gzipped\":false,\"signatures\":1}],
   \"signers\":[{\"layer\":0,\"index\":0,\"alg\":\"RS256\",\"kid\":null,\"header_uuid\":\"...\",
     \"trusted_by\":\"chain\",\"signer\":\"CN=...\",\"chain_subjects\":[\"CN=...\",\"CN=...\"],
     \"anchor_subject\":\"CN=...\",\"policy\":\"strict\"}],
   \"warnings\":[{\"pointer\":\"/signatures/0\",\"rule\":\"R-39\",\"message\":\"...\"}],\"output\":null}
  {\"path\":\"signed.vcon\",\"verified\":false,\"check\":\"chain\",\"layer\":0,
   \"error\":\"/signatures/0/x5c: certificate 1 (CN=...) cannot act as a CA: ...\",\"hint\":\"...\"}
(`trusted_by` is `chain` or `public_key`; a public key signer has `key_file`, `key_index`
and `thumbprint` instead of the chain members.) Checks: read, form, envelope,
unsupported_alg, alg_not_allowed, crit, no_trust, chain, key_alg_mismatch, signature,
uuid, payload, nesting.

With -o, the inner unsigned vCon (the decoded payload, exactly as signed) is written to
INNER_OUT once verification succeeded; with `-o -` it goes to standard output and the
report to standard error.

Examples:
  vcon verify signed.vcon --trust root.crt
  vcon verify signed.vcon --trust root.crt -o call.vcon
  vcon verify core03-A6-signed-jws-general.vcon --trust fake_ca_root.crt --allow-v1-intermediates
  vcon verify pypi-signed.vcon --public-key signer.pub.pem --format json
  vcon verify old.vcon --trust root.crt --at 2023-01-01T00:00:00Z
  vcon decrypt sealed.vcon --key me.key | vcon verify - --trust root.crt

Exit status:
  0  every signature verified
  1  verification failed (the failing check is named), or the input is not a signed vCon
  2  usage error (no --trust or --public-key, unreadable key or certificate file), or IN
     cannot be read, or INNER_OUT cannot be written";

/// `vcon verify` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Verify a signed vCon's signatures and certificate chains; say who signed",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// The signed vCon (JSON or gzip), or `-` for standard input.
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// What to trust.
    #[command(flatten)]
    trust: TrustArgs,

    /// Write the inner unsigned vCon here once verified (`-` for standard output).
    #[arg(short, long, value_name = "INNER_OUT")]
    output: Option<PathBuf>,
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        let options = self.trust.options()?;
        let key_names: Vec<String> = self
            .trust
            .public_key
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let operand = read_operand(&self.input)?;
        let inner_to_stdout = self.output.as_deref().is_some_and(|p| p.as_os_str() == "-");
        let (name, result) = match operand {
            Ok(op) => (op.name.clone(), verify(&op.bytes, &options)),
            Err(message) => {
                let name = crate::input::Input::from_arg(&self.input).name();
                return failed(ctx, &name, &Failure::TooLarge(message), !inner_to_stdout);
            }
        };
        let verified = match result {
            Ok(v) => v,
            Err(e) => return failed(ctx, &name, &Failure::Check(e), !inner_to_stdout),
        };
        let out_name = match &self.output {
            Some(path) => {
                write_output(Some(path), &verified.vcon_bytes)?;
                Some(path.display().to_string())
            }
            None => None,
        };
        let painter = if inner_to_stdout { ctx.err } else { ctx.out };
        let mut text = Vec::new();
        match ctx.format {
            Format::Json => crate::output::json_line(
                &mut text,
                &report::with_members(
                    json!({ "path": name }),
                    report::with_members(
                        report::verified_json(&verified, &key_names),
                        json!({ "output": out_name }),
                    ),
                ),
            )?,
            Format::Text => {
                let signatures: usize = verified.layers.iter().map(|l| l.signers.len()).sum();
                let layers = if verified.layers.len() > 1 {
                    format!(" in {} nested layers", verified.layers.len())
                } else {
                    String::new()
                };
                writeln!(
                    text,
                    "{} {name}: uuid {}, {signatures} signature{}{layers}",
                    painter.paint(Style::Green, "VERIFIED"),
                    verified.uuid.as_deref().unwrap_or("(none)"),
                    if signatures == 1 { "" } else { "s" },
                )?;
                report::verified_text(&mut text, &painter, &verified, &key_names)?;
                if let Some(o) = out_name.as_deref().filter(|o| *o != "-") {
                    writeln!(text, "wrote the inner unsigned vCon to {o}")?;
                }
            }
        }
        report::emit(&text, !inner_to_stdout)?;
        Ok(Status::Ok)
    }
}

/// Why verification failed.
enum Failure {
    /// The input is over the size limit.
    TooLarge(String),
    /// A check failed.
    Check(VerifyError),
}

/// Reports a failed verification (exit status 1).
fn failed(ctx: &Ctx, name: &str, failure: &Failure, to_stdout: bool) -> Result<Status> {
    let painter = if to_stdout { ctx.out } else { ctx.err };
    let mut text = Vec::new();
    match (ctx.format, failure) {
        (Format::Json, Failure::Check(e)) => crate::output::json_line(
            &mut text,
            &report::with_members(json!({ "path": name }), report::failure_json(e)),
        )?,
        (Format::Json, Failure::TooLarge(m)) => crate::output::json_line(
            &mut text,
            &json!({"path": name, "verified": false, "check": "read", "layer": 0, "error": m, "hint": null}),
        )?,
        (Format::Text, f) => {
            writeln!(text, "{} {name}", painter.paint(Style::Red, "FAILED"))?;
            match f {
                Failure::Check(e) => report::failure_text(&mut text, &painter, e)?,
                Failure::TooLarge(m) => {
                    writeln!(text, "  {} read: {m}", painter.paint(Style::Red, "check"))?;
                }
            }
        }
    }
    report::emit(&text, to_stdout)?;
    Ok(Status::Failed)
}
