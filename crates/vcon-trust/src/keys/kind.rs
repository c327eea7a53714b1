//! Key types and which algorithms each fits.

use std::fmt;

use openssl::nid::Nid;
use openssl::pkey::{Id, PKey};

use super::{KeyError, backend};

/// The kind of an asymmetric key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// RSA with a modulus of `bits` bits.
    Rsa {
        /// Modulus size in bits.
        bits: u32,
    },
    /// ECDSA / ECDH on NIST P-256.
    P256,
    /// ECDSA / ECDH on NIST P-384.
    P384,
    /// Ed25519 (signing only).
    Ed25519,
}

impl KeyKind {
    /// RSA with 2048 bits, the smallest size this crate accepts.
    pub const RSA2048: Self = Self::Rsa { bits: 2048 };

    /// The JWS algorithm used with this kind of key when none is asked for.
    pub fn default_sign_alg(self) -> crate::SignAlg {
        match self {
            Self::Rsa { .. } => crate::SignAlg::RS256,
            Self::P256 => crate::SignAlg::ES256,
            Self::P384 => crate::SignAlg::ES384,
            Self::Ed25519 => crate::SignAlg::EdDSA,
        }
    }

    /// The JWE key management algorithm used with this kind of key when none is
    /// asked for, if the key can be an encryption recipient at all.
    pub fn default_key_alg(self) -> Option<crate::KeyAlg> {
        match self {
            Self::Rsa { .. } => Some(crate::KeyAlg::RsaOaep),
            Self::P256 | Self::P384 => Some(crate::KeyAlg::EcdhEsA256kw),
            Self::Ed25519 => None,
        }
    }

    /// Whether a key of this kind can sign with `alg`.
    pub fn fits_sign_alg(self, alg: crate::SignAlg) -> bool {
        use crate::SignAlg as A;
        matches!(
            (self, alg),
            (Self::Rsa { .. }, A::RS256 | A::PS256)
                | (Self::P256, A::ES256)
                | (Self::P384, A::ES384)
                | (Self::Ed25519, A::EdDSA)
        )
    }

    /// Whether a key of this kind can receive with `alg`.
    pub fn fits_key_alg(self, alg: crate::KeyAlg) -> bool {
        use crate::KeyAlg as A;
        matches!(
            (self, alg),
            (Self::Rsa { .. }, A::RsaOaep | A::RsaOaep256)
                | (Self::P256 | Self::P384, A::EcdhEsA256kw)
        )
    }

    pub(super) fn of<T: openssl::pkey::HasPublic>(pkey: &PKey<T>) -> Result<Self, KeyError> {
        match pkey.id() {
            Id::RSA => {
                let bits = pkey.bits();
                if bits < 2048 {
                    return Err(KeyError::Unsupported {
                        found: format!("RSA key of {bits} bits (2048 or more required)"),
                    });
                }
                Ok(Self::Rsa { bits })
            }
            Id::EC => {
                let ec = pkey.ec_key().map_err(backend)?;
                match ec.group().curve_name() {
                    Some(Nid::X9_62_PRIME256V1) => Ok(Self::P256),
                    Some(Nid::SECP384R1) => Ok(Self::P384),
                    other => Err(KeyError::Unsupported {
                        found: format!(
                            "EC key on curve {}",
                            other
                                .and_then(|n| n.short_name().ok())
                                .unwrap_or("(unnamed)")
                        ),
                    }),
                }
            }
            Id::ED25519 => Ok(Self::Ed25519),
            other => Err(KeyError::Unsupported {
                found: format!("key type with OpenSSL id {}", other.as_raw()),
            }),
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa { bits } => write!(f, "RSA-{bits}"),
            Self::P256 => f.write_str("EC P-256"),
            Self::P384 => f.write_str("EC P-384"),
            Self::Ed25519 => f.write_str("Ed25519"),
        }
    }
}
