//! Typed view of the `lawful_basis` attachment body
//! (draft-howe-vcon-lawful-basis-00, digest §9.2): an attachment with
//! `type: "lawful_basis"`, `encoding: "json"` and an object body.

use chrono::{DateTime, FixedOffset};
use serde_json::{Map, Value};

use super::attachment::Attachment;
use super::error::ModelError;
use super::json::{JsonValue, Path, json_object, string_enum};
use super::values::Date;

/// Name of the extension, as listed in `extensions`, and the attachment `type`.
pub const LAWFUL_BASIS_EXTENSION: &str = "lawful_basis";

string_enum! {
    /// The legal ground for processing (GDPR Art. 6 terms).
    pub enum LawfulBasisKind {
        /// The data subject consented.
        Consent = "consent",
        /// Needed for a contract.
        Contract = "contract",
        /// Required by law.
        LegalObligation = "legal_obligation",
        /// Protects someone's life.
        VitalInterests = "vital_interests",
        /// A task in the public interest.
        PublicTask = "public_task",
        /// Legitimate interests of the controller.
        LegitimateInterests = "legitimate_interests",
    }
}

string_enum! {
    /// How a lawful basis was evidenced.
    pub enum ProofType {
        /// Said so during the conversation.
        VerbalConfirmation = "verbal_confirmation",
        /// A signed document.
        SignedDocument = "signed_document",
        /// A cryptographic signature.
        CryptographicSignature = "cryptographic_signature",
        /// Recorded in an external system.
        ExternalSystem = "external_system",
    }
}

json_object! {
    /// The body of a lawful_basis attachment.
    pub struct LawfulBasis {
        /// The legal ground (required).
        lawful_basis: LawfulBasisKind = "lawful_basis",
        /// When it expires; `null` (read as `None`) means indefinitely.
        expiration: Date = "expiration",
        /// What is granted or refused, purpose by purpose (required).
        purpose_grants: Vec<PurposeGrant> = "purpose_grants",
        /// URL of the terms of service.
        terms_of_service: String = "terms_of_service",
        /// How often the status should be re-checked, such as `30d`.
        status_interval: String = "status_interval",
        /// Hash of the canonicalised body (not a core content_hash token).
        content_hash: LawfulBasisHash = "content_hash",
        /// Transparency registry holding the record.
        registry: Registry = "registry",
        /// Evidence of the lawful basis.
        proof_mechanisms: Vec<ProofMechanism> = "proof_mechanisms",
        /// Free-form metadata.
        metadata: Map<String, Value> = "metadata",
    }
}

json_object! {
    /// Whether one purpose is granted.
    pub struct PurposeGrant {
        /// The purpose, such as `recording` or `transcription`.
        purpose: String = "purpose",
        /// Whether it is granted.
        granted: bool = "granted",
        /// When the grant (or refusal) was given.
        granted_at: Date = "granted_at",
        /// Conditions attached to the grant.
        conditions: Vec<String> = "conditions",
    }
}

json_object! {
    /// The lawful_basis `content_hash` object: `{algorithm, canonicalization, value}`.
    pub struct LawfulBasisHash {
        /// `sha-256`, `sha-3-256` or `blake2b-256`.
        algorithm: String = "algorithm",
        /// `jcs` (RFC 8785).
        canonicalization: String = "canonicalization",
        /// The digest in hexadecimal.
        value: String = "value",
    }
}

json_object! {
    /// Where the lawful basis is registered.
    pub struct Registry {
        /// Kind of registry, such as `scitt`.
        r#type: String = "type",
        /// Registry URL.
        url: String = "url",
    }
}

json_object! {
    /// One piece of evidence for the lawful basis.
    pub struct ProofMechanism {
        /// What kind of evidence.
        proof_type: ProofType = "proof_type",
        /// When it was captured.
        timestamp: Date = "timestamp",
        /// Evidence details.
        proof_data: Map<String, Value> = "proof_data",
    }
}

impl LawfulBasis {
    /// Whether there is no expiration (absent or `null`).
    pub fn is_indefinite(&self) -> bool {
        self.expiration.is_none()
    }

    /// Whether it has expired at `now`; an unparsable expiration is an error.
    pub fn is_expired_at(&self, now: &DateTime<FixedOffset>) -> Result<bool, ModelError> {
        match &self.expiration {
            None => Ok(false),
            Some(d) => Ok(d.parse()? <= *now),
        }
    }

    /// The grants for `purpose`, in order.
    pub fn grants_for<'a>(
        &'a self,
        purpose: &'a str,
    ) -> impl Iterator<Item = &'a PurposeGrant> + 'a {
        self.purpose_grants
            .iter()
            .flatten()
            .filter(move |g| g.purpose.as_deref() == Some(purpose))
    }

    /// Most-restrictive evaluation: granted only when at least one grant for
    /// `purpose` says `granted: true` and none says otherwise.
    pub fn is_granted(&self, purpose: &str) -> bool {
        let mut any = false;
        for g in self.grants_for(purpose) {
            if g.granted != Some(true) {
                return false;
            }
            any = true;
        }
        any
    }
}

impl Attachment {
    /// Whether this is a lawful_basis attachment (`type` or `purpose` is `lawful_basis`).
    pub fn is_lawful_basis(&self) -> bool {
        self.r#type.as_deref() == Some(LAWFUL_BASIS_EXTENSION)
            || self.purpose.as_deref() == Some(LAWFUL_BASIS_EXTENSION)
    }

    /// The lawful_basis body, typed: `None` when this is not a lawful_basis
    /// attachment, an error (pointing under `/body`) when the body is missing
    /// or wrongly typed.
    pub fn lawful_basis(&self) -> Option<Result<LawfulBasis, ModelError>> {
        if !self.is_lawful_basis() {
            return None;
        }
        Some(match &self.body {
            Some(body) => LawfulBasis::from_json(body.clone(), &Path::Root("/body")),
            None => Err(ModelError::Invalid {
                pointer: "/body".into(),
                message: "a lawful_basis attachment needs an object body".into(),
            }),
        })
    }

    /// Makes this a lawful_basis attachment with `basis` as its JSON body.
    pub fn set_lawful_basis(&mut self, basis: &LawfulBasis) {
        self.r#type = Some(LAWFUL_BASIS_EXTENSION.to_owned());
        self.set_inline_json(basis.to_json());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::model::Encoding;
    use serde_json::json;

    fn attachment() -> Attachment {
        Attachment::try_from(json!({
            "type": "lawful_basis", "start": "2025-01-02T12:15:30Z", "party": 0, "dialog": 0,
            "encoding": "json",
            "body": {
                "lawful_basis": "consent", "expiration": "2026-01-02T12:00:00Z",
                "purpose_grants": [
                    {"purpose": "recording", "granted": true, "granted_at": "2025-01-02T12:15:30Z"},
                    {"purpose": "sentiment_analysis", "granted": false, "granted_at": "2025-01-02T12:15:30Z",
                     "conditions": ["anonymised"]}
                ],
                "proof_mechanisms": [{"proof_type": "verbal_confirmation", "timestamp": "2025-01-02T12:15:30Z",
                                      "proof_data": {"dialog_reference": 0}}],
                "content_hash": {"algorithm": "sha-256", "canonicalization": "jcs", "value": "ab"},
                "registry": {"type": "scitt", "url": "https://r.example.com"},
                "x_vendor": 1
            }
        }))
        .unwrap()
    }

    #[test]
    fn typed_view() {
        let a = attachment();
        let lb = a.lawful_basis().unwrap().unwrap();
        assert_eq!(lb.lawful_basis, Some(LawfulBasisKind::Consent));
        assert!(lb.is_granted("recording"));
        assert!(!lb.is_granted("sentiment_analysis"));
        assert!(!lb.is_granted("marketing"));
        assert_eq!(
            lb.proof_mechanisms.as_ref().unwrap()[0].proof_type,
            Some(ProofType::VerbalConfirmation)
        );
        assert_eq!(
            lb.registry.as_ref().unwrap().r#type.as_deref(),
            Some("scitt")
        );
        let before = DateTime::parse_from_rfc3339("2025-06-01T00:00:00Z").unwrap();
        let after = DateTime::parse_from_rfc3339("2026-06-01T00:00:00Z").unwrap();
        assert!(!lb.is_expired_at(&before).unwrap());
        assert!(lb.is_expired_at(&after).unwrap());
        // The view is lossless.
        assert_eq!(lb.to_json(), a.body.clone().unwrap());
    }

    #[test]
    fn null_expiration_is_indefinite() {
        let lb =
            LawfulBasis::try_from(json!({"lawful_basis": "contract", "expiration": null})).unwrap();
        assert!(lb.is_indefinite());
        assert_eq!(
            lb.to_json(),
            json!({"lawful_basis": "contract", "expiration": null})
        );
    }

    #[test]
    fn errors_point_into_the_body() {
        let mut a = attachment();
        a.body = Some(json!({"purpose_grants": [{"granted": "yes"}]}));
        let e = a.lawful_basis().unwrap().unwrap_err();
        assert_eq!(
            e.to_string(),
            "/body/purpose_grants/0/granted: expected a boolean, found a string"
        );
        a.body = None;
        assert!(a.lawful_basis().unwrap().is_err());
        assert!(Attachment::default().lawful_basis().is_none());
    }

    #[test]
    fn set_lawful_basis_writes_the_body() {
        let mut a = Attachment::default();
        let lb = LawfulBasis {
            lawful_basis: Some(LawfulBasisKind::LegitimateInterests),
            purpose_grants: Some(vec![PurposeGrant {
                purpose: Some("recording".into()),
                granted: Some(true),
                granted_at: Some(Date::verbatim("2025-01-02T12:15:30Z")),
                ..Default::default()
            }]),
            ..Default::default()
        };
        a.set_lawful_basis(&lb);
        assert!(a.is_lawful_basis());
        assert_eq!(a.encoding, Some(Encoding::Json));
        assert_eq!(a.lawful_basis().unwrap().unwrap(), lb);
    }
}
