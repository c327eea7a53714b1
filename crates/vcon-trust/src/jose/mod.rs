//! JOSE plumbing shared by sign/verify/encrypt/decrypt: base64url, header
//! union (the normaliser), and the cryptographic backend.
//!
//! Only [`backend`] (and [`ecdh`] and [`content`], the ECDH-ES key agreement
//! and the JWE content encryption it calls) touches the cryptographic library
//! (OpenSSL); everything else here is plain JSON work ([`json`]
//! writes the envelopes), so the backend can be swapped (for aws-lc-rs, say)
//! without touching the envelope code or the public API.

pub(crate) mod backend;
mod content;
mod ecdh;
pub(crate) mod json;
pub(crate) mod jwe;
pub(crate) mod jws;
pub(crate) mod normalize;

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use vcon_core::read::{ReadError, ReadLimits};
use vcon_core::tree::{Json, JsonObj, View};

/// base64url without padding (RFC 7515 §2).
pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strict base64url decoding: no padding, no characters outside the alphabet,
/// and no non-zero trailing bits, so every distinct string is distinct bytes.
pub(crate) fn unb64(s: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|e| format!("not unpadded base64url: {e}"))
}

/// An owned copy of an object of either JSON tree (a borrowed
/// [`vcon_core::tree::Obj`] or a `serde_json` map), members in order.
pub(crate) fn owned_map<O: JsonObj>(object: &O) -> Map<String, Value> {
    object
        .members()
        .map(|(k, v)| (k.to_owned(), owned(v)))
        .collect()
}

fn owned<J: Json>(value: &J) -> Value {
    match value.view() {
        View::Null => Value::Null,
        View::Bool(b) => Value::Bool(b),
        View::Number(n) => Value::Number(n.clone()),
        View::String(s) => Value::String(s.to_owned()),
        View::Array(a) => Value::Array(a.iter().map(owned).collect()),
        View::Object(o) => Value::Object(owned_map(o)),
    }
}

/// The JSON text of an input within `limits`: the bytes as given, or
/// inflated when they are gzip; and whether they were. The checks and errors
/// are [`vcon_core::read::read`]'s.
pub(crate) fn json_text<'a>(
    bytes: &'a [u8],
    limits: &ReadLimits,
) -> Result<(Cow<'a, [u8]>, bool), ReadError> {
    if bytes.len() > limits.max_bytes {
        return Err(ReadError::TooLarge {
            size: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    if vcon_core::read::is_gzip(bytes) {
        let inflated = vcon_core::read::inflate(bytes, limits.max_inflated_bytes)?;
        return Ok((Cow::Owned(inflated), true));
    }
    Ok((Cow::Borrowed(bytes), false))
}
