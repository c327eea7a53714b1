//! Keys: reading private and public keys from PEM, DER or JWK, generating
//! keys, and the test PKI generator.
//!
//! Supported key types: RSA (2048 bits and more), EC P-256, EC P-384 and
//! Ed25519. Encrypted (password-protected) private keys are refused with a
//! clear error rather than prompting on a terminal.
//!
//! ```
//! use vcon_trust::keys::{KeyKind, PrivateKey, PublicKey};
//! let key = PrivateKey::generate(KeyKind::P256).unwrap();
//! let pem = key.public_key().unwrap().to_pem().unwrap();
//! let again = PublicKey::from_bytes(&pem).unwrap();
//! assert_eq!(again.thumbprint(), key.public_key().unwrap().thumbprint());
//! ```

mod jwk;
mod kind;
mod material;
pub(crate) mod ops;
mod testpki;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use openssl::nid::Nid;
use openssl::pkey::{PKey, Private, Public};

pub use kind::KeyKind;
pub use material::KeyMaterial;
pub use testpki::{TestPki, TestPkiOptions, generate_test_pki};

/// Why a key or certificate could not be read, generated or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A file could not be read or written.
    #[error("{path}: {reason}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        reason: String,
    },
    /// The input holds no PEM block, DER structure or JWK this crate recognises.
    #[error("not a {expected}: {reason}")]
    Unrecognised {
        /// What was expected ("private key", "public key", "certificate").
        expected: &'static str,
        /// Why each attempt failed.
        reason: String,
    },
    /// A password-protected private key.
    #[error(
        "the private key is encrypted (PEM label `{label}`); decrypt it first, e.g. `openssl pkey -in KEY -out PLAIN`"
    )]
    Encrypted {
        /// The PEM label found.
        label: String,
    },
    /// A JWK member is missing or wrong.
    #[error("JWK member `{member}`: {reason}")]
    Jwk {
        /// The member at fault (`kty`, `n`, `crv`, ...).
        member: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A key of a type or size this crate does not use.
    #[error(
        "unsupported key: {found} (supported: RSA of 2048 bits or more, EC P-256, EC P-384, Ed25519)"
    )]
    Unsupported {
        /// What was found.
        found: String,
    },
    /// A public key, certificate or JWK without private part where a private key is needed.
    #[error("{found} holds no private key")]
    NotPrivate {
        /// What was found.
        found: &'static str,
    },
    /// A certificate could not be parsed.
    #[error("certificate {index}: {reason}")]
    Certificate {
        /// Position in the input (0 for a single certificate).
        index: usize,
        /// What the parser said.
        reason: String,
    },
    /// The cryptographic backend failed (key generation, serialisation).
    #[error("cryptographic backend: {reason}")]
    Backend {
        /// What OpenSSL said.
        reason: String,
    },
}

pub(crate) fn backend(e: openssl::error::ErrorStack) -> KeyError {
    KeyError::Backend {
        reason: e.to_string(),
    }
}

/// Reads a whole file, naming it in the error.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, KeyError> {
    std::fs::read(path).map_err(|e| KeyError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

/// What an input looks like: JSON (JWK), PEM text, or binary DER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Jwk,
    Pem,
    Der,
}

fn sniff(bytes: &[u8]) -> Encoding {
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"{") {
        Encoding::Jwk
    } else if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
        Encoding::Pem
    } else {
        Encoding::Der
    }
}

/// PEM labels found in `bytes`, in order.
fn pem_labels(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.split("-----BEGIN ")
        .skip(1)
        .filter_map(|rest| rest.split_once("-----").map(|(label, _)| label.to_owned()))
        .collect()
}

/// A private key (RSA, EC P-256/P-384 or Ed25519), with an optional key id.
#[derive(Clone)]
pub struct PrivateKey {
    pkey: PKey<Private>,
    kind: KeyKind,
    kid: Option<String>,
    ops: Arc<ops::Ops<Private>>,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("kind", &self.kind)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    fn from_pkey(pkey: PKey<Private>) -> Result<Self, KeyError> {
        let kind = KeyKind::of(&pkey)?;
        Ok(Self {
            ops: ops::Ops::new(&pkey),
            pkey,
            kind,
            kid: None,
        })
    }

    /// Reads a PEM private key: PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE
    /// KEY`) or SEC 1 (`EC PRIVATE KEY`). The first key block is used.
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let labels = pem_labels(pem);
        if let Some(label) = labels.iter().find(|l| l.contains("ENCRYPTED")) {
            return Err(KeyError::Encrypted {
                label: label.clone(),
            });
        }
        if String::from_utf8_lossy(pem).contains("Proc-Type: 4,ENCRYPTED") {
            return Err(KeyError::Encrypted {
                label: labels.first().cloned().unwrap_or_default(),
            });
        }
        // The callback answers an empty password, so OpenSSL never prompts.
        let pkey = PKey::private_key_from_pem_callback(pem, |_| Ok(0)).map_err(|e| {
            KeyError::Unrecognised {
                expected: "private key",
                reason: format!("PEM blocks found: [{}]; OpenSSL: {e}", labels.join(", ")),
            }
        })?;
        Self::from_pkey(pkey)
    }

    /// Reads a DER private key: PKCS#8, PKCS#1 RSA or SEC 1 EC.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        let pkey = PKey::private_key_from_der(der)
            .or_else(|_| openssl::rsa::Rsa::private_key_from_der(der).and_then(PKey::from_rsa))
            .or_else(|_| openssl::ec::EcKey::private_key_from_der(der).and_then(PKey::from_ec_key))
            .map_err(|e| KeyError::Unrecognised {
                expected: "private key",
                reason: format!("not PKCS#8, PKCS#1 or SEC 1 DER: {e}"),
            })?;
        Self::from_pkey(pkey)
    }

    /// Reads a private JWK (RFC 7517), or a JWK set holding exactly one key.
    /// The JWK's `kid`, if any, becomes the key id.
    pub fn from_jwk(json: &[u8]) -> Result<Self, KeyError> {
        let (pkey, kid) = jwk::private_from_jwk(json)?;
        let mut key = Self::from_pkey(pkey)?;
        key.kid = kid;
        Ok(key)
    }

    /// Reads a private key in any supported encoding (JWK, PEM or DER), found by sniffing.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        match sniff(bytes) {
            Encoding::Jwk => Self::from_jwk(bytes),
            Encoding::Pem => Self::from_pem(bytes),
            Encoding::Der => Self::from_der(bytes),
        }
    }

    /// Reads a private key file in any supported encoding.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        Self::from_bytes(&read_file(path)?).map_err(|e| in_file(path, e))
    }

    /// Generates a fresh key.
    pub fn generate(kind: KeyKind) -> Result<Self, KeyError> {
        let pkey = match kind {
            KeyKind::Rsa { bits } => {
                if bits < 2048 {
                    return Err(KeyError::Unsupported {
                        found: format!("RSA key of {bits} bits (2048 or more required)"),
                    });
                }
                openssl::rsa::Rsa::generate(bits).and_then(PKey::from_rsa)
            }
            KeyKind::P256 | KeyKind::P384 => {
                let nid = if kind == KeyKind::P256 {
                    Nid::X9_62_PRIME256V1
                } else {
                    Nid::SECP384R1
                };
                openssl::ec::EcGroup::from_curve_name(nid)
                    .and_then(|g| openssl::ec::EcKey::generate(&g))
                    .and_then(PKey::from_ec_key)
            }
            KeyKind::Ed25519 => PKey::generate_ed25519(),
        }
        .map_err(backend)?;
        Self::from_pkey(pkey)
    }

    /// The key type.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The key id (`kid`), when one was read from a JWK or set.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Sets the key id written as `kid` in headers.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// The matching public key (same key id).
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        let der = self.pkey.public_key_to_der().map_err(backend)?;
        let pkey = PKey::public_key_from_der(&der).map_err(backend)?;
        Ok(PublicKey {
            ops: ops::Ops::new(&pkey),
            pkey,
            kind: self.kind,
            kid: self.kid.clone(),
        })
    }

    /// PKCS#8 PEM text of the key.
    pub fn to_pem(&self) -> Result<Vec<u8>, KeyError> {
        self.pkey.private_key_to_pem_pkcs8().map_err(backend)
    }

    /// PKCS#8 DER of the key (the josekit cross-checks).
    #[cfg(test)]
    pub(crate) fn pkcs8_der(&self) -> Result<Vec<u8>, KeyError> {
        self.pkey.private_key_to_pkcs8().map_err(backend)
    }

    pub(crate) fn pkey(&self) -> &PKey<Private> {
        &self.pkey
    }

    /// What the key keeps ready for signing.
    pub(crate) fn ops(&self) -> &ops::Ops<Private> {
        &self.ops
    }

    /// The RFC 7638 thumbprint of the public half, computed once per key
    /// (shared by its clones); empty if the key cannot be exported.
    pub(crate) fn public_thumbprint(&self) -> &str {
        self.ops.thumbprint.get_or_init(|| {
            self.public_key()
                .map(|k| k.thumbprint_str().to_owned())
                .unwrap_or_default()
        })
    }
}

/// A public key (RSA, EC P-256/P-384 or Ed25519), with an optional key id.
#[derive(Clone)]
pub struct PublicKey {
    pkey: PKey<Public>,
    kind: KeyKind,
    kid: Option<String>,
    ops: Arc<ops::Ops<Public>>,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kind", &self.kind)
            .field("kid", &self.kid)
            .field("thumbprint", &self.thumbprint())
            .finish()
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.pkey.public_eq(&other.pkey)
    }
}

impl PublicKey {
    pub(crate) fn from_pkey(pkey: PKey<Public>) -> Result<Self, KeyError> {
        let kind = KeyKind::of(&pkey)?;
        Ok(Self {
            ops: ops::Ops::new(&pkey),
            pkey,
            kind,
            kid: None,
        })
    }

    /// Reads a PEM public key: SPKI (`PUBLIC KEY`), PKCS#1 (`RSA PUBLIC KEY`),
    /// a certificate (its key is used), or a private key (its public half).
    pub fn from_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let labels = pem_labels(pem);
        match labels.first().map(String::as_str) {
            Some("CERTIFICATE") => crate::x509::Certificate::from_pem(pem)?.public_key(),
            Some(l) if l.contains("PRIVATE KEY") => PrivateKey::from_pem(pem)?.public_key(),
            Some("RSA PUBLIC KEY") => openssl::rsa::Rsa::public_key_from_pem_pkcs1(pem)
                .and_then(PKey::from_rsa)
                .map_err(|e| unrecognised_public(&labels, &e))
                .and_then(Self::from_pkey),
            _ => PKey::public_key_from_pem(pem)
                .map_err(|e| unrecognised_public(&labels, &e))
                .and_then(Self::from_pkey),
        }
    }

    /// Reads a DER public key: SPKI, PKCS#1 RSA, or a certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(pkey) = PKey::public_key_from_der(der) {
            return Self::from_pkey(pkey);
        }
        if let Ok(rsa) = openssl::rsa::Rsa::public_key_from_der_pkcs1(der) {
            return PKey::from_rsa(rsa)
                .map_err(backend)
                .and_then(Self::from_pkey);
        }
        match crate::x509::Certificate::from_der(der) {
            Ok(cert) => cert.public_key(),
            Err(_) => Err(KeyError::Unrecognised {
                expected: "public key",
                reason: "not SPKI, PKCS#1 RSA public key or X.509 certificate DER".into(),
            }),
        }
    }

    /// Reads a JWK (public or private; only the public part is kept), or a JWK
    /// set holding exactly one key.
    pub fn from_jwk(json: &[u8]) -> Result<Self, KeyError> {
        let (pkey, kid) = jwk::public_from_jwk(json)?;
        let mut key = Self::from_pkey(pkey)?;
        key.kid = kid;
        Ok(key)
    }

    /// Reads a public key in any supported encoding, found by sniffing.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        match sniff(bytes) {
            Encoding::Jwk => Self::from_jwk(bytes),
            Encoding::Pem => Self::from_pem(bytes),
            Encoding::Der => Self::from_der(bytes),
        }
    }

    /// Reads a public key file in any supported encoding.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        Self::from_bytes(&read_file(path)?).map_err(|e| in_file(path, e))
    }

    /// The key type.
    pub fn kind(&self) -> KeyKind {
        self.kind
    }

    /// The key id, when known.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Sets the key id.
    #[must_use]
    pub fn with_kid(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Result<Vec<u8>, KeyError> {
        self.pkey.public_key_to_der().map_err(backend)
    }

    /// PEM SubjectPublicKeyInfo (`PUBLIC KEY`).
    pub fn to_pem(&self) -> Result<Vec<u8>, KeyError> {
        self.pkey.public_key_to_pem().map_err(backend)
    }

    pub(crate) fn pkey(&self) -> &PKey<Public> {
        &self.pkey
    }

    /// What the key keeps ready for verification.
    pub(crate) fn ops(&self) -> &ops::Ops<Public> {
        &self.ops
    }

    /// The public JWK (RFC 7517), with `kid` when known.
    pub fn to_jwk(&self) -> Result<serde_json::Map<String, serde_json::Value>, KeyError> {
        jwk::public_to_jwk(&self.pkey, self.kind, self.kid.as_deref())
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url), or an empty string if
    /// the key cannot be exported. Computed once per key.
    pub fn thumbprint(&self) -> String {
        self.thumbprint_str().to_owned()
    }

    /// [`PublicKey::thumbprint`] without the copy.
    pub(crate) fn thumbprint_str(&self) -> &str {
        self.ops
            .thumbprint
            .get_or_init(|| jwk::thumbprint(&self.pkey, self.kind).unwrap_or_default())
    }
}

fn unrecognised_public(labels: &[String], e: &openssl::error::ErrorStack) -> KeyError {
    KeyError::Unrecognised {
        expected: "public key",
        reason: format!("PEM blocks found: [{}]; OpenSSL: {e}", labels.join(", ")),
    }
}

/// Prefixes an error with the file it came from.
pub(crate) fn in_file(path: &Path, e: KeyError) -> KeyError {
    match e {
        KeyError::Io { .. } => e,
        other => KeyError::Io {
            path: path.display().to_string(),
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_generates_and_round_trips_through_pem_der_jwk() {
        for kind in [
            KeyKind::RSA2048,
            KeyKind::P256,
            KeyKind::P384,
            KeyKind::Ed25519,
        ] {
            let key = PrivateKey::generate(kind).unwrap();
            assert_eq!(key.kind(), kind);
            let pem = key.to_pem().unwrap();
            assert_eq!(
                PrivateKey::from_bytes(&pem).unwrap().public_key().unwrap(),
                key.public_key().unwrap()
            );
            let der = key.pkcs8_der().unwrap();
            assert_eq!(
                PrivateKey::from_bytes(&der).unwrap().public_key().unwrap(),
                key.public_key().unwrap()
            );
            let pub_jwk = serde_json::to_vec(&key.public_key().unwrap().to_jwk().unwrap()).unwrap();
            assert_eq!(
                PublicKey::from_bytes(&pub_jwk).unwrap(),
                key.public_key().unwrap()
            );
            let spki = key.public_key().unwrap().spki_der().unwrap();
            assert_eq!(
                PublicKey::from_bytes(&spki).unwrap(),
                key.public_key().unwrap()
            );
        }
    }

    #[test]
    fn small_rsa_and_other_curves_are_refused() {
        let rsa = openssl::rsa::Rsa::generate(1024).unwrap();
        let pem = rsa.private_key_to_pem().unwrap();
        let e = PrivateKey::from_pem(&pem).unwrap_err();
        assert!(e.to_string().contains("1024 bits"), "{e}");
        let g = openssl::ec::EcGroup::from_curve_name(Nid::SECP521R1).unwrap();
        let ec = openssl::ec::EcKey::generate(&g).unwrap();
        let e = PrivateKey::from_pem(&ec.private_key_to_pem().unwrap()).unwrap_err();
        assert!(e.to_string().contains("secp521r1"), "{e}");
    }

    #[test]
    fn encrypted_pem_is_refused_without_prompting() {
        let key = PrivateKey::generate(KeyKind::P256).unwrap();
        let pem = key
            .pkey()
            .private_key_to_pem_pkcs8_passphrase(openssl::symm::Cipher::aes_256_cbc(), b"secret")
            .unwrap();
        assert!(matches!(
            PrivateKey::from_pem(&pem),
            Err(KeyError::Encrypted { .. })
        ));
    }

    #[test]
    fn public_key_is_not_a_private_key() {
        let key = PrivateKey::generate(KeyKind::P256).unwrap();
        let pem = key.public_key().unwrap().to_pem().unwrap();
        let e = PrivateKey::from_bytes(&pem).unwrap_err();
        assert!(
            matches!(
                e,
                KeyError::Unrecognised {
                    expected: "private key",
                    ..
                }
            ),
            "{e}"
        );
        assert!(PrivateKey::from_bytes(b"garbage").is_err());
    }

    #[test]
    fn missing_file_names_the_path() {
        let e = PrivateKey::load("/nonexistent/key.pem").unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/key.pem:"), "{e}");
    }
}
