//! X.509 certificates: reading them (PEM bundles, DER, `x5c` entries) and
//! validating `x5c` chains to trust anchors ([`chain`]).

pub mod cache;
pub mod chain;
pub(crate) mod spki;

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use chrono::{DateTime, Utc};
use x509_parser::extensions::{BasicConstraints, KeyUsage};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::keys::{KeyError, PublicKey, read_file};

pub use cache::ChainCache;
pub use chain::{ChainError, ChainOptions, ChainPolicy, ValidatedChain, validate_chain};

/// One X.509 certificate, kept as DER with its names decoded for messages.
/// Its public key and its `x5c` text are computed once, when first asked for.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    subject: String,
    issuer: String,
    version: u32,
    not_before: i64,
    not_after: i64,
    facts: Arc<Facts>,
    key: OnceLock<PublicKey>,
    x5c: OnceLock<String>,
}

/// What the chain checks read, decoded once when the certificate is parsed
/// (an extension that does not parse keeps the parser's message).
pub(crate) struct Facts {
    /// The subject name, DER.
    pub subject_raw: Vec<u8>,
    /// The issuer name, DER.
    pub issuer_raw: Vec<u8>,
    /// basicConstraints.
    pub basic_constraints: Result<Option<BasicConstraints>, String>,
    /// keyUsage.
    pub key_usage: Result<Option<KeyUsage>, String>,
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        // Everything else is decoded from the DER.
        self.der == other.der
    }
}

impl Eq for Certificate {}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Parses one DER certificate; trailing bytes are refused.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        Self::from_der_at(der, 0)
    }

    fn from_der_at(der: &[u8], index: usize) -> Result<Self, KeyError> {
        let err = |reason: String| KeyError::Certificate { index, reason };
        let (rest, cert) = X509Certificate::from_der(der)
            .map_err(|e| err(format!("not a DER X.509 certificate: {e}")))?;
        if !rest.is_empty() {
            return Err(err(format!("{} bytes follow the certificate", rest.len())));
        }
        Ok(Self {
            der: der.to_vec(),
            subject: name(cert.subject()),
            issuer: name(cert.issuer()),
            version: cert.version().0 + 1,
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            facts: Arc::new(Facts {
                subject_raw: cert.subject().as_raw().to_vec(),
                issuer_raw: cert.issuer().as_raw().to_vec(),
                basic_constraints: cert
                    .basic_constraints()
                    .map(|bc| bc.map(|bc| bc.value.clone()))
                    .map_err(|e| e.to_string()),
                key_usage: cert
                    .key_usage()
                    .map(|ku| ku.map(|ku| *ku.value))
                    .map_err(|e| e.to_string()),
            }),
            key: OnceLock::new(),
            x5c: OnceLock::new(),
        })
    }

    /// Parses the first `CERTIFICATE` block of a PEM text.
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        read_certificates(pem)?
            .into_iter()
            .next()
            .ok_or_else(|| KeyError::Unrecognised {
                expected: "certificate",
                reason: "no `-----BEGIN CERTIFICATE-----` block".into(),
            })
    }

    /// Decodes one `x5c` entry (standard base64 of DER, RFC 7515 §4.1.6).
    /// Missing padding is tolerated.
    pub fn from_x5c(entry: &str, index: usize) -> Result<Self, KeyError> {
        let der = STANDARD
            .decode(entry)
            .or_else(|_| STANDARD_NO_PAD.decode(entry))
            .map_err(|e| KeyError::Certificate {
                index,
                reason: format!("x5c entry is not standard base64: {e}"),
            })?;
        Self::from_der_at(&der, index)
    }

    /// The `x5c` form: standard base64 of the DER.
    pub fn to_x5c(&self) -> String {
        self.x5c_text().to_owned()
    }

    /// The `x5c` form, encoded once.
    pub(crate) fn x5c_text(&self) -> &str {
        self.x5c.get_or_init(|| STANDARD.encode(&self.der))
    }

    /// PEM text (`CERTIFICATE`).
    pub fn to_pem(&self) -> String {
        let b64 = STANDARD.encode(&self.der);
        let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
        out
    }

    /// What the chain checks read.
    pub(crate) fn facts(&self) -> &Facts {
        &self.facts
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The subject name (RFC 4514 style, as x509-parser prints it).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The issuer name.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// X.509 version: 1, 2 or 3.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.not_before, 0).unwrap_or_default()
    }

    /// End of the validity period.
    pub fn not_after(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.not_after, 0).unwrap_or_default()
    }

    /// The certified public key (built once per certificate).
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        if let Some(key) = self.key.get() {
            return Ok(key.clone());
        }
        let key = self.build_public_key()?;
        Ok(self.key.get_or_init(|| key).clone())
    }

    fn build_public_key(&self) -> Result<PublicKey, KeyError> {
        if let Ok((_, cert)) = X509Certificate::from_der(&self.der)
            && let Some(pkey) = spki::public_pkey(cert.public_key())
        {
            return PublicKey::from_pkey(pkey);
        }
        let x509 = openssl::x509::X509::from_der(&self.der).map_err(crate::keys::backend)?;
        PublicKey::from_pkey(x509.public_key().map_err(crate::keys::backend)?)
    }
}

/// Prints a name for messages (`(empty name)` when it has no attributes).
pub(crate) fn name(n: &x509_parser::x509::X509Name<'_>) -> String {
    let s = n.to_string();
    if s.is_empty() {
        "(empty name)".to_owned()
    } else {
        s
    }
}

/// Reads every certificate of a PEM bundle (all `CERTIFICATE` blocks, in
/// order), or one DER certificate.
pub fn read_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, KeyError> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) if t.contains("-----BEGIN ") => t,
        _ => return Certificate::from_der(bytes).map(|c| vec![c]),
    };
    let mut out = Vec::new();
    for (index, block) in text
        .split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .enumerate()
    {
        let Some((body, _)) = block.split_once("-----END CERTIFICATE-----") else {
            return Err(KeyError::Certificate {
                index,
                reason: "PEM block has no `-----END CERTIFICATE-----`".into(),
            });
        };
        let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD.decode(b64).map_err(|e| KeyError::Certificate {
            index,
            reason: format!("PEM body is not base64: {e}"),
        })?;
        out.push(Certificate::from_der_at(&der, index)?);
    }
    if out.is_empty() {
        return Err(KeyError::Unrecognised {
            expected: "certificate",
            reason: "no `-----BEGIN CERTIFICATE-----` block".into(),
        });
    }
    Ok(out)
}

/// Reads every certificate of a PEM bundle or DER file.
pub fn load_certificates(path: impl AsRef<Path>) -> Result<Vec<Certificate>, KeyError> {
    let path = path.as_ref();
    read_certificates(&read_file(path)?).map_err(|e| crate::keys::in_file(path, e))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn pem_bundle_order_and_errors() {
        let pki = crate::keys::TestPki::generate(&crate::keys::TestPkiOptions::default()).unwrap();
        let bundle = format!(
            "{}junk between\n{}",
            pki.leaf_cert.to_pem(),
            pki.intermediate_cert.to_pem()
        );
        let certs = read_certificates(bundle.as_bytes()).unwrap();
        assert_eq!(
            certs,
            vec![pki.leaf_cert.clone(), pki.intermediate_cert.clone()]
        );
        assert_eq!(certs[0].version(), 3);
        assert_eq!(
            Certificate::from_der(pki.root_cert.der()).unwrap(),
            pki.root_cert
        );
        let x5c = pki.leaf_cert.to_x5c();
        assert_eq!(Certificate::from_x5c(&x5c, 0).unwrap(), pki.leaf_cert);
        let e = Certificate::from_x5c("%%%", 2).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("certificate 2: x5c entry is not standard base64"),
            "{e}"
        );
        let mut der = pki.leaf_cert.der().to_vec();
        der.push(0);
        assert!(
            Certificate::from_der(&der)
                .unwrap_err()
                .to_string()
                .contains("1 bytes follow")
        );
        assert!(read_certificates(b"-----BEGIN FOO-----\n-----END FOO-----\n").is_err());
    }
}
