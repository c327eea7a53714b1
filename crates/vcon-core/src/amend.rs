//! Amendment (core-03 §amended, §Amended Object; digest §6.2): a new vCon
//! with a new uuid that is a deep copy of a prior version, referencing it by
//! `amended: {uuid, content_hash[, url]}`, ready for additions.
//!
//! `content_hash` is the sha512 of the prior version's exact bytes (as read,
//! gzip included), so [`crate::lineage`] can prove the link. `updated_at`
//! is set; `created_at` and everything else are copied unchanged, member
//! order included. A `redacted` (or legacy `appended`/older `amended`)
//! reference of the prior version is replaced by the new `amended` one,
//! since a vCon is either redacted or amended (R-8).
//!
//! **Signed and encrypted priors.** [`amend`] refuses them: it cannot tell a
//! forged payload from a genuine one, and core-03 wants the amended vCon to
//! be a copy of the *verified* content. Verify the JWS first (vcon-trust),
//! then call [`amend_verified`] with the signed bytes and the verified
//! payload: the copy is made from the payload, and `content_hash` covers the
//! signed bytes, which is what a reader of `amended.url` gets. The payload
//! must be the envelope's own (checked byte for byte). Encrypted priors must
//! be decrypted and verified first, the signed plaintext then amended.
//!
//! ```
//! use vcon_core::amend::{amend, AmendOptions};
//! let prior = br#"{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "created_at": "2026-06-29T23:11:19Z",
//!   "parties": [{"name": "Alice", "validation": "none"}]}"#;
//! let uuid = vcon_core::id::IdGenerator::new("example.com").generate();
//! let a = amend(prior, &AmendOptions::new(uuid)).unwrap();
//! assert_eq!(a.vcon["uuid"], uuid.to_string());
//! assert_eq!(a.vcon["amended"]["uuid"], "019f15a6-a752-826f-b9a2-279e0d16bc46");
//! assert_eq!(a.vcon["parties"][0]["name"], "Alice");
//! assert!(a.vcon["amended"]["content_hash"].as_str().unwrap().starts_with("sha512-"));
//!
//! let signed = br#"{"payload": "e30", "signatures": [{"protected": "e30", "header": {}, "signature": "AA"}]}"#;
//! let err = amend(signed, &AmendOptions::new(uuid)).unwrap_err();
//! assert!(err.to_string().contains("amend the verified payload"));
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::form::Form;
use crate::hash::{ContentHash, HashAlg};
use crate::model::Date;
use crate::read::{Document, ReadError, ReadLimits, inflate, is_gzip, read};

/// The new vCon's identity and where the prior version is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmendOptions {
    /// uuid of the amended vCon (make it with [`crate::id::IdGenerator`]).
    pub uuid: Uuid,
    /// `updated_at` to write; `None` leaves the prior's.
    pub updated_at: Option<Date>,
    /// HTTPS URL of the prior version, written as `amended.url`.
    pub prior_url: Option<String>,
    /// Limits for reading the prior version.
    pub limits: ReadLimits,
}

impl AmendOptions {
    /// Options with this uuid, `updated_at` = now, no URL, default limits.
    pub fn new(uuid: Uuid) -> Self {
        Self {
            uuid,
            updated_at: Some(Date::now()),
            prior_url: None,
            limits: ReadLimits::default(),
        }
    }
}

/// An amended vCon: the copy, with its reference to the prior version.
#[derive(Debug, Clone, PartialEq)]
pub struct Amendment {
    /// The new vCon (unsigned form).
    pub vcon: Map<String, Value>,
    /// uuid of the prior version.
    pub prior_uuid: Option<String>,
    /// sha512 `content_hash` of the prior version's bytes.
    pub prior_content_hash: String,
    /// References of the prior version that were dropped (`/redacted`, ...).
    pub dropped: Vec<String>,
}

impl Amendment {
    /// The amended vCon as indented JSON with a final newline.
    pub fn to_vec_pretty(&self) -> Result<Vec<u8>, AmendError> {
        let mut out = serde_json::to_vec_pretty(&self.vcon)
            .map_err(|e| AmendError::Serialize(e.to_string()))?;
        out.push(b'\n');
        Ok(out)
    }
}

/// Why an amendment could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmendError {
    /// The prior bytes are not a readable JSON object.
    #[error("the prior vCon cannot be read: {0}")]
    Read(#[from] ReadError),
    /// The prior version is signed: its payload must be verified first.
    #[error(
        "the prior vCon is signed (JWS): amend the verified payload instead — verify the signature, \
         then amend its payload (library: amend_verified keeps content_hash over the signed bytes)"
    )]
    Signed,
    /// The prior version is encrypted.
    #[error(
        "the prior vCon is encrypted (JWE): decrypt and verify it, then amend the verified payload"
    )]
    Encrypted,
    /// The prior bytes are not a vCon (R-40).
    #[error(
        "the prior is not a vCon: none of parties, dialog, analysis, attachments is present (R-40)"
    )]
    NoForm,
    /// The payload given to [`amend_verified`] is not the envelope's.
    #[error("/payload: {0}")]
    PayloadMismatch(String),
    /// The `prior_url` is not an HTTPS URL.
    #[error("amended.url must be an absolute https: URL (R-31)")]
    BadUrl,
    /// The result could not be serialised.
    #[error("cannot serialise the amended vCon: {0}")]
    Serialize(String),
}

/// Amends the unsigned vCon in `prior` (JSON or gzip bytes). Signed and
/// encrypted priors are refused (see the [module documentation](self)).
pub fn amend(prior: &[u8], options: &AmendOptions) -> Result<Amendment, AmendError> {
    let doc = read(prior, &options.limits)?;
    match doc.form {
        Some(Form::Unsigned) => build(doc.object, prior, options),
        Some(Form::Signed) => Err(AmendError::Signed),
        Some(Form::Encrypted) => Err(AmendError::Encrypted),
        None => Err(AmendError::NoForm),
    }
}

/// Amends a signed prior whose signature the caller has verified: the copy
/// is made from `verified_payload` (the payload's bytes, as the verifier
/// returned them), `amended.content_hash` is computed over `envelope` (the
/// signed bytes). The payload must decode from the envelope's `payload`.
pub fn amend_verified(
    envelope: &[u8],
    verified_payload: &[u8],
    options: &AmendOptions,
) -> Result<Amendment, AmendError> {
    let inner = verified_payload_of(envelope, verified_payload, &options.limits)
        .map_err(AmendError::PayloadMismatch)?;
    match inner.form {
        Some(Form::Unsigned) => build(inner.object, envelope, options),
        Some(Form::Signed) => Err(AmendError::Signed),
        Some(Form::Encrypted) => Err(AmendError::Encrypted),
        None => Err(AmendError::NoForm),
    }
}

/// Reads `verified_payload` after checking that it is the payload of the
/// signed vCon `envelope` (its `payload` member, base64url-decoded, and
/// inflated when gzip and the given payload is not). The error says why not.
///
/// ```
/// use vcon_core::amend::verified_payload_of;
/// use vcon_core::read::ReadLimits;
/// let env = br#"{"payload": "eyJwYXJ0aWVzIjpbXX0", "signatures": []}"#;
/// assert!(verified_payload_of(env, br#"{"parties":[]}"#, &ReadLimits::default()).is_ok());
/// assert!(verified_payload_of(env, br#"{"parties":[{}]}"#, &ReadLimits::default()).is_err());
/// ```
pub fn verified_payload_of(
    envelope: &[u8],
    verified_payload: &[u8],
    limits: &ReadLimits,
) -> Result<Document, String> {
    let doc = read(envelope, limits).map_err(|e| e.to_string())?;
    if doc.form != Some(Form::Signed) {
        return Err("the envelope is not a signed vCon (no payload and signatures)".into());
    }
    let encoded = doc
        .object
        .get("payload")
        .and_then(Value::as_str)
        .ok_or("`payload` is not a string")?;
    let mut decoded = URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|e| format!("not base64url: {e}"))?;
    if is_gzip(&decoded) && !is_gzip(verified_payload) {
        decoded = inflate(&decoded, limits.max_inflated_bytes).map_err(|e| e.to_string())?;
    }
    if decoded != verified_payload {
        return Err("the verified payload is not the envelope's payload".into());
    }
    read(verified_payload, limits).map_err(|e| e.to_string())
}

fn build(
    mut vcon: Map<String, Value>,
    hashed: &[u8],
    options: &AmendOptions,
) -> Result<Amendment, AmendError> {
    if let Some(url) = &options.prior_url
        && !crate::validate::primitives::is_https_url(url)
    {
        return Err(AmendError::BadUrl);
    }
    let prior_uuid = vcon.get("uuid").and_then(Value::as_str).map(str::to_owned);
    let prior_content_hash = ContentHash::compute(HashAlg::Sha512, hashed).to_string();
    let mut dropped = Vec::new();
    for old in ["redacted", "appended", "amended"] {
        if vcon.shift_remove(old).is_some() {
            dropped.push(format!("/{old}"));
        }
    }
    vcon.insert("uuid".into(), Value::String(options.uuid.to_string()));
    if let Some(at) = &options.updated_at {
        vcon.insert("updated_at".into(), Value::String(at.as_str().to_owned()));
    }
    let mut reference = Map::new();
    if let Some(u) = &prior_uuid {
        reference.insert("uuid".into(), Value::String(u.clone()));
    }
    if let Some(url) = &options.prior_url {
        reference.insert("url".into(), Value::String(url.clone()));
    }
    reference.insert(
        "content_hash".into(),
        Value::String(prior_content_hash.clone()),
    );
    vcon.insert("amended".into(), Value::Object(reference));
    Ok(Amendment {
        vcon,
        prior_uuid,
        prior_content_hash,
        dropped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRIOR: &str = r#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","redacted":{"type":"PII Redaction"},"parties":[{}]}"#;

    fn opts() -> AmendOptions {
        AmendOptions {
            updated_at: Some(Date::verbatim("2026-07-01T00:00:00Z")),
            ..AmendOptions::new(Uuid::nil())
        }
    }

    #[test]
    fn drops_redacted_and_hashes_exact_bytes() {
        let a = amend(PRIOR.as_bytes(), &opts()).unwrap();
        assert_eq!(a.dropped, vec!["/redacted"]);
        assert!(a.vcon.get("redacted").is_none());
        assert_eq!(a.vcon["updated_at"], "2026-07-01T00:00:00Z");
        assert_eq!(
            a.prior_content_hash,
            ContentHash::compute(HashAlg::Sha512, PRIOR.as_bytes()).to_string()
        );
        let keys: Vec<&str> = a.vcon.keys().map(String::as_str).collect();
        assert_eq!(keys, ["uuid", "parties", "updated_at", "amended"]);
    }

    #[test]
    fn verified_payload_must_be_the_envelopes() {
        let payload = URL_SAFE_NO_PAD.encode(PRIOR);
        let env = format!(r#"{{"payload":"{payload}","signatures":[]}}"#);
        let a = amend_verified(env.as_bytes(), PRIOR.as_bytes(), &opts()).unwrap();
        assert_eq!(
            a.prior_content_hash,
            ContentHash::compute(HashAlg::Sha512, env.as_bytes()).to_string()
        );
        let e = amend_verified(env.as_bytes(), br#"{"parties":[]}"#, &opts()).unwrap_err();
        assert!(matches!(e, AmendError::PayloadMismatch(_)));
    }

    #[test]
    fn refusals() {
        let enc = br#"{"ciphertext":"x","recipients":[]}"#;
        assert_eq!(amend(enc, &opts()).unwrap_err(), AmendError::Encrypted);
        assert_eq!(
            amend(br#"{"uuid":"x"}"#, &opts()).unwrap_err(),
            AmendError::NoForm
        );
        let bad = AmendOptions {
            prior_url: Some("ftp://x".into()),
            ..opts()
        };
        assert_eq!(
            amend(PRIOR.as_bytes(), &bad).unwrap_err(),
            AmendError::BadUrl
        );
    }
}
