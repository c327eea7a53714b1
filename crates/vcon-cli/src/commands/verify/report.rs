//! Reports of the trust commands: a verified vCon (who signed, the chain, the
//! warnings) and a failed check, as text or JSON; shared by `vcon verify`,
//! `vcon decrypt --verify` and the other trust commands (warnings, refusals,
//! the stream a report goes to).

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use serde_json::{Value, json};
use vcon_trust::x509::ChainPolicy;
use vcon_trust::{SignerTrust, Verified, VerifyError, Warning};

use crate::cli::{Ctx, Status};
use crate::output::{Format, Painter, Style};

/// A warning as JSON: `{"pointer", "rule", "message"}`.
#[derive(Debug, Serialize)]
pub struct JsonWarning {
    /// JSON pointer into the envelope (`""` for the whole document).
    pub pointer: String,
    /// Digest rule, when one applies.
    pub rule: Option<&'static str>,
    /// What was accepted and why it is worth knowing.
    pub message: String,
}

impl From<&Warning> for JsonWarning {
    fn from(w: &Warning) -> Self {
        Self {
            pointer: w.pointer.clone(),
            rule: w.rule,
            message: w.message.clone(),
        }
    }
}

/// The JSON form of a list of warnings.
pub fn json_warnings(warnings: &[Warning]) -> Vec<JsonWarning> {
    warnings.iter().map(JsonWarning::from).collect()
}

/// Writes one `warning:` line per warning.
pub fn text_warnings(out: &mut Vec<u8>, p: &Painter, warnings: &[Warning]) -> Result<()> {
    for w in warnings {
        writeln!(out, "  {} {w}", p.paint(Style::Yellow, "warning:"))?;
    }
    Ok(())
}

/// The name of a chain policy in reports.
pub fn policy_name(p: ChainPolicy) -> &'static str {
    match p {
        ChainPolicy::Strict => "strict",
        ChainPolicy::AllowV1Intermediates => "allow-v1-intermediates",
    }
}

/// The JSON description of every signature of a verified vCon, outermost layer first.
/// `key_names` are the files given as `--public-key`, in order.
pub fn json_signers(v: &Verified, key_names: &[String]) -> Vec<Value> {
    let mut out = Vec::new();
    for (layer, l) in v.layers.iter().enumerate() {
        for s in &l.signers {
            let mut entry = json!({
                "layer": layer,
                "index": s.index,
                "alg": s.alg.name(),
                "kid": s.kid,
                "header_uuid": s.header_uuid,
            });
            let trust = match &s.trust {
                SignerTrust::Chain {
                    chain_subjects,
                    anchor_subject,
                    policy,
                } => json!({
                    "trusted_by": "chain",
                    "signer": chain_subjects.first(),
                    "chain_subjects": chain_subjects,
                    "anchor_subject": anchor_subject,
                    "policy": policy_name(*policy),
                }),
                SignerTrust::PublicKey {
                    key_index,
                    thumbprint,
                } => json!({
                    "trusted_by": "public_key",
                    "key_file": key_names.get(*key_index),
                    "key_index": key_index,
                    "thumbprint": thumbprint,
                }),
            };
            if let (Value::Object(e), Value::Object(t)) = (&mut entry, trust) {
                e.extend(t);
            }
            out.push(entry);
        }
    }
    out
}

/// The JSON report of a verified vCon (without `path`/`output`, which callers add).
pub fn verified_json(v: &Verified, key_names: &[String]) -> Value {
    json!({
        "verified": true,
        "uuid": v.uuid,
        "layers": v.layers.iter().map(|l| json!({
            "gzipped": l.gzipped,
            "signatures": l.signers.len(),
        })).collect::<Vec<_>>(),
        "signers": json_signers(v, key_names),
        "warnings": json_warnings(&v.warnings),
    })
}

/// Text lines describing each signature and the warnings of a verified vCon.
pub fn verified_text(
    out: &mut Vec<u8>,
    p: &Painter,
    v: &Verified,
    key_names: &[String],
) -> Result<()> {
    let nested = v.layers.len() > 1;
    for (layer, l) in v.layers.iter().enumerate() {
        for s in &l.signers {
            let at = if nested {
                format!("layer {layer} signature {}", s.index)
            } else {
                format!("signature {}", s.index)
            };
            let kid = s
                .kid
                .as_deref()
                .map(|k| format!(", kid {k}"))
                .unwrap_or_default();
            match &s.trust {
                SignerTrust::Chain {
                    chain_subjects,
                    anchor_subject,
                    policy,
                } => {
                    let who = chain_subjects.first().map_or("?", String::as_str);
                    writeln!(
                        out,
                        "  {at}: {}{kid}, signed by {}",
                        s.alg,
                        p.paint(Style::Bold, who)
                    )?;
                    writeln!(out, "    chain ({} policy):", policy_name(*policy))?;
                    for (i, subject) in chain_subjects.iter().enumerate() {
                        writeln!(out, "      {i}  {subject}")?;
                    }
                    writeln!(out, "      anchor  {anchor_subject}")?;
                }
                SignerTrust::PublicKey {
                    key_index,
                    thumbprint,
                } => {
                    let file = key_names.get(*key_index).map_or("?", String::as_str);
                    writeln!(
                        out,
                        "  {at}: {}{kid}, signed by the key of --public-key {} (JWK thumbprint {thumbprint})",
                        s.alg,
                        p.paint(Style::Bold, file)
                    )?;
                }
            }
        }
    }
    text_warnings(out, p, &v.warnings)
}

/// The failing check's name (`chain`, `bad_signature`, ...) and the JWS layer it failed in.
pub fn failed_check(e: &VerifyError) -> (&'static str, usize) {
    match e {
        VerifyError::Nested { layer, source } => (failed_check(source).0, *layer),
        other => (
            match other {
                VerifyError::Read(_) => "read",
                VerifyError::NotSigned { .. } => "form",
                VerifyError::Envelope(_) => "envelope",
                VerifyError::UnsupportedAlg { .. } => "unsupported_alg",
                VerifyError::AlgNotAllowed { .. } => "alg_not_allowed",
                VerifyError::Critical { .. } => "crit",
                VerifyError::NoTrust { .. } => "no_trust",
                VerifyError::Chain { .. } => "chain",
                VerifyError::KeyAlgMismatch { .. } => "key_alg_mismatch",
                VerifyError::BadSignature { .. } => "signature",
                VerifyError::UuidMismatch { .. } => "uuid",
                VerifyError::Payload { .. } => "payload",
                VerifyError::TooDeep { .. } => "nesting",
                VerifyError::Nested { .. } => "nested",
            },
            0,
        ),
    }
}

/// A hint for the failures a flag can change, to print after the error.
pub fn hint(e: &VerifyError) -> Option<&'static str> {
    let text = e.to_string();
    if matches!(failed_check(e).0, "chain")
        && (text.contains("X.509 v1") || text.contains("basicConstraints"))
    {
        return Some(
            "the chain has an X.509 v1 (or basicConstraints-less) issuing certificate; if you accept such chains, pass --allow-v1-intermediates",
        );
    }
    None
}

/// The JSON report of a failed verification.
pub fn failure_json(e: &VerifyError) -> Value {
    let (check, layer) = failed_check(e);
    json!({
        "verified": false,
        "check": check,
        "layer": layer,
        "error": e.to_string(),
        "hint": hint(e),
    })
}

/// Text lines describing a failed verification (after the `FAILED` headline).
pub fn failure_text(out: &mut Vec<u8>, p: &Painter, e: &VerifyError) -> Result<()> {
    let (check, layer) = failed_check(e);
    let layer = if layer > 0 {
        format!(" (nested layer {layer})")
    } else {
        String::new()
    };
    writeln!(
        out,
        "  {} {check}{layer}: {e}",
        p.paint(Style::Red, "check")
    )?;
    if let Some(h) = hint(e) {
        writeln!(out, "  {} {h}", p.paint(Style::Dim, "hint:"))?;
    }
    Ok(())
}

/// Adds `path` (and more members) in front of a JSON report object.
pub fn with_members(members: Value, report: Value) -> Value {
    match (members, report) {
        (Value::Object(mut m), Value::Object(r)) => {
            m.extend(r);
            Value::Object(m)
        }
        (_, r) => r,
    }
}

/// Writes a finished report to standard output, or to standard error when
/// the vCon itself went to standard output.
pub fn emit(report: &[u8], to_stdout: bool) -> Result<()> {
    if to_stdout {
        let mut out = std::io::stdout().lock();
        out.write_all(report)?;
        out.flush()?;
    } else {
        std::io::stderr().lock().write_all(report)?;
    }
    Ok(())
}

/// Reports an input the command cannot process (exit status 1) on standard
/// error: `vcon: cannot OP: MESSAGE`, or one JSON object
/// `{"path", "<done>": false, "check", "error"}`.
pub fn refuse(
    ctx: &Ctx,
    path: &str,
    op: &str,
    done: &str,
    check: &str,
    message: &str,
) -> Result<Status> {
    let mut err = Vec::new();
    match ctx.format {
        Format::Json => crate::output::json_line(
            &mut err,
            &json!({ "path": path, done: false, "check": check, "error": message }),
        )?,
        Format::Text => writeln!(
            err,
            "vcon: {} {message}",
            ctx.err.paint(Style::Red, &format!("cannot {op}:"))
        )?,
    }
    emit(&err, false)?;
    Ok(Status::Failed)
}
