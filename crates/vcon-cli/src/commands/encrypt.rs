//! `vcon encrypt`: signed vCon → encrypted vCon (JWE General JSON), signing
//! an unsigned input first when a signing key is given.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Parser;
use serde_json::json;
use vcon_core::Form;
use vcon_core::read::{ReadLimits, read};
use vcon_trust::{
    ContentEnc, EncryptError, EncryptOptions, KeyAlg, Recipient, SignAlg, SignError, SignOptions,
    Signer, encrypt, sign,
};

use super::keys::load::{certificates, private_key, read_operand, recipient};
use super::verify::report::{emit, refuse};
use crate::cli::{Command, Ctx, Spec, Status, spec};
use crate::input::write_output;
use crate::output::{Format, Style};

/// Registration of `vcon encrypt`.
pub const SPEC: Spec = spec::<Args>("encrypt");

const LONG_ABOUT: &str = "\
Encrypt a signed vCon (core-03 §Encrypted Form) to one or more recipients: the result is a
JWE in General JSON Serialization whose plaintext is the signed vCon's exact bytes, with the
vCon's uuid and cty application/vcon in the unprotected header (R-41).

core-03 encrypts signed vCons only. An unsigned input is refused, unless --sign-key (and
--sign-cert, the signer's chain, leaf first) is given: then it is signed first, as
`vcon sign` would, and the signed vCon is encrypted. A signed input given with --sign-key
is refused (it is signed already; co-sign it with `vcon sign --cosign`).

Each --to file is a recipient's certificate (PEM or DER; the first of a bundle), public key
(PEM, DER) or JWK. Key management: RSA-OAEP (default for RSA keys), RSA-OAEP-256, or
ECDH-ES+A256KW (default for P-256/P-384 keys); --alg applies to every recipient. Content
encryption: A256CBC-HS512 (default, the draft's SHOULD) or A256GCM.

The encrypted vCon goes to OUT (-o) or standard output; the report goes to standard error
when the vCon goes to standard output, else to standard output. With --format json:
  {\"path\":\"signed.vcon\",\"output\":\"sealed.vcon\",\"encrypted\":true,\"uuid\":\"...\",
   \"enc\":\"A256CBC-HS512\",\"signed_here\":false,
   \"recipients\":[{\"index\":0,\"file\":\"bob.crt\",\"subject\":\"CN=...\",\"kind\":\"RSA-2048\",
                   \"alg\":\"RSA-OAEP\",\"kid\":null,\"thumbprint\":\"...\"}]}
A refusal is {\"path\":\"call.vcon\",\"encrypted\":false,\"check\":\"form\",\"error\":\"...\"} on
standard error.

Examples:
  vcon encrypt signed.vcon --to bob.crt -o sealed.vcon
  vcon encrypt signed.vcon --to bob.crt --to carol.jwk --enc A256GCM -o sealed.vcon
  vcon encrypt call.vcon --to bob.crt --sign-key pki/leaf.key --sign-cert pki/chain.pem
  vcon sign call.vcon --key k.pem --cert c.pem | vcon encrypt - --to bob.crt > sealed.vcon

Exit status:
  0  encrypted
  1  the input cannot be encrypted: not a JSON object, unsigned without --sign-key, signed
     with --sign-key, already encrypted, no vCon form, no uuid
  2  usage error (unreadable key or certificate, a key that cannot use --alg), or IN cannot
     be read, or OUT cannot be written";

/// `vcon encrypt` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Encrypt a signed vCon (JWE) to recipients' certificates or keys",
    long_about = LONG_ABOUT
)]
pub struct Args {
    /// The signed vCon (JSON or gzip), or `-` for standard input; unsigned only with --sign-key.
    #[arg(value_name = "IN")]
    input: PathBuf,

    /// Recipient: certificate (PEM/DER), public key (PEM/DER) or JWK file; repeatable.
    #[arg(long = "to", value_name = "CERT", required = true)]
    to: Vec<PathBuf>,

    /// Key management algorithm for every recipient: RSA-OAEP, RSA-OAEP-256, ECDH-ES+A256KW. Default: from each key.
    #[arg(long, value_name = "ALG")]
    alg: Option<KeyAlg>,

    /// Content encryption: A256CBC-HS512 (default) or A256GCM.
    #[arg(long, value_name = "ENC", default_value_t = ContentEnc::A256CbcHs512)]
    enc: ContentEnc,

    /// Sign an unsigned input with this private key (PEM, DER or JWK) before encrypting.
    #[arg(long, value_name = "KEY")]
    sign_key: Option<PathBuf>,

    /// The signing key's certificate chain (PEM bundle or DER, leaf first); repeatable.
    #[arg(long, value_name = "CERT", requires = "sign_key")]
    sign_cert: Vec<PathBuf>,

    /// Signature algorithm when signing here (default: from the key).
    #[arg(long, value_name = "ALG", requires = "sign_key")]
    sign_alg: Option<SignAlg>,

    /// Where to write the encrypted vCon (default: standard output).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

/// One recipient as given.
struct Given {
    recipient: Recipient,
    file: String,
    subject: Option<String>,
}

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        let mut given = Vec::with_capacity(self.to.len());
        for path in &self.to {
            let (mut recipient, subject) = recipient(path)?;
            if let Some(alg) = self.alg {
                recipient = recipient.alg(alg);
            }
            given.push(Given {
                recipient,
                file: path.display().to_string(),
                subject,
            });
        }
        let signer = match &self.sign_key {
            Some(path) => {
                let key = private_key("--sign-key", path, None)?;
                let chain = certificates("--sign-cert", &self.sign_cert)?;
                let s = if chain.is_empty() {
                    Signer::new(key)
                } else {
                    Signer::with_chain(key, chain)
                };
                Some(match self.sign_alg {
                    Some(alg) => s.alg(alg),
                    None => s,
                })
            }
            None => None,
        };
        let op = match read_operand(&self.input)? {
            Ok(op) => op,
            Err(message) => {
                let name = crate::input::Input::from_arg(&self.input).name();
                return refuse(ctx, &name, "encrypt", "encrypted", "read", &message);
            }
        };
        let name = op.name.clone();
        let limits = ReadLimits::default();
        let doc = match read(&op.bytes, &limits) {
            Ok(doc) => doc,
            Err(e) => {
                let message = format!("{name}: {e}");
                return refuse(ctx, &name, "encrypt", "encrypted", "read", &message);
            }
        };
        let plaintext = match (doc.form, &signer) {
            (Some(Form::Signed), None) => op.bytes,
            (Some(Form::Unsigned), Some(signer)) => {
                match sign(
                    &doc.object,
                    std::slice::from_ref(signer),
                    &SignOptions::default(),
                ) {
                    Ok(signed) => signed.bytes,
                    Err(e @ (SignError::MissingUuid | SignError::NotUnsigned { .. })) => {
                        let message = format!("{name}: {e}");
                        return refuse(ctx, &name, "encrypt", "encrypted", "input", &message);
                    }
                    Err(e) => return Err(e).context("cannot sign (--sign-key)"),
                }
            }
            (found, signer) => {
                let message = form_refusal(&name, found, signer.is_some());
                return refuse(ctx, &name, "encrypt", "encrypted", "form", &message);
            }
        };
        let recipients: Vec<Recipient> = given.iter().map(|g| g.recipient.clone()).collect();
        let options = EncryptOptions {
            enc: self.enc,
            ..EncryptOptions::default()
        };
        let sealed = match encrypt(&plaintext, &recipients, &options) {
            Ok(s) => s,
            Err(
                e @ (EncryptError::Read(_)
                | EncryptError::NotSigned { .. }
                | EncryptError::Envelope(_)
                | EncryptError::MissingUuid { .. }),
            ) => {
                let message = format!("{name}: {e}");
                return refuse(ctx, &name, "encrypt", "encrypted", "input", &message);
            }
            Err(e) => return Err(e).context("cannot encrypt"),
        };
        let mut bytes = sealed.bytes;
        bytes.push(b'\n');
        write_output(self.output.as_deref(), &bytes)?;
        let out_name = self
            .output
            .as_ref()
            .map_or_else(|| "-".to_owned(), |p| p.display().to_string());
        let to_stdout = out_name != "-";
        let painter = if to_stdout { ctx.out } else { ctx.err };
        let entries: Vec<_> = given
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let kind = g.recipient.key.kind();
                json!({
                    "index": i,
                    "file": g.file,
                    "subject": g.subject,
                    "kind": kind.to_string(),
                    "alg": g.recipient.alg.or_else(|| kind.default_key_alg()).map(KeyAlg::name),
                    "kid": g.recipient.key.kid(),
                    "thumbprint": g.recipient.key.thumbprint(),
                })
            })
            .collect();
        let mut report = Vec::new();
        match ctx.format {
            Format::Json => crate::output::json_line(
                &mut report,
                &json!({
                    "path": name,
                    "output": out_name,
                    "encrypted": true,
                    "uuid": sealed.uuid,
                    "enc": self.enc.name(),
                    "signed_here": signer.is_some(),
                    "recipients": entries,
                }),
            )?,
            Format::Text => {
                writeln!(
                    report,
                    "{} {name}{}: uuid {}, {}, {} recipient{}",
                    painter.paint(Style::Green, "encrypted"),
                    if signer.is_some() {
                        " (signed first)"
                    } else {
                        ""
                    },
                    sealed.uuid,
                    self.enc,
                    given.len(),
                    if given.len() == 1 { "" } else { "s" },
                )?;
                for (g, e) in given.iter().zip(&entries) {
                    writeln!(
                        report,
                        "  recipient {}: {} ({}, {})",
                        e["index"],
                        g.subject.as_deref().unwrap_or(&g.file),
                        e["kind"].as_str().unwrap_or("?"),
                        e["alg"].as_str().unwrap_or("?"),
                    )?;
                }
                if to_stdout {
                    writeln!(report, "wrote {out_name}")?;
                }
            }
        }
        emit(&report, to_stdout)?;
        Ok(Status::Ok)
    }
}

/// Why the input's form cannot be encrypted as asked.
fn form_refusal(name: &str, found: Option<Form>, sign_key: bool) -> String {
    match (found, sign_key) {
        (Some(Form::Unsigned), false) => format!(
            "{name} is an unsigned vCon; core-03 encrypts signed vCons only: sign it first (`vcon sign`), or pass --sign-key KEY --sign-cert CERT to sign and encrypt in one step"
        ),
        (Some(Form::Signed), true) => format!(
            "{name} is already signed; drop --sign-key (or co-sign it first with `vcon sign --cosign`)"
        ),
        (Some(Form::Encrypted), _) => format!("{name} is already an encrypted vCon"),
        _ => format!(
            "{name} has no vCon form (R-40): neither an unsigned vCon nor a signed one (payload + signatures)"
        ),
    }
}
