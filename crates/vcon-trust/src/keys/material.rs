//! "Whatever is in this file": a private key, a public key, or certificates
//! — what `vcon keys show` and friends need from one call.

use std::path::Path;

use super::{KeyError, PrivateKey, PublicKey, in_file, read_file};
use crate::x509::{Certificate, read_certificates};

/// The contents of a key or certificate file.
#[derive(Debug, Clone)]
pub enum KeyMaterial {
    /// A private key (PEM, DER or private JWK).
    Private(PrivateKey),
    /// A public key (SPKI or PKCS#1 PEM/DER, or public JWK).
    Public(PublicKey),
    /// One or more certificates (a PEM bundle or one DER certificate).
    Certificates(Vec<Certificate>),
}

impl KeyMaterial {
    /// Recognises certificates first, then private keys, then public keys.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        let pem_cert = bytes
            .windows(27)
            .any(|w| w == b"-----BEGIN CERTIFICATE-----");
        let looks_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
        if pem_cert || (!looks_pem && Certificate::from_der(bytes).is_ok()) {
            return read_certificates(bytes).map(Self::Certificates);
        }
        let private = PrivateKey::from_bytes(bytes);
        if let Err(KeyError::Encrypted { .. }) = private {
            return private.map(Self::Private);
        }
        if let Ok(key) = private {
            return Ok(Self::Private(key));
        }
        PublicKey::from_bytes(bytes)
            .map(Self::Public)
            .map_err(|e| KeyError::Unrecognised {
                expected: "key or certificate",
                reason: e.to_string(),
            })
    }

    /// Reads a file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, KeyError> {
        let path = path.as_ref();
        Self::from_bytes(&read_file(path)?).map_err(|e| in_file(path, e))
    }

    /// The public key: the key's public half, or the first certificate's key.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        match self {
            Self::Private(k) => k.public_key(),
            Self::Public(k) => Ok(k.clone()),
            Self::Certificates(certs) => certs
                .first()
                .ok_or(KeyError::Unrecognised {
                    expected: "certificate",
                    reason: "no certificate".into(),
                })?
                .public_key(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::keys::{KeyKind, TestPki, TestPkiOptions};

    #[test]
    fn recognises_each_kind_of_file() {
        let pki = TestPki::generate(&TestPkiOptions {
            key_kind: KeyKind::P256,
            ..TestPkiOptions::default()
        })
        .unwrap();
        let public = pki.leaf_key.public_key().unwrap();
        let inputs: [(&str, Vec<u8>); 5] = [
            ("private pem", pki.leaf_key.to_pem().unwrap()),
            ("public pem", public.to_pem().unwrap()),
            (
                "public jwk",
                serde_json::to_vec(&public.to_jwk().unwrap()).unwrap(),
            ),
            (
                "cert pem",
                format!(
                    "{}{}",
                    pki.leaf_cert.to_pem(),
                    pki.intermediate_cert.to_pem()
                )
                .into_bytes(),
            ),
            ("cert der", pki.leaf_cert.der().to_vec()),
        ];
        for (what, bytes) in inputs {
            let m = KeyMaterial::from_bytes(&bytes).unwrap();
            assert_eq!(m.public_key().unwrap(), public, "{what}");
            match (what, &m) {
                ("private pem", KeyMaterial::Private(_))
                | ("public pem" | "public jwk", KeyMaterial::Public(_)) => {}
                ("cert pem", KeyMaterial::Certificates(c)) => assert_eq!(c.len(), 2),
                ("cert der", KeyMaterial::Certificates(c)) => assert_eq!(c.len(), 1),
                other => panic!("{other:?}"),
            }
        }
        assert!(KeyMaterial::from_bytes(b"nothing").is_err());
    }
}
