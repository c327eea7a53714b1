//! [`VconBuilder`]: assembling a new unsigned vCon that validates strictly.
//!
//! The builder collects parties, dialogs, analyses, attachments, extension
//! names and tags, then [`VconBuilder::build`] checks every required member
//! and every index (into `parties`, `dialog`, `attachments`), writes the tags
//! attachment in the vcon-lib shape ([`crate::tags`]), and runs the strict
//! validator ([`crate::validate`]) on the result. Any problem comes back as a
//! [`BuildError`] naming the member and the rule.
//!
//! ```
//! use vcon_core::build::VconBuilder;
//! use vcon_core::id::IdGenerator;
//! use vcon_core::model::Party;
//!
//! let ids = IdGenerator::new("example.com");
//! let start = "2026-06-29T23:11:19Z";
//! let vcon = VconBuilder::new()
//!     .uuid_from(&ids)
//!     .created_at(start)
//!     .subject("Billing question")
//!     .party(Party { tel: Some("tel:+12025550101".into()), ..Default::default() })
//!     .party(Party { mailto: Some("bob@example.com".into()), ..Default::default() })
//!     .dialog_text(vec![0, 1], start, "Hello Bob")
//!     .dialog_recording_inline(vec![0, 1], start, b"RIFF....WAVE", "audio/x-wav", Some("call.wav"))
//!     .dialog_recording_external(vec![0, 1], start, "https://example.com/call.mp3", b"ID3...", Some("audio/x-mp3"))
//!     .tag("category", "billing")
//!     .build()
//!     .unwrap();
//! assert_eq!(vcon.dialogs().len(), 3);
//! assert_eq!(vcon_core::tags::Tagged::get_tag(&vcon, "category").unwrap().as_deref(), Some("billing"));
//!
//! // A dialog naming a party that does not exist is refused, with the place.
//! let err = VconBuilder::new()
//!     .uuid_from(&ids)
//!     .party(Party::default())
//!     .dialog_text(vec![0, 3], start, "Hi")
//!     .build()
//!     .unwrap_err();
//! assert_eq!(err.to_string(), "/dialog/0/parties/1: party index 3 is out of range, the vCon has 1 parties (R-20)");
//! ```

mod check;
mod error;

use std::collections::BTreeSet;

use serde_json::Value;
use uuid::Uuid;

pub use error::BuildError;

use crate::hash::{ContentHash, ContentHashes, HashAlg};
use crate::id::IdGenerator;
use crate::model::{
    Analysis, Attachment, ContentHashValue, Date, Dialog, DialogParties, DialogType, Party, Vcon,
};
use crate::tags::{self, Tagged, TagsAnchor};
use crate::validate::{Options, Profile, Severity, validate_object};

/// The syntax version written in the deprecated `vcon` member.
pub const SYNTAX_VERSION: &str = "0.4.0";

/// The content of an externally referenced file: the bytes served at the
/// URL (hashed by the builder) or a `content_hash` computed elsewhere.
#[derive(Debug, Clone, PartialEq)]
pub enum External<'a> {
    /// The exact bytes served at the URL.
    Bytes(&'a [u8]),
    /// A ready `content_hash` value; it must hold a valid `sha512` token.
    Hash(ContentHashValue),
}

impl<'a> From<&'a [u8]> for External<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Self::Bytes(bytes)
    }
}

impl<'a, const N: usize> From<&'a [u8; N]> for External<'a> {
    fn from(bytes: &'a [u8; N]) -> Self {
        Self::Bytes(bytes)
    }
}

impl<'a> From<&'a Vec<u8>> for External<'a> {
    fn from(bytes: &'a Vec<u8>) -> Self {
        Self::Bytes(bytes)
    }
}

impl From<ContentHashValue> for External<'_> {
    fn from(hash: ContentHashValue) -> Self {
        Self::Hash(hash)
    }
}

impl From<ContentHash> for External<'_> {
    fn from(hash: ContentHash) -> Self {
        Self::Hash(hash.into())
    }
}

impl From<&ContentHashes> for External<'_> {
    fn from(hashes: &ContentHashes) -> Self {
        Self::Hash(hashes.into())
    }
}

/// The `content_hash` of `bytes`: a `sha512` token, followed by one token
/// per algorithm of `extra` (duplicates and sha512 itself skipped). One
/// token is written as a string, several as an array.
///
/// ```
/// use vcon_core::build::content_hash_of;
/// use vcon_core::hash::HashAlg;
/// let h = content_hash_of(b"abc", &[HashAlg::Sha256]);
/// assert_eq!(h.tokens().count(), 2);
/// assert!(h.verify(b"abc").is_ok());
/// assert!(h.verify(b"abd").is_err());
/// ```
pub fn content_hash_of(bytes: &[u8], extra: &[HashAlg]) -> ContentHashValue {
    let mut algs = vec![HashAlg::Sha512];
    for alg in extra {
        if !algs.contains(alg) {
            algs.push(*alg);
        }
    }
    let tokens = algs
        .into_iter()
        .map(|alg| ContentHash::compute(alg, bytes))
        .collect();
    ContentHashValue::from(&ContentHashes(tokens))
}

/// Anything the builder accepts as a date: a [`Date`], a `chrono::DateTime`
/// or an RFC 3339 string (checked by [`VconBuilder::build`], R-3/R-15).
pub trait IntoDate {
    /// The date, kept as written for strings.
    fn into_date(self) -> Date;
}

impl IntoDate for Date {
    fn into_date(self) -> Date {
        self
    }
}

impl IntoDate for &Date {
    fn into_date(self) -> Date {
        self.clone()
    }
}

impl IntoDate for &str {
    fn into_date(self) -> Date {
        Date::verbatim(self)
    }
}

impl IntoDate for String {
    fn into_date(self) -> Date {
        Date::verbatim(self)
    }
}

impl<Tz: chrono::TimeZone> IntoDate for chrono::DateTime<Tz> {
    fn into_date(self) -> Date {
        Date::from_datetime(&self)
    }
}

/// A dialog with the members every builder dialog shares.
fn base_dialog(kind: DialogType, parties: DialogParties, start: Date) -> Dialog {
    Dialog {
        r#type: Some(kind),
        start: Some(start),
        parties: Some(parties),
        ..Default::default()
    }
}

/// Builds a new vCon step by step; see the [module documentation](self).
#[derive(Debug, Clone, Default)]
pub struct VconBuilder {
    uuid: Option<Uuid>,
    created_at: Option<Date>,
    subject: Option<String>,
    parties: Vec<Party>,
    dialogs: Vec<Dialog>,
    analyses: Vec<Analysis>,
    attachments: Vec<Attachment>,
    extensions: Vec<String>,
    critical: Vec<String>,
    tag_entries: Vec<String>,
    tags_anchor: (Option<u64>, Option<u64>),
    extra_hashes: Vec<HashAlg>,
    omit_version: bool,
    skip_validation: bool,
    /// The first error met while adding (reported by `build`).
    deferred: Option<BuildError>,
}

impl VconBuilder {
    /// An empty builder: `created_at` defaults to now; a uuid must be given.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `uuid` as the vCon's uuid.
    pub fn uuid(mut self, uuid: Uuid) -> Self {
        self.uuid = Some(uuid);
        self
    }

    /// Takes a fresh UUIDv8 from `ids`.
    pub fn uuid_from(self, ids: &IdGenerator) -> Self {
        self.uuid(ids.generate())
    }

    /// Sets `created_at` (default: the time of [`VconBuilder::build`]).
    /// Accepts a [`Date`], a `chrono::DateTime` or an RFC 3339 string.
    pub fn created_at(mut self, at: impl IntoDate) -> Self {
        self.created_at = Some(at.into_date());
        self
    }

    /// Sets the free-text `subject`.
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    /// Appends a party; its index is the number of parties added before it.
    pub fn party(mut self, party: Party) -> Self {
        self.parties.push(party);
        self
    }

    /// Appends any dialog as given.
    pub fn dialog(mut self, dialog: Dialog) -> Self {
        self.dialogs.push(dialog);
        self
    }

    /// Appends a `text` dialog: `text/plain`, `encoding: none`.
    pub fn dialog_text(
        self,
        parties: impl Into<DialogParties>,
        start: impl IntoDate,
        text: impl Into<String>,
    ) -> Self {
        let mut d = base_dialog(DialogType::Text, parties.into(), start.into_date());
        d.mediatype = Some("text/plain".to_owned());
        d.set_inline_text(text);
        self.dialog(d)
    }

    /// Appends a `recording` dialog with the bytes inline (unpadded
    /// base64url body, `encoding: base64url`).
    pub fn dialog_recording_inline(
        self,
        parties: impl Into<DialogParties>,
        start: impl IntoDate,
        bytes: &[u8],
        mediatype: &str,
        filename: Option<&str>,
    ) -> Self {
        let mut d = base_dialog(DialogType::Recording, parties.into(), start.into_date());
        d.mediatype = Some(mediatype.to_owned());
        d.filename = filename.map(str::to_owned);
        d.set_inline_bytes(bytes);
        self.dialog(d)
    }

    /// Appends a `recording` dialog referencing `url` (HTTPS). Its
    /// `content_hash` is computed from the bytes served there (sha512, plus
    /// [`VconBuilder::hash_algorithms`]), or taken as given.
    pub fn dialog_recording_external<'a>(
        mut self,
        parties: impl Into<DialogParties>,
        start: impl IntoDate,
        url: impl Into<String>,
        content: impl Into<External<'a>>,
        mediatype: Option<&str>,
    ) -> Self {
        let index = self.dialogs.len();
        let mut d = base_dialog(DialogType::Recording, parties.into(), start.into_date());
        d.mediatype = mediatype.map(str::to_owned);
        match self.external_hash(content.into(), || format!("/dialog/{index}/content_hash")) {
            Ok(hash) => d.set_external(url, hash),
            Err(e) => self.defer(e),
        }
        self.dialog(d)
    }

    /// Extra algorithms (besides the required sha512) for content hashes the
    /// builder computes from bytes.
    pub fn hash_algorithms(mut self, extra: &[HashAlg]) -> Self {
        self.extra_hashes = extra.to_vec();
        self
    }

    /// Appends an analysis as given.
    pub fn analysis(mut self, analysis: Analysis) -> Self {
        self.analyses.push(analysis);
        self
    }

    /// Appends an attachment as given.
    pub fn attachment(mut self, attachment: Attachment) -> Self {
        self.attachments.push(attachment);
        self
    }

    /// Lists `name` in `extensions` (once).
    pub fn extension(mut self, name: impl Into<String>) -> Self {
        push_unique(&mut self.extensions, name.into());
        self
    }

    /// Lists `name` in `critical` and in `extensions` (once each).
    pub fn critical(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        push_unique(&mut self.extensions, name.clone());
        push_unique(&mut self.critical, name);
        self
    }

    /// Sets tag `name` to `value` in the vcon-lib tags attachment (a later
    /// call with the same name replaces the value). Names must be non-empty
    /// and free of `:`.
    pub fn tag(mut self, name: &str, value: &str) -> Self {
        let entry = format!("{name}:{value}");
        match tags::check_name(name) {
            Ok(()) => tags::set_entry(&mut self.tag_entries, name, entry),
            Err(e) => self.defer(e.into()),
        }
        self
    }

    /// The party and dialog the tags attachment names (default 0 and 0).
    pub fn tags_anchor(mut self, party: u64, dialog: u64) -> Self {
        self.tags_anchor = (Some(party), Some(dialog));
        self
    }

    /// Leaves out the deprecated `vcon: "0.4.0"` member (written by default,
    /// as vcon-lib does, for older readers).
    pub fn omit_syntax_version(mut self) -> Self {
        self.omit_version = true;
        self
    }

    /// Skips the final strict validation (the builder's own checks still
    /// run). For producers that knowingly emit what the validator flags.
    pub fn skip_validation(mut self) -> Self {
        self.skip_validation = true;
        self
    }

    fn defer(&mut self, error: BuildError) {
        if self.deferred.is_none() {
            self.deferred = Some(error);
        }
    }

    fn external_hash(
        &self,
        content: External<'_>,
        pointer: impl Fn() -> String,
    ) -> Result<ContentHashValue, BuildError> {
        match content {
            External::Bytes(bytes) => Ok(content_hash_of(bytes, &self.extra_hashes)),
            External::Hash(value) => {
                let parsed = value.parse().map_err(|source| BuildError::Hash {
                    pointer: pointer(),
                    source,
                })?;
                if parsed.0.iter().any(|t| t.alg == Some(HashAlg::Sha512)) {
                    Ok(value)
                } else {
                    Err(BuildError::Hash {
                        pointer: pointer(),
                        source: crate::hash::HashError::NoSha512,
                    })
                }
            }
        }
    }

    /// Assembles the vCon, checks it and validates it strictly.
    pub fn build(self) -> Result<Vcon, BuildError> {
        if let Some(e) = self.deferred {
            return Err(e);
        }
        let uuid = self.uuid.ok_or(BuildError::MissingUuid)?;
        let created_at = self.created_at.unwrap_or_else(Date::now);
        let mut vcon = Vcon {
            vcon: (!self.omit_version).then(|| SYNTAX_VERSION.to_owned()),
            uuid: Some(uuid.to_string()),
            extensions: non_empty(self.extensions),
            critical: non_empty(self.critical.clone()),
            created_at: Some(created_at.clone()),
            subject: self.subject,
            // Always written, even empty: core-03 lists it without
            // "optional" and it is what marks the unsigned form (R-10, R-40).
            parties: Some(self.parties),
            dialog: non_empty(self.dialogs),
            analysis: non_empty(self.analyses),
            attachments: non_empty(self.attachments),
            ..Default::default()
        };
        if !self.tag_entries.is_empty() {
            let (parties, dialogs) = (vcon.parties().len(), vcon.dialogs().len());
            let party = self.tags_anchor.0.unwrap_or(0);
            let dialog = self.tags_anchor.1.unwrap_or(0);
            if parties == 0 || dialogs == 0 {
                return Err(BuildError::TagsUnanchored { parties, dialogs });
            }
            let anchor = TagsAnchor {
                start: Some(created_at.as_str().to_owned()),
                party: Some(party),
                dialog: Some(dialog),
            };
            for entry in &self.tag_entries {
                if let Some(tag) = tags::Tag::parse(entry) {
                    vcon.set_tag(&tag.name, &tag.value, &anchor)?;
                }
            }
        }
        check::check(&vcon)?;
        if !self.skip_validation {
            validate_strictly(&vcon, &self.critical)?;
        }
        Ok(vcon)
    }
}

fn push_unique(list: &mut Vec<String>, name: String) {
    if !list.contains(&name) {
        list.push(name);
    }
}

fn non_empty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

/// Runs the strict profile, treating the builder's own critical extensions
/// as supported (whoever builds the vCon supports what it declares).
fn validate_strictly(vcon: &Vcon, critical: &[String]) -> Result<(), BuildError> {
    let mut options = Options::with_profile(Profile::Strict);
    let supported: BTreeSet<String> = critical.iter().cloned().collect();
    options.supported_extensions.extend(supported);
    let report = validate_object(&vcon.to_object(), &options);
    let findings: Vec<_> = report
        .findings
        .into_iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    if findings.is_empty() {
        Ok(())
    } else {
        Err(BuildError::Invalid { findings })
    }
}

/// Shorthand for an analysis with a JSON body (`encoding: json`).
///
/// ```
/// use serde_json::json;
/// let a = vcon_core::build::json_analysis("summary", 0, "acme", json!({"text": "ok"}));
/// assert_eq!(a.vendor.as_deref(), Some("acme"));
/// ```
pub fn json_analysis(kind: &str, dialog: u64, vendor: &str, body: Value) -> Analysis {
    let mut a = Analysis {
        r#type: Some(kind.to_owned()),
        dialog: Some(dialog.into()),
        vendor: Some(vendor.to_owned()),
        ..Default::default()
    };
    a.set_inline_json(body);
    a
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
