//! Signing: unsigned vCon → signed vCon (JWS General JSON Serialization,
//! core-03 §Signed Form), co-signing an already signed vCon, and wrapping a
//! signed vCon in a new JWS for long-term re-signing.
//!
//! See the crate documentation for the header layout.

use std::path::Path;

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde_json::{Map, Value};
use vcon_core::Form;
use vcon_core::read::{ReadLimits, read};

use crate::SignAlg;
use crate::error::{EnvelopeError, SignError};
use crate::jose::json::{self, Style};
use crate::jose::{b64, backend, jws};
use crate::keys::{KeyError, PrivateKey, PublicKey};
use crate::x509::{Certificate, load_certificates};

/// How a verifier is told which key signed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Identity {
    /// An `x5c` chain, leaf (the signer's certificate) first.
    X5c(Vec<Certificate>),
    /// An `x5u` URL (https) where the chain can be fetched.
    X5u(String),
    /// No certificate: verifiers need the public key itself (this is what the
    /// PyPI `vcon` library produces). core-03 wants x5c or x5u.
    #[default]
    None,
}

/// A signing key with its identity and algorithm.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The private key.
    pub key: PrivateKey,
    /// The algorithm; `None` picks the key's default (RSA → RS256,
    /// P-256 → ES256, P-384 → ES384, Ed25519 → EdDSA).
    pub alg: Option<SignAlg>,
    /// What goes into the header to identify the key.
    pub identity: Identity,
}

impl Signer {
    /// A signer with no certificate.
    pub fn new(key: PrivateKey) -> Self {
        Self {
            key,
            alg: None,
            identity: Identity::None,
        }
    }

    /// A signer identified by an `x5c` chain (leaf first).
    pub fn with_chain(key: PrivateKey, chain: Vec<Certificate>) -> Self {
        Self {
            key,
            alg: None,
            identity: Identity::X5c(chain),
        }
    }

    /// A signer identified by an `x5u` URL.
    pub fn with_x5u(key: PrivateKey, url: impl Into<String>) -> Self {
        Self {
            key,
            alg: None,
            identity: Identity::X5u(url.into()),
        }
    }

    /// Chooses the algorithm.
    #[must_use]
    pub fn alg(mut self, alg: SignAlg) -> Self {
        self.alg = Some(alg);
        self
    }

    /// Reads a key file (PEM, DER or JWK) and, if given, a chain file (PEM
    /// bundle, leaf first) — what `vcon sign --key K --chain C` needs.
    pub fn load(key: impl AsRef<Path>, chain: Option<&Path>) -> Result<Self, KeyError> {
        let key = PrivateKey::load(key)?;
        Ok(match chain {
            Some(path) => Self::with_chain(key, load_certificates(path)?),
            None => Self::new(key),
        })
    }

    fn effective_alg(&self) -> SignAlg {
        self.alg
            .unwrap_or_else(|| self.key.kind().default_sign_alg())
    }
}

/// Where the header members go. See the crate documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeaderLayout {
    /// `protected` = `{"alg", "kid"?}`; `header` = `{"x5c" | "x5u", "uuid"}`.
    /// Disjoint, as RFC 7515 §7.2.1 requires, with x5c/x5u and uuid in the
    /// unprotected header as core-03's text says. The default.
    #[default]
    Rfc7515,
    /// The draft's Appendix A.6 shape: `protected` = `{"alg", "typ":"JWT",
    /// "x5c"}`, `header` = `{"x5c", "alg", "uuid"}`. It repeats members, which
    /// strict JOSE libraries (josekit) refuse; only for consumers that read
    /// `header.alg`/`header.x5c` (the older py-vcon / PyPI `python-vcon`).
    DraftA6,
}

/// What `updated_at` becomes before signing (core-03: set before each signing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpdatedAt {
    /// The current time, RFC 3339 in UTC with milliseconds. The default.
    #[default]
    Now,
    /// A given time (written in UTC, as the digest §1 asks).
    At(DateTime<FixedOffset>),
    /// Leave the member as it is.
    Keep,
}

/// Options of [`sign`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignOptions {
    /// Header layout.
    pub layout: HeaderLayout,
    /// Gzip the payload (the verifier detects the gzip magic).
    pub gzip: bool,
    /// How to set `updated_at` (unsigned input only).
    pub updated_at: UpdatedAt,
    /// Limits for reading input bytes and existing payloads.
    pub limits: ReadLimits,
}

/// A signed vCon.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedVcon {
    /// The JSON text (pretty-printed; signatures never depend on it).
    pub bytes: Vec<u8>,
    /// The same as an object.
    pub object: Map<String, Value>,
    /// The vCon's uuid (copied into each signature header).
    pub uuid: String,
}

/// Signs an unsigned vCon object with one or more signers (one signature
/// each, all over the same payload). `updated_at` is set first, as
/// [`SignOptions::updated_at`] says.
pub fn sign(
    unsigned: &Map<String, Value>,
    signers: &[Signer],
    options: &SignOptions,
) -> Result<SignedVcon, SignError> {
    match Form::detect(unsigned) {
        Some(Form::Unsigned) => {}
        found => return Err(SignError::NotUnsigned { found }),
    }
    let uuid = match unsigned.get("uuid") {
        Some(Value::String(u)) if !u.is_empty() => u.clone(),
        _ => return Err(SignError::MissingUuid),
    };
    let json = with_updated_at(unsigned, options.updated_at);
    let payload = if options.gzip { gzip(&json)? } else { json };
    finish(b64(&payload), Vec::new(), signers, &uuid, options.layout)
}

/// Reads `bytes` (JSON or gzip) and signs it as [`sign`] does.
pub fn sign_bytes(
    bytes: &[u8],
    signers: &[Signer],
    options: &SignOptions,
) -> Result<SignedVcon, SignError> {
    let doc = read(bytes, &options.limits)?;
    sign(&doc.object, signers, options)
}

/// Adds one signature per signer to an already signed vCon (co-signing).
/// The payload and existing signatures are kept as they are (so
/// `updated_at` is not touched); the existing signatures are not verified.
pub fn add_signatures(
    signed: &[u8],
    signers: &[Signer],
    options: &SignOptions,
) -> Result<SignedVcon, SignError> {
    let doc = read(signed, &options.limits)?;
    if doc.form != Some(Form::Signed) {
        return Err(SignError::Envelope(not_signed(doc.form)));
    }
    let parsed = jws::parse(&doc.object)?;
    let uuid = jws::innermost_uuid(&doc.object, &options.limits, 8).map_err(|reason| {
        SignError::Envelope(EnvelopeError {
            pointer: "/payload".into(),
            reason,
            rule: "R-39",
        })
    })?;
    let existing = match doc.object.get("signatures") {
        Some(Value::Array(a)) => a.clone(),
        _ => Vec::new(),
    };
    finish(parsed.payload_b64, existing, signers, &uuid, options.layout)
}

/// Wraps a signed vCon as the payload of a new JWS (core-03's long-term
/// re-signing: a verified JWS becomes the payload of a new one). The header
/// uuid is the innermost vCon's.
pub fn wrap(
    signed: &[u8],
    signers: &[Signer],
    options: &SignOptions,
) -> Result<SignedVcon, SignError> {
    let doc = read(signed, &options.limits)?;
    if doc.form != Some(Form::Signed) {
        return Err(SignError::Envelope(not_signed(doc.form)));
    }
    jws::parse(&doc.object)?;
    let uuid = jws::innermost_uuid(&doc.object, &options.limits, 8).map_err(|reason| {
        SignError::Envelope(EnvelopeError {
            pointer: "/payload".into(),
            reason,
            rule: "R-39",
        })
    })?;
    let payload = if options.gzip {
        gzip(signed)?
    } else {
        signed.to_vec()
    };
    finish(b64(&payload), Vec::new(), signers, &uuid, options.layout)
}

fn not_signed(found: Option<Form>) -> EnvelopeError {
    EnvelopeError {
        pointer: String::new(),
        reason: format!(
            "expected a signed vCon (payload + signatures), found {}",
            found.map_or("no vCon form", Form::as_str)
        ),
        rule: "R-39",
    }
}

/// The payload JSON: `unsigned` with `updated_at` set as `how` says (a new
/// member goes right after `created_at`, where readers expect it).
fn with_updated_at(unsigned: &Map<String, Value>, how: UpdatedAt) -> Vec<u8> {
    let stamp = match how {
        UpdatedAt::Keep => return json::to_vec(unsigned, Style::Compact),
        UpdatedAt::Now => Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true),
        UpdatedAt::At(t) => t
            .with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Millis, true),
    };
    json::to_vec_with(unsigned, "updated_at", &Value::String(stamp), "created_at")
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, SignError> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes)
        .and_then(|()| e.finish())
        .map_err(|e| SignError::Backend {
            signer: 0,
            alg: SignAlg::default(),
            reason: format!("gzip: {e}"),
        })
}

fn finish(
    payload_b64: String,
    mut signatures: Vec<Value>,
    signers: &[Signer],
    uuid: &str,
    layout: HeaderLayout,
) -> Result<SignedVcon, SignError> {
    if signers.is_empty() {
        return Err(SignError::NoSigners);
    }
    for (i, signer) in signers.iter().enumerate() {
        signatures.push(Value::Object(signature(
            &payload_b64,
            i,
            signer,
            uuid,
            layout,
        )?));
    }
    let mut object = Map::new();
    object.insert("payload".into(), Value::String(payload_b64));
    object.insert("signatures".into(), Value::Array(signatures));
    let bytes = json::to_vec(&object, Style::Pretty);
    Ok(SignedVcon {
        bytes,
        object,
        uuid: uuid.to_owned(),
    })
}

/// Whether `public` is the public half of `key`: their RFC 7638 thumbprints
/// (SHA-256 over the public parameters), each computed once per key and
/// kept, are equal. `EVP_PKEY_eq` on every signature cost 13k instructions
/// for a P-256 key (4 % of an ES256 signature: it compares the curves'
/// parameters as numbers); it decides when a thumbprint is unavailable.
fn same_key(public: &PublicKey, key: &PrivateKey) -> bool {
    match (public.thumbprint_str(), key.public_thumbprint()) {
        ("", _) | (_, "") => public.pkey().public_eq(key.pkey()),
        (a, b) => a == b,
    }
}

fn signature(
    payload_b64: &str,
    i: usize,
    signer: &Signer,
    uuid: &str,
    layout: HeaderLayout,
) -> Result<Map<String, Value>, SignError> {
    let alg = signer.effective_alg();
    let kind = signer.key.kind();
    if !kind.fits_sign_alg(alg) {
        return Err(SignError::KeyAlgMismatch {
            signer: i,
            alg,
            kind,
        });
    }
    let key_err = |source| SignError::Key { signer: i, source };
    let mut protected = Map::new();
    let mut header = Map::new();
    protected.insert("alg".into(), alg.name().into());
    if let Some(kid) = signer.key.kid() {
        protected.insert("kid".into(), kid.into());
    }
    let (member, value) = match &signer.identity {
        Identity::X5c(chain) => {
            let Some(leaf) = chain.first() else {
                return Err(key_err(KeyError::Certificate {
                    index: 0,
                    reason: "the x5c chain is empty".into(),
                }));
            };
            if !same_key(&leaf.public_key().map_err(key_err)?, &signer.key) {
                return Err(SignError::CertKeyMismatch {
                    signer: i,
                    subject: leaf.subject().to_owned(),
                });
            }
            (
                "x5c",
                Value::Array(
                    chain
                        .iter()
                        .map(|c| Value::String(c.x5c_text().to_owned()))
                        .collect(),
                ),
            )
        }
        Identity::X5u(url) => {
            if !url.starts_with("https://") {
                return Err(SignError::X5uNotHttps {
                    signer: i,
                    url: url.clone(),
                });
            }
            ("x5u", Value::String(url.clone()))
        }
        Identity::None => ("", Value::Null),
    };
    if layout == HeaderLayout::DraftA6 {
        protected.insert("typ".into(), "JWT".into());
        if !member.is_empty() {
            protected.insert(member.into(), value.clone());
        }
    }
    if !member.is_empty() {
        header.insert(member.into(), value);
    }
    if layout == HeaderLayout::DraftA6 {
        header.insert("alg".into(), alg.name().into());
    }
    header.insert("uuid".into(), uuid.into());

    let protected_b64 = b64(&json::to_vec(&protected, Style::Compact));
    let input = jws::signing_input(&protected_b64, payload_b64);
    let sig = backend::sign(alg, &signer.key, &input).map_err(|reason| SignError::Backend {
        signer: i,
        alg,
        reason,
    })?;
    let mut entry = Map::new();
    entry.insert("protected".into(), Value::String(protected_b64));
    entry.insert("header".into(), Value::Object(header));
    entry.insert("signature".into(), Value::String(b64(&sig)));
    Ok(entry)
}
