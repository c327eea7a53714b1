//! What can be read of a signed (JWS) or encrypted (JWE) vCon without keys:
//! headers, counts and sizes. Nothing here verifies or decrypts anything.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

type Obj = Map<String, Value>;

/// A JWS General JSON Serialization envelope.
#[derive(Debug, Serialize)]
pub struct SignedInfo {
    /// One entry per signature.
    pub signatures: Vec<SignatureInfo>,
    /// Size of the decoded payload, in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload_bytes: Option<u64>,
}

/// One JWS signature's header (protected and unprotected, merged).
#[derive(Debug, Serialize)]
pub struct SignatureInfo {
    /// Index in `signatures`.
    pub index: usize,
    /// `alg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// `typ`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// `kid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `uuid` header parameter (the vCon's uuid).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Number of certificates in `x5c`.
    pub x5c_certificates: usize,
    /// `x5u`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x5u: Option<String>,
}

/// A JWE General JSON Serialization envelope.
#[derive(Debug, Serialize)]
pub struct EncryptedInfo {
    /// Key management algorithm (`alg`, from any header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Content encryption (`enc`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enc: Option<String>,
    /// Content type of the plaintext (`cty`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
    /// `uuid` of the vCon inside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// One entry per recipient.
    pub recipients: Vec<RecipientInfo>,
    /// Decoded sizes in bytes of `ciphertext`, `iv`, `tag`.
    pub ciphertext_bytes: Option<u64>,
    /// Size of `iv`.
    pub iv_bytes: Option<u64>,
    /// Size of `tag`.
    pub tag_bytes: Option<u64>,
}

/// One JWE recipient.
#[derive(Debug, Serialize)]
pub struct RecipientInfo {
    /// Index in `recipients`.
    pub index: usize,
    /// `alg` of this recipient (its header, else the shared headers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// `kid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Number of certificates in `x5c`.
    pub x5c_certificates: usize,
}

/// Decodes base64url text (padding tolerated).
pub fn b64(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// A base64url-encoded JSON header (`protected`), decoded; empty when unreadable.
fn protected_header(o: &Obj) -> Obj {
    o.get("protected")
        .and_then(Value::as_str)
        .and_then(b64)
        .and_then(|bytes| serde_json::from_slice::<Obj>(&bytes).ok())
        .unwrap_or_default()
}

/// First string value of `key` among `headers`.
fn first(headers: &[&Obj], key: &str) -> Option<String> {
    headers
        .iter()
        .find_map(|h| h.get(key).and_then(Value::as_str).map(str::to_owned))
}

fn x5c_count(headers: &[&Obj]) -> usize {
    headers
        .iter()
        .find_map(|h| h.get("x5c").and_then(Value::as_array).map(Vec::len))
        .unwrap_or(0)
}

fn decoded_len(o: &Obj, key: &str) -> Option<u64> {
    o.get(key)
        .and_then(Value::as_str)
        .and_then(b64)
        .map(|b| b.len() as u64)
}

/// Reads a signed envelope; the decoded payload bytes are returned for the caller to show.
pub fn signed(o: &Obj) -> (SignedInfo, Option<Vec<u8>>) {
    let empty = Obj::new();
    let signatures = match o.get("signatures") {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(index, s)| {
                let s = s.as_object().unwrap_or(&empty);
                let protected = protected_header(s);
                let header = s.get("header").and_then(Value::as_object).unwrap_or(&empty);
                let headers = [header, &protected];
                SignatureInfo {
                    index,
                    alg: first(&headers, "alg"),
                    typ: first(&headers, "typ"),
                    kid: first(&headers, "kid"),
                    uuid: first(&headers, "uuid"),
                    x5c_certificates: x5c_count(&headers),
                    x5u: first(&headers, "x5u"),
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    let payload = o.get("payload").and_then(Value::as_str).and_then(b64);
    let info = SignedInfo {
        signatures,
        payload_bytes: payload.as_ref().map(|p| p.len() as u64),
    };
    (info, payload)
}

/// Reads an encrypted envelope.
pub fn encrypted(o: &Obj) -> EncryptedInfo {
    let empty = Obj::new();
    let protected = protected_header(o);
    let unprotected = o
        .get("unprotected")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let shared = [&protected, unprotected];
    let recipients = match o.get("recipients") {
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(index, r)| {
                let r = r.as_object().unwrap_or(&empty);
                let header = r.get("header").and_then(Value::as_object).unwrap_or(&empty);
                let headers = [header, &protected, unprotected];
                RecipientInfo {
                    index,
                    alg: first(&headers, "alg"),
                    kid: first(&headers, "kid"),
                    x5c_certificates: x5c_count(&headers),
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    let recipient_headers: Vec<&Obj> = match o.get("recipients") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|r| r.get("header").and_then(Value::as_object))
            .collect(),
        _ => Vec::new(),
    };
    let all: Vec<&Obj> = shared.iter().copied().chain(recipient_headers).collect();
    EncryptedInfo {
        alg: first(&all, "alg"),
        enc: first(&all, "enc"),
        cty: first(&shared, "cty"),
        uuid: first(&shared, "uuid"),
        recipients,
        ciphertext_bytes: decoded_len(o, "ciphertext"),
        iv_bytes: decoded_len(o, "iv"),
        tag_bytes: decoded_len(o, "tag"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn enc(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    #[test]
    fn signed_headers_merge() {
        let o = serde_json::json!({
            "payload": URL_SAFE_NO_PAD.encode(b"{\"parties\":[]}"),
            "signatures": [{
                "protected": enc(&serde_json::json!({"alg": "RS256", "typ": "JWT"})),
                "header": {"x5c": ["a", "b", "c"], "uuid": "u"},
                "signature": "x"
            }]
        });
        let (info, payload) = signed(o.as_object().unwrap());
        let s = &info.signatures[0];
        assert_eq!(s.alg.as_deref(), Some("RS256"));
        assert_eq!(s.uuid.as_deref(), Some("u"));
        assert_eq!(s.x5c_certificates, 3);
        assert_eq!(payload.unwrap(), b"{\"parties\":[]}");
    }

    #[test]
    fn encrypted_reads_alg_from_protected() {
        let o = serde_json::json!({
            "protected": enc(&serde_json::json!({"alg": "RSA-OAEP", "enc": "A256CBC-HS512"})),
            "unprotected": {"cty": "application/vcon", "uuid": "u"},
            "recipients": [{"header": {"enc": "A256CBC-HS512"}, "encrypted_key": "AAAA"}],
            "iv": "AAAAAAAAAAAAAAAAAAAAAA", "ciphertext": "AAAA", "tag": "AAAA"
        });
        let info = encrypted(o.as_object().unwrap());
        assert_eq!(info.alg.as_deref(), Some("RSA-OAEP"));
        assert_eq!(info.recipients[0].alg.as_deref(), Some("RSA-OAEP"));
        assert_eq!(info.iv_bytes, Some(16));
        assert_eq!(info.cty.as_deref(), Some("application/vcon"));
    }

    #[test]
    fn garbage_is_tolerated() {
        let o = serde_json::json!({"payload": 5, "signatures": [3, {"protected": "%%"}]});
        let (info, payload) = signed(o.as_object().unwrap());
        assert_eq!(info.signatures.len(), 2);
        assert!(payload.is_none());
        let o = serde_json::json!({"ciphertext": [], "recipients": "x"});
        assert!(encrypted(o.as_object().unwrap()).recipients.is_empty());
    }
}
