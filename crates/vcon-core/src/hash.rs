//! `content_hash` tokens (core-03 §JSON Notation "ContentHash", digest §4.3):
//! `<alg>-<base64url digest>`, one token or an array of them.
//!
//! ```
//! use vcon_core::hash::{ContentHash, HashAlg};
//! let token = ContentHash::compute(HashAlg::Sha512, b"hello");
//! assert!(token.to_string().starts_with("sha512-"));
//! assert!(token.verify(b"hello").is_ok());
//! assert!(token.verify(b"hellO").is_err());
//! ```

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use sha2::Digest as _;

/// A digest algorithm usable in a `content_hash` token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlg {
    /// SHA-256 (accepted, not sufficient alone).
    Sha256,
    /// SHA-384 (accepted, not sufficient alone).
    Sha384,
    /// SHA-512: every verifier must support it and every value must carry it.
    Sha512,
}

impl HashAlg {
    /// The token prefix, such as `sha512`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Length of the digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// Looks an algorithm up by its token prefix.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "sha256" => Some(Self::Sha256),
            "sha384" => Some(Self::Sha384),
            "sha512" => Some(Self::Sha512),
            _ => None,
        }
    }

    /// Digests `bytes` with this algorithm.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(bytes).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(bytes).to_vec(),
        }
    }
}

impl fmt::Display for HashAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What is wrong with a `content_hash` value or a check against it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The token is not `<alg>-<base64url>`.
    #[error("`{token}` is not a content_hash token `<alg>-<base64url digest>` (R-32)")]
    Malformed {
        /// The offending token.
        token: String,
    },
    /// The digest part does not decode as base64url.
    #[error("`{token}`: the digest is not valid base64url (R-32)")]
    BadDigestEncoding {
        /// The offending token.
        token: String,
    },
    /// The digest has the wrong length for its algorithm.
    #[error("`{token}`: a {alg} digest is {expected} bytes, this one is {found} (R-32)")]
    BadDigestLength {
        /// The offending token.
        token: String,
        /// Its algorithm.
        alg: HashAlg,
        /// Expected length in bytes.
        expected: usize,
        /// Decoded length in bytes.
        found: usize,
    },
    /// The value is neither a string nor a non-empty array of strings.
    #[error("content_hash must be a token or a non-empty array of tokens, found {found} (R-32)")]
    WrongType {
        /// The JSON type found.
        found: &'static str,
    },
    /// No `sha512` token, which core-03 requires.
    #[error("content_hash has no sha512 token; sha512 is required (R-32)")]
    NoSha512,
    /// The bytes do not hash to the declared value.
    #[error("content does not match {alg} hash: declared {declared}, computed {computed} (R-33)")]
    Mismatch {
        /// Algorithm that disagreed.
        alg: HashAlg,
        /// The declared token.
        declared: String,
        /// The token computed from the bytes.
        computed: String,
    },
}

/// One parsed `content_hash` token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentHash {
    /// Algorithm name as written (lower-case letters and digits).
    pub alg_name: String,
    /// The algorithm, when this crate knows it.
    pub alg: Option<HashAlg>,
    /// The decoded digest.
    pub digest: Vec<u8>,
}

impl ContentHash {
    /// Hashes `bytes` with `alg` into a token.
    pub fn compute(alg: HashAlg, bytes: &[u8]) -> Self {
        Self {
            alg_name: alg.name().to_owned(),
            alg: Some(alg),
            digest: alg.digest(bytes),
        }
    }

    /// Whether `token` is a well-formed `sha512-<base64url of 64 bytes>` token
    /// without padding: true exactly when `token.parse::<ContentHash>()` would
    /// give a [`HashAlg::Sha512`] token written that way, but without decoding
    /// the digest (86 characters of the alphabet whose last one carries no
    /// stray bits). Other spellings (with `=` padding) return false and must be
    /// parsed.
    ///
    /// ```
    /// use vcon_core::hash::{ContentHash, HashAlg};
    /// let token = ContentHash::compute(HashAlg::Sha512, b"hello").to_string();
    /// assert!(ContentHash::is_sha512_token(&token));
    /// assert!(!ContentHash::is_sha512_token(&token[..token.len() - 1]));
    /// ```
    pub fn is_sha512_token(token: &str) -> bool {
        token.strip_prefix("sha512-").is_some_and(|digest| {
            digest.len() == 86
                && !digest.ends_with('=')
                && crate::validate::primitives::check_base64url(digest).is_ok()
        })
    }

    /// Checks `bytes` against this token. Unknown algorithms cannot be checked
    /// and are reported as a mismatch-free `Ok(false)`.
    pub fn verify(&self, bytes: &[u8]) -> Result<bool, HashError> {
        let Some(alg) = self.alg else {
            return Ok(false);
        };
        let computed = alg.digest(bytes);
        if computed == self.digest {
            Ok(true)
        } else {
            Err(HashError::Mismatch {
                alg,
                declared: self.to_string(),
                computed: Self::compute(alg, bytes).to_string(),
            })
        }
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.alg_name,
            URL_SAFE_NO_PAD.encode(&self.digest)
        )
    }
}

impl FromStr for ContentHash {
    type Err = HashError;

    /// Parses `<alg>-<base64url>`; trailing `=` padding is tolerated.
    fn from_str(token: &str) -> Result<Self, HashError> {
        let malformed = || HashError::Malformed {
            token: token.to_owned(),
        };
        let (alg_name, b64) = token.split_once('-').ok_or_else(malformed)?;
        let alg_ok = !alg_name.is_empty()
            && alg_name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let b64 = b64.trim_end_matches('=');
        let b64_ok = !b64.is_empty()
            && b64
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !alg_ok || !b64_ok {
            return Err(malformed());
        }
        let digest = URL_SAFE_NO_PAD
            .decode(b64)
            .map_err(|_| HashError::BadDigestEncoding {
                token: token.to_owned(),
            })?;
        let alg = HashAlg::from_name(alg_name);
        if let Some(alg) = alg
            && digest.len() != alg.digest_len()
        {
            return Err(HashError::BadDigestLength {
                token: token.to_owned(),
                alg,
                expected: alg.digest_len(),
                found: digest.len(),
            });
        }
        Ok(Self {
            alg_name: alg_name.to_owned(),
            alg,
            digest,
        })
    }
}

/// A whole `content_hash` value: one or more tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentHashes(pub Vec<ContentHash>);

impl ContentHashes {
    /// Parses a JSON `content_hash` value (string or non-empty array of strings).
    pub fn from_value(value: &Value) -> Result<Self, HashError> {
        match value {
            Value::String(s) => Ok(Self(vec![s.parse()?])),
            Value::Array(items) if !items.is_empty() => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.parse(),
                    other => Err(HashError::WrongType {
                        found: crate::read::json_type(other),
                    }),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Self),
            other => Err(HashError::WrongType {
                found: crate::read::json_type(other),
            }),
        }
    }

    /// Verifies `bytes`: every known token must match and one must be sha512.
    pub fn verify(&self, bytes: &[u8]) -> Result<(), HashError> {
        if !self.0.iter().any(|t| t.alg == Some(HashAlg::Sha512)) {
            return Err(HashError::NoSha512);
        }
        for token in &self.0 {
            token.verify(bytes)?;
        }
        Ok(())
    }

    /// The JSON form: a string for one token, an array for several.
    pub fn to_value(&self) -> Value {
        match self.0.as_slice() {
            [one] => Value::String(one.to_string()),
            many => Value::Array(many.iter().map(|t| Value::String(t.to_string())).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MP3_HASH: &str = "sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0a75fhUM6cYzLZ5GynSURREvZwmOh54-2lRRieyj82UQ";

    fn parses_as_sha512(token: &str) -> bool {
        token
            .parse::<ContentHash>()
            .is_ok_and(|t| t.alg == Some(HashAlg::Sha512))
    }

    /// The shortcut agrees with the parser on every unpadded token and never
    /// accepts what the parser refuses: every byte of the draft token replaced
    /// by bytes of each class, every last character, lengths around 86,
    /// padding, other algorithms.
    #[test]
    fn sha512_shortcut_agrees_with_the_parser() {
        let mut tokens = vec![MP3_HASH.to_owned()];
        for alg in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            for input in [&b""[..], b"x", b"hello world"] {
                tokens.push(ContentHash::compute(alg, input).to_string());
            }
        }
        let replacements = [
            b'A', b'Q', b'g', b'w', b'B', b'z', b'9', b'-', b'_', b'+', b'/', b'=', b' ',
        ];
        for i in 0..MP3_HASH.len() {
            for &r in &replacements {
                let mut t = MP3_HASH.as_bytes().to_vec();
                t[i] = r;
                tokens.push(String::from_utf8(t).unwrap());
            }
        }
        let digest = &MP3_HASH["sha512-".len()..];
        for len in 80..digest.len() {
            tokens.push(format!("sha512-{}", &digest[..len]));
        }
        for extra in ["A", "AA", "AAA", "=", "==", "A=", "AA=="] {
            tokens.push(format!("{MP3_HASH}{extra}"));
        }
        tokens.push(format!("sha384-{digest}"));
        tokens.push(format!("SHA512-{digest}"));
        tokens.push(format!("sha512{digest}"));
        let mut shortcut = 0;
        for t in &tokens {
            let unpadded = !t.ends_with('=');
            if ContentHash::is_sha512_token(t) {
                shortcut += 1;
                assert!(parses_as_sha512(t), "{t}");
            } else if unpadded {
                assert!(!parses_as_sha512(t), "{t}");
            }
        }
        assert!(shortcut > 100, "{shortcut}");
    }

    #[test]
    fn parses_and_prints_the_draft_token() {
        let t: ContentHash = MP3_HASH.parse().unwrap();
        assert_eq!(t.alg, Some(HashAlg::Sha512));
        assert_eq!(t.digest.len(), 64);
        assert_eq!(t.to_string(), MP3_HASH);
    }

    #[test]
    fn rejects_bad_tokens() {
        assert!(matches!(
            "sha512".parse::<ContentHash>(),
            Err(HashError::Malformed { .. })
        ));
        assert!(matches!(
            "SHA512-abc".parse::<ContentHash>(),
            Err(HashError::Malformed { .. })
        ));
        assert!(matches!(
            "sha512-ab+c".parse::<ContentHash>(),
            Err(HashError::Malformed { .. })
        ));
        assert!(matches!(
            "sha512-abc".parse::<ContentHash>(),
            Err(HashError::BadDigestLength { found: 2, .. })
        ));
        let unknown: ContentHash = "blake3-AAAA".parse().unwrap();
        assert_eq!(unknown.alg, None);
    }

    #[test]
    fn several_tokens_need_sha512() {
        let v = serde_json::json!([ContentHash::compute(HashAlg::Sha256, b"x").to_string()]);
        let hs = ContentHashes::from_value(&v).unwrap();
        assert_eq!(hs.verify(b"x"), Err(HashError::NoSha512));
        let v = serde_json::json!([
            ContentHash::compute(HashAlg::Sha256, b"x").to_string(),
            ContentHash::compute(HashAlg::Sha512, b"x").to_string()
        ]);
        let hs = ContentHashes::from_value(&v).unwrap();
        assert_eq!(hs.verify(b"x"), Ok(()));
        assert!(matches!(
            hs.verify(b"y"),
            Err(HashError::Mismatch {
                alg: HashAlg::Sha256,
                ..
            })
        ));
        assert_eq!(hs.to_value(), v);
    }

    #[test]
    fn wrong_types() {
        assert!(ContentHashes::from_value(&serde_json::json!([])).is_err());
        assert!(ContentHashes::from_value(&serde_json::json!(5)).is_err());
        assert!(ContentHashes::from_value(&serde_json::json!(["sha512-x", 1])).is_err());
    }
}
