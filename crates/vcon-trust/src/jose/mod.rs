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

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use vcon_core::tree::{Json, JsonObj, View};

/// base64url without padding (RFC 7515 §2), with `base64-simd` (the
/// bodies are kilobytes: the ciphertext, payload, certificates).
pub(crate) fn b64(bytes: &[u8]) -> String {
    base64_simd::URL_SAFE_NO_PAD.encode_to_string(bytes)
}

/// Strict base64url decoding: no padding, no characters outside the alphabet,
/// and no non-zero trailing bits, so every distinct string is distinct bytes.
/// Decoded with `base64-simd` (which accepts exactly these strings, see the
/// tests); a refused string goes through the `base64` crate for its error
/// message (position and character of the fault).
pub(crate) fn unb64(s: &str) -> Result<Vec<u8>, String> {
    base64_simd::URL_SAFE_NO_PAD
        .decode_to_vec(s)
        .or_else(|_| URL_SAFE_NO_PAD.decode(s))
        .map_err(|e| format!("not unpadded base64url: {e}"))
}

/// The entries of the envelope's array member `name` (`signatures`,
/// `recipients`), which must be present, an array and not empty; else the
/// error at `/name` under digest rule `rule`.
pub(crate) fn entries<'o, O: JsonObj>(
    object: &'o O,
    name: &str,
    rule: &'static str,
) -> Result<&'o [O::Val], crate::error::EnvelopeError> {
    let fault = |reason: &str| crate::error::EnvelopeError {
        pointer: ["/", name].concat(),
        reason: reason.to_owned(),
        rule,
    };
    match object.get(name).map(Json::view) {
        Some(View::Array(a)) if !a.is_empty() => Ok(a),
        Some(View::Array(_)) => Err(fault("must not be empty")),
        Some(_) => Err(fault("must be an array")),
        None => Err(fault("is missing")),
    }
}

/// `prefix` followed by `index` in decimal (`/signatures/0`), without
/// `format!`'s machinery: these pointers are built for every signature and
/// recipient read, and the formatter costs more than the rest of the string.
pub(crate) fn indexed(prefix: &str, index: usize) -> String {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(index);
    let mut out = String::with_capacity(prefix.len() + digits.len());
    out.push_str(prefix);
    out.push_str(digits);
    out
}

/// An owned copy of an object of either JSON tree (a borrowed
/// [`vcon_core::tree::Obj`] or a `serde_json` map), members in order.
pub(crate) fn owned_map<O: JsonObj>(object: &O) -> Map<String, Value> {
    object
        .members()
        .map(|(k, v)| (k.to_owned(), owned(v)))
        .collect()
}

/// An owned copy of a value of either JSON tree.
pub(crate) fn owned<J: Json>(value: &J) -> Value {
    match value.view() {
        View::Null => Value::Null,
        View::Bool(b) => Value::Bool(b),
        View::Number(n) => Value::Number(n.clone()),
        View::String(s) => Value::String(s.to_owned()),
        View::Array(a) => Value::Array(a.iter().map(owned).collect()),
        View::Object(o) => Value::Object(owned_map(o)),
    }
}

/// Whether two JSON values of either tree are equal as `serde_json` values
/// are (`Value`'s `==`: numbers as `Number`, objects regardless of order).
pub(crate) fn same_json<A: Json, B: Json>(a: &A, b: &B) -> bool {
    match (a.view(), b.view()) {
        (View::Null, View::Null) => true,
        (View::Bool(x), View::Bool(y)) => x == y,
        (View::Number(x), View::Number(y)) => x == y,
        (View::String(x), View::String(y)) => x == y,
        (View::Array(x), View::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_json(x, y))
        }
        (View::Object(x), View::Object(y)) => {
            x.len() == y.len()
                && x.members()
                    .all(|(name, v)| y.get(name).is_some_and(|w| same_json(v, w)))
        }
        _ => false,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// `base64-simd` accepts exactly the strings the `base64` crate's
        /// strict URL_SAFE_NO_PAD accepts (padding, foreign characters,
        /// non-zero trailing bits and a length of 4n+1 all refused), with the
        /// same bytes; and encodes the same text.
        #[test]
        fn simd_base64url_is_the_strict_one(
            s in "[A-Za-z0-9_\\-=+/. ]{0,80}",
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200),
        ) {
            let simd = base64_simd::URL_SAFE_NO_PAD.decode_to_vec(&s).ok();
            proptest::prop_assert_eq!(simd, URL_SAFE_NO_PAD.decode(&s).ok(), "{}", s);
            let text = b64(&bytes);
            proptest::prop_assert_eq!(&text, &URL_SAFE_NO_PAD.encode(&bytes));
            proptest::prop_assert_eq!(unb64(&text).unwrap(), bytes);
            // Every last character of the encoding: one of them is the
            // canonical one, the others set trailing bits.
            if let Some(stem) = text.get(..text.len().saturating_sub(1)) && !text.is_empty() {
                for c in b"AEIMQUYcgkosw048BFJN_-".iter().map(|&c| c as char) {
                    let t = format!("{stem}{c}");
                    let simd = base64_simd::URL_SAFE_NO_PAD.decode_to_vec(&t).ok();
                    proptest::prop_assert_eq!(simd, URL_SAFE_NO_PAD.decode(&t).ok(), "{}", t);
                }
            }
        }
    }

    #[test]
    fn indexed_pointers_are_formatted_decimals() {
        for i in [0, 1, 9, 10, 99, 100, 12_345, usize::MAX] {
            assert_eq!(indexed("/signatures/", i), format!("/signatures/{i}"));
        }
        assert_eq!(indexed("", 7), "7");
    }

    #[test]
    fn refusals_keep_the_base64_crate_message() {
        for s in ["QQ==", "QR", "Q", "a+b/", "ab$c"] {
            let e = unb64(s).unwrap_err();
            assert_eq!(
                e,
                format!(
                    "not unpadded base64url: {}",
                    URL_SAFE_NO_PAD.decode(s).unwrap_err()
                ),
                "{s}"
            );
        }
    }
}
