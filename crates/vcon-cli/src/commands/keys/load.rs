//! Reading what the trust commands are given: the vCon operand (bounded by the
//! reader's size limit), private keys, certificates, trust anchors and public
//! keys (PEM, DER or JWK files), and the trust options shared by `vcon verify`
//! and `vcon decrypt --verify`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use clap::Args;
use vcon_core::read::ReadLimits;
use vcon_trust::keys::{KeyMaterial, PrivateKey, PublicKey};
use vcon_trust::x509::{Certificate, load_certificates};
use vcon_trust::{Recipient, SignAlg, VerifyOptions};

use crate::cli::UsageError;
use crate::input::Input;

/// The vCon operand read into memory, or why it is refused (too large).
pub struct Operand {
    /// The name used in reports (`-` for standard input).
    pub name: String,
    /// The bytes read.
    pub bytes: Vec<u8>,
}

/// Reads the vCon operand. An unreadable input is an I/O error (exit 2); an
/// input over the reader's size limit is `Ok(Err(message))` (exit 1, R-42).
pub fn read_operand(path: &Path) -> Result<Result<Operand, String>> {
    let input = Input::from_arg(path);
    let name = input.name();
    let limit = ReadLimits::default().max_bytes;
    Ok(match input.read_bounded(limit)? {
        Ok(bytes) => Ok(Operand { name, bytes }),
        Err(size) => Err(format!(
            "{name}: input is {size} bytes, over the limit of {limit} bytes (R-42)"
        )),
    })
}

/// Reads a private key file (PEM, DER or JWK) given to `flag`.
pub fn private_key(flag: &str, path: &Path, kid: Option<&str>) -> Result<PrivateKey> {
    let key = PrivateKey::load(path).with_context(|| format!("{flag} {}", path.display()))?;
    Ok(match kid {
        Some(kid) => key.with_kid(kid),
        None => key,
    })
}

/// Reads every certificate of every file given to `flag` (PEM bundles or DER), in order.
pub fn certificates(flag: &str, paths: &[PathBuf]) -> Result<Vec<Certificate>> {
    let mut out = Vec::new();
    for path in paths {
        let certs =
            load_certificates(path).with_context(|| format!("{flag} {}", path.display()))?;
        if certs.is_empty() {
            return Err(UsageError(format!(
                "{flag} {}: the file holds no certificate",
                path.display()
            ))
            .into());
        }
        out.extend(certs);
    }
    Ok(out)
}

/// Reads public keys (SPKI/PKCS#1 PEM or DER, JWK, or the key of a certificate).
pub fn public_keys(flag: &str, paths: &[PathBuf]) -> Result<Vec<PublicKey>> {
    paths
        .iter()
        .map(|p| PublicKey::load(p).with_context(|| format!("{flag} {}", p.display())))
        .collect()
}

/// A recipient read from a certificate, public key or JWK file, and the
/// subject of its certificate when the file held one.
pub fn recipient(path: &Path) -> Result<(Recipient, Option<String>)> {
    let context = || format!("--to {}", path.display());
    let material = KeyMaterial::load(path).with_context(context)?;
    Ok(match material {
        KeyMaterial::Certificates(certs) => match certs.first() {
            Some(cert) => (
                Recipient::from_certificate(cert).with_context(context)?,
                Some(cert.subject().to_owned()),
            ),
            None => {
                return Err(
                    UsageError(format!("{}: the file holds no certificate", context())).into(),
                );
            }
        },
        KeyMaterial::Public(key) => (Recipient::new(key), None),
        KeyMaterial::Private(key) => (
            Recipient::new(key.public_key().with_context(context)?),
            None,
        ),
    })
}

/// Parses an RFC 3339 time (`--at`, `--updated-at`).
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("`{s}` is not an RFC 3339 time such as 2026-06-29T23:11:19Z: {e}"))
}

/// What a signature is trusted through: `vcon verify`, `vcon decrypt --verify`.
#[derive(Debug, Clone, Args)]
pub struct TrustArgs {
    /// Trust anchor: a root (or intermediate) CA certificate file, PEM (bundles allowed) or DER; repeatable. Signatures are trusted through their x5c chain to one of these.
    #[arg(long = "trust", value_name = "ROOT")]
    pub trust: Vec<PathBuf>,

    /// Public key trusted directly (PEM, DER, JWK, or a certificate whose key is used); repeatable. For signatures without a certificate (x5u, or none), or when no --trust is given.
    #[arg(long = "public-key", value_name = "KEY")]
    pub public_key: Vec<PathBuf>,

    /// Accept chains whose issuing certificates are X.509 v1 or lack basicConstraints (the draft's A.6 chain), with a warning. Each link's signature and validity are still checked.
    #[arg(long)]
    pub allow_v1_intermediates: bool,

    /// Verification time for certificate validity, RFC 3339 (default: now).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    pub at: Option<DateTime<Utc>>,

    /// Accept only this signature algorithm; repeatable (default: RS256, PS256, ES256, ES384, EdDSA).
    #[arg(long = "accept-alg", value_name = "ALG")]
    pub accept_alg: Vec<SignAlg>,
}

impl TrustArgs {
    /// Whether anything to trust was given.
    pub fn is_given(&self) -> bool {
        !self.trust.is_empty() || !self.public_key.is_empty()
    }

    /// Reads the files into verification options. Neither `--trust` nor
    /// `--public-key` is a usage error.
    pub fn options(&self) -> Result<VerifyOptions> {
        if !self.is_given() {
            return Err(UsageError(
                "nothing to trust: give --trust ROOT (the CA certificate the signer's x5c chain leads to) or --public-key KEY (the signer's public key)".into(),
            )
            .into());
        }
        let mut options = VerifyOptions {
            anchors: certificates("--trust", &self.trust)?,
            public_keys: public_keys("--public-key", &self.public_key)?,
            allow_v1_intermediates: self.allow_v1_intermediates,
            time: self.at,
            ..VerifyOptions::default()
        };
        if !self.accept_alg.is_empty() {
            options.allowed_algs.clone_from(&self.accept_alg);
        }
        Ok(options)
    }
}
