//! Bounded reading of vCon bytes: size, gzip inflation, nesting depth, UTF-8,
//! duplicate member names and the top-level object check (rules R-42 and R-45).
//!
//! The reader never panics and never allocates more than a small multiple of
//! [`ReadLimits::max_bytes`] (or [`ReadLimits::max_inflated_bytes`] for gzip input).

use std::borrow::Cow;
use std::fmt;
use std::io::Read as _;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::form::Form;

/// Limits applied while reading untrusted bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest accepted input, in bytes, before any gzip inflation.
    pub max_bytes: usize,
    /// Largest accepted size of a gzip stream once inflated.
    pub max_inflated_bytes: usize,
    /// Deepest accepted nesting of arrays and objects (the top-level object is depth 1).
    pub max_depth: usize,
}

impl Default for ReadLimits {
    /// 256 MiB input, 256 MiB inflated, depth 64: room for hour-long inline
    /// recordings, far below what would exhaust a server.
    fn default() -> Self {
        Self {
            max_bytes: 256 * 1024 * 1024,
            max_inflated_bytes: 256 * 1024 * 1024,
            max_depth: 64,
        }
    }
}

/// Why bytes could not be read as a JSON object. Every variant says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The input is larger than [`ReadLimits::max_bytes`].
    #[error("input is {size} bytes, over the limit of {limit} bytes (R-42)")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The gzip stream inflates past [`ReadLimits::max_inflated_bytes`].
    #[error("gzip input inflates past the limit of {limit} bytes (R-42)")]
    InflationLimit {
        /// The configured limit.
        limit: usize,
    },
    /// The gzip stream is corrupt.
    #[error("gzip input is corrupt after {offset} inflated bytes: {reason} (R-42)")]
    Gzip {
        /// Inflated bytes produced before the fault.
        offset: usize,
        /// What the decoder reported.
        reason: String,
    },
    /// The input is empty or only whitespace.
    #[error("input is empty: a vCon is a JSON object (R-45)")]
    Empty,
    /// The input starts with a UTF-8 byte order mark, which RFC 8259 forbids.
    #[error("byte 0: UTF-8 byte order mark; JSON text must not start with one (R-45)")]
    ByteOrderMark,
    /// The input is not UTF-8.
    #[error("byte {offset}: invalid UTF-8 (R-45)")]
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The JSON text is malformed, too deep or repeats a member name.
    #[error("byte {offset} (line {line}, column {column}): {reason} (R-45)")]
    Syntax {
        /// Byte offset of the fault in the (inflated) input.
        offset: usize,
        /// 1-based line.
        line: usize,
        /// 1-based column, in bytes.
        column: usize,
        /// What is wrong.
        reason: String,
    },
    /// The JSON text is valid but is not an object.
    #[error("byte {offset}: top-level JSON value is {found}, a vCon must be an object (R-45)")]
    NotAnObject {
        /// Offset of the value.
        offset: usize,
        /// The JSON type found instead.
        found: &'static str,
    },
}

impl ReadError {
    /// Rule of the digest §12 this error belongs to.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } | Self::InflationLimit { .. } | Self::Gzip { .. } => "R-42",
            _ => "R-45",
        }
    }
}

/// A JSON object read from bytes, with what was learnt on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The top-level object, members in input order.
    pub object: Map<String, Value>,
    /// The form found by the rules of core-03 §Differentiation, if any.
    pub form: Option<Form>,
    /// Whether the input was `application/vcon+gzip`.
    pub gzipped: bool,
}

impl Document {
    /// The top-level object as a [`Value`], consuming the document.
    pub fn into_value(self) -> Value {
        Value::Object(self.object)
    }
}

/// Reads `bytes` (JSON or gzip of JSON) into a [`Document`] within `limits`.
///
/// ```
/// use vcon_core::read::{read, ReadLimits};
/// use vcon_core::form::Form;
/// let doc = read(br#"{"uuid":"x","parties":[]}"#, &ReadLimits::default()).unwrap();
/// assert_eq!(doc.form, Some(Form::Unsigned));
/// let err = read(br#"{"a":1,"a":2}"#, &ReadLimits::default()).unwrap_err();
/// assert!(err.to_string().contains("duplicate member `a`"));
/// ```
pub fn read(bytes: &[u8], limits: &ReadLimits) -> Result<Document, ReadError> {
    let (text, gzipped) = json_text(bytes, limits)?;
    let object = parse_object(&text, limits.max_depth)?;
    let form = Form::detect(&object);
    Ok(Document {
        object,
        form,
        gzipped,
    })
}

/// The JSON text of an input within `limits`, before parsing: the bytes as
/// given, or inflated when they are gzip (`application/vcon+gzip`); and
/// whether they were. The size and inflation checks of [`read`].
pub fn json_text<'a>(
    bytes: &'a [u8],
    limits: &ReadLimits,
) -> Result<(Cow<'a, [u8]>, bool), ReadError> {
    if bytes.len() > limits.max_bytes {
        return Err(ReadError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    if is_gzip(bytes) {
        let inflated = inflate(bytes, limits.max_inflated_bytes)?;
        return Ok((Cow::Owned(inflated), true));
    }
    Ok((Cow::Borrowed(bytes), false))
}

/// Whether `bytes` starts with the gzip magic number `1f 8b`.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// Inflates a gzip stream, refusing to produce more than `limit` bytes.
pub fn inflate(bytes: &[u8], limit: usize) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(limit));
    let decoder = flate2::read::MultiGzDecoder::new(bytes);
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    match decoder.take(cap).read_to_end(&mut out) {
        Ok(_) if out.len() > limit => Err(ReadError::InflationLimit { limit }),
        Ok(_) => Ok(out),
        Err(e) => Err(ReadError::Gzip {
            offset: out.len(),
            reason: e.to_string(),
        }),
    }
}

/// Parses `bytes` as one JSON object, member order kept, duplicates and
/// excess depth refused.
pub fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, ReadError> {
    if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        return Err(ReadError::ByteOrderMark);
    }
    let Some(start) = bytes.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Err(ReadError::Empty);
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let seed = ValueSeed {
        depth: 0,
        max_depth,
    };
    let value = seed
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v))
        .map_err(|e| syntax_error(bytes, &e))?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(ReadError::NotAnObject {
            offset: start,
            found: json_type(&other),
        }),
    }
}

/// Name of the JSON type of `value`, for messages.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn syntax_error(bytes: &[u8], e: &serde_json::Error) -> ReadError {
    let (line, column) = (e.line(), e.column());
    let offset = byte_offset(bytes, line, column);
    let text = e.to_string();
    // serde_json appends " at line L column C"; we report the position ourselves.
    let reason = match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    };
    // serde_json reports bad UTF-8 as a syntax error near the bad byte; say what it is.
    if let Err(utf8) = std::str::from_utf8(bytes)
        && utf8.valid_up_to() <= offset
    {
        return ReadError::InvalidUtf8 {
            offset: utf8.valid_up_to(),
        };
    }
    ReadError::Syntax {
        offset,
        line,
        column,
        reason,
    }
}

/// Converts serde_json's 1-based line and byte column into a byte offset.
fn byte_offset(bytes: &[u8], line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(line - 2)
            .map_or(bytes.len(), |(i, _)| i + 1)
    };
    (line_start + column.saturating_sub(1)).min(bytes.len())
}

/// Builds a [`Value`] like serde_json does, but refuses duplicate member
/// names and nesting deeper than `max_depth`.
struct ValueSeed {
    depth: usize,
    max_depth: usize,
}

impl ValueSeed {
    fn child<E: de::Error>(&self) -> Result<Self, E> {
        if self.depth + 1 > self.max_depth {
            return Err(E::custom(format_args!(
                "nesting deeper than the limit of {} levels",
                self.max_depth
            )));
        }
        Ok(Self {
            depth: self.depth + 1,
            max_depth: self.max_depth,
        })
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let child = self.child::<A::Error>()?;
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element_seed(ValueSeed { ..child })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let child = self.child::<A::Error>()?;
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            match map.entry(key) {
                serde_json::map::Entry::Occupied(dup) => {
                    return Err(de::Error::custom(format_args!(
                        "duplicate member `{}` in one object",
                        dup.key()
                    )));
                }
                serde_json::map::Entry::Vacant(slot) => {
                    slot.insert(access.next_value_seed(ValueSeed { ..child })?);
                }
            }
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ReadLimits {
        ReadLimits::default()
    }

    #[test]
    fn reads_object_in_order() {
        let doc = read(br#"{"z":1,"a":{"y":2,"b":3},"dialog":[]}"#, &limits()).unwrap();
        let keys: Vec<_> = doc.object.keys().cloned().collect();
        assert_eq!(keys, ["z", "a", "dialog"]);
        assert_eq!(doc.form, Some(Form::Unsigned));
        assert!(!doc.gzipped);
    }

    #[test]
    fn duplicate_member_reports_offset() {
        let err = read(b"{\"a\":1,\n \"a\":2}", &limits()).unwrap_err();
        match err {
            ReadError::Syntax {
                line,
                reason,
                offset,
                ..
            } => {
                assert_eq!(line, 2);
                assert!(reason.contains("duplicate member `a`"), "{reason}");
                assert!(offset > 7 && offset <= 14, "{offset}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nested_duplicate_refused() {
        let err = read(br#"{"p":[{"x":1,"x":1}]}"#, &limits()).unwrap_err();
        assert!(err.to_string().contains("duplicate member `x`"));
    }

    #[test]
    fn deep_nesting_refused_within_bound() {
        let mut s = String::from("{\"a\":");
        s.push_str(&"[".repeat(100_000));
        let err = read(s.as_bytes(), &limits()).unwrap_err();
        assert!(
            err.to_string()
                .contains("nesting deeper than the limit of 64"),
            "{err}"
        );
    }

    #[test]
    fn depth_limit_is_exact() {
        let ok = format!("{}{}", "[".repeat(63), "]".repeat(63));
        let doc = format!("{{\"a\":{ok}}}");
        assert!(read(doc.as_bytes(), &limits()).is_ok());
        let bad = format!("{{\"a\":{}{}}}", "[".repeat(64), "]".repeat(64));
        assert!(read(bad.as_bytes(), &limits()).is_err());
    }

    #[test]
    fn non_object_refused() {
        assert_eq!(
            read(b"  [1,2]", &limits()).unwrap_err(),
            ReadError::NotAnObject {
                offset: 2,
                found: "an array"
            }
        );
        assert_eq!(read(b" \n ", &limits()).unwrap_err(), ReadError::Empty);
    }

    #[test]
    fn invalid_utf8_gives_offset() {
        let err = read(b"{\"a\":\"\xff\"}", &limits()).unwrap_err();
        assert_eq!(err, ReadError::InvalidUtf8 { offset: 6 });
    }

    #[test]
    fn bom_refused() {
        assert_eq!(
            read(b"\xef\xbb\xbf{}", &limits()).unwrap_err(),
            ReadError::ByteOrderMark
        );
    }

    #[test]
    fn trailing_garbage_refused() {
        let err = read(b"{} x", &limits()).unwrap_err();
        assert!(
            matches!(err, ReadError::Syntax { offset: 3, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn too_large_refused() {
        let l = ReadLimits {
            max_bytes: 4,
            ..limits()
        };
        assert!(matches!(
            read(b"{\"a\":1}", &l),
            Err(ReadError::TooLarge { size: 7, limit: 4 })
        ));
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_is_inflated() {
        let doc = read(&gzip(br#"{"parties":[]}"#), &limits()).unwrap();
        assert!(doc.gzipped);
        assert_eq!(doc.form, Some(Form::Unsigned));
    }

    #[test]
    fn gzip_bomb_stops_at_limit() {
        let bomb = gzip(&vec![b' '; 10 * 1024 * 1024]);
        let l = ReadLimits {
            max_inflated_bytes: 1024 * 1024,
            ..limits()
        };
        assert_eq!(
            read(&bomb, &l).unwrap_err(),
            ReadError::InflationLimit { limit: 1024 * 1024 }
        );
    }

    #[test]
    fn corrupt_gzip_refused() {
        let mut g = gzip(br#"{"parties":[]}"#);
        let n = g.len();
        g.truncate(n - 6);
        assert!(matches!(read(&g, &limits()), Err(ReadError::Gzip { .. })));
    }
}
