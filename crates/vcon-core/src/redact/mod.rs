//! Redaction (core-03 §redacted, §Redacted Object; digest §6.1): a new vCon
//! with a new uuid, made from the exact bytes of an unsigned original by a
//! [`RedactionPolicy`], that references the original with
//! `redacted: {uuid, type, content_hash[, url]}` (`content_hash` is the
//! sha512 of the original's bytes, so [`crate::lineage`] can prove the link).
//!
//! Each datum of the original is removed, copied partly masked, or copied as
//! is. Removed parties, analyses and attachments leave `{}` placeholders so
//! that indices stay valid; removed media lose `body`/`encoding`/`url` but
//! keep `content_hash` (as Appendix A.8 does). In order:
//!
//! 1. `amended`/`appended`/an older `redacted` of the original are dropped
//!    (a vCon is either redacted or amended, R-8);
//! 2. parties, media, analyses and attachments ([`structure`]);
//! 3. PII in the subject, `text` dialogs (MIME aware, [`mime`]), analyses and
//!    attachments (every string of a JSON body, [`walk`]);
//! 4. inline PCM WAV recordings are silenced during the masked words of
//!    their word-timed transcripts ([`audio`], [`wav`]) — including the
//!    transcripts that step 2 removed, so removing a transcript never leaves
//!    its spoken PII in the audio;
//! 5. `uuid`, `updated_at` and `redacted` are set, and the result is
//!    validated: it may break no strict rule (R-n at a pointer) that the
//!    original did not already break.
//!
//! `created_at` is copied: the conversation did not change. Signed and
//! encrypted originals are refused by [`redact`]: verify (and decrypt) them,
//! then call [`redact_verified`] with the signed bytes and the verified
//! payload, so that `content_hash` covers what was signed. Legacy syntaxes
//! (migrate first) and vCons invalid even under the lenient profile are
//! refused too.
//!
//! ```
//! use vcon_core::redact::{redact, RedactOptions, RedactionPolicy};
//! let original = br#"{"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
//!   "created_at": "2026-06-29T23:11:19Z",
//!   "parties": [{"tel": "+12025550101", "name": "Alice Smith", "validation": "none"}],
//!   "dialog": [{"type": "text", "start": "2026-06-29T23:11:19Z", "parties": [0],
//!     "mediatype": "text/plain", "encoding": "none",
//!     "body": "This is Alice, call me at (202) 555-0101 or alice@example.com"}]}"#;
//! let mut policy = RedactionPolicy::default();
//! policy.parties.drop_members = vec!["tel".into()];
//! let uuid = vcon_core::id::IdGenerator::new("example.com").generate();
//! let out = redact(original, &policy, &RedactOptions::new(uuid)).unwrap();
//! assert_eq!(out.vcon["dialog"][0]["body"], "This is [NAME], call me at [PHONE] or [EMAIL]");
//! assert_eq!(out.vcon["redacted"]["uuid"], "019f15a6-a752-826f-b9a2-279e0d16bc46");
//! assert_eq!(out.vcon["redacted"]["content_hash"], out.report.original_content_hash.as_str());
//! assert_eq!(out.report.counts["party_tel"], 1);
//! assert!(!serde_json::to_string(&out.report).unwrap().contains("555"));
//! ```

pub mod audio;
mod checks;
pub mod mime;
mod party;
mod pii;
mod policy;
mod report;
pub mod structure;
pub mod walk;
pub mod wav;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};
use uuid::Uuid;

pub use audio::AudioError;
pub use checks::{iban_ok, luhn};
pub use party::PartyIds;
pub use pii::{PiiKind, PiiMatch, Scanner};
pub use policy::{
    AnalysisRules, AttachmentRules, AudioRules, CustomPattern, DEFAULT_REDACTION_TYPE, DobMode,
    Masks, MediaRules, PartyRules, PiiRules, PolicyError, RedactionPolicy, Unsupported,
};
pub use report::{Action, RedactionReport, ReportItem, ReportNote};

use crate::form::Form;
use crate::hash::{ContentHash, HashAlg};
use crate::model::Date;
use crate::read::{ReadError, ReadLimits, read};
use crate::validate::{Finding, Options, Profile, Severity, validate_object};

/// The new vCon's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactOptions {
    /// uuid of the redacted vCon (make it with [`crate::id::IdGenerator`]).
    pub uuid: Uuid,
    /// `updated_at` to write; `None` leaves the original's.
    pub updated_at: Option<Date>,
    /// Limits for reading the original.
    pub limits: ReadLimits,
}

impl RedactOptions {
    /// Options with this uuid, `updated_at` = now, default read limits.
    pub fn new(uuid: Uuid) -> Self {
        Self {
            uuid,
            updated_at: Some(Date::now()),
            limits: ReadLimits::default(),
        }
    }
}

/// A redacted vCon and the report of what was done.
#[derive(Debug, Clone, PartialEq)]
pub struct Redaction {
    /// The redacted vCon (unsigned form), members in the original's order.
    pub vcon: Map<String, Value>,
    /// What was removed, masked and silenced (never the values themselves).
    pub report: RedactionReport,
}

impl Redaction {
    /// The redacted vCon as indented JSON with a final newline.
    pub fn to_vec_pretty(&self) -> Result<Vec<u8>, RedactError> {
        let mut out = serde_json::to_vec_pretty(&self.vcon)
            .map_err(|e| RedactError::Serialize(e.to_string()))?;
        out.push(b'\n');
        Ok(out)
    }
}

/// Why a redaction could not be made.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RedactError {
    /// The original bytes are not a readable JSON object.
    #[error("the original cannot be read: {0}")]
    Read(#[from] ReadError),
    /// The original is signed or encrypted.
    #[error(
        "the original is a {form} vCon: verify (and decrypt) it, then redact its verified payload \
         (library: redact_verified keeps content_hash over the signed bytes); the redacted vCon \
         should then be signed again (R-43)"
    )]
    Envelope {
        /// The form found.
        form: Form,
    },
    /// No vCon form can be found (R-40).
    #[error(
        "the original is not a vCon: none of parties, dialog, analysis, attachments is present (R-40)"
    )]
    NoForm,
    /// The original uses a legacy syntax.
    #[error("the original uses legacy vCon syntax {detected}; run `vcon migrate` first (R-11)")]
    Legacy {
        /// The syntax detected.
        detected: String,
    },
    /// The original breaks rules even under the lenient profile.
    #[error("the original is not a valid vCon: {} (and {} more)", first(.findings), .findings.len().saturating_sub(1))]
    InvalidInput {
        /// The errors found (lenient profile).
        findings: Vec<Finding>,
    },
    /// The payload given to [`redact_verified`] is not the envelope's.
    #[error("/payload: {0}")]
    PayloadMismatch(String),
    /// The policy cannot be applied.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A recording had to be silenced and could not be.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The result breaks a rule the original did not (a bug: please report it).
    #[error("internal error, the redacted vCon breaks rules the original did not: {}", first(.findings))]
    InvalidOutput {
        /// The new errors.
        findings: Vec<Finding>,
    },
    /// The result could not be serialised.
    #[error("cannot serialise the redacted vCon: {0}")]
    Serialize(String),
}

fn first(findings: &[Finding]) -> String {
    findings.first().map_or_else(String::new, |f| {
        let at = if f.pointer.is_empty() {
            "(document)"
        } else {
            &f.pointer
        };
        format!("{at}: {} ({})", f.message, f.rule)
    })
}

impl RedactError {
    /// The JSON pointer the error is about (into the vCon, or into the policy
    /// for [`RedactError::Policy`]); `""` for the whole document.
    pub fn pointer(&self) -> &str {
        match self {
            Self::Policy(e) => &e.pointer,
            Self::Audio(e) => &e.pointer,
            Self::InvalidInput { findings } | Self::InvalidOutput { findings } => {
                findings.first().map_or("", |f| f.pointer.as_str())
            }
            _ => "",
        }
    }
}

fn errors(object: &Map<String, Value>, profile: Profile) -> Vec<Finding> {
    validate_object(object, &Options::with_profile(profile))
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect()
}

/// Redacts the unsigned vCon in `original` (JSON or gzip bytes) by `policy`.
/// See the [module documentation](self) for what is done, in which order.
pub fn redact(
    original: &[u8],
    policy: &RedactionPolicy,
    options: &RedactOptions,
) -> Result<Redaction, RedactError> {
    policy.check()?;
    let doc = read(original, &options.limits)?;
    redact_document(doc, original, policy, options)
}

/// Redacts a signed vCon whose signature the caller has verified: the copy
/// is made from `verified_payload`, `redacted.content_hash` is computed over
/// `envelope` (the signed bytes, what a reader of `redacted.url` gets). The
/// payload must be the envelope's own ([`crate::amend::verified_payload_of`]).
pub fn redact_verified(
    envelope: &[u8],
    verified_payload: &[u8],
    policy: &RedactionPolicy,
    options: &RedactOptions,
) -> Result<Redaction, RedactError> {
    policy.check()?;
    let doc = crate::amend::verified_payload_of(envelope, verified_payload, &options.limits)
        .map_err(RedactError::PayloadMismatch)?;
    redact_document(doc, envelope, policy, options)
}

fn redact_document(
    doc: crate::read::Document,
    hashed: &[u8],
    policy: &RedactionPolicy,
    options: &RedactOptions,
) -> Result<Redaction, RedactError> {
    match doc.form {
        Some(Form::Unsigned) => {}
        Some(form) => return Err(RedactError::Envelope { form }),
        None => return Err(RedactError::NoForm),
    }
    let version = crate::version::detect(&doc.object);
    if version.is_legacy() {
        return Err(RedactError::Legacy {
            detected: version.detected.as_str().to_owned(),
        });
    }
    let lenient = errors(&doc.object, Profile::Lenient);
    if !lenient.is_empty() {
        return Err(RedactError::InvalidInput { findings: lenient });
    }
    let before: BTreeSet<(&str, String)> = errors(&doc.object, Profile::Strict)
        .into_iter()
        .map(|f| (f.rule, f.pointer))
        .collect();

    let mut vcon = doc.object;
    let mut report = RedactionReport {
        original_uuid: vcon.get("uuid").and_then(Value::as_str).map(str::to_owned),
        redacted_uuid: options.uuid.to_string(),
        original_content_hash: ContentHash::compute(HashAlg::Sha512, hashed).to_string(),
        ..Default::default()
    };
    let ids: Vec<PartyIds> = match vcon.get("parties") {
        Some(Value::Array(p)) => p
            .iter()
            .filter_map(Value::as_object)
            .map(PartyIds::of)
            .collect(),
        _ => Vec::new(),
    };
    let scanner = Scanner::new(&policy.pii, &ids)?;

    for old in ["amended", "appended", "redacted"] {
        if vcon.shift_remove(old).is_some() {
            report.record(format!("/{old}"), Action::Removed, "reference", 1);
        }
    }
    // Timings of transcripts that are about to be removed still guide silencing.
    let mut spans = if policy.audio.silence {
        removed_transcript_spans(&vcon, policy, &scanner)
    } else {
        BTreeMap::new()
    };
    structure::apply(&mut vcon, policy, &mut report)?;
    if scanner.is_active() {
        mask_pii(&mut vcon, policy, &scanner, &mut report, &mut spans);
    }
    if policy.audio.silence {
        audio::silence_dialogs(&mut vcon, &spans, &policy.audio, &mut report)?;
    }

    vcon.insert("uuid".into(), Value::String(options.uuid.to_string()));
    if let Some(at) = &options.updated_at {
        vcon.insert("updated_at".into(), Value::String(at.as_str().to_owned()));
    }
    let mut reference = Map::new();
    if let Some(uuid) = &report.original_uuid {
        reference.insert("uuid".into(), Value::String(uuid.clone()));
    }
    reference.insert("type".into(), Value::String(policy.redaction_type.clone()));
    if let Some(url) = &policy.original_url {
        reference.insert("url".into(), Value::String(url.clone()));
    }
    reference.insert(
        "content_hash".into(),
        Value::String(report.original_content_hash.clone()),
    );
    vcon.insert("redacted".into(), Value::Object(reference));

    let new: Vec<Finding> = errors(&vcon, Profile::Strict)
        .into_iter()
        .filter(|f| !before.contains(&(f.rule, f.pointer.clone())))
        .collect();
    if !new.is_empty() {
        return Err(RedactError::InvalidOutput { findings: new });
    }
    Ok(Redaction { vcon, report })
}

/// Spans of masked words in the transcripts the policy removes entirely.
fn removed_transcript_spans(
    vcon: &Map<String, Value>,
    policy: &RedactionPolicy,
    scanner: &Scanner,
) -> BTreeMap<usize, Vec<(f64, f64)>> {
    let mut spans: BTreeMap<usize, Vec<(f64, f64)>> = BTreeMap::new();
    let Some(Value::Array(items)) = vcon.get("analysis") else {
        return spans;
    };
    for a in items.iter().filter_map(Value::as_object) {
        let removed = a
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| policy.analysis.remove_types.iter().any(|r| r == t));
        if let (true, Some(d), Some(body)) = (removed, audio::target_dialog(a), a.get("body"))
            && (body.is_object() || body.is_array())
        {
            let mut scratch = RedactionReport::default();
            let found = walk::mask_json(&mut body.clone(), "", scanner, &mut scratch);
            spans.entry(d).or_default().extend(found.audio());
        }
    }
    spans
}

/// Masks PII in the subject, text dialogs, analyses and attachments.
fn mask_pii(
    vcon: &mut Map<String, Value>,
    policy: &RedactionPolicy,
    scanner: &Scanner,
    report: &mut RedactionReport,
    spans: &mut BTreeMap<usize, Vec<(f64, f64)>>,
) {
    let rules = &policy.pii;
    if rules.subject
        && let Some(Value::String(s)) = vcon.get_mut("subject")
        && let Some((masked, kinds)) = scanner.mask(s)
    {
        walk::record_kinds(report, scanner, "/subject", &kinds);
        *s = masked;
    }
    if rules.text_dialogs {
        for_each(vcon, "dialog", |i, d| {
            if d.get("type").and_then(Value::as_str) == Some("text") {
                mask_content(d, &format!("/dialog/{i}"), scanner, report);
            }
        });
    }
    if rules.analyses {
        for_each(vcon, "analysis", |i, a| {
            if let Some(found) = mask_content(a, &format!("/analysis/{i}"), scanner, report) {
                if let Some(d) = audio::target_dialog(a) {
                    spans.entry(d).or_default().extend(found.audio());
                } else if !found.audio().is_empty() {
                    report.note(
                        format!("/analysis/{i}"),
                        "masked words have timings but the analysis does not name exactly one dialog; no audio silenced",
                    );
                }
            }
        });
    }
    if rules.attachments {
        for_each(vcon, "attachments", |i, a| {
            mask_content(a, &format!("/attachments/{i}"), scanner, report);
        });
    }
}

fn for_each(
    vcon: &mut Map<String, Value>,
    array: &str,
    mut f: impl FnMut(usize, &mut Map<String, Value>),
) {
    if let Some(Value::Array(items)) = vcon.get_mut(array) {
        for (i, item) in items.iter_mut().enumerate() {
            if let Value::Object(o) = item
                && !o.is_empty()
            {
                f(i, o);
            }
        }
    }
}

/// Masks the inline body of a dialog, analysis or attachment at `at`;
/// returns the timed spans of a JSON body.
fn mask_content(
    o: &mut Map<String, Value>,
    at: &str,
    scanner: &Scanner,
    report: &mut RedactionReport,
) -> Option<walk::Spans> {
    let encoding = o.get("encoding").and_then(Value::as_str).map(str::to_owned);
    let mediatype = o
        .get("mediatype")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let pointer = format!("{at}/body");
    let body = o.get_mut("body")?;
    match (encoding.as_deref(), body) {
        (Some("json"), body @ (Value::Object(_) | Value::Array(_))) => {
            Some(walk::mask_json(body, &pointer, scanner, report))
        }
        (Some("none" | "json") | None, Value::String(text)) => {
            let out = mime::mask_body(text, mediatype.as_deref(), scanner);
            for s in &out.skipped {
                report.note(pointer.as_str(), format!("not scanned: {s}"));
            }
            if !out.kinds.is_empty() {
                walk::record_kinds(report, scanner, &pointer, &out.kinds);
                *text = out.text;
            }
            None
        }
        (Some("base64url"), _) => {
            let text_like = mediatype.as_deref().is_some_and(|m| m.starts_with("text/"));
            if text_like {
                report.note(pointer, "not scanned: base64url-encoded text (remove it with [media] if it may hold PII)");
            }
            None
        }
        _ => None,
    }
}
