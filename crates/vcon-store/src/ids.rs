//! Validated names: [`VconUuid`], [`ListName`] and [`Etag`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::error::NameError;

/// The UUID of a stored vCon, in canonical form (lower-case, hyphenated).
///
/// The store keys vCons by this value; the bytes of the vCon keep the uuid
/// as it was written.
///
/// ```
/// use vcon_store::VconUuid;
/// let u: VconUuid = "019F15A6-A752-826F-B9A2-279E0D16BC46".parse().unwrap();
/// assert_eq!(u.as_str(), "019f15a6-a752-826f-b9a2-279e0d16bc46");
/// assert!("not-a-uuid".parse::<VconUuid>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VconUuid(String);

impl VconUuid {
    /// Parses any RFC 9562 text form (hyphenated, simple, braced or URN).
    pub fn parse(text: &str) -> Result<Self, NameError> {
        uuid::Uuid::parse_str(text)
            .map(|u| Self(u.hyphenated().to_string()))
            .map_err(|e| NameError::Uuid {
                value: clip(text),
                reason: e.to_string(),
            })
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<uuid::Uuid> for VconUuid {
    fn from(u: uuid::Uuid) -> Self {
        Self(u.hyphenated().to_string())
    }
}

impl FromStr for VconUuid {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        Self::parse(s)
    }
}

impl fmt::Display for VconUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Longest accepted list name, in bytes.
pub const MAX_LIST_NAME_BYTES: usize = 200;

/// The name of a queue list (an ingress list, a link's input, an egress list).
///
/// 1 to [`MAX_LIST_NAME_BYTES`] bytes of printable text without control
/// characters. Names are case-sensitive. Dead letters of a list are kept
/// beside it, not in a list of their own name (the conserver's `DLQ:<list>`
/// is only a way of addressing them; see [`crate::Queue::dlq_list`]).
///
/// ```
/// use vcon_store::ListName;
/// assert_eq!(ListName::new("default").unwrap().as_str(), "default");
/// assert!(ListName::new("").is_err());
/// assert!(ListName::new("a\nb").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ListName(String);

impl ListName {
    /// Checks and wraps a list name.
    pub fn new(name: impl Into<String>) -> Result<Self, NameError> {
        let name = name.into();
        let reason = if name.is_empty() {
            Some("it is empty")
        } else if name.len() > MAX_LIST_NAME_BYTES {
            Some("it is longer than 200 bytes")
        } else if name.chars().any(char::is_control) {
            Some("it contains a control character")
        } else {
            None
        };
        match reason {
            Some(reason) => Err(NameError::List {
                value: clip(&name),
                reason,
            }),
            None => Ok(Self(name)),
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ListName {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        Self::new(s)
    }
}

impl fmt::Display for ListName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The entity tag of stored bytes: the lower-case hex SHA-256 of exactly the
/// bytes received.
///
/// Equal etags mean identical bytes, which is what makes `put` idempotent.
/// Over HTTP it is sent quoted (`ETag: "…"`); [`Etag::parse`] accepts both.
///
/// ```
/// use vcon_store::Etag;
/// let e = Etag::of(b"{}");
/// assert_eq!(e.as_str(), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
/// assert_eq!(Etag::parse(&format!("\"{e}\"")).unwrap(), e);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Etag(String);

impl Etag {
    /// The etag of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        let mut hex = String::with_capacity(64);
        for b in digest {
            hex.push(char::from(HEX[usize::from(b >> 4)]));
            hex.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        Self(hex)
    }

    /// Parses an etag, with or without the HTTP quotes (a weak `W/` prefix is refused:
    /// stored bytes only have strong etags).
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let inner = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        if inner.len() == 64
            && inner
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(inner.to_owned()))
        } else {
            Err(NameError::Etag { value: clip(text) })
        }
    }

    /// The 64 hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a value read back from a backend that stored [`Etag::as_str`].
    pub(crate) fn from_stored(text: String) -> Self {
        Self(text)
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl fmt::Display for Etag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Keeps error messages short when a caller passes something huge.
fn clip(text: &str) -> String {
    let mut end = text.len().min(80);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    if end < text.len() {
        format!("{}…", &text[..end])
    } else {
        text.to_owned()
    }
}

macro_rules! string_serde {
    ($($ty:ident),*) => {$(
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    )*};
}
string_serde!(VconUuid, ListName, Etag);

impl FromStr for Etag {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, NameError> {
        Self::parse(s)
    }
}
