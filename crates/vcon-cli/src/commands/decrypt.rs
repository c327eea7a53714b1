//! `vcon decrypt`: encrypted vCon → the signed vCon inside, optionally verified.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;
use serde_json::{Value, json};
use vcon_trust::{DecryptError, DecryptOptions, Decrypted, decrypt, verify};

use super::keys::load::{TrustArgs, private_key, read_operand};
use super::verify::report::{
    self, emit, failure_json, failure_text, json_warnings, refuse, text_warnings, with_members,
};
use crate::cli::{Command, Ctx, Spec, Status, UsageError, spec};
use crate::input::write_output;
use crate::output::{Format, Style};

/// Registration of `vcon decrypt`.
pub const SPEC: Spec = spec::<Args>("decrypt");

const LONG_ABOUT: &str = "\
Decrypt an encrypted vCon (JWE General JSON, core-03 §Encrypted Form) with a recipient's
private key and write the signed vCon inside, exactly as it was encrypted. Every recipient
entry the key fits is tried. The unprotected uuid is checked against the signed vCon's
(R-41). The plaintext must be a signed vCon (core-03: sign, then encrypt); --allow-unsigned
accepts another plaintext with a warning.

The signatures are not checked unless asked: --verify with --trust ROOT or --public-key KEY
(giving either implies --verify) verifies the decrypted vCon as `vcon verify` does, and
nothing is written when it fails. `vcon decrypt ... | vcon verify - ...` does the same in
two steps.

The signed vCon goes to OUT (-o) or standard output; the report goes to standard error when
the vCon goes to standard output, else to standard output. With --format json:
  {\"path\":\"sealed.vcon\",\"output\":\"signed.vcon\",\"decrypted\":true,\"uuid\":\"...\",
   \"recipient\":0,\"alg\":\"RSA-OAEP\",\"enc\":\"A256CBC-HS512\",\"warnings\":[...],
   \"verification\":null}
where `verification` is, with --verify, the report of `vcon verify --format json` (without
`path`). A refusal or failed verification is one document on standard error:
  {\"path\":\"sealed.vcon\",\"decrypted\":false,\"check\":\"key\",\"error\":\"...\"}
  {\"path\":\"sealed.vcon\",\"decrypted\":true,\"verification\":{\"verified\":false,\"check\":\"chain\",...}}
Checks: read, form, envelope, unsupported, crit, key, content, plaintext, uuid.

Examples:
  vcon decrypt sealed.vcon --key bob.key -o signed.vcon
  vcon decrypt core03-A7-encrypted-jwe-general.vcon --key fake_grp.key \\
      --trust fake_ca_root.crt --allow-v1-intermediates
  vcon decrypt sealed.vcon --key bob.key | vcon verify - --trust root.crt -o call.vcon

Exit status:
  0  decrypted (and, with --verify, verified)
  1  the input cannot be decrypted with this key (wrong key, altered ciphertext, uuid
     mismatch, not an encrypted vCon, plaintext not signed), or --verify failed
  2  usage error (unreadable key or certificate), or IN cannot be read, or OUT cannot be
     written";

/// `vcon decrypt` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Decrypt an encrypted vCon (JWE) with a private key; optionally verify it",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// The encrypted vCon (JSON or gzip), or `-` for standard input.
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// A recipient's private key: PEM, DER or JWK.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,

    /// Verify the decrypted signed vCon (needs --trust or --public-key).
    #[arg(long)]
    verify: bool,

    /// What to trust with --verify.
    #[command(flatten)]
    trust: TrustArgs,

    /// Accept a plaintext that is not a signed vCon (a warning instead of an error).
    #[arg(long)]
    allow_unsigned: bool,

    /// Where to write the signed vCon (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

/// The check name of a decryption failure.
fn failed_check(e: &DecryptError) -> &'static str {
    match e {
        DecryptError::Read(_) => "read",
        DecryptError::NotEncrypted { .. } => "form",
        DecryptError::Envelope(_) => "envelope",
        DecryptError::Unsupported { .. } => "unsupported",
        DecryptError::Critical { .. } => "crit",
        DecryptError::NoRecipientForKey { .. } => "key",
        DecryptError::Content { .. } => "content",
        DecryptError::PlaintextNotSigned { .. } => "plaintext",
        DecryptError::UuidMismatch { .. } => "uuid",
    }
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        if self.verify && !self.trust.is_given() {
            return Err(
                UsageError("--verify needs --trust ROOT or --public-key KEY".into()).into(),
            );
        }
        let verify_options = if self.trust.is_given() {
            Some(self.trust.options()?)
        } else {
            None
        };
        let key_names: Vec<String> = self
            .trust
            .public_key
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let key = private_key("--key", &self.key, None)?;
        let op = match read_operand(&self.input)? {
            Ok(op) => op,
            Err(message) => {
                let name = crate::input::Input::from_arg(&self.input).name();
                return refuse(ctx, &name, "decrypt", "decrypted", "read", &message);
            }
        };
        let name = op.name.clone();
        let options = DecryptOptions {
            require_signed: !self.allow_unsigned,
            ..DecryptOptions::default()
        };
        let opened = match decrypt(&op.bytes, &key, &options) {
            Ok(d) => d,
            Err(e) => {
                let message = format!("{name}: {e}");
                return refuse(
                    ctx,
                    &name,
                    "decrypt",
                    "decrypted",
                    failed_check(&e),
                    &message,
                );
            }
        };
        let verification = match &verify_options {
            Some(o) => match verify(&opened.signed_bytes, o) {
                Ok(v) => Some(v),
                Err(e) => return verify_failed(ctx, &name, &opened, &e),
            },
            None => None,
        };
        write_output(self.output.as_deref(), &opened.signed_bytes)?;
        let out_name = self
            .output
            .as_ref()
            .map_or_else(|| "-".to_owned(), |p| p.display().to_string());
        let to_stdout = out_name != "-";
        let painter = if to_stdout { ctx.out } else { ctx.err };
        let mut text = Vec::new();
        match ctx.format {
            Format::Json => {
                let verification = verification
                    .as_ref()
                    .map_or(Value::Null, |v| report::verified_json(v, &key_names));
                crate::output::json_line(
                    &mut text,
                    &with_members(
                        json!({ "path": name, "output": out_name }),
                        with_members(
                            decrypted_json(&opened),
                            json!({ "verification": verification }),
                        ),
                    ),
                )?;
            }
            Format::Text => {
                writeln!(
                    text,
                    "{} {name}: uuid {}, recipient {} ({}, {})",
                    painter.paint(Style::Green, "decrypted"),
                    opened.uuid.as_deref().unwrap_or("(none)"),
                    opened.recipient,
                    opened.alg,
                    opened.enc,
                )?;
                text_warnings(&mut text, &painter, &opened.warnings)?;
                if let Some(v) = &verification {
                    writeln!(text, "{}", painter.paint(Style::Green, "VERIFIED"))?;
                    report::verified_text(&mut text, &painter, v, &key_names)?;
                }
                if to_stdout {
                    writeln!(text, "wrote {out_name}")?;
                }
            }
        }
        emit(&text, to_stdout)?;
        Ok(Status::Ok)
    }
}

/// The JSON members describing a decryption.
fn decrypted_json(d: &Decrypted) -> Value {
    json!({
        "decrypted": true,
        "uuid": d.uuid,
        "recipient": d.recipient,
        "alg": d.alg.name(),
        "enc": d.enc.name(),
        "warnings": json_warnings(&d.warnings),
    })
}

/// Reports a decrypted vCon whose verification failed (exit status 1; nothing written).
fn verify_failed(
    ctx: &Ctx,
    name: &str,
    opened: &Decrypted,
    e: &vcon_trust::VerifyError,
) -> Result<Status> {
    let mut text = Vec::new();
    match ctx.format {
        Format::Json => crate::output::json_line(
            &mut text,
            &with_members(
                json!({ "path": name }),
                with_members(
                    decrypted_json(opened),
                    json!({ "verification": failure_json(e) }),
                ),
            ),
        )?,
        Format::Text => {
            writeln!(
                text,
                "vcon: {} {name} decrypted, but its signature does not verify; nothing written",
                ctx.err.paint(Style::Red, "FAILED")
            )?;
            failure_text(&mut text, &ctx.err, e)?;
        }
    }
    emit(&text, false)?;
    Ok(Status::Failed)
}
