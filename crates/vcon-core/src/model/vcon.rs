//! [`Vcon`]: the top-level unsigned vCon object (core-03 §vCon JSON Object)
//! and its conversions from and to bytes and JSON values.

use serde_json::{Map, Value};

use super::analysis::Analysis;
use super::attachment::Attachment;
use super::content::{Content, ContentOwner};
use super::dialog::Dialog;
use super::error::ModelError;
use super::json::{Path, json_object};
use super::lineage::{Amended, Redacted};
use super::party::Party;
use super::values::Date;
use crate::form::Form;
use crate::read::{ReadLimits, read};

json_object! {
    /// An unsigned vCon (core-03 §vCon JSON Object).
    ///
    /// Reading and writing keep every member, known or not, in its original
    /// order: `Vcon::from_slice(b)?.to_value()` equals the input value, member
    /// order included. A member whose value is `null` reads as absent.
    ///
    /// ```
    /// use vcon_core::model::{Vcon, DialogType};
    /// let v = Vcon::from_slice(br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46",
    ///   "x-custom":true,"parties":[{"name":"Alice"}],
    ///   "dialog":[{"type":"text","parties":[0],"duration":30.0}]}"#).unwrap();
    /// assert_eq!(v.parties()[0].name.as_deref(), Some("Alice"));
    /// assert_eq!(v.dialogs()[0].kind(), Some(&DialogType::Text));
    /// assert_eq!(
    ///     String::from_utf8(v.to_vec().unwrap()).unwrap(),
    ///     r#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","x-custom":true,"parties":[{"name":"Alice"}],"dialog":[{"type":"text","parties":[0],"duration":30.0}]}"#
    /// );
    /// ```
    pub struct Vcon where refuse_envelope {
        /// Syntax version (deprecated; `"0.4.0"` when present).
        vcon: String = "vcon",
        /// The vCon's UUID, as written.
        uuid: String = "uuid",
        /// Names of the extensions used.
        extensions: Vec<String> = "extensions",
        /// Names of incompatible extensions a consumer must support.
        critical: Vec<String> = "critical",
        /// Creation time.
        created_at: Date = "created_at",
        /// Time of the last modification (or signing).
        updated_at: Date = "updated_at",
        /// Free-text subject.
        subject: String = "subject",
        /// Reference to the less-redacted prior version.
        redacted: Redacted = "redacted",
        /// Reference to the prior version this one amends.
        amended: Amended = "amended",
        /// The participants; their indices are their identity.
        parties: Vec<Party> = "parties",
        /// The dialogs, in insertion order.
        dialog: Vec<Dialog> = "dialog",
        /// The analyses.
        analysis: Vec<Analysis> = "analysis",
        /// The attachments, in insertion order.
        attachments: Vec<Attachment> = "attachments",
    }
}

impl Vcon {
    /// Reads bytes (JSON, or gzip of JSON) within the default [`ReadLimits`]
    /// and converts the object. Duplicate member names, excess depth and
    /// oversized input are refused by [`crate::read::read`]; signed and
    /// encrypted vCons are refused with [`ModelError::Envelope`].
    pub fn from_slice(bytes: &[u8]) -> Result<Self, ModelError> {
        Self::from_slice_with_limits(bytes, &ReadLimits::default())
    }

    /// [`Vcon::from_slice`] with explicit limits.
    pub fn from_slice_with_limits(bytes: &[u8], limits: &ReadLimits) -> Result<Self, ModelError> {
        let doc = read(bytes, limits)?;
        Self::from_object(doc.object)
    }

    /// Converts a top-level JSON object. Refuses signed and encrypted forms;
    /// an object with no recognisable form (such as a bare `{uuid, created_at}`
    /// of a vCon under construction) is accepted.
    pub fn from_object(object: Map<String, Value>) -> Result<Self, ModelError> {
        Self::from_map(object, &Path::Root(""))
    }

    /// The JSON value, members in recorded order.
    pub fn to_value(&self) -> Value {
        Value::Object(self.to_object())
    }

    /// Compact JSON bytes.
    pub fn to_vec(&self) -> Result<Vec<u8>, ModelError> {
        serde_json::to_vec(self).map_err(|e| ModelError::Serialize(e.to_string()))
    }

    /// Indented JSON bytes.
    pub fn to_vec_pretty(&self) -> Result<Vec<u8>, ModelError> {
        serde_json::to_vec_pretty(self).map_err(|e| ModelError::Serialize(e.to_string()))
    }

    /// The parties (empty when absent or null).
    pub fn parties(&self) -> &[Party] {
        self.parties.as_deref().unwrap_or_default()
    }

    /// The dialogs (empty when absent or null).
    pub fn dialogs(&self) -> &[Dialog] {
        self.dialog.as_deref().unwrap_or_default()
    }

    /// The analyses (empty when absent or null).
    pub fn analyses(&self) -> &[Analysis] {
        self.analysis.as_deref().unwrap_or_default()
    }

    /// The attachments (empty when absent or null).
    pub fn attachments(&self) -> &[Attachment] {
        self.attachments.as_deref().unwrap_or_default()
    }

    /// The extension names (empty when absent).
    pub fn extension_names(&self) -> &[String] {
        self.extensions.as_deref().unwrap_or_default()
    }

    /// The critical extension names, falling back to the 0.3.0 alias
    /// `must_support` (string members only) when `critical` is absent.
    pub fn critical_names(&self) -> Vec<&str> {
        match (&self.critical, self.extra.get("must_support")) {
            (Some(c), _) => c.iter().map(String::as_str).collect(),
            (None, Some(Value::Array(items))) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The redacted reference, treating an empty `redacted: {}` as absent.
    pub fn redacted_ref(&self) -> Option<&Redacted> {
        self.redacted.as_ref().filter(|r| !r.is_empty())
    }

    /// The amended reference, treating an empty `amended: {}` as absent.
    pub fn amended_ref(&self) -> Option<&Amended> {
        self.amended.as_ref().filter(|a| !a.is_empty())
    }

    /// Whether this is a redacted vCon (a non-empty `redacted` object).
    pub fn is_redacted(&self) -> bool {
        self.redacted_ref().is_some()
    }

    /// Mutable access to `parties`, created empty if absent.
    pub fn parties_mut(&mut self) -> &mut Vec<Party> {
        self.parties.get_or_insert_with(Vec::new)
    }

    /// Mutable access to `dialog`, created empty if absent.
    pub fn dialogs_mut(&mut self) -> &mut Vec<Dialog> {
        self.dialog.get_or_insert_with(Vec::new)
    }

    /// Mutable access to `analysis`, created empty if absent.
    pub fn analyses_mut(&mut self) -> &mut Vec<Analysis> {
        self.analysis.get_or_insert_with(Vec::new)
    }

    /// Mutable access to `attachments`, created empty if absent.
    pub fn attachments_mut(&mut self) -> &mut Vec<Attachment> {
        self.attachments.get_or_insert_with(Vec::new)
    }

    /// Appends a party and returns its index.
    pub fn push_party(&mut self, party: Party) -> usize {
        let parties = self.parties_mut();
        parties.push(party);
        parties.len() - 1
    }

    /// Appends a dialog and returns its index.
    pub fn push_dialog(&mut self, dialog: Dialog) -> usize {
        let dialogs = self.dialogs_mut();
        dialogs.push(dialog);
        dialogs.len() - 1
    }

    /// Appends an analysis and returns its index.
    pub fn push_analysis(&mut self, analysis: Analysis) -> usize {
        let analyses = self.analyses_mut();
        analyses.push(analysis);
        analyses.len() - 1
    }

    /// Appends an attachment and returns its index.
    pub fn push_attachment(&mut self, attachment: Attachment) -> usize {
        let attachments = self.attachments_mut();
        attachments.push(attachment);
        attachments.len() - 1
    }

    /// Every piece of content (dialogs, then analyses, then attachments)
    /// with the object it belongs to.
    pub fn contents(&self) -> impl Iterator<Item = (ContentOwner, Content<'_>)> + '_ {
        let dialogs = self
            .dialogs()
            .iter()
            .enumerate()
            .filter_map(|(i, d)| Some((ContentOwner::Dialog(i), d.content()?)));
        let analyses = self
            .analyses()
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((ContentOwner::Analysis(i), a.content()?)));
        let attachments = self
            .attachments()
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((ContentOwner::Attachment(i), a.content()?)));
        dialogs.chain(analyses).chain(attachments)
    }
}

/// Refuses signed and encrypted envelopes, which have no unsigned members.
fn refuse_envelope(object: &Map<String, Value>) -> Result<(), ModelError> {
    match Form::detect(object) {
        Some(form @ (Form::Signed | Form::Encrypted)) => Err(ModelError::Envelope { form }),
        _ => Ok(()),
    }
}

impl TryFrom<Map<String, Value>> for Vcon {
    type Error = ModelError;
    /// As [`Vcon::from_object`].
    fn try_from(object: Map<String, Value>) -> Result<Self, ModelError> {
        Self::from_object(object)
    }
}

impl From<Vcon> for Value {
    fn from(vcon: Vcon) -> Self {
        vcon.to_value()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::model::{ContentHashValue, Encoding, Party};
    use serde_json::json;

    #[test]
    fn envelopes_are_refused_everywhere() {
        let signed = json!({"payload": "e30", "signatures": []});
        let e = Vcon::try_from(signed.clone()).unwrap_err();
        assert_eq!(e, ModelError::Envelope { form: Form::Signed });
        assert!(e.to_string().contains("signed vCon"), "{e}");
        assert!(serde_json::from_value::<Vcon>(signed).is_err());
        let enc = br#"{"ciphertext": "x", "recipients": []}"#;
        assert!(matches!(
            Vcon::from_slice(enc),
            Err(ModelError::Envelope {
                form: Form::Encrypted
            })
        ));
    }

    #[test]
    fn read_errors_pass_through() {
        assert!(matches!(Vcon::from_slice(b"[1]"), Err(ModelError::Read(_))));
        assert!(matches!(
            Vcon::from_slice(br#"{"a":1,"a":2}"#),
            Err(ModelError::Read(_))
        ));
        let tight = ReadLimits {
            max_bytes: 4,
            ..ReadLimits::default()
        };
        assert!(Vcon::from_slice_with_limits(br#"{"parties":[]}"#, &tight).is_err());
    }

    #[test]
    fn empty_leftovers_read_as_absent() {
        let v = Vcon::from_slice(
            br#"{"parties":[],"group":[],"redacted":{},"amended":{},"dialog":null}"#,
        )
        .unwrap();
        assert!(v.redacted.is_some());
        assert_eq!(v.redacted_ref(), None);
        assert_eq!(v.amended_ref(), None);
        assert!(!v.is_redacted());
        assert!(v.dialogs().is_empty());
        assert_eq!(v.dialog, None);
        assert_eq!(
            String::from_utf8(v.to_vec().unwrap()).unwrap(),
            r#"{"parties":[],"group":[],"redacted":{},"amended":{},"dialog":null}"#
        );
        let r =
            Vcon::from_slice(br#"{"parties":[],"redacted":{"uuid":"u","type":"PII Redaction"}}"#)
                .unwrap();
        assert_eq!(
            r.redacted_ref().and_then(|r| r.r#type.as_deref()),
            Some("PII Redaction")
        );
    }

    #[test]
    fn critical_names_fall_back_to_must_support() {
        let v = Vcon::from_slice(br#"{"parties":[],"must_support":["x",1]}"#).unwrap();
        assert_eq!(v.critical_names(), ["x"]);
        let v =
            Vcon::from_slice(br#"{"parties":[],"critical":["a"],"must_support":["x"]}"#).unwrap();
        assert_eq!(v.critical_names(), ["a"]);
    }

    #[test]
    fn nested_errors_have_full_pointers() {
        let e = Vcon::from_slice(br#"{"parties":[{}, {"civicaddress": []}]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/parties/1/civicaddress: expected an object, found an array"
        );
        let e = Vcon::from_slice(br#"{"dialog":[{"session_id":[{"local":5}]}]}"#).unwrap_err();
        assert_eq!(e.pointer(), Some("/dialog/0/session_id/0/local"));
        let e = Vcon::from_slice(br#"{"parties":[], "a~b/c": 1, "attachments": [{"party": "0"}]}"#)
            .unwrap_err();
        assert_eq!(e.pointer(), Some("/attachments/0/party"));
    }

    #[test]
    fn contents_and_pushes() {
        let mut v = Vcon::default();
        assert_eq!(v.push_party(Party::default()), 0);
        let mut d = Dialog::default();
        d.set_inline_text("hello");
        assert_eq!(v.push_dialog(d), 0);
        v.push_dialog(Dialog::default());
        let mut a = Attachment::default();
        a.set_inline_bytes(b"\x01");
        v.push_attachment(a);
        let mut an = Analysis::default();
        an.set_external(
            "https://example.com/a",
            ContentHashValue::One("sha512-x".into()),
        );
        v.push_analysis(an);
        let owners: Vec<String> = v.contents().map(|(o, _)| o.pointer()).collect();
        assert_eq!(owners, ["/dialog/0", "/analysis/0", "/attachments/0"]);
        match v.contents().next() {
            Some((_, Content::Inline { encoding, .. })) => {
                assert_eq!(encoding, Some(&Encoding::None))
            }
            other => panic!("{other:?}"),
        }
        // Fields set on a fresh value come out in declaration order.
        v.uuid = Some("u".into());
        v.created_at = Some(Date::verbatim("2026-01-01T00:00:00Z"));
        let keys: Vec<String> = v.to_value().as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "uuid",
                "created_at",
                "parties",
                "dialog",
                "analysis",
                "attachments"
            ]
        );
    }
}
