//! Proving that one vCon derives from another (core-03 §redacted, §amended;
//! digest §6): `check_lineage(derived, original)` says whether the
//! relationship declared by the derived vCon's `redacted` or `amended`
//! object holds, and lists exactly what differs.
//!
//! The relationship holds when:
//! * the derived vCon has a `redacted` or `amended` reference (R-8: not both),
//!   a uuid of its own, and the reference's `uuid` is the original's;
//! * the reference's `content_hash`, when declared, matches the original's
//!   exact bytes. When it is not declared (core-03's own Appendix A.8 and A.9
//!   declare none) only the uuid and the content can be checked, and the
//!   report says so; [`LineageOptions::require_hash`] makes that a failure;
//! * **redacted**: every datum of the original is either unchanged, removed
//!   (array elements replaced by a `{}` placeholder, members dropped) or
//!   partly masked (the derived string is the original with some non-empty
//!   spans replaced by mask tokens such as `[PHONE]`, `{{URL}}`, `<NAME>`;
//!   an inline WAV with only samples set to silence, its `content_hash`
//!   recomputed); nothing is added or otherwise changed;
//! * **amended**: every datum of the original is kept unchanged at the same
//!   place; members and array elements may be added.
//!
//! Members that name the version itself are not compared: `uuid`,
//! `updated_at`, `redacted`, `amended`, `appended`. A signed original is
//! compared through its payload (decoded, not verified: verify it
//! separately); the content of an encrypted original cannot be compared.
//!
//! Every [`Difference`] has a JSON pointer, a [`DiffKind`] and a detail that
//! never quotes the values (the original may hold PII).
//!
//! ```
//! use vcon_core::lineage::{check_lineage, DiffKind, HashStatus, LineageOptions};
//! let original = br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","parties":[{"name":"Alice","tel":"+12025550101"},{"name":"Bob"}]}"#;
//! let hash = vcon_core::hash::ContentHash::compute(vcon_core::hash::HashAlg::Sha512, original);
//! let derived = format!(r#"{{"uuid":"019f15a6-aa72-8dbd-a20f-d188127fad29",
//!   "parties":[{{"name":"[NAME]"}},{{}}],
//!   "redacted":{{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","type":"PII Redaction","content_hash":"{hash}"}}}}"#);
//! let report = check_lineage(derived.as_bytes(), original, &LineageOptions::default()).unwrap();
//! assert!(report.holds, "{:?}", report.problems);
//! assert_eq!(report.hash, HashStatus::Verified);
//! let kinds: Vec<_> = report.differences.iter().map(|d| (d.pointer.as_str(), d.kind)).collect();
//! assert_eq!(kinds, [("/parties/0/name", DiffKind::Masked), ("/parties/0/tel", DiffKind::Removed),
//!                    ("/parties/1", DiffKind::Removed)]);
//! ```

mod compare;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::form::Form;
use crate::hash::{ContentHashes, HashError};
use crate::read::{ReadError, ReadLimits, inflate, is_gzip, read};

/// Which relationship the derived vCon declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Relation {
    /// `redacted`: a less-revealing copy.
    Redacted,
    /// `amended`: a copy with additions.
    Amended,
}

/// How one value of the derived vCon differs from the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    /// Present in the original, absent (or a `{}` placeholder) in the derived vCon.
    Removed,
    /// A partly masked version of the original value.
    Masked,
    /// Absent from the original.
    Added,
    /// Different in any other way.
    Changed,
}

/// One difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// JSON pointer, the same in both vCons.
    pub pointer: String,
    /// What kind of difference.
    pub kind: DiffKind,
    /// What differs, without quoting values.
    pub detail: String,
}

/// The outcome of checking the declared `content_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum HashStatus {
    /// Every known token matches the original's bytes, one of them sha512.
    Verified,
    /// The declared hash does not match the original's bytes.
    Mismatch {
        /// Declared value, as written.
        declared: String,
        /// sha512 of the bytes given as the original.
        computed: String,
    },
    /// The reference declares no `content_hash`.
    NotDeclared,
    /// The declared value is malformed or has no sha512 token.
    Invalid {
        /// Why.
        reason: String,
    },
}

/// What [`check_lineage`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineageReport {
    /// The relationship the derived vCon declares, if any.
    pub relation: Option<Relation>,
    /// Whether the relationship holds (no problem found).
    pub holds: bool,
    /// uuid of the derived vCon.
    pub derived_uuid: Option<String>,
    /// uuid of the original.
    pub original_uuid: Option<String>,
    /// uuid named by the derived vCon's reference.
    pub referenced_uuid: Option<String>,
    /// The `content_hash` check.
    pub hash: HashStatus,
    /// Whether the content was compared.
    pub content_checked: bool,
    /// Every difference, in document order.
    pub differences: Vec<Difference>,
    /// Why the relationship does not hold (empty when it holds).
    pub problems: Vec<String>,
    /// What was not or could not be checked.
    pub notes: Vec<String>,
}

impl LineageReport {
    /// Number of differences of one kind.
    pub fn count(&self, kind: DiffKind) -> usize {
        self.differences.iter().filter(|d| d.kind == kind).count()
    }
}

/// How to check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineageOptions {
    /// Mask texts to recognise besides the bracketed forms (`[...]`,
    /// `{{...}}`, `<...>` with upper-case names), e.g. from
    /// [`crate::redact::RedactionPolicy::mask_texts`].
    pub masks: Vec<String>,
    /// Fail when the reference declares no `content_hash`.
    pub require_hash: bool,
    /// Limits for reading both vCons.
    pub limits: ReadLimits,
}

/// Which input could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineageError {
    /// The derived vCon cannot be read.
    #[error("derived vCon: {0}")]
    Derived(String),
    /// The original cannot be read.
    #[error("original vCon: {0}")]
    Original(String),
}

/// One side of the check, as read.
enum Side {
    /// The unsigned object, with a note when it came from a JWS payload.
    Unsigned(Map<String, Value>, Option<String>),
    /// An encrypted vCon's envelope.
    Encrypted(Map<String, Value>),
}

fn side(bytes: &[u8], limits: &ReadLimits) -> Result<Side, String> {
    let doc = read(bytes, limits).map_err(|e: ReadError| e.to_string())?;
    match doc.form {
        Some(Form::Unsigned) => Ok(Side::Unsigned(doc.object, None)),
        Some(Form::Signed) => {
            let payload = doc
                .object
                .get("payload")
                .and_then(Value::as_str)
                .ok_or("/payload: not a string")?;
            let mut raw = URL_SAFE_NO_PAD
                .decode(payload.trim_end_matches('='))
                .map_err(|e| format!("/payload: not base64url: {e}"))?;
            if is_gzip(&raw) {
                raw = inflate(&raw, limits.max_inflated_bytes)
                    .map_err(|e| format!("/payload: {e}"))?;
            }
            let inner = read(&raw, limits).map_err(|e| format!("/payload: {e}"))?;
            let note =
                "signed: compared through its payload, whose signature this check does not verify";
            Ok(Side::Unsigned(inner.object, Some(note.to_owned())))
        }
        Some(Form::Encrypted) => Ok(Side::Encrypted(doc.object)),
        None => Err(
            "not a vCon: none of parties, dialog, analysis, attachments is present (R-40)".into(),
        ),
    }
}

fn str_of(o: &Map<String, Value>, k: &str) -> Option<String> {
    o.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// Checks that `derived` is a redacted or amended version of `original`
/// (both as exact bytes). See the [module documentation](self).
pub fn check_lineage(
    derived: &[u8],
    original: &[u8],
    options: &LineageOptions,
) -> Result<LineageReport, LineageError> {
    let (d, d_note) = match side(derived, &options.limits).map_err(LineageError::Derived)? {
        Side::Unsigned(d, note) => (d, note),
        Side::Encrypted(_) => {
            return Err(LineageError::Derived(
                "encrypted: decrypt it first, its references are inside".into(),
            ));
        }
    };
    let (o, o_envelope, o_note) =
        match side(original, &options.limits).map_err(LineageError::Original)? {
            Side::Unsigned(o, note) => (Some(o), None, note),
            Side::Encrypted(env) => (None, Some(env), None),
        };
    let mut problems = Vec::new();
    let mut notes: Vec<String> = d_note
        .map(|n| format!("derived vCon is {n}"))
        .into_iter()
        .collect();
    notes.extend(o_note.map(|n| format!("original is {n}")));

    let redacted = d
        .get("redacted")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty());
    let amended = d
        .get("amended")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty());
    let (relation, reference) = match (redacted, amended) {
        (Some(_), Some(_)) => {
            problems.push("the derived vCon has both `redacted` and `amended`; they are mutually exclusive (R-8)".into());
            (None, None)
        }
        (Some(r), None) => (Some(Relation::Redacted), Some(r)),
        (None, Some(a)) => (Some(Relation::Amended), Some(a)),
        (None, None) => {
            problems.push("the derived vCon has neither `redacted` nor `amended`: it declares no prior version".into());
            (None, None)
        }
    };
    let member = relation.map_or("reference", |r| match r {
        Relation::Redacted => "redacted",
        Relation::Amended => "amended",
    });

    let derived_uuid = str_of(&d, "uuid");
    let original_uuid = match &o {
        Some(o) => str_of(o, "uuid"),
        None => o_envelope
            .as_ref()
            .and_then(|e| e.get("unprotected"))
            .and_then(Value::as_object)
            .and_then(|u| str_of(u, "uuid")),
    };
    let referenced_uuid = reference.and_then(|r| str_of(r, "uuid"));
    if reference.is_some() {
        match (&referenced_uuid, &original_uuid) {
            (None, _) => problems.push(format!(
                "/{member}/uuid is missing: the prior version is not identified (R-43)"
            )),
            (Some(_), None) => problems.push("the original has no uuid to compare with".into()),
            (Some(r), Some(o)) if r != o => {
                problems.push(format!("/{member}/uuid is {r}, the original's uuid is {o}"));
            }
            _ => {}
        }
    }
    if derived_uuid.is_some() && derived_uuid == original_uuid {
        problems.push(
            "/uuid: the derived vCon has the original's uuid; a new version needs a new uuid"
                .into(),
        );
    }

    let hash = match reference.and_then(|r| r.get("content_hash")) {
        None => HashStatus::NotDeclared,
        Some(v) => match ContentHashes::from_value(v).and_then(|h| h.verify(original)) {
            Ok(()) => HashStatus::Verified,
            Err(HashError::Mismatch {
                declared, computed, ..
            }) => HashStatus::Mismatch { declared, computed },
            Err(e) => HashStatus::Invalid {
                reason: e.to_string(),
            },
        },
    };
    match &hash {
        HashStatus::Verified => {}
        HashStatus::NotDeclared if reference.is_some() => {
            let msg = format!(
                "/{member} declares no content_hash: the original's bytes cannot be verified, only its uuid and content were checked"
            );
            if options.require_hash {
                problems.push(msg);
            } else {
                notes.push(msg);
            }
        }
        HashStatus::NotDeclared => {}
        HashStatus::Mismatch { .. } => problems.push(format!(
            "/{member}/content_hash does not match the original's bytes: this is not the version it references"
        )),
        HashStatus::Invalid { reason } => problems.push(format!("/{member}/content_hash: {reason}")),
    }

    let mut differences = Vec::new();
    let content_checked = match (&o, relation) {
        (Some(o), Some(rel)) => {
            let masks = compare::Masks::new(&options.masks);
            differences = compare::top_level(o, &d, rel, &masks);
            let bad: Vec<&Difference> = differences
                .iter()
                .filter(|x| match rel {
                    Relation::Redacted => matches!(x.kind, DiffKind::Added | DiffKind::Changed),
                    Relation::Amended => x.kind != DiffKind::Added,
                })
                .collect();
            if let Some(first) = bad.first() {
                let allowed = match rel {
                    Relation::Redacted => "removals or masks",
                    Relation::Amended => "additions",
                };
                problems.push(format!(
                    "{} difference(s) are not {allowed}, first at {} ({:?}: {})",
                    bad.len(),
                    if first.pointer.is_empty() {
                        "(document)"
                    } else {
                        &first.pointer
                    },
                    first.kind,
                    first.detail
                ));
            }
            true
        }
        (None, Some(_)) => {
            notes.push("the original is encrypted: its content was not compared".into());
            if hash != HashStatus::Verified {
                problems.push(
                    "the original is encrypted and no content_hash ties it to the derived vCon"
                        .into(),
                );
            }
            false
        }
        _ => false,
    };
    Ok(LineageReport {
        relation,
        holds: problems.is_empty(),
        derived_uuid,
        original_uuid,
        referenced_uuid,
        hash,
        content_checked,
        differences,
        problems,
        notes,
    })
}
