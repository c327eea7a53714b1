//! `vcon sign`: unsigned vCon → signed vCon (JWS General JSON), or a
//! co-signature / nested re-signature of a signed one.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use clap::{Parser, ValueEnum};
use serde_json::{Value, json};
use vcon_core::Form;
use vcon_core::read::{ReadLimits, read};
use vcon_trust::x509::Certificate;
use vcon_trust::{
    HeaderLayout, Identity, SignAlg, SignError, SignOptions, Signer, UpdatedAt, Warning,
    add_signatures, sign, wrap,
};

use super::keys::load::{certificates, private_key, read_operand};
use super::verify::report::{emit, json_warnings, refuse, text_warnings};
use crate::cli::{Command, Ctx, Spec, Status, spec};
use crate::input::write_output;
use crate::output::{Format, Style};

/// Registration of `vcon sign`.
pub const SPEC: Spec = spec::<Args>("sign");

const LONG_ABOUT: &str = "\
Sign an unsigned vCon (core-03 §Signed Form): the result is a JWS in General JSON
Serialization, {\"payload\": base64url(vCon), \"signatures\": [...]}. `updated_at` is set to
now first (core-03: set before each signing; see --updated-at).

The signer is identified by its certificate chain (--cert: PEM bundles or DER files, leaf
first, as many files as needed; written as x5c) or by an https URL of that chain (--x5u).
Without either, the signature carries no certificate and verifiers need the public key
(`vcon verify --public-key`); core-03 wants x5c or x5u (R-39), so this is a warning.
The key may be RSA (RS256 default, or PS256), EC P-256 (ES256), P-384 (ES384) or Ed25519
(EdDSA), as PEM, DER or JWK. The certificate must certify the key.

Header layout (--layout): `rfc7515` (default) writes alg (and kid) in the protected header
and x5c/x5u and uuid in the unprotected one, disjoint as RFC 7515 requires; `draft-a6`
copies the draft's Appendix A.6 (alg, typ and x5c repeated in both headers), only for
consumers that read header.alg / header.x5c (the older py-vcon).

A signed input is refused unless --cosign (add a signature over the same payload; the
existing ones are kept, not verified) or --wrap (the signed vCon becomes the payload of a
new JWS: long-term re-signing) is given. An encrypted input must be decrypted first.

The signed vCon goes to OUT (-o) or standard output; the report goes to standard error when
the vCon goes to standard output, else to standard output. With --format json the report is:
  {\"path\":\"call.vcon\",\"output\":\"signed.vcon\",\"signed\":true,\"mode\":\"sign\",\"uuid\":\"...\",
   \"alg\":\"RS256\",\"kid\":null,\"layout\":\"rfc7515\",\"gzip\":false,\"identity\":\"x5c\",
   \"chain_subjects\":[\"CN=...\",\"CN=...\"],\"x5u\":null,\"thumbprint\":\"...\",\"signatures\":1,
   \"warnings\":[]}
A refusal is {\"path\":\"call.vcon\",\"signed\":false,\"check\":\"form\",\"error\":\"...\"} on standard error.

Examples:
  vcon keys generate --out-dir pki/
  vcon sign call.vcon --key pki/leaf.key --cert pki/chain.pem -o signed.vcon
  vcon sign call.vcon --key leaf.key --cert leaf.crt --cert intermediate.crt --alg PS256
  vcon sign call.vcon --key leaf.jwk --x5u https://example.com/chain.pem --gzip
  vcon sign signed.vcon --cosign --key notary.key --cert notary-chain.pem -o cosigned.vcon
  vcon new --party 'name=Alice' --text '0:Hi' | vcon sign - --key k.pem --cert c.pem

Exit status:
  0  signed
  1  the input cannot be signed: not a JSON object, not an unsigned vCon (or not a signed
     one with --cosign/--wrap), no uuid
  2  usage error (unreadable key or certificate, certificate not matching the key, key not
     fitting --alg, x5u not https), or IN cannot be read, or OUT cannot be written";

/// `vcon sign` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Sign a vCon (JWS) with a key and its certificate chain",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// The unsigned vCon (JSON or gzip), or `-` for standard input.
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// The signer's private key: PEM (PKCS#8, PKCS#1, SEC 1), DER or JWK.
    #[arg(long, value_name = "KEY")]
    key: PathBuf,

    /// Certificate file (PEM bundle or DER), leaf first; repeatable, files are concatenated in order into x5c.
    #[arg(long = "cert", value_name = "CERT", conflicts_with = "x5u")]
    certs: Vec<PathBuf>,

    /// Identify the signer by this https URL of its certificate chain instead of x5c.
    #[arg(long, value_name = "URL")]
    x5u: Option<String>,

    /// Signature algorithm: RS256, PS256 (RSA), ES256 (P-256), ES384 (P-384), EdDSA (Ed25519). Default: from the key.
    #[arg(long, value_name = "ALG")]
    alg: Option<SignAlg>,

    /// Key id written as `kid` in the protected header (a JWK's own kid is used otherwise).
    #[arg(long, value_name = "KID")]
    kid: Option<String>,

    /// Gzip the payload (verifiers detect it).
    #[arg(long)]
    gzip: bool,

    /// Header layout.
    #[arg(long, value_enum, default_value_t = LayoutArg::Rfc7515, value_name = "LAYOUT")]
    layout: LayoutArg,

    /// `now` (default), `keep` (leave updated_at as it is), or an RFC 3339 time.
    #[arg(long, value_name = "WHEN", default_value = "now", value_parser = parse_updated_at)]
    updated_at: UpdatedAtArg,

    /// The input is signed: add a signature over the same payload.
    #[arg(long, conflicts_with = "wrap")]
    cosign: bool,

    /// The input is signed: make it the payload of a new JWS (nested re-signing).
    #[arg(long)]
    wrap: bool,

    /// Where to write the signed vCon (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

/// The `--layout` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LayoutArg {
    /// Disjoint protected/unprotected headers (RFC 7515 §7.2.1).
    Rfc7515,
    /// The draft's Appendix A.6 shape (members repeated in both headers).
    DraftA6,
}

impl LayoutArg {
    fn layout(self) -> HeaderLayout {
        match self {
            Self::Rfc7515 => HeaderLayout::Rfc7515,
            Self::DraftA6 => HeaderLayout::DraftA6,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Rfc7515 => "rfc7515",
            Self::DraftA6 => "draft-a6",
        }
    }
}

/// The `--updated-at` value.
#[derive(Debug, Clone, Copy)]
struct UpdatedAtArg(UpdatedAt);

fn parse_updated_at(s: &str) -> Result<UpdatedAtArg, String> {
    Ok(UpdatedAtArg(match s {
        "now" => UpdatedAt::Now,
        "keep" => UpdatedAt::Keep,
        other => UpdatedAt::At(DateTime::parse_from_rfc3339(other).map_err(|e| {
            format!("`{other}` is neither `now`, `keep` nor an RFC 3339 time: {e}")
        })?),
    }))
}

/// What was done to the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Sign,
    Cosign,
    Wrap,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Self::Sign => "sign",
            Self::Cosign => "cosign",
            Self::Wrap => "wrap",
        }
    }
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        let key = private_key("--key", &self.key, self.kid.as_deref())?;
        let chain = certificates("--cert", &self.certs)?;
        let mut signer = match (&self.x5u, chain.is_empty()) {
            (Some(url), _) => Signer::with_x5u(key, url.clone()),
            (None, false) => Signer::with_chain(key, chain.clone()),
            (None, true) => Signer::new(key),
        };
        if let Some(alg) = self.alg {
            signer = signer.alg(alg);
        }
        let options = SignOptions {
            layout: self.layout.layout(),
            gzip: self.gzip,
            updated_at: self.updated_at.0,
            limits: ReadLimits::default(),
        };
        let op = match read_operand(&self.input)? {
            Ok(op) => op,
            Err(message) => {
                let name = crate::input::Input::from_arg(&self.input).name();
                return refuse(ctx, &name, "sign", "signed", "read", &message);
            }
        };
        let name = op.name.clone();
        let doc = match read(&op.bytes, &options.limits) {
            Ok(doc) => doc,
            Err(e) => {
                return refuse(
                    ctx,
                    &name,
                    "sign",
                    "signed",
                    "read",
                    &format!("{name}: {e}"),
                );
            }
        };
        let mode = match (doc.form, self.cosign, self.wrap) {
            (Some(Form::Unsigned), false, false) => Mode::Sign,
            (Some(Form::Signed), true, _) => Mode::Cosign,
            (Some(Form::Signed), _, true) => Mode::Wrap,
            (found, cosign, wrap) => {
                let message = form_refusal(&name, found, cosign || wrap);
                return refuse(ctx, &name, "sign", "signed", "form", &message);
            }
        };
        let signers = [signer];
        let result = match mode {
            Mode::Sign => sign(&doc.object, &signers, &options),
            Mode::Cosign => add_signatures(&op.bytes, &signers, &options),
            Mode::Wrap => wrap(&op.bytes, &signers, &options),
        };
        let signed = match result {
            Ok(s) => s,
            Err(
                e @ (SignError::Read(_)
                | SignError::NotUnsigned { .. }
                | SignError::MissingUuid
                | SignError::Envelope(_)),
            ) => {
                return refuse(
                    ctx,
                    &name,
                    "sign",
                    "signed",
                    "input",
                    &format!("{name}: {e}"),
                );
            }
            Err(e) => return Err(e).context("cannot sign"),
        };
        let mut bytes = signed.bytes;
        bytes.push(b'\n');
        write_output(self.output.as_deref(), &bytes)?;
        let out_name = self
            .output
            .as_ref()
            .map_or_else(|| "-".to_owned(), |p| p.display().to_string());
        let signer = &signers[0];
        let count = match signed.object.get("signatures") {
            Some(Value::Array(a)) => a.len(),
            _ => 0,
        };
        let warnings = signer_warnings(&signer.identity, count.saturating_sub(1));
        let to_stdout = out_name != "-";
        let painter = if to_stdout { ctx.out } else { ctx.err };
        let alg = signer
            .alg
            .unwrap_or_else(|| signer.key.kind().default_sign_alg());
        let thumbprint = signer
            .key
            .public_key()
            .map(|k| k.thumbprint())
            .unwrap_or_default();
        let subjects: Vec<&str> = match &signer.identity {
            Identity::X5c(c) => c.iter().map(Certificate::subject).collect(),
            _ => Vec::new(),
        };
        let mut report = Vec::new();
        match ctx.format {
            Format::Json => crate::output::json_line(
                &mut report,
                &json!({
                    "path": name,
                    "output": out_name,
                    "signed": true,
                    "mode": mode.name(),
                    "uuid": signed.uuid,
                    "alg": alg.name(),
                    "kid": signer.key.kid(),
                    "layout": self.layout.name(),
                    "gzip": self.gzip,
                    "identity": match &signer.identity {
                        Identity::X5c(_) => "x5c",
                        Identity::X5u(_) => "x5u",
                        Identity::None => "none",
                    },
                    "chain_subjects": subjects,
                    "x5u": self.x5u,
                    "thumbprint": thumbprint,
                    "signatures": count,
                    "warnings": json_warnings(&warnings),
                }),
            )?,
            Format::Text => {
                let who = match &signer.identity {
                    Identity::X5c(c) => format!(
                        "{} (x5c of {} certificate{})",
                        subjects.first().copied().unwrap_or("?"),
                        c.len(),
                        if c.len() == 1 { "" } else { "s" }
                    ),
                    Identity::X5u(u) => format!("x5u {u}"),
                    Identity::None => format!("a bare key (JWK thumbprint {thumbprint})"),
                };
                let done = match mode {
                    Mode::Sign => "signed",
                    Mode::Cosign => "co-signed",
                    Mode::Wrap => "wrapped and signed",
                };
                writeln!(
                    report,
                    "{} {name}: uuid {}, {alg} by {}, layout {}{}, {count} signature{}",
                    painter.paint(Style::Green, done),
                    signed.uuid,
                    painter.paint(Style::Bold, &who),
                    self.layout.name(),
                    if self.gzip { ", gzip payload" } else { "" },
                    if count == 1 { "" } else { "s" },
                )?;
                text_warnings(&mut report, &painter, &warnings)?;
                if to_stdout {
                    writeln!(report, "wrote {out_name}")?;
                }
            }
        }
        emit(&report, to_stdout)?;
        Ok(Status::Ok)
    }
}

/// Why the input's form cannot be signed as asked.
fn form_refusal(name: &str, found: Option<Form>, signed_mode: bool) -> String {
    match (found, signed_mode) {
        (Some(Form::Signed), false) => format!(
            "{name} is already signed; pass --cosign to add a signature over the same payload, or --wrap to re-sign it as a nested JWS"
        ),
        (Some(Form::Unsigned), true) => format!(
            "{name} is an unsigned vCon; --cosign and --wrap take a signed one (drop the flag to sign it)"
        ),
        (Some(Form::Encrypted), _) => {
            format!("{name} is an encrypted vCon; decrypt it first (`vcon decrypt`)")
        }
        _ => format!(
            "{name} has no vCon form (R-40): an unsigned vCon has parties, dialog, analysis or attachments"
        ),
    }
}

/// Remarks about how the signer of signature `index` is identified, and its certificates' dates.
fn signer_warnings(identity: &Identity, index: usize) -> Vec<Warning> {
    let mut out = Vec::new();
    match identity {
        Identity::None => out.push(Warning {
            pointer: format!("/signatures/{index}/header"),
            rule: Some("R-39"),
            message: "no --cert or --x5u: the signature carries no certificate (core-03 wants x5c or x5u); verifiers need the public key (`vcon verify --public-key`)".into(),
        }),
        Identity::X5c(chain) => {
            let now: DateTime<Utc> = Utc::now();
            for (i, cert) in chain.iter().enumerate() {
                if cert.not_after() < now || cert.not_before() > now {
                    out.push(Warning {
                        pointer: format!("/signatures/{index}/header/x5c/{i}"),
                        rule: None,
                        message: format!(
                            "certificate {i} ({}) is not valid now (valid {} to {}); verifiers will refuse the chain",
                            cert.subject(),
                            cert.not_before(),
                            cert.not_after()
                        ),
                    });
                }
            }
        }
        Identity::X5u(_) => {}
    }
    out
}
