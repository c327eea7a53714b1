//! [`RedactionPolicy`]: what a redaction removes and masks.
//!
//! The policy is a plain serde structure, so it can be read from TOML (the
//! `vcon redact --policy` file), JSON or built in code. Every table and field
//! is optional and has a safe default: an empty policy masks every kind of
//! PII it knows in text dialogs, analyses, attachments and the subject, and
//! silences the masked words in inline WAV recordings, but removes no party,
//! medium, analysis or attachment. Unknown fields are refused, so a typo in a
//! policy file is an error instead of a silently ignored rule.
//!
//! ```
//! use vcon_core::redact::{DobMode, RedactionPolicy};
//! let policy: RedactionPolicy = serde_json::from_value(serde_json::json!({
//!     "parties": {"drop_members": ["tel", "mailto"], "replace_members": {"name": "[NAME]"}},
//!     "media": {"dialog_types": ["recording"]},
//!     "pii": {"dob": "all", "masks": {"phone": "<phone>"},
//!             "custom": [{"name": "account", "pattern": "ACCT-[0-9]{6}", "replacement": "[ACCOUNT]"}]}
//! })).unwrap();
//! assert_eq!(policy.pii.dob, DobMode::All);
//! assert_eq!(policy.pii.masks.phone, "<phone>");
//! assert_eq!(policy.pii.masks.email, "[EMAIL]");
//! assert!(policy.check().is_ok());
//!
//! let typo = serde_json::from_value::<RedactionPolicy>(serde_json::json!({"pii": {"phones": false}}));
//! assert!(typo.unwrap_err().to_string().contains("unknown field `phones`"));
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `redacted.type` written when the policy names none.
pub const DEFAULT_REDACTION_TYPE: &str = "PII Redaction";

/// What a redaction removes and masks. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactionPolicy {
    /// Value of `redacted.type` in the output (default `"PII Redaction"`).
    pub redaction_type: String,
    /// HTTPS URL where the access-restricted original will be kept; written as
    /// `redacted.url` (its `content_hash` is always written). Default: none.
    pub original_url: Option<String>,
    /// Rules for the `parties` array.
    pub parties: PartyRules,
    /// Which recordings and files lose their content (`body`/`url`).
    pub media: MediaRules,
    /// Which analyses are removed entirely.
    pub analysis: AnalysisRules,
    /// Which attachments are removed entirely.
    pub attachments: AttachmentRules,
    /// Which PII is masked in text, and with what.
    pub pii: PiiRules,
    /// How inline recordings are silenced where masked words were spoken.
    pub audio: AudioRules,
}

impl Default for RedactionPolicy {
    fn default() -> Self {
        Self {
            redaction_type: DEFAULT_REDACTION_TYPE.to_owned(),
            original_url: None,
            parties: PartyRules::default(),
            media: MediaRules::default(),
            analysis: AnalysisRules::default(),
            attachments: AttachmentRules::default(),
            pii: PiiRules::default(),
            audio: AudioRules::default(),
        }
    }
}

/// Rules for the `parties` array (`[parties]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PartyRules {
    /// Indices of parties removed entirely; each becomes a `{}` placeholder so
    /// that the party indices used elsewhere stay valid.
    pub remove: Vec<usize>,
    /// Members removed from every party, such as `tel`, `mailto`, `sip`, `stir`, `did`.
    pub drop_members: Vec<String>,
    /// Members whose value is replaced in every party that has them, such as
    /// `name = "[NAME]"`. A member both dropped and replaced is dropped.
    pub replace_members: BTreeMap<String, String>,
}

/// Which dialogs and attachments lose their content (`[media]`): `body`,
/// `encoding` and `url` are removed, `content_hash` is kept (as core-03's
/// Appendix A.8 does), every other member stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaRules {
    /// Indices of dialogs whose content is removed.
    pub dialogs: Vec<usize>,
    /// Dialog types whose content is removed, such as `recording` or `text`.
    pub dialog_types: Vec<String>,
    /// Media types whose content is removed (dialogs and attachments). An
    /// entry ending in `/` or `/*` matches a whole top-level type (`audio/*`).
    pub mediatypes: Vec<String>,
    /// Attachment purposes (or legacy `type`) whose content is removed.
    pub attachment_purposes: Vec<String>,
}

/// Which analyses are removed entirely (`[analysis]`); each becomes `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisRules {
    /// Analysis types removed, such as `summary` or `sentiment`.
    pub remove_types: Vec<String>,
}

/// Which attachments are removed entirely (`[attachments]`); each becomes `{}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentRules {
    /// Attachment purposes (or the legacy/lawful_basis `type`) removed.
    pub remove_purposes: Vec<String>,
}

/// How dates of birth are found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DobMode {
    /// Dates shortly after a cue such as "born", "birthday", "date of birth",
    /// "DOB" (within 40 characters). The default: other dates are rarely PII.
    #[default]
    Cue,
    /// Every calendar date in free text; RFC 3339 timestamps (a date followed
    /// by `T` and a time) are machine metadata and are never masked.
    All,
    /// No date masking.
    Off,
}

/// Which PII is masked, where, and with what (`[pii]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PiiRules {
    /// Master switch: `false` masks nothing (parties/media/analysis rules still apply).
    pub enabled: bool,
    /// Telephone numbers: `+` and 8 to 15 digits, North American formats,
    /// bare 10-digit (or 11 with a leading 1) numbers, `tel:` URIs.
    pub phone: bool,
    /// E-mail addresses (with or without `mailto:`).
    pub email: bool,
    /// Payment card numbers: 13 to 19 digits (spaces or dashes allowed) that pass the Luhn check.
    pub card: bool,
    /// US social security numbers `AAA-GG-SSSS` (or spaced), valid area/group/serial;
    /// 9 bare digits only right after an "SSN"/"social security" cue.
    pub ssn: bool,
    /// IBANs that pass the ISO 13616 mod-97 check (upper case, spaces allowed).
    pub iban: bool,
    /// IPv4 and IPv6 addresses.
    pub ip: bool,
    /// Dates of birth: see [`DobMode`].
    pub dob: DobMode,
    /// The vCon's own parties: their `tel` (with or without `+`, country code
    /// or formatting), `mailto` and `name` (whole and each word of 2+ letters).
    pub party_identifiers: bool,
    /// Scan `text` dialogs with `encoding: none` bodies (MIME e-mails walked part by part).
    pub text_dialogs: bool,
    /// Scan every string of analysis bodies (JSON or text).
    pub analyses: bool,
    /// Scan every string of attachment bodies (JSON or text).
    pub attachments: bool,
    /// Scan the vCon's `subject`.
    pub subject: bool,
    /// The replacement text of each kind.
    pub masks: Masks,
    /// Extra named patterns (regular expressions, Rust `regex` syntax).
    pub custom: Vec<CustomPattern>,
}

impl Default for PiiRules {
    fn default() -> Self {
        Self {
            enabled: true,
            phone: true,
            email: true,
            card: true,
            ssn: true,
            iban: true,
            ip: true,
            dob: DobMode::Cue,
            party_identifiers: true,
            text_dialogs: true,
            analyses: true,
            attachments: true,
            subject: true,
            masks: Masks::default(),
            custom: Vec::new(),
        }
    }
}

/// Replacement text of each kind of PII (`[pii.masks]`). A mask should not be
/// empty and should not itself look like PII; `vcon lineage` recognises the
/// bracketed forms (`[...]`, `{{...}}`, `<...>`) as masks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Masks {
    /// Telephone numbers, including a party's `tel`. Default `[PHONE]`.
    pub phone: String,
    /// E-mail addresses, including a party's `mailto`. Default `[EMAIL]`.
    pub email: String,
    /// Payment card numbers. Default `[CARD]`.
    pub card: String,
    /// US social security numbers. Default `[SSN]`.
    pub ssn: String,
    /// IBANs. Default `[IBAN]`.
    pub iban: String,
    /// IP addresses. Default `[IP]`.
    pub ip: String,
    /// Dates of birth. Default `[DOB]`.
    pub dob: String,
    /// A party's name or a word of it. Default `[NAME]`.
    pub name: String,
}

impl Default for Masks {
    fn default() -> Self {
        Self {
            phone: "[PHONE]".into(),
            email: "[EMAIL]".into(),
            card: "[CARD]".into(),
            ssn: "[SSN]".into(),
            iban: "[IBAN]".into(),
            ip: "[IP]".into(),
            dob: "[DOB]".into(),
            name: "[NAME]".into(),
        }
    }
}

impl Masks {
    /// Every mask, paired with its field name.
    pub fn all(&self) -> [(&'static str, &str); 8] {
        [
            ("phone", &self.phone),
            ("email", &self.email),
            ("card", &self.card),
            ("ssn", &self.ssn),
            ("iban", &self.iban),
            ("ip", &self.ip),
            ("dob", &self.dob),
            ("name", &self.name),
        ]
    }
}

/// A named pattern of the policy (`[[pii.custom]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomPattern {
    /// Name used in the report (`custom:NAME`); letters, digits, `_` and `-`.
    pub name: String,
    /// Regular expression (Rust `regex` syntax, linear time); the whole match is replaced.
    pub pattern: String,
    /// The replacement text (default `[NAME]` in upper case, e.g. `[ACCOUNT]`).
    #[serde(default)]
    pub replacement: Option<String>,
}

impl CustomPattern {
    /// The replacement text: as given, else the upper-cased name in brackets.
    pub fn mask(&self) -> String {
        self.replacement
            .clone()
            .unwrap_or_else(|| format!("[{}]", self.name.to_uppercase()))
    }
}

/// What to do with an inline recording that must be silenced but cannot be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unsupported {
    /// Stop with an error naming the recording and its format (the default).
    #[default]
    Refuse,
    /// Remove the recording's content (`body`, `encoding`), keeping `content_hash`.
    Remove,
}

/// How inline recordings are silenced (`[audio]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AudioRules {
    /// Zero the samples of an inline WAV recording (PCM, 8 or 16 bits) during
    /// the words masked in a word-timed transcript of it (deepgram `words[]`,
    /// wtf_transcription `words[]`).
    pub silence: bool,
    /// Seconds added before and after each masked word (word timings are
    /// approximate). Default 0.
    pub pad_seconds: f64,
    /// A recording that needs silencing but is not PCM 8/16-bit WAV, or is
    /// external (`url`): refuse (default) or remove its content.
    pub unsupported: Unsupported,
}

impl Default for AudioRules {
    fn default() -> Self {
        Self {
            silence: true,
            pad_seconds: 0.0,
            unsupported: Unsupported::Refuse,
        }
    }
}

/// A policy that cannot be applied; `pointer` is a JSON pointer into the
/// policy (`/pii/custom/0/pattern`) or, for indices, says which vCon array.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy {pointer}: {message}")]
pub struct PolicyError {
    /// Where in the policy, as a JSON pointer (`/parties/remove/2`).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

impl RedactionPolicy {
    /// Checks what can be checked without a vCon: custom patterns compile and
    /// are named, masks are not empty, the URL is HTTPS, the padding is sane.
    /// [`crate::redact::redact`] calls it first.
    pub fn check(&self) -> Result<(), PolicyError> {
        if self.redaction_type.trim().is_empty() {
            return Err(PolicyError::new(
                "/redaction_type",
                "must not be empty (core-03 requires a redaction type)",
            ));
        }
        if let Some(url) = &self.original_url
            && !crate::validate::primitives::is_https_url(url)
        {
            return Err(PolicyError::new(
                "/original_url",
                "must be an absolute https: URL (R-31)",
            ));
        }
        for (name, mask) in self.pii.masks.all() {
            if mask.is_empty() {
                return Err(PolicyError::new(
                    format!("/pii/masks/{name}"),
                    "an empty mask would hide that anything was removed",
                ));
            }
        }
        let pad = self.audio.pad_seconds;
        if !(0.0..=10.0).contains(&pad) {
            return Err(PolicyError::new(
                "/audio/pad_seconds",
                format!("must be between 0 and 10 seconds, found {pad}"),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in self.pii.custom.iter().enumerate() {
            let ok_name = !c.name.is_empty()
                && c.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok_name {
                return Err(PolicyError::new(
                    format!("/pii/custom/{i}/name"),
                    "must be letters, digits, `_` or `-`",
                ));
            }
            if !seen.insert(c.name.as_str()) {
                return Err(PolicyError::new(
                    format!("/pii/custom/{i}/name"),
                    format!("`{}` is used twice", c.name),
                ));
            }
            if c.replacement.as_deref() == Some("") {
                return Err(PolicyError::new(
                    format!("/pii/custom/{i}/replacement"),
                    "an empty replacement would hide that anything was removed",
                ));
            }
            super::pii::compile_custom(&c.pattern)
                .map_err(|e| PolicyError::new(format!("/pii/custom/{i}/pattern"), e))?;
        }
        Ok(())
    }

    /// Every mask text this policy can write (built-in kinds and custom
    /// patterns), for [`crate::lineage`] to recognise masked strings.
    pub fn mask_texts(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .pii
            .masks
            .all()
            .iter()
            .map(|(_, m)| (*m).to_owned())
            .collect();
        out.extend(self.pii.custom.iter().map(CustomPattern::mask));
        out.extend(self.parties.replace_members.values().cloned());
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_mask_everything_and_remove_nothing() {
        let p = RedactionPolicy::default();
        assert_eq!(p.redaction_type, "PII Redaction");
        assert!(p.pii.enabled && p.pii.phone && p.pii.card && p.pii.party_identifiers);
        assert!(p.parties.remove.is_empty() && p.media.dialogs.is_empty());
        assert!(p.audio.silence);
        assert!(p.check().is_ok());
    }

    #[test]
    fn bad_custom_pattern_points_at_it() {
        let mut p = RedactionPolicy::default();
        p.pii.custom.push(CustomPattern {
            name: "x".into(),
            pattern: "(unclosed".into(),
            replacement: None,
        });
        let e = p.check().unwrap_err();
        assert_eq!(e.pointer, "/pii/custom/0/pattern");
    }

    #[test]
    fn duplicate_and_bad_names() {
        let c = |name: &str| CustomPattern {
            name: name.into(),
            pattern: "x".into(),
            replacement: None,
        };
        let mut p = RedactionPolicy::default();
        p.pii.custom = vec![c("a"), c("a")];
        assert_eq!(p.check().unwrap_err().pointer, "/pii/custom/1/name");
        p.pii.custom = vec![c("a b")];
        assert_eq!(p.check().unwrap_err().pointer, "/pii/custom/0/name");
        assert_eq!(c("acct").mask(), "[ACCT]");
    }

    #[test]
    fn empty_masks_and_urls_are_refused() {
        let mut p = RedactionPolicy::default();
        p.pii.masks.ssn.clear();
        assert_eq!(p.check().unwrap_err().pointer, "/pii/masks/ssn");
        let mut p = RedactionPolicy {
            original_url: Some("http://example.com/x".into()),
            ..Default::default()
        };
        assert_eq!(p.check().unwrap_err().pointer, "/original_url");
        p.original_url = None;
        p.audio.pad_seconds = -1.0;
        assert_eq!(p.check().unwrap_err().pointer, "/audio/pad_seconds");
    }

    #[test]
    fn mask_texts_include_custom_and_replacements() {
        let mut p = RedactionPolicy::default();
        p.parties
            .replace_members
            .insert("name".into(), "[PARTY]".into());
        p.pii.custom.push(CustomPattern {
            name: "acct".into(),
            pattern: "A\\d+".into(),
            replacement: None,
        });
        let m = p.mask_texts();
        assert!(m.contains(&"[PARTY]".to_owned()));
        assert!(m.contains(&"[ACCT]".to_owned()));
        assert!(m.contains(&"[PHONE]".to_owned()));
    }
}
