//! Content members of any object that carries a file (dialog, attachment,
//! analysis, group entry, redacted/appended reference): `mimetype`,
//! `alg` + `signature`, and a missing or contradictory `encoding`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::util::{insert_after, join, rename_in_place, stash, type_name};
use super::{ChangeKind, Migrator};
use crate::hash::{ContentHashes, HashAlg};

/// How a legacy `signature` digest was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DigestText {
    /// 128 hexadecimal digits (vcon-server).
    Hex,
    /// base64url, padding tolerated (the drafts).
    Base64Url,
}

/// Decodes a legacy SHA-512 `signature`: 128 hex digits, or base64url (padding
/// and the standard `+/` alphabet tolerated). Only a 64-byte digest is accepted.
pub(super) fn decode_sha512_digest(text: &str) -> Option<(Vec<u8>, DigestText)> {
    if text.len() == 128 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        let bytes = text
            .as_bytes()
            .chunks(2)
            .map(|pair| {
                let hi = char::from(*pair.first()?).to_digit(16)?;
                let lo = char::from(*pair.get(1)?).to_digit(16)?;
                u8::try_from(hi * 16 + lo).ok()
            })
            .collect::<Option<Vec<u8>>>()?;
        return Some((bytes, DigestText::Hex));
    }
    let unpadded = text.trim_end_matches('=');
    if text.len() - unpadded.len() > 2 {
        return None;
    }
    let normalized: String = unpadded
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let bytes = URL_SAFE_NO_PAD.decode(normalized).ok()?;
    (bytes.len() == HashAlg::Sha512.digest_len()).then_some((bytes, DigestText::Base64Url))
}

/// Whether a legacy `alg` names SHA-512 (`"SHA-512"`, any case, hyphen optional).
fn is_sha512_name(alg: &str) -> bool {
    alg.eq_ignore_ascii_case("sha-512") || alg.eq_ignore_ascii_case("sha512")
}

/// Whether an existing `content_hash` value already carries this SHA-512 digest.
fn holds_digest(content_hash: &Value, digest: &[u8]) -> bool {
    ContentHashes::from_value(content_hash).is_ok_and(|hs| {
        hs.0.iter()
            .any(|t| t.alg == Some(HashAlg::Sha512) && t.digest == digest)
    })
}

/// The lower-cased `type/subtype` of a media type, parameters dropped.
fn essence(mediatype: &str) -> String {
    mediatype
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether `s` uses only the base64url alphabet, with at most two `=` at the end.
fn looks_base64url(s: &str) -> bool {
    let trimmed = s.trim_end_matches('=');
    !trimmed.is_empty()
        && s.len() - trimmed.len() <= 2
        && trimmed.len() % 4 != 1
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `s` is a JSON object or array written as text.
fn looks_json(s: &str) -> bool {
    let t = s.trim_start();
    (t.starts_with('{') || t.starts_with('['))
        && serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok()
}

/// Whether a media type names binary content that is sent base64url-encoded.
fn is_binary_mediatype(essence: &str) -> bool {
    let Some((ty, sub)) = essence.split_once('/') else {
        return false;
    };
    match ty {
        "audio" | "video" | "image" => true,
        "application" => {
            !(sub == "json"
                || sub == "xml"
                || sub.ends_with("+json")
                || sub.ends_with("+xml")
                || sub == "sdp")
        }
        _ => false,
    }
}

/// The `encoding` a body without one most likely has, and why.
pub(super) fn infer_encoding(body: &Value, mediatype: Option<&str>) -> (&'static str, String) {
    let Value::String(text) = body else {
        return (
            "json",
            format!("the body is {}, not a string", type_name(body)),
        );
    };
    let essence = mediatype.map(essence).unwrap_or_default();
    if essence.starts_with("text/") || essence.starts_with("message/") {
        return ("none", format!("the mediatype `{essence}` is textual"));
    }
    if looks_json(text) {
        return ("none", "the body is JSON text kept as a string".to_owned());
    }
    if looks_base64url(text) && is_binary_mediatype(&essence) {
        return (
            "base64url",
            format!("the mediatype `{essence}` is binary and the body is base64url text"),
        );
    }
    (
        "none",
        "the body is a string that is not base64url of a binary mediatype".to_owned(),
    )
}

impl Migrator {
    /// Upgrades the content members of one object at `ptr`. `bodies` says
    /// whether a missing or contradictory `encoding` is to be fixed as well.
    pub(super) fn content(&mut self, obj: &mut Map<String, Value>, ptr: &str, bodies: bool) {
        // Moved as it is: a wrongly typed value stays visible to the validator.
        self.rename(obj, ptr, "mimetype", "mediatype", |_| true);
        self.content_hash(obj, ptr);
        if bodies {
            self.encoding(obj, ptr);
        }
    }

    /// `alg: "SHA-512"` + `signature` → `content_hash: "sha512-<base64url>"`.
    pub(super) fn content_hash(&mut self, obj: &mut Map<String, Value>, ptr: &str) {
        for key in ["alg", "signature"] {
            if obj.get(key).is_some_and(Value::is_null) {
                obj.shift_remove(key);
                self.note(
                    join(ptr, key),
                    ChangeKind::EmptyRemoved,
                    format!("null legacy `{key}` removed"),
                );
            }
        }
        let alg = obj.get("alg").cloned();
        let signature = obj.get("signature").cloned();
        if alg.is_none() && signature.is_none() {
            return;
        }
        let decoded = match (&alg, &signature) {
            (Some(Value::String(a)), Some(Value::String(s))) if is_sha512_name(a) => {
                decode_sha512_digest(s)
            }
            _ => None,
        };
        let Some((digest, text)) = decoded else {
            let why = match (&alg, &signature) {
                (Some(Value::String(a)), Some(Value::String(_))) if is_sha512_name(a) => {
                    "the `signature` is not a 64-byte SHA-512 digest in hex or base64url".to_owned()
                }
                (Some(Value::String(a)), Some(_)) => {
                    format!("`alg` \"{a}\" is not SHA-512 or the `signature` is not a string")
                }
                (Some(_), Some(_)) => "`alg` is not a string".to_owned(),
                (Some(_), None) => "`alg` without `signature`".to_owned(),
                (None, _) => "`signature` without `alg`".to_owned(),
            };
            self.stash_all(
                obj,
                ptr,
                &["alg", "signature"],
                &format!("no content_hash can be made: {why}"),
            );
            return;
        };
        let token = format!("sha512-{}", URL_SAFE_NO_PAD.encode(&digest));
        match obj.get("content_hash") {
            None | Some(Value::Null) => {
                obj.shift_remove("alg");
                rename_in_place(obj, "signature", "content_hash");
                obj.insert("content_hash".to_owned(), Value::String(token));
                let form = match text {
                    DigestText::Hex => "hex, converted to base64url",
                    DigestText::Base64Url => "base64url",
                };
                self.note(
                    join(ptr, "content_hash"),
                    ChangeKind::ContentHash,
                    format!("`alg` \"SHA-512\" + `signature` ({form}) became `content_hash`"),
                );
            }
            Some(existing) if holds_digest(existing, &digest) => {
                obj.shift_remove("alg");
                obj.shift_remove("signature");
                self.note(
                    join(ptr, "signature"),
                    ChangeKind::DuplicateRemoved,
                    "legacy `alg` + `signature` dropped: `content_hash` holds the same digest"
                        .to_owned(),
                );
            }
            Some(_) => self.stash_all(
                obj,
                ptr,
                &["alg", "signature"],
                "`content_hash` is present with a different digest",
            ),
        }
    }

    /// Moves the listed members (those present) under the preservation member.
    pub(super) fn stash_all(
        &mut self,
        obj: &mut Map<String, Value>,
        ptr: &str,
        keys: &[&str],
        why: &str,
    ) {
        for key in keys {
            if let Some(value) = obj.shift_remove(*key) {
                let at = stash(obj, key, value);
                self.note(
                    format!("{ptr}{at}"),
                    ChangeKind::Preserved,
                    format!(
                        "legacy `{key}` kept under `{}`: {why}",
                        super::PRESERVED_MEMBER
                    ),
                );
            }
        }
    }

    /// A body without `encoding` gets one inferred; `encoding: "none"` with a
    /// non-string body becomes `"json"`.
    fn encoding(&mut self, obj: &mut Map<String, Value>, ptr: &str) {
        let Some(body) = obj.get("body") else {
            return;
        };
        if body.is_null() || body.as_str().is_some_and(str::is_empty) {
            return;
        }
        match obj.get("encoding") {
            None | Some(Value::Null) => {
                let mediatype = obj.get("mediatype").and_then(Value::as_str);
                let (encoding, why) = infer_encoding(body, mediatype);
                insert_after(obj, "body", "encoding", Value::String(encoding.to_owned()));
                self.note(
                    join(ptr, "encoding"),
                    ChangeKind::EncodingInferred,
                    format!("body had no `encoding`; \"{encoding}\" inferred because {why}"),
                );
            }
            Some(Value::String(e)) if e == "none" && !body.is_string() => {
                let found = type_name(body);
                obj.insert("encoding".to_owned(), Value::String("json".to_owned()));
                self.note(
                    join(ptr, "encoding"),
                    ChangeKind::EncodingCorrected,
                    format!("`encoding` \"none\" requires a string body but the body is {found}; set to \"json\""),
                );
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> (Map<String, Value>, Vec<super::super::Change>) {
        let Value::Object(mut m) = v else {
            return (Map::new(), Vec::new());
        };
        let mut mig = Migrator::default();
        mig.content(&mut m, "/dialog/0", true);
        (m, mig.changes)
    }

    const HEX: &str = "344e83b80bbe17d8d253e0ed97f1aa4f418752df316bfac59410c2b68d964b11cb2f4f6dea2a9c5774619bb22dbe5e12db2061d9beba516affa59f5c9ad246d5";

    #[test]
    fn hex_signature_becomes_base64url_token() {
        let (m, changes) = run(
            json!({"url": "https://x/a.wav", "alg": "SHA-512", "signature": HEX, "filename": "a"}),
        );
        let token = m["content_hash"].as_str().unwrap();
        let expected: Vec<u8> = (0..64)
            .map(|i| u8::from_str_radix(&HEX[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(
            token,
            format!("sha512-{}", URL_SAFE_NO_PAD.encode(&expected))
        );
        assert_eq!(
            m.keys().collect::<Vec<_>>(),
            ["url", "content_hash", "filename"]
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind, ChangeKind::ContentHash);
        assert_eq!(changes[0].pointer, "/dialog/0/content_hash");
        assert!(changes[0].description.contains("hex"));
    }

    #[test]
    fn base64url_signature_with_padding_is_kept_as_digest() {
        let digest = [7u8; 64];
        let padded = base64::engine::general_purpose::URL_SAFE.encode(digest);
        assert!(padded.ends_with("=="));
        let (m, _) = run(json!({"alg": "sha512", "signature": padded}));
        assert_eq!(
            m["content_hash"],
            format!("sha512-{}", URL_SAFE_NO_PAD.encode(digest))
        );
        assert!(!m.contains_key("alg") && !m.contains_key("signature"));
    }

    #[test]
    fn unmappable_signature_is_preserved() {
        let (m, changes) = run(json!({"alg": "SHA-512", "signature": "tooshort"}));
        assert!(!m.contains_key("content_hash"));
        assert_eq!(
            m["legacy_preserved"],
            json!({"alg": "SHA-512", "signature": "tooshort"})
        );
        assert!(changes.iter().all(|c| c.kind == ChangeKind::Preserved));
        let (m, _) = run(json!({"alg": "MD5", "signature": HEX}));
        assert_eq!(m["legacy_preserved"]["alg"], "MD5");
    }

    #[test]
    fn existing_content_hash_wins() {
        let token = format!("sha512-{}", URL_SAFE_NO_PAD.encode([1u8; 64]));
        let same = URL_SAFE_NO_PAD.encode([1u8; 64]);
        let (m, changes) = run(json!({"content_hash": token, "alg": "SHA-512", "signature": same}));
        assert_eq!(m.len(), 1);
        assert_eq!(changes[0].kind, ChangeKind::DuplicateRemoved);
        let other = URL_SAFE_NO_PAD.encode([2u8; 64]);
        let (m, _) = run(json!({"content_hash": token, "alg": "SHA-512", "signature": other}));
        assert_eq!(m["content_hash"], token);
        assert_eq!(m["legacy_preserved"]["signature"], other);
    }

    #[test]
    fn mimetype_renamed_or_preserved() {
        let (m, changes) = run(
            json!({"type": "text", "mimetype": "text/plain", "body": "hi", "encoding": "none"}),
        );
        assert_eq!(
            m.keys().collect::<Vec<_>>(),
            ["type", "mediatype", "body", "encoding"]
        );
        assert_eq!(changes[0].kind, ChangeKind::Renamed);
        let (m, changes) = run(json!({"mimetype": "text/plain", "mediatype": "text/plain"}));
        assert_eq!(
            m,
            json!({"mediatype": "text/plain"})
                .as_object()
                .cloned()
                .unwrap()
        );
        assert_eq!(changes[0].kind, ChangeKind::DuplicateRemoved);
        let (m, _) = run(json!({"mimetype": "text/html", "mediatype": "text/plain"}));
        assert_eq!(m["legacy_preserved"]["mimetype"], "text/html");
        let (m, _) = run(json!({"mimetype": 12345}));
        assert_eq!(
            m["mediatype"], 12345,
            "a bad value moves as is, for the validator to see"
        );
    }

    #[test]
    fn encoding_inference() {
        let infer = |body: Value, mt: Option<&str>| infer_encoding(&body, mt).0;
        assert_eq!(infer(json!("Hello there"), Some("text/plain")), "none");
        assert_eq!(infer(json!("UklGRiQAAABXQVZF"), Some("text/plain")), "none");
        assert_eq!(
            infer(json!("From: a\r\n\r\nhi"), Some("message/rfc822")),
            "none"
        );
        assert_eq!(infer(json!("{\"id\": 815}"), None), "none");
        assert_eq!(infer(json!("[\"category:1\"]"), None), "none");
        assert_eq!(
            infer(json!("UklGRiQAAABXQVZF"), Some("audio/x-wav")),
            "base64url"
        );
        assert_eq!(
            infer(json!("UklGRiQAAABXQVZF=="), Some("video/mp4")),
            "base64url"
        );
        assert_eq!(infer(json!("not base64!"), Some("audio/x-wav")), "none");
        assert_eq!(infer(json!("UklGRiQAAABXQVZF"), None), "none");
        assert_eq!(infer(json!({"a": 1}), None), "json");
        assert_eq!(infer(json!([1]), Some("text/plain")), "json");
    }

    #[test]
    fn encoding_inserted_after_body_and_corrected() {
        let (m, changes) = run(json!({"mimetype": "text/plain", "body": "hi", "start": "x"}));
        assert_eq!(
            m.keys().collect::<Vec<_>>(),
            ["mediatype", "body", "encoding", "start"]
        );
        assert_eq!(m["encoding"], "none");
        assert_eq!(changes[1].kind, ChangeKind::EncodingInferred);
        assert_eq!(changes[1].pointer, "/dialog/0/encoding");
        let (m, changes) = run(json!({"body": {"t": 1}, "encoding": "none"}));
        assert_eq!(m["encoding"], "json");
        assert_eq!(changes[0].kind, ChangeKind::EncodingCorrected);
        let (_, changes) = run(json!({"body": "", "mediatype": "text/plain"}));
        assert!(changes.is_empty());
        let (_, changes) = run(json!({"body": "x", "encoding": "json"}));
        assert!(
            changes.is_empty(),
            "a JSON-string body under `json` is accepted as is"
        );
    }

    #[test]
    fn digest_decoding() {
        assert_eq!(
            decode_sha512_digest(HEX).map(|(_, t)| t),
            Some(DigestText::Hex)
        );
        let std_b64 = base64::engine::general_purpose::STANDARD.encode([0xfbu8; 64]);
        assert!(std_b64.contains('+') || std_b64.contains('/'));
        assert_eq!(
            decode_sha512_digest(&std_b64).map(|(d, _)| d),
            Some(vec![0xfb; 64])
        );
        assert!(decode_sha512_digest(&HEX[..126]).is_none());
        assert!(decode_sha512_digest("a===").is_none());
        assert!(decode_sha512_digest("").is_none());
    }
}
