//! JOSE plumbing shared by sign/verify/encrypt/decrypt: base64url, header
//! union (the normaliser), and the cryptographic backend.
//!
//! Only [`backend`] (and [`ecdh`], the ECDH-ES key agreement it calls)
//! touches the cryptographic libraries (OpenSSL, and josekit for the JWE
//! content encryption); everything else here is plain JSON work ([`json`]
//! writes the envelopes), so the backend can be swapped (for aws-lc-rs, say)
//! without touching the envelope code or the public API.

pub(crate) mod backend;
mod ecdh;
pub(crate) mod json;
pub(crate) mod jwe;
pub(crate) mod jws;
pub(crate) mod normalize;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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
