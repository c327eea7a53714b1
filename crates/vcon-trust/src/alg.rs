//! The JOSE algorithms this crate signs, verifies, encrypts and decrypts with.
//!
//! Names are the registered JOSE names (RFC 7518, RFC 8037). Anything else found
//! in a header (`none`, `HS256`, `RSA1_5`, ...) is refused with an error that
//! names the header member.

use std::fmt;
use std::str::FromStr;

/// A JWS signature algorithm (`alg` of a signed vCon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum SignAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256: the draft's SHOULD, and the default.
    #[default]
    RS256,
    /// RSASSA-PSS with SHA-256 and MGF1 with SHA-256.
    PS256,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// EdDSA with an Ed25519 key (RFC 8037).
    EdDSA,
}

impl SignAlg {
    /// Every algorithm, in the order above.
    pub const ALL: [Self; 5] = [
        Self::RS256,
        Self::PS256,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    /// The registered JOSE name, such as `RS256`.
    pub fn name(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::PS256 => "PS256",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// Looks an algorithm up by its JOSE name (case-sensitive, as JOSE is).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for SignAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for SignAlg {
    type Err = UnknownAlg;
    fn from_str(s: &str) -> Result<Self, UnknownAlg> {
        Self::from_name(s)
            .ok_or_else(|| UnknownAlg::new(s, "signature", &Self::ALL.map(Self::name)))
    }
}

/// A JWE key management algorithm (recipient `alg` of an encrypted vCon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum KeyAlg {
    /// RSAES OAEP with SHA-1 and MGF1 with SHA-1: the draft's SHOULD, and the default.
    #[default]
    RsaOaep,
    /// RSAES OAEP with SHA-256 and MGF1 with SHA-256.
    RsaOaep256,
    /// ECDH-ES key agreement (P-256, P-384) with the result wrapping the key by AES-256 key wrap.
    EcdhEsA256kw,
}

impl KeyAlg {
    /// Every algorithm, in the order above.
    pub const ALL: [Self; 3] = [Self::RsaOaep, Self::RsaOaep256, Self::EcdhEsA256kw];

    /// The registered JOSE name, such as `RSA-OAEP`.
    pub fn name(self) -> &'static str {
        match self {
            Self::RsaOaep => "RSA-OAEP",
            Self::RsaOaep256 => "RSA-OAEP-256",
            Self::EcdhEsA256kw => "ECDH-ES+A256KW",
        }
    }

    /// Looks an algorithm up by its JOSE name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyAlg {
    type Err = UnknownAlg;
    fn from_str(s: &str) -> Result<Self, UnknownAlg> {
        Self::from_name(s)
            .ok_or_else(|| UnknownAlg::new(s, "key management", &Self::ALL.map(Self::name)))
    }
}

/// A JWE content encryption algorithm (`enc` of an encrypted vCon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum ContentEnc {
    /// AES-256-CBC with HMAC-SHA-512 (16-byte iv, 32-byte tag): the draft's SHOULD, and the default.
    #[default]
    A256CbcHs512,
    /// AES-256-GCM (12-byte iv, 16-byte tag).
    A256Gcm,
}

impl ContentEnc {
    /// Every algorithm, in the order above.
    pub const ALL: [Self; 2] = [Self::A256CbcHs512, Self::A256Gcm];

    /// The registered JOSE name, such as `A256CBC-HS512`.
    pub fn name(self) -> &'static str {
        match self {
            Self::A256CbcHs512 => "A256CBC-HS512",
            Self::A256Gcm => "A256GCM",
        }
    }

    /// Looks an algorithm up by its JOSE name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for ContentEnc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ContentEnc {
    type Err = UnknownAlg;
    fn from_str(s: &str) -> Result<Self, UnknownAlg> {
        Self::from_name(s)
            .ok_or_else(|| UnknownAlg::new(s, "content encryption", &Self::ALL.map(Self::name)))
    }
}

/// An algorithm name this crate does not implement (from [`FromStr`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a supported {kind} algorithm (supported: {supported})")]
pub struct UnknownAlg {
    /// The name given.
    pub name: String,
    /// Which family was asked for.
    pub kind: &'static str,
    /// The supported names, comma separated.
    pub supported: String,
}

impl UnknownAlg {
    fn new(name: &str, kind: &'static str, supported: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            kind,
            supported: supported.join(", "),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in SignAlg::ALL {
            assert_eq!(a.name().parse::<SignAlg>().unwrap(), a);
        }
        for a in KeyAlg::ALL {
            assert_eq!(a.name().parse::<KeyAlg>().unwrap(), a);
        }
        for a in ContentEnc::ALL {
            assert_eq!(a.name().parse::<ContentEnc>().unwrap(), a);
        }
    }

    #[test]
    fn unknown_names_are_refused_with_the_list() {
        let e = "HS256".parse::<SignAlg>().unwrap_err();
        assert!(e.to_string().contains("RS256, PS256"), "{e}");
        assert!(
            "rs256".parse::<SignAlg>().is_err(),
            "JOSE names are case-sensitive"
        );
        assert!("RSA1_5".parse::<KeyAlg>().is_err());
        assert!("A128GCM".parse::<ContentEnc>().is_err());
    }

    #[test]
    fn defaults_follow_the_draft() {
        assert_eq!(SignAlg::default(), SignAlg::RS256);
        assert_eq!(KeyAlg::default(), KeyAlg::RsaOaep);
        assert_eq!(ContentEnc::default(), ContentEnc::A256CbcHs512);
    }
}
