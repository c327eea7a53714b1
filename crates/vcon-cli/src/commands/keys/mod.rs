//! `vcon keys`: generate a throw-away test PKI, and show what a key or
//! certificate file holds. `load` has the file readers the other trust
//! commands share.

pub mod load;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};
use vcon_trust::keys::{KeyKind, KeyMaterial, PublicKey, TestPki, TestPkiOptions};
use vcon_trust::x509::Certificate;

use crate::cli::{Command, Ctx, Spec, Status, UsageError, spec};
use crate::output::{Format, Style};

/// Registration of `vcon keys`.
pub const SPEC: Spec = spec::<Args>("keys");

const LONG_ABOUT: &str = "\
Keys and certificates for the trust commands (sign, verify, encrypt, decrypt).

  vcon keys generate --out-dir DIR   a throw-away root CA, intermediate CA and signer leaf
                                     (PEM), for trying things out without a PKI
  vcon keys show FILE                what a key or certificate file holds (PEM, DER, JWK)

Run `vcon keys generate --help` or `vcon keys show --help` for details.

Examples:
  vcon keys generate --out-dir pki/
  vcon keys show --format json pki/chain.pem

Exit status:
  0  done
  1  (show) the file holds no key or certificate this tool reads
  2  usage error, or a file cannot be read or written (generate: a file exists, use --force)";

const GENERATE_ABOUT: &str = "\
Generate a three-level test PKI into DIR (created if needed): a self-signed root CA, an
intermediate CA issued by it and a signer (leaf) certificate issued by the intermediate,
all X.509 v3 with the basicConstraints and keyUsage RFC 5280 wants, so the chain passes
`vcon verify`'s strict policy. Files (PEM; private keys PKCS#8, mode 0600):

  root.crt          the trust anchor           vcon verify --trust DIR/root.crt
  root.key          the root CA's key
  intermediate.crt  the intermediate CA
  intermediate.key  the intermediate CA's key
  leaf.crt          the signer's certificate   vcon encrypt --to DIR/leaf.crt
  leaf.key          the signer's key           vcon sign --key, vcon decrypt --key
  chain.pem         leaf + intermediate        vcon sign --cert DIR/chain.pem

THESE ARE FOR TESTING: never trust them outside tests. Existing files are not overwritten
unless --force is given.

With --format json:
  {\"out_dir\":\"pki\",\"kind\":\"RSA-2048\",\"domain\":\"signer.vcon.example\",\"days\":365,
   \"files\":[{\"path\":\"pki/root.crt\",\"role\":\"...\"}],\"warning\":\"...\"}

Examples:
  vcon keys generate --out-dir pki/
  vcon keys generate --out-dir pki-ec/ --kind p256 --domain calls.example.com --days 30
  vcon sign call.vcon --key pki/leaf.key --cert pki/chain.pem | vcon verify - --trust pki/root.crt

Exit status:
  0  generated
  2  usage error, or a file exists (without --force) or cannot be written";

const SHOW_ABOUT: &str = "\
Show what a key or certificate file holds: a private key, a public key or certificates
(PEM, including bundles; DER; JWK). For keys: type, kid, the RFC 7638 JWK thumbprint and
the public JWK; for certificates: subject, issuer, X.509 version, validity, key type.
Private key material is never printed.

With --format json:
  {\"path\":\"leaf.key\",\"contents\":\"private_key\",\"kind\":\"RSA-2048\",\"kid\":null,
   \"thumbprint\":\"...\",\"jwk\":{\"kty\":\"RSA\",...},\"certificates\":[]}

Examples:
  vcon keys show pki/chain.pem
  vcon keys show --format json signer.jwk | jq .thumbprint

Exit status:
  0  shown
  1  the file holds no key or certificate this tool reads (or an encrypted key)
  2  usage error, or the file cannot be read";

/// `vcon keys` arguments.
#[derive(Debug, Parser)]
#[command(
    about = "Generate a test PKI, or show what a key or certificate file holds",
    long_about = LONG_ABOUT
)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

/// The `vcon keys` actions.
#[derive(Debug, Subcommand)]
enum Action {
    /// Generate a throw-away test CA, intermediate and signer (PEM files), for testing only.
    #[command(long_about = GENERATE_ABOUT)]
    Generate(Generate),
    /// Show what a key or certificate file holds (type, thumbprint, subjects).
    #[command(long_about = SHOW_ABOUT)]
    Show(Show),
}

/// `vcon keys generate` arguments.
#[derive(Debug, clap::Args)]
struct Generate {
    /// Directory to write the files into (created if needed).
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,

    /// Key type of all three keys.
    #[arg(long, value_enum, default_value_t = KindArg::Rsa2048)]
    kind: KindArg,

    /// DNS name of the signer (the CAs are named after it).
    #[arg(long, value_name = "NAME", default_value = "signer.vcon.example")]
    domain: String,

    /// Validity of every certificate, in days from now.
    #[arg(long, value_name = "N", default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=36500))]
    days: u32,

    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
}

/// `vcon keys show` arguments.
#[derive(Debug, clap::Args)]
struct Show {
    /// The key or certificate file.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

/// The `--kind` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum KindArg {
    /// RSA, 2048 bits (RS256; RSA-OAEP).
    Rsa2048,
    /// RSA, 3072 bits.
    Rsa3072,
    /// RSA, 4096 bits.
    Rsa4096,
    /// EC P-256 (ES256; ECDH-ES+A256KW).
    P256,
    /// EC P-384 (ES384; ECDH-ES+A256KW).
    P384,
    /// Ed25519 (EdDSA; cannot receive encrypted vCons).
    Ed25519,
}

impl KindArg {
    fn kind(self) -> KeyKind {
        match self {
            Self::Rsa2048 => KeyKind::RSA2048,
            Self::Rsa3072 => KeyKind::Rsa { bits: 3072 },
            Self::Rsa4096 => KeyKind::Rsa { bits: 4096 },
            Self::P256 => KeyKind::P256,
            Self::P384 => KeyKind::P384,
            Self::Ed25519 => KeyKind::Ed25519,
        }
    }
}

/// The files `generate` writes, and what each is for.
const FILES: [(&str, &str); 7] = [
    (
        "root.crt",
        "root CA certificate: the trust anchor (vcon verify --trust)",
    ),
    ("root.key", "root CA private key"),
    ("intermediate.crt", "intermediate CA certificate"),
    ("intermediate.key", "intermediate CA private key"),
    (
        "leaf.crt",
        "signer certificate (vcon encrypt --to; its key decrypts)",
    ),
    (
        "leaf.key",
        "signer private key (vcon sign --key, vcon decrypt --key)",
    ),
    (
        "chain.pem",
        "leaf + intermediate: the chain to sign with (vcon sign --cert)",
    ),
];

const WARNING: &str =
    "these keys and certificates are for testing only: never trust them outside tests";

impl Command for Args {
    fn run(self, ctx: &Ctx) -> Result<Status> {
        match self.action {
            Action::Generate(g) => generate(ctx, &g),
            Action::Show(s) => show(ctx, &s.file),
        }
    }
}

fn generate(ctx: &Ctx, g: &Generate) -> Result<Status> {
    if !g.force {
        let existing: Vec<String> = FILES
            .iter()
            .map(|(f, _)| g.out_dir.join(f))
            .filter(|p| p.exists())
            .map(|p| p.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(UsageError(format!(
                "not overwriting {} (pass --force to replace)",
                existing.join(", ")
            ))
            .into());
        }
    }
    let options = TestPkiOptions {
        key_kind: g.kind.kind(),
        domain: g.domain.clone(),
        days: g.days,
    };
    let pki = TestPki::generate(&options).context("cannot generate the test PKI")?;
    let written = pki
        .write_to(&g.out_dir)
        .context("cannot write the test PKI")?;
    for path in &written {
        restrict_if_key(path)?;
    }
    let role = |p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        FILES
            .iter()
            .find(|(f, _)| *f == name)
            .map_or("", |(_, r)| *r)
    };
    let mut out = std::io::stdout().lock();
    match ctx.format {
        Format::Json => crate::output::json_line(
            &mut out,
            &json!({
                "out_dir": g.out_dir.display().to_string(),
                "kind": options.key_kind.to_string(),
                "domain": options.domain,
                "days": options.days,
                "files": written.iter().map(|p| json!({
                    "path": p.display().to_string(),
                    "role": role(p),
                })).collect::<Vec<_>>(),
                "warning": WARNING,
            }),
        )?,
        Format::Text => {
            writeln!(
                out,
                "generated a test PKI ({}, signer {}, valid {} days) in {}:",
                options.key_kind,
                options.domain,
                options.days,
                g.out_dir.display()
            )?;
            let width = written
                .iter()
                .map(|p| p.display().to_string().len())
                .max()
                .unwrap_or(0);
            for p in &written {
                writeln!(out, "  {:<width$}  {}", p.display().to_string(), role(p))?;
            }
        }
    }
    out.flush()?;
    writeln!(
        std::io::stderr().lock(),
        "vcon: {} {WARNING}",
        ctx.err.paint(Style::Yellow, "warning:")
    )?;
    Ok(Status::Ok)
}

/// Makes a private key file readable by its owner only (Unix).
fn restrict_if_key(path: &Path) -> Result<()> {
    #[cfg(unix)]
    if path.extension().is_some_and(|e| e == "key") {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {}", path.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn key_json(contents: &str, key: &PublicKey, certs: &[Certificate]) -> Value {
    json!({
        "contents": contents,
        "kind": key.kind().to_string(),
        "kid": key.kid(),
        "thumbprint": key.thumbprint(),
        "jwk": key.to_jwk().ok(),
        "certificates": certs.iter().map(|c| json!({
            "subject": c.subject(),
            "issuer": c.issuer(),
            "version": c.version(),
            "not_before": c.not_before().to_rfc3339(),
            "not_after": c.not_after().to_rfc3339(),
            "kind": c.public_key().map(|k| k.kind().to_string()).ok(),
            "thumbprint": c.public_key().map(|k| k.thumbprint()).ok(),
        })).collect::<Vec<_>>(),
    })
}

fn show(ctx: &Ctx, file: &Path) -> Result<Status> {
    let name = file.display().to_string();
    // An unreadable file is an I/O error (exit 2); unrecognised contents exit 1.
    std::fs::metadata(file).with_context(|| format!("cannot read {name}"))?;
    let material = match KeyMaterial::load(file) {
        Ok(m) => m,
        Err(e) => {
            return super::verify::report::refuse(
                ctx,
                &name,
                "read the key",
                "read",
                "key",
                &e.to_string(),
            );
        }
    };
    let (contents, public, certs) = match &material {
        KeyMaterial::Private(k) => ("private_key", k.public_key()?, Vec::new()),
        KeyMaterial::Public(k) => ("public_key", k.clone(), Vec::new()),
        KeyMaterial::Certificates(c) => ("certificates", material.public_key()?, c.clone()),
    };
    let report = key_json(contents, &public, &certs);
    let mut out = std::io::stdout().lock();
    match ctx.format {
        Format::Json => crate::output::json_line(
            &mut out,
            &super::verify::report::with_members(json!({ "path": name }), report),
        )?,
        Format::Text => {
            let what = match contents {
                "private_key" => "private key",
                "public_key" => "public key",
                _ => "certificates",
            };
            writeln!(
                out,
                "{}: {what}, {}{}",
                ctx.out.paint(Style::Bold, &name),
                public.kind(),
                public
                    .kid()
                    .map(|k| format!(", kid {k}"))
                    .unwrap_or_default()
            )?;
            writeln!(out, "  JWK thumbprint (RFC 7638): {}", public.thumbprint())?;
            for (i, c) in certs.iter().enumerate() {
                writeln!(
                    out,
                    "  certificate {i}: {} (X.509 v{})\n    issuer {}\n    valid {} to {}",
                    c.subject(),
                    c.version(),
                    c.issuer(),
                    c.not_before(),
                    c.not_after()
                )?;
            }
        }
    }
    Ok(Status::Ok)
}
