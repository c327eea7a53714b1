//! The search fields of a vCon ([`IndexFields`]), extracted once when a
//! record is made, and the normalisation shared by indexing and queries.

use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use vcon_core::Form;

use crate::error::RecordError;
use crate::ids::VconUuid;
use crate::record::RecordOptions;

/// What an exact-match search term refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TermKind {
    /// A party's `tel` (without `tel:` and visual separators).
    Tel,
    /// A party's `mailto` (without `mailto:`, lower-case).
    Mailto,
    /// A party's `name` (lower-case, trimmed).
    Name,
    /// A party's `uuid` (lower-case).
    PartyUuid,
    /// A tag as `name:value`.
    Tag,
    /// A tag's name alone.
    TagName,
    /// A dialog's `type` (`recording`, `text`, ...).
    DialogType,
}

impl TermKind {
    /// The short name stored in indexes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tel => "tel",
            Self::Mailto => "mailto",
            Self::Name => "name",
            Self::PartyUuid => "party_uuid",
            Self::Tag => "tag",
            Self::TagName => "tag_name",
            Self::DialogType => "dialog_type",
        }
    }

    /// Normalises a value the same way for indexing and for queries, so
    /// `tel:+1-555-123-0001` finds `+15551230001` and `Alice@Example.com`
    /// finds `mailto:alice@example.com`.
    ///
    /// ```
    /// use vcon_store::TermKind;
    /// assert_eq!(TermKind::Tel.normalize("tel:+1 (555) 123-0001"), "+15551230001");
    /// assert_eq!(TermKind::Mailto.normalize("mailto:Alice@Example.com"), "alice@example.com");
    /// assert_eq!(TermKind::Name.normalize(" Alice Smith "), "alice smith");
    /// ```
    pub fn normalize(self, value: &str) -> String {
        let v = value.trim();
        match self {
            Self::Tel => strip_prefix_ci(v, "tel:")
                .chars()
                .filter(|c| !matches!(c, '-' | '.' | '(' | ')' | ' '))
                .collect(),
            Self::Mailto => strip_prefix_ci(v, "mailto:").to_lowercase(),
            Self::Name | Self::PartyUuid => v.to_lowercase(),
            Self::Tag | Self::TagName | Self::DialogType => v.to_owned(),
        }
    }
}

fn strip_prefix_ci<'a>(v: &'a str, prefix: &str) -> &'a str {
    match v.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => &v[prefix.len()..],
        _ => v,
    }
}

/// One exact-match search term of a vCon.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Term {
    /// What it refers to.
    pub kind: TermKind,
    /// The normalised value ([`TermKind::normalize`]).
    pub value: String,
}

/// The search fields of one vCon: exact-match terms and the text for
/// full-text search (subject, text dialog bodies, transcripts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexFields {
    /// Exact-match terms, sorted, without duplicates.
    pub terms: BTreeSet<Term>,
    /// Searchable text, newline-separated, capped at
    /// [`RecordOptions::max_text_bytes`].
    pub text: String,
    /// When the vCon expires (Unix ms): the earliest readable tag
    /// `expires_at:<RFC 3339>`, as the pipeline's `expire` link writes it.
    pub expires_ms: Option<i64>,
}

/// Everything learnt from the bytes of a vCon.
pub(crate) struct Extracted {
    pub uuid: VconUuid,
    pub form: Form,
    pub gzipped: bool,
    pub created_at: Option<DateTime<Utc>>,
    pub index: IndexFields,
}

/// Reads the bytes and extracts the uuid, `created_at` and search fields.
pub(crate) fn extract(bytes: &[u8], options: &RecordOptions) -> Result<Extracted, RecordError> {
    let doc = vcon_core::read(bytes, &options.read_limits).map_err(|source| RecordError::Read {
        context: "vCon",
        source,
    })?;
    extract_document(doc, options)
}

/// Extracts the uuid, `created_at` and search fields of an already parsed
/// vCon (consumed: the unsigned object is searched in place, not copied).
pub(crate) fn extract_document(
    doc: vcon_core::Document,
    options: &RecordOptions,
) -> Result<Extracted, RecordError> {
    let form = doc.form.ok_or(RecordError::NoForm)?;
    let (found, inner) = match form {
        Form::Unsigned => (member_uuid(&doc.object, "/uuid"), Some(doc.object)),
        Form::Signed => {
            let inner = signed_payload(&doc.object, options)?;
            let found = inner
                .as_ref()
                .and_then(|o| member_uuid(o, "/payload/uuid"))
                .or_else(|| signature_header_uuid(&doc.object));
            (found, inner)
        }
        Form::Encrypted => (encrypted_uuid(&doc.object), None),
    };
    let uuid = resolve_uuid(form, found, options.uuid.as_ref())?;
    let (created_at, index) = match &inner {
        Some(object) => (
            created_at(object),
            index_fields(object, options.max_text_bytes),
        ),
        None => (None, IndexFields::default()),
    };
    Ok(Extracted {
        uuid,
        form,
        gzipped: doc.gzipped,
        created_at,
        index,
    })
}

/// The decoded payload of a signed vCon, when it is an object (`None` when
/// it decodes to something else: the vCon is then stored with metadata only).
fn signed_payload(
    object: &Map<String, Value>,
    options: &RecordOptions,
) -> Result<Option<Map<String, Value>>, RecordError> {
    let Some(Value::String(payload)) = object.get("payload") else {
        return Ok(None);
    };
    let raw = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|e| RecordError::Payload {
            reason: e.to_string(),
        })?;
    let doc = vcon_core::read(&raw, &options.read_limits).map_err(|source| RecordError::Read {
        context: "/payload of the signed vCon",
        source,
    })?;
    Ok(Some(doc.object))
}

type FoundUuid = (String, Value);

fn member_uuid(object: &Map<String, Value>, pointer: &str) -> Option<FoundUuid> {
    object.get("uuid").map(|v| (pointer.to_owned(), v.clone()))
}

fn signature_header_uuid(object: &Map<String, Value>) -> Option<FoundUuid> {
    let sigs = object.get("signatures")?.as_array()?;
    sigs.iter().enumerate().find_map(|(i, s)| {
        let v = s.get("header")?.get("uuid")?;
        Some((format!("/signatures/{i}/header/uuid"), v.clone()))
    })
}

fn encrypted_uuid(object: &Map<String, Value>) -> Option<FoundUuid> {
    if let Some(v) = object.get("unprotected").and_then(|u| u.get("uuid")) {
        return Some(("/unprotected/uuid".to_owned(), v.clone()));
    }
    let recipients = object.get("recipients")?.as_array()?;
    recipients.iter().enumerate().find_map(|(i, r)| {
        let v = r.get("header")?.get("uuid")?;
        Some((format!("/recipients/{i}/header/uuid"), v.clone()))
    })
}

fn resolve_uuid(
    form: Form,
    found: Option<FoundUuid>,
    expected: Option<&VconUuid>,
) -> Result<VconUuid, RecordError> {
    let Some((pointer, value)) = found else {
        return expected.cloned().ok_or(RecordError::MissingUuid {
            form,
            pointer: match form {
                Form::Unsigned => "/uuid",
                Form::Signed => "/payload/uuid or /signatures/*/header/uuid",
                Form::Encrypted => "/unprotected/uuid or /recipients/*/header/uuid",
            },
        });
    };
    let text = match &value {
        Value::String(s) => s.as_str(),
        other => {
            return Err(RecordError::BadUuid {
                pointer,
                source: crate::error::NameError::Uuid {
                    value: other.to_string().chars().take(80).collect(),
                    reason: format!(
                        "expected a string, found {}",
                        vcon_core::read::json_type(other)
                    ),
                },
            });
        }
    };
    let uuid = VconUuid::parse(text).map_err(|source| RecordError::BadUuid {
        pointer: pointer.clone(),
        source,
    })?;
    match expected {
        Some(e) if *e != uuid => Err(RecordError::UuidMismatch {
            pointer,
            found: uuid,
            expected: e.clone(),
        }),
        _ => Ok(uuid),
    }
}

/// The tag whose value says when a vCon expires (RFC 3339), the one the
/// pipeline's `expire` link writes.
pub const EXPIRES_AT_TAG: &str = "expires_at";

/// `created_at` as an instant. RFC 3339 is what the draft requires; a
/// date-time without an offset (what the conserver's clients send, e.g.
/// Faker's `iso8601()`) is read as UTC, as the conserver itself does, so
/// that date-range searches still see such vCons.
fn created_at(object: &Map<String, Value>) -> Option<DateTime<Utc>> {
    let text = object.get("created_at")?.as_str()?;
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .map(|n| n.and_utc())
}

/// Extracts terms and text from an unsigned vCon object. Tolerant: members
/// of unexpected types are skipped, never refused (validation is not the
/// store's business).
pub(crate) fn index_fields(object: &Map<String, Value>, max_text: usize) -> IndexFields {
    let mut terms = BTreeSet::new();
    let mut text = TextSink::new(max_text);
    let mut term = |kind: TermKind, value: &str| {
        let value = kind.normalize(value);
        if !value.is_empty() {
            terms.insert(Term { kind, value });
        }
    };
    if let Some(s) = object.get("subject").and_then(Value::as_str) {
        text.push(s);
    }
    for party in array(object, "parties") {
        for (member, kind) in [
            ("tel", TermKind::Tel),
            ("mailto", TermKind::Mailto),
            ("name", TermKind::Name),
            ("uuid", TermKind::PartyUuid),
        ] {
            if let Some(v) = party.get(member).and_then(Value::as_str) {
                term(kind, v);
            }
        }
    }
    for dialog in array(object, "dialog") {
        let kind = dialog.get("type").and_then(Value::as_str);
        if let Some(k) = kind {
            term(TermKind::DialogType, k);
        }
        if kind == Some("text")
            && let Some(body) = decoded_text(dialog)
        {
            text.push(&body);
        }
    }
    for analysis in array(object, "analysis") {
        let is_transcript = analysis
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.contains("transcript"));
        if is_transcript {
            transcript_text(analysis, &mut text);
        }
    }
    let mut expires_ms: Option<i64> = None;
    if let Ok(tags) = vcon_core::tags::tags(object) {
        for t in tags {
            term(TermKind::TagName, &t.name);
            term(TermKind::Tag, &t.entry());
            if t.name == EXPIRES_AT_TAG
                && let Ok(at) = DateTime::parse_from_rfc3339(&t.value)
            {
                let ms = at.timestamp_millis();
                expires_ms = Some(expires_ms.map_or(ms, |e| e.min(ms)));
            }
        }
    }
    IndexFields {
        terms,
        text: text.finish(),
        expires_ms,
    }
}

fn array<'a>(
    object: &'a Map<String, Value>,
    key: &str,
) -> impl Iterator<Item = &'a Map<String, Value>> {
    object
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

/// The body of a text dialog as text: `encoding: none` (or absent) as is,
/// `base64url` decoded when it is UTF-8.
fn decoded_text(entry: &Map<String, Value>) -> Option<String> {
    let body = entry.get("body")?.as_str()?;
    match entry.get("encoding").and_then(Value::as_str) {
        None | Some("none") => Some(body.to_owned()),
        Some("base64url") => URL_SAFE_NO_PAD
            .decode(body.trim_end_matches('='))
            .ok()
            .and_then(|b| String::from_utf8(b).ok()),
        _ => None,
    }
}

/// Text of a transcript analysis: a plain body, or the `transcript` and
/// `text` strings of a JSON body (Deepgram, Whisper, WTF shapes alike).
fn transcript_text(analysis: &Map<String, Value>, sink: &mut TextSink) {
    let Some(body) = analysis.get("body") else {
        return;
    };
    let encoding = analysis.get("encoding").and_then(Value::as_str);
    match body {
        Value::String(s) if encoding == Some("json") => {
            if let Ok(v) = serde_json::from_str::<Value>(s) {
                collect_text_members(&v, sink);
            }
        }
        Value::String(_) => {
            if let Some(t) = decoded_text(analysis) {
                sink.push(&t);
            }
        }
        other => collect_text_members(other, sink),
    }
}

fn collect_text_members(value: &Value, sink: &mut TextSink) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::String(s) if k == "transcript" || k == "text" => sink.push(s),
                    Value::Object(_) | Value::Array(_) => collect_text_members(v, sink),
                    _ => {}
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_text_members(v, sink)),
        _ => {}
    }
}

/// Accumulates text up to a byte cap, cutting at a character boundary.
struct TextSink {
    text: String,
    cap: usize,
}

impl TextSink {
    fn new(cap: usize) -> Self {
        Self {
            text: String::new(),
            cap,
        }
    }

    fn push(&mut self, s: &str) {
        let room = self.cap.saturating_sub(self.text.len() + 1);
        if room == 0 || s.trim().is_empty() {
            return;
        }
        if !self.text.is_empty() {
            self.text.push('\n');
        }
        let mut end = s.len().min(room);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.text.push_str(&s[..end]);
    }

    fn finish(self) -> String {
        self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(value: Value) -> Option<String> {
        let Value::Object(o) = json!({ "created_at": value }) else {
            unreachable!()
        };
        created_at(&o).map(|d| d.to_rfc3339())
    }

    #[test]
    fn created_at_reads_rfc3339_and_offsetless_times_as_utc() {
        assert_eq!(
            at(json!("2026-01-02T03:04:05+02:00")).as_deref(),
            Some("2026-01-02T01:04:05+00:00")
        );
        assert_eq!(
            at(json!("2099-01-01T00:00:00")).as_deref(),
            Some("2099-01-01T00:00:00+00:00")
        );
        assert_eq!(
            at(json!("2099-01-01 00:00:00.250")).as_deref(),
            Some("2099-01-01T00:00:00.250+00:00")
        );
        assert_eq!(at(json!("yesterday")), None);
        assert_eq!(at(json!(17)), None);
    }
}
