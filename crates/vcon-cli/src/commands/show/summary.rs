//! A summary of an unsigned vCon built from its raw JSON, so that even an
//! invalid vCon can be shown: wrong types read as absent, nothing panics.

use serde::Serialize;
use serde_json::{Map, Value};

/// Members read as strings, in the order they are shown.
type Obj = Map<String, Value>;

/// The summary of an unsigned vCon.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// `uuid`.
    pub uuid: Option<String>,
    /// Syntax detected from the members (and the `vcon` member).
    pub version: &'static str,
    /// The `vcon` member, when present.
    pub declared_version: Option<String>,
    /// `created_at`, as written.
    pub created_at: Option<String>,
    /// `updated_at`, as written.
    pub updated_at: Option<String>,
    /// `subject`.
    pub subject: Option<String>,
    /// `extensions`.
    pub extensions: Vec<String>,
    /// `critical` (or legacy `must_support`).
    pub critical: Vec<String>,
    /// The `redacted` reference.
    pub redacted: Option<Reference>,
    /// The `amended` (legacy `appended`) reference.
    pub amended: Option<Reference>,
    /// Parties, in document order.
    pub parties: Vec<PartyInfo>,
    /// Dialog, sorted by start time for display (undated last); `index` is the document index.
    pub dialog: Vec<DialogInfo>,
    /// Analysis, in document order.
    pub analysis: Vec<AnalysisInfo>,
    /// Attachments, in document order.
    pub attachments: Vec<AttachmentInfo>,
}

/// A `redacted` or `amended` reference to a prior version.
#[derive(Debug, Serialize)]
pub struct Reference {
    /// uuid of the prior version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    /// Kind of redaction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// Where the prior version is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// One party.
#[derive(Debug, Serialize)]
pub struct PartyInfo {
    /// Index in `parties`.
    pub index: usize,
    /// Identity members present (name, tel, mailto, sip, did, uuid, type, role, org, dept, validation).
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

/// Inline or external content of an object.
#[derive(Debug, Default, Serialize)]
pub struct ContentInfo {
    /// Size in bytes of the inline content, decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// `encoding` of inline content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// `url` of external content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Whether a `content_hash` is given.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub content_hash: bool,
}

impl ContentInfo {
    /// Whether there is no content at all.
    pub fn is_empty(&self) -> bool {
        self.size.is_none() && self.url.is_none()
    }
}

/// One dialog.
#[derive(Debug, Serialize)]
pub struct DialogInfo {
    /// Index in `dialog`.
    pub index: usize,
    /// `type`.
    pub r#type: Option<String>,
    /// `start`, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// `duration` in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    /// `parties`, as written (index, list, or one entry per channel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parties: Option<Value>,
    /// `originator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub originator: Option<Value>,
    /// `mediatype` (or legacy `mimetype`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mediatype: Option<String>,
    /// `filename`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Content.
    #[serde(skip_serializing_if = "ContentInfo::is_empty")]
    pub content: ContentInfo,
    /// `disposition` (incomplete dialogs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    /// Transfer roles and links, and recording-set links, as written.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub links: Map<String, Value>,
}

/// One analysis.
#[derive(Debug, Serialize)]
pub struct AnalysisInfo {
    /// Index in `analysis`.
    pub index: usize,
    /// `type`.
    pub r#type: Option<String>,
    /// `vendor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// `product`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    /// `dialog` references, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialog: Option<Value>,
    /// `mediatype`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mediatype: Option<String>,
    /// Content.
    #[serde(skip_serializing_if = "ContentInfo::is_empty")]
    pub content: ContentInfo,
}

/// One attachment.
#[derive(Debug, Serialize)]
pub struct AttachmentInfo {
    /// Index in `attachments`.
    pub index: usize,
    /// `purpose` (or legacy/extension `type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// `party`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party: Option<Value>,
    /// `dialog`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dialog: Option<Value>,
    /// `start`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// `mediatype`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mediatype: Option<String>,
    /// `filename`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Content.
    #[serde(skip_serializing_if = "ContentInfo::is_empty")]
    pub content: ContentInfo,
}

/// Party members shown, in display order.
const PARTY_FIELDS: &[&str] = &[
    "name",
    "tel",
    "mailto",
    "sip",
    "did",
    "uuid",
    "type",
    "role",
    "org",
    "dept",
    "validation",
];

/// Dialog members shown as links between dialogs and parties.
const LINK_FIELDS: &[&str] = &[
    "transferee",
    "transferor",
    "transfer_target",
    "original",
    "consultation",
    "target_dialog",
    "recordings",
    "recording_set",
];

fn string(o: &Obj, key: &str) -> Option<String> {
    o.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn present(o: &Obj, key: &str) -> Option<Value> {
    o.get(key).filter(|v| !v.is_null()).cloned()
}

fn strings(o: &Obj, key: &str) -> Vec<String> {
    match o.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

fn objects<'a>(o: &'a Obj, key: &str) -> impl Iterator<Item = (usize, &'a Obj)> {
    let items = match o.get(key) {
        Some(Value::Array(a)) => a.as_slice(),
        _ => &[],
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_object().map(|o| (i, o)))
}

/// Decoded size of inline content, by encoding.
fn inline_size(body: &Value, encoding: Option<&str>) -> u64 {
    match (body, encoding) {
        (Value::String(s), Some("base64url")) => {
            let n = s.trim_end_matches('=').len() as u64;
            n * 3 / 4
        }
        (Value::String(s), _) => s.len() as u64,
        (other, _) => serde_json::to_string(other).map_or(0, |t| t.len() as u64),
    }
}

/// The content members of an object.
pub fn content(o: &Obj) -> ContentInfo {
    let encoding = string(o, "encoding");
    let size = o
        .get("body")
        .filter(|b| !b.is_null())
        .map(|b| inline_size(b, encoding.as_deref()));
    ContentInfo {
        size,
        encoding,
        url: string(o, "url"),
        content_hash: o.get("content_hash").is_some_and(|v| !v.is_null()),
    }
}

fn reference(o: &Obj, key: &str) -> Option<Reference> {
    let r = o.get(key)?.as_object().filter(|r| !r.is_empty())?;
    Some(Reference {
        uuid: string(r, "uuid"),
        r#type: string(r, "type"),
        url: string(r, "url"),
    })
}

/// Sort key: parsed start time, undated last, then document order.
fn start_key(start: Option<&str>) -> (bool, i64, u32) {
    match start.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) {
        Some(t) => (false, t.timestamp(), t.timestamp_subsec_nanos()),
        None => (true, 0, 0),
    }
}

/// Builds the summary of an unsigned vCon object.
pub fn summarize(o: &Obj) -> Summary {
    let version = vcon_core::version::detect(o);
    let parties = objects(o, "parties")
        .map(|(index, p)| PartyInfo {
            index,
            fields: PARTY_FIELDS
                .iter()
                .filter_map(|k| {
                    p.get(*k)
                        .filter(|v| !v.is_null())
                        .map(|v| ((*k).to_owned(), v.clone()))
                })
                .collect(),
        })
        .collect();
    let mut dialog: Vec<DialogInfo> = objects(o, "dialog")
        .map(|(index, d)| DialogInfo {
            index,
            r#type: string(d, "type"),
            start: string(d, "start"),
            duration: d.get("duration").and_then(Value::as_f64),
            parties: present(d, "parties"),
            originator: present(d, "originator"),
            mediatype: string(d, "mediatype").or_else(|| string(d, "mimetype")),
            filename: string(d, "filename"),
            content: content(d),
            disposition: string(d, "disposition"),
            links: LINK_FIELDS
                .iter()
                .filter_map(|k| present(d, k).map(|v| ((*k).to_owned(), v)))
                .collect(),
        })
        .collect();
    dialog.sort_by_key(|d| (start_key(d.start.as_deref()), d.index));
    let analysis = objects(o, "analysis")
        .map(|(index, a)| AnalysisInfo {
            index,
            r#type: string(a, "type"),
            vendor: string(a, "vendor"),
            product: string(a, "product"),
            dialog: present(a, "dialog"),
            mediatype: string(a, "mediatype").or_else(|| string(a, "mimetype")),
            content: content(a),
        })
        .collect();
    let attachments = objects(o, "attachments")
        .map(|(index, a)| AttachmentInfo {
            index,
            purpose: string(a, "purpose").or_else(|| string(a, "type")),
            party: present(a, "party"),
            dialog: present(a, "dialog"),
            start: string(a, "start"),
            mediatype: string(a, "mediatype").or_else(|| string(a, "mimetype")),
            filename: string(a, "filename"),
            content: content(a),
        })
        .collect();
    let mut critical = strings(o, "critical");
    if critical.is_empty() {
        critical = strings(o, "must_support");
    }
    Summary {
        uuid: string(o, "uuid"),
        version: version.detected.as_str(),
        declared_version: version.declared,
        created_at: string(o, "created_at"),
        updated_at: string(o, "updated_at"),
        subject: string(o, "subject"),
        extensions: strings(o, "extensions"),
        critical,
        redacted: reference(o, "redacted"),
        amended: reference(o, "amended").or_else(|| reference(o, "appended")),
        parties,
        dialog,
        analysis,
        attachments,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn obj(v: Value) -> Obj {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn dialog_sorted_by_start_undated_last() {
        let s = summarize(&obj(serde_json::json!({
            "dialog": [
                {"type": "text", "start": "2024-01-01T00:00:10Z"},
                {"type": "incomplete"},
                {"type": "text", "start": "2024-01-01T00:00:05+00:00"},
                "not an object"
            ]
        })));
        let order: Vec<usize> = s.dialog.iter().map(|d| d.index).collect();
        assert_eq!(order, [2, 0, 1]);
    }

    #[test]
    fn sizes_are_decoded() {
        let c = content(&obj(
            serde_json::json!({"body": "AAAA", "encoding": "base64url"}),
        ));
        assert_eq!(c.size, Some(3));
        let c = content(&obj(
            serde_json::json!({"body": "héllo", "encoding": "none"}),
        ));
        assert_eq!(c.size, Some(6));
        let c = content(&obj(
            serde_json::json!({"url": "https://x/y", "content_hash": "sha512-x"}),
        ));
        assert_eq!((c.size, c.content_hash), (None, true));
    }

    #[test]
    fn wrong_types_read_as_absent() {
        let s = summarize(&obj(serde_json::json!({
            "uuid": 5, "parties": {"x": 1}, "dialog": [{"type": 3, "duration": "long"}]
        })));
        assert!(s.uuid.is_none());
        assert!(s.parties.is_empty());
        assert!(s.dialog[0].r#type.is_none() && s.dialog[0].duration.is_none());
    }
}
