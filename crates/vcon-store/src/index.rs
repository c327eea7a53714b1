//! The search fields of a vCon ([`IndexFields`]), extracted once when a
//! record is made, and the normalisation shared by indexing and queries.

use std::borrow::Cow;
use std::collections::BTreeSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use vcon_core::Form;
use vcon_core::tree::{self, Json, JsonObj, View};

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
            Self::Tel => {
                let v = strip_prefix_ci(v, "tel:");
                // Sized once: the digits are never longer than the text.
                let mut tel = String::with_capacity(v.len());
                tel.extend(
                    v.chars()
                        .filter(|c| !matches!(c, '-' | '.' | '(' | ')' | ' ')),
                );
                tel
            }
            Self::Mailto => lowercase(strip_prefix_ci(v, "mailto:")),
            Self::Name | Self::PartyUuid => lowercase(v),
            Self::Tag | Self::TagName | Self::DialogType => v.to_owned(),
        }
    }
}

/// `v.to_lowercase()`, a byte at a time when `v` is ASCII (the same
/// result; Unicode's case mapping only for the rest).
fn lowercase(v: &str) -> String {
    if v.is_ascii() {
        v.to_ascii_lowercase()
    } else {
        v.to_lowercase()
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
///
/// An unsigned vCon is read into vcon-core's borrowed tree
/// ([`vcon_core::tree::parse`]: no copies of its strings, no hashed maps);
/// whatever that parser does not take (gzip, malformed or oversized input),
/// and the other forms, go through the bounded reader, whose errors are the
/// ones reported. Both give the same tree for the same text.
pub(crate) fn extract(bytes: &[u8], options: &RecordOptions) -> Result<Extracted, RecordError> {
    if bytes.len() <= options.read_limits.max_bytes
        && let Ok(root) = tree::parse(bytes, options.read_limits.max_depth)
        && Form::detect(&root) == Some(Form::Unsigned)
    {
        return extract_unsigned(&root, options);
    }
    extract_read(bytes, options)
}

/// [`extract`] with the bounded reader alone: for bytes that the borrowed
/// tree has already seen and left to it (any form but unsigned).
pub(crate) fn extract_read(
    bytes: &[u8],
    options: &RecordOptions,
) -> Result<Extracted, RecordError> {
    let doc = vcon_core::read(bytes, &options.read_limits).map_err(|source| RecordError::Read {
        context: "vCon",
        source,
    })?;
    extract_document(doc, options)
}

/// Extracts the uuid, `created_at` and search fields of an unsigned vCon
/// already parsed into vcon-core's borrowed tree (never gzip: the tree is
/// parsed from JSON text).
pub(crate) fn extract_unsigned(
    root: &tree::Obj<'_>,
    options: &RecordOptions,
) -> Result<Extracted, RecordError> {
    let uuid = resolve_uuid(
        Form::Unsigned,
        member_uuid(root, "/uuid"),
        options.uuid.as_ref(),
    )?;
    Ok(Extracted {
        uuid,
        form: Form::Unsigned,
        gzipped: false,
        created_at: created_at(root),
        index: index_fields(root, options.max_text_bytes),
    })
}

/// Extracts the uuid, `created_at` and search fields of an already parsed
/// vCon (consumed: the unsigned object is searched in place, not copied).
pub(crate) fn extract_document(
    doc: vcon_core::Document,
    options: &RecordOptions,
) -> Result<Extracted, RecordError> {
    let form = doc.form.ok_or(RecordError::NoForm)?;
    let expected = options.uuid.as_ref();
    let (uuid, inner) = match form {
        Form::Unsigned => (
            resolve_uuid(form, member_uuid(&doc.object, "/uuid"), expected)?,
            Some(doc.object),
        ),
        Form::Signed => {
            let inner = signed_payload(&doc.object, options)?;
            let found = inner
                .as_ref()
                .and_then(|o| member_uuid(o, "/payload/uuid"))
                .or_else(|| signature_header_uuid(&doc.object));
            (resolve_uuid(form, found, expected)?, inner)
        }
        Form::Encrypted => (
            resolve_uuid(form, encrypted_uuid(&doc.object), expected)?,
            None,
        ),
    };
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

/// A JSON value that an error message can quote (a uuid that is not a string).
trait Quote: Json {
    /// The value as JSON text.
    fn quote(&self) -> String;
}

impl Quote for Value {
    fn quote(&self) -> String {
        self.to_string()
    }
}

impl Quote for tree::Node<'_> {
    fn quote(&self) -> String {
        self.to_value().to_string()
    }
}

/// A uuid member: where it was found, and its text or what it was instead.
struct FoundUuid<'a> {
    /// Static for the common pointers; written only on the error path.
    pointer: Cow<'static, str>,
    value: Result<&'a str, NotText>,
}

/// A uuid member that is not a string: its JSON text and its type.
struct NotText {
    json: String,
    found: &'static str,
}

impl<'a> FoundUuid<'a> {
    fn new<J: Quote>(pointer: impl Into<Cow<'static, str>>, value: &'a J) -> Self {
        let value = value.as_str().ok_or_else(|| NotText {
            json: value.quote(),
            found: value.type_name(),
        });
        Self {
            pointer: pointer.into(),
            value,
        }
    }
}

fn member_uuid<'a, O>(object: &'a O, pointer: &'static str) -> Option<FoundUuid<'a>>
where
    O: JsonObj,
    O::Val: Quote,
{
    object.get("uuid").map(|v| FoundUuid::new(pointer, v))
}

fn signature_header_uuid(object: &Map<String, Value>) -> Option<FoundUuid<'_>> {
    let sigs = object.get("signatures")?.as_array()?;
    sigs.iter().enumerate().find_map(|(i, s)| {
        let v = s.get("header")?.get("uuid")?;
        Some(FoundUuid::new(format!("/signatures/{i}/header/uuid"), v))
    })
}

fn encrypted_uuid(object: &Map<String, Value>) -> Option<FoundUuid<'_>> {
    if let Some(v) = object.get("unprotected").and_then(|u| u.get("uuid")) {
        return Some(FoundUuid::new("/unprotected/uuid", v));
    }
    let recipients = object.get("recipients")?.as_array()?;
    recipients.iter().enumerate().find_map(|(i, r)| {
        let v = r.get("header")?.get("uuid")?;
        Some(FoundUuid::new(format!("/recipients/{i}/header/uuid"), v))
    })
}

fn resolve_uuid(
    form: Form,
    found: Option<FoundUuid<'_>>,
    expected: Option<&VconUuid>,
) -> Result<VconUuid, RecordError> {
    let Some(FoundUuid { pointer, value }) = found else {
        return expected.cloned().ok_or(RecordError::MissingUuid {
            form,
            pointer: match form {
                Form::Unsigned => "/uuid",
                Form::Signed => "/payload/uuid or /signatures/*/header/uuid",
                Form::Encrypted => "/unprotected/uuid or /recipients/*/header/uuid",
            },
        });
    };
    let text = match value {
        Ok(text) => text,
        Err(NotText { json, found }) => {
            return Err(RecordError::BadUuid {
                pointer: pointer.into_owned(),
                source: crate::error::NameError::Uuid {
                    value: json.chars().take(80).collect(),
                    reason: format!("expected a string, found {found}"),
                },
            });
        }
    };
    let uuid = VconUuid::parse(text).map_err(|source| RecordError::BadUuid {
        pointer: pointer.to_string(),
        source,
    })?;
    match expected {
        Some(e) if *e != uuid => Err(RecordError::UuidMismatch {
            pointer: pointer.into_owned(),
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
fn created_at<O: JsonObj>(object: &O) -> Option<DateTime<Utc>> {
    let text = object.get("created_at")?.as_str()?;
    if let Ok(d) = DateTime::parse_from_rfc3339(text) {
        return Some(d.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(text, f).ok())
        .map(|n| n.and_utc())
}

/// Extracts terms and text from an unsigned vCon object (of either tree).
/// Tolerant: members of unexpected types are skipped, never refused
/// (validation is not the store's business). Each object's members are
/// walked once and matched by name (names are unique in both trees).
pub(crate) fn index_fields<O: JsonObj>(object: &O, max_text: usize) -> IndexFields {
    let mut terms = BTreeSet::new();
    let mut text = TextSink::new(max_text);
    let mut term = |kind: TermKind, value: &str| {
        let value = kind.normalize(value);
        if !value.is_empty() {
            terms.insert(Term { kind, value });
        }
    };
    let none: &[O::Val] = &[];
    let (mut subject, mut parties, mut dialogs, mut analyses) = (None, none, none, none);
    for (name, value) in object.members() {
        match name {
            "subject" => subject = value.as_str(),
            "parties" => parties = value.as_array().unwrap_or(none),
            "dialog" => dialogs = value.as_array().unwrap_or(none),
            "analysis" => analyses = value.as_array().unwrap_or(none),
            _ => {}
        }
    }
    if let Some(s) = subject {
        text.push(s);
    }
    for party in parties.iter().filter_map(Json::as_object) {
        for (member, value) in party.members() {
            let kind = match member {
                "tel" => TermKind::Tel,
                "mailto" => TermKind::Mailto,
                "name" => TermKind::Name,
                "uuid" => TermKind::PartyUuid,
                _ => continue,
            };
            if let Some(v) = value.as_str() {
                term(kind, v);
            }
        }
    }
    for dialog in dialogs.iter().filter_map(Json::as_object) {
        let entry = Entry::of(dialog);
        if let Some(k) = entry.kind {
            term(TermKind::DialogType, k);
        }
        if entry.kind == Some("text")
            && let Some(body) = entry.decoded_text()
        {
            text.push(&body);
        }
    }
    for analysis in analyses.iter().filter_map(Json::as_object) {
        let entry = Entry::of(analysis);
        if entry.kind.is_some_and(|t| t.contains("transcript")) {
            entry.transcript_text(&mut text);
        }
    }
    let mut expires_ms: Option<i64> = None;
    if let Ok(entries) = vcon_core::tags::entries_in(object) {
        for entry in &entries {
            let Some((name, value)) = entry.split_once(':') else {
                continue;
            };
            term(TermKind::TagName, name);
            term(TermKind::Tag, entry);
            if name == EXPIRES_AT_TAG
                && let Ok(at) = DateTime::parse_from_rfc3339(value)
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

/// The members of a dialog or analysis entry that the index reads.
struct Entry<'a, J> {
    /// `type`, when a string.
    kind: Option<&'a str>,
    body: Option<&'a J>,
    /// `encoding`, when a string.
    encoding: Option<&'a str>,
}

impl<'a, J: Json> Entry<'a, J> {
    fn of<O: JsonObj<Val = J>>(entry: &'a O) -> Self {
        let mut this = Self {
            kind: None,
            body: None,
            encoding: None,
        };
        for (name, value) in entry.members() {
            match name {
                "type" => this.kind = value.as_str(),
                "body" => this.body = Some(value),
                "encoding" => this.encoding = value.as_str(),
                _ => {}
            }
        }
        this
    }

    /// The body as text: `encoding: none` (or absent) as is, `base64url`
    /// decoded when it is UTF-8.
    fn decoded_text(&self) -> Option<Cow<'a, str>> {
        let body = self.body?.as_str()?;
        match self.encoding {
            None | Some("none") => Some(Cow::Borrowed(body)),
            Some("base64url") => URL_SAFE_NO_PAD
                .decode(body.trim_end_matches('='))
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .map(Cow::Owned),
            _ => None,
        }
    }

    /// Text of a transcript analysis: a plain body, or the `transcript`
    /// and `text` strings of a JSON body (Deepgram, Whisper, WTF shapes alike).
    fn transcript_text(&self, sink: &mut TextSink) {
        let Some(body) = self.body else {
            return;
        };
        match body.view() {
            View::String(s) if self.encoding == Some("json") => {
                if let Ok(v) = serde_json::from_str::<Value>(s) {
                    collect_text_members(&v, sink);
                }
            }
            View::String(_) => {
                if let Some(t) = self.decoded_text() {
                    sink.push(&t);
                }
            }
            _ => collect_text_members(body, sink),
        }
    }
}

fn collect_text_members<J: Json>(value: &J, sink: &mut TextSink) {
    match value.view() {
        View::Object(map) => {
            for (k, v) in map.members() {
                match v.view() {
                    View::String(s) if k == "transcript" || k == "text" => sink.push(s),
                    View::Object(_) | View::Array(_) => collect_text_members(v, sink),
                    _ => {}
                }
            }
        }
        View::Array(items) => items.iter().for_each(|v| collect_text_members(v, sink)),
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

    #[test]
    fn lowercase_is_unicode_lowercase() {
        for v in [
            "",
            "Chen Nakamura",
            "AGENT@HOOLI.EXAMPLE",
            "Émeka ΣΟΦΙΑ",
            "İstanbul",
            "ǅ x",
        ] {
            assert_eq!(lowercase(v), v.to_lowercase(), "{v}");
        }
        assert_eq!(
            TermKind::Mailto.normalize(" MAILTO:Agent@Hooli.Example "),
            "agent@hooli.example"
        );
        assert_eq!(TermKind::Name.normalize(" Émeka ΣΟΦΙΑ "), "émeka σοφια");
    }
}
