//! Tags, stored the way the reference Python library (vcon-dev/vcon-lib)
//! stores them, so that both sides read each other's.
//!
//! vcon-lib keeps all tags of a vCon in **one attachment** whose `purpose`
//! is `"tags"` (`type: "tags"` before vcon-lib 0.7, when attachments still
//! had `type`), with `encoding: "json"` and a `body` that is a JSON array of
//! `"name:value"` strings. vcon-lib 0.9.2 writes exactly:
//!
//! ```json
//! {"purpose": "tags", "body": ["category:support", "priority:high"], "encoding": "json"}
//! ```
//!
//! Some producers (vcon-lib between 0.9 and 0.10, vcon-server) wrote the
//! body as a JSON *string* holding that array (`"body": "[\"a:b\"]"`), and
//! early ones used `encoding: "none"`; all of these are read. Lookups follow
//! vcon-lib: the first attachment whose `purpose` (or legacy `type`) is
//! `"tags"`, and in it the first entry starting with `name:`; the value is
//! everything after the first colon (vcon-lib before 0.10 cut it at the
//! second colon; we do not).
//!
//! Writes produce the vcon-lib shape plus what core-03 requires of every
//! attachment (`start`, `party`, `dialog`, R-36), and `mediatype:
//! application/json`. vcon-lib ignores the extra members. Tag names must be
//! non-empty and contain no `:`, or no reader could split them back.
//!
//! ```
//! use serde_json::json;
//! use vcon_core::tags::{self, TagsAnchor};
//!
//! let mut vcon = json!({
//!     "uuid": "0196585c-22c9-8909-9dd8-dd37220d739c",
//!     "created_at": "2025-04-21T10:00:00Z",
//!     "parties": [{"name": "Alice"}],
//!     "dialog": [{"type": "text", "start": "2025-04-21T10:00:00Z", "parties": [0],
//!                 "mediatype": "text/plain", "encoding": "none", "body": "hi"}],
//!     // written by vcon-lib:
//!     "attachments": [{"purpose": "tags", "body": ["category:support"], "encoding": "json"}]
//! });
//! let map = vcon.as_object_mut().unwrap();
//! assert_eq!(tags::get_tag(map, "category").unwrap().as_deref(), Some("support"));
//!
//! let anchor = TagsAnchor::for_vcon(map);
//! tags::set_tag(map, "url", "https://example.com/x", &anchor).unwrap();
//! assert_eq!(map["attachments"][0]["body"], json!(["category:support", "url:https://example.com/x"]));
//! assert_eq!(tags::get_tag(map, "url").unwrap().as_deref(), Some("https://example.com/x"));
//! ```

use serde_json::{Map, Value};

use crate::read::json_type;

/// The attachment `purpose` (legacy `type`) that holds the tags.
pub const TAGS_PURPOSE: &str = "tags";

/// The media type written on a new tags attachment.
pub const TAGS_MEDIATYPE: &str = "application/json";

/// One `name:value` tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    /// The name (before the first `:`).
    pub name: String,
    /// The value (after the first `:`; may itself contain `:`).
    pub value: String,
}

impl Tag {
    /// Splits a `name:value` entry at its first colon; `None` without one.
    ///
    /// ```
    /// let t = vcon_core::tags::Tag::parse("url:https://x").unwrap();
    /// assert_eq!((t.name.as_str(), t.value.as_str()), ("url", "https://x"));
    /// assert!(vcon_core::tags::Tag::parse("plain").is_none());
    /// ```
    pub fn parse(entry: &str) -> Option<Self> {
        let (name, value) = entry.split_once(':')?;
        Some(Self {
            name: name.to_owned(),
            value: value.to_owned(),
        })
    }

    /// The stored `name:value` form.
    pub fn entry(&self) -> String {
        format!("{}:{}", self.name, self.value)
    }
}

/// What went wrong reading or writing tags. Every variant says where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// A tag name is empty.
    #[error("tag name is empty; vcon-lib stores tags as `name:value`")]
    EmptyName,
    /// A tag name contains `:`, which would be read back as a different tag.
    #[error("tag name `{name}` contains `:`; vcon-lib splits `name:value` at the first colon")]
    NameContainsColon {
        /// The offending name.
        name: String,
    },
    /// A member that must be an array is something else.
    #[error("{pointer}: expected an array, found {found}")]
    NotAnArray {
        /// JSON pointer of the member.
        pointer: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// An attachment is not an object.
    #[error("{pointer}: expected an attachment object, found {found}")]
    NotAnObject {
        /// JSON pointer of the attachment.
        pointer: String,
        /// The JSON type found.
        found: &'static str,
    },
    /// The tags body is neither an array nor a string holding a JSON array.
    #[error(
        "{pointer}: a tags body is an array of \"name:value\" strings \
         (or a string holding one), found {found}"
    )]
    BadBody {
        /// JSON pointer of the body.
        pointer: String,
        /// What was found.
        found: String,
    },
}

fn check_name(name: &str) -> Result<(), TagError> {
    if name.is_empty() {
        Err(TagError::EmptyName)
    } else if name.contains(':') {
        Err(TagError::NameContainsColon {
            name: name.to_owned(),
        })
    } else {
        Ok(())
    }
}

/// Whether an attachment object is a tags attachment (`purpose` or legacy
/// `type` equal to `"tags"`).
pub fn is_tags_attachment(attachment: &Map<String, Value>) -> bool {
    let is = |key: &str| attachment.get(key).and_then(Value::as_str) == Some(TAGS_PURPOSE);
    is("purpose") || is("type")
}

/// Index of the first tags attachment, if any; errors if `attachments` is
/// present but not an array of objects (up to the match).
pub fn find_tags_attachment(vcon: &Map<String, Value>) -> Result<Option<usize>, TagError> {
    let items = match vcon.get("attachments") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(TagError::NotAnArray {
                pointer: "/attachments".to_owned(),
                found: json_type(other),
            });
        }
    };
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::Object(a) if is_tags_attachment(a) => return Ok(Some(i)),
            Value::Object(_) => {}
            other => {
                return Err(TagError::NotAnObject {
                    pointer: format!("/attachments/{i}"),
                    found: json_type(other),
                });
            }
        }
    }
    Ok(None)
}

/// The raw entries of a tags attachment's body, in order. Accepts an array
/// (non-string items are skipped), a string holding a JSON array (the
/// pre-0.10 vcon-lib / vcon-server shape), and a missing or null body.
/// `index` is used for error pointers.
pub fn body_entries(
    attachment: &Map<String, Value>,
    index: usize,
) -> Result<Vec<String>, TagError> {
    let pointer = || format!("/attachments/{index}/body");
    let strings = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect()
    };
    match attachment.get("body") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(strings(items)),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => Ok(strings(&items)),
            _ => Err(TagError::BadBody {
                pointer: pointer(),
                found: "a string that is not a JSON array".to_owned(),
            }),
        },
        Some(other) => Err(TagError::BadBody {
            pointer: pointer(),
            found: json_type(other).to_owned(),
        }),
    }
}

/// The raw `name:value` entries of the vCon's tags attachment (empty when
/// there is none), exactly as stored.
pub fn tag_entries(vcon: &Map<String, Value>) -> Result<Vec<String>, TagError> {
    let Some(index) = find_tags_attachment(vcon)? else {
        return Ok(Vec::new());
    };
    match vcon.get("attachments").and_then(|a| a.get(index)) {
        Some(Value::Object(att)) => body_entries(att, index),
        _ => Ok(Vec::new()),
    }
}

/// All tags of the vCon, in stored order (entries without a colon are left
/// out; see [`tag_entries`] for the raw list).
pub fn tags(vcon: &Map<String, Value>) -> Result<Vec<Tag>, TagError> {
    Ok(tag_entries(vcon)?
        .iter()
        .filter_map(|e| Tag::parse(e))
        .collect())
}

/// The value of the first tag called `name`, as vcon-lib's `get_tag`.
pub fn get_tag(vcon: &Map<String, Value>, name: &str) -> Result<Option<String>, TagError> {
    Ok(tags(vcon)?
        .into_iter()
        .find(|t| t.name == name)
        .map(|t| t.value))
}

/// Where a new tags attachment is anchored: core-03 requires `start`,
/// `party` and `dialog` on every attachment (R-36).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagsAnchor {
    /// `start` of the attachment (a Date); omitted when `None`.
    pub start: Option<String>,
    /// `party`: the party that supplied the tags; omitted when `None`.
    pub party: Option<u64>,
    /// `dialog`: the related dialog; omitted when `None`.
    pub dialog: Option<u64>,
}

impl TagsAnchor {
    /// Defaults taken from the vCon: `start` = `created_at`, `party` = 0 and
    /// `dialog` = 0 when those arrays are non-empty.
    pub fn for_vcon(vcon: &Map<String, Value>) -> Self {
        let non_empty = |key: &str| matches!(vcon.get(key), Some(Value::Array(a)) if !a.is_empty());
        Self {
            start: vcon
                .get("created_at")
                .and_then(Value::as_str)
                .map(str::to_owned),
            party: non_empty("parties").then_some(0),
            dialog: non_empty("dialog").then_some(0),
        }
    }
}

/// A new tags attachment object holding `entries`, in the shape this crate
/// writes (vcon-lib's members first, then those core-03 requires).
pub fn new_tags_attachment(entries: &[String], anchor: &TagsAnchor) -> Map<String, Value> {
    let mut a = Map::new();
    a.insert("purpose".into(), Value::from(TAGS_PURPOSE));
    if let Some(start) = &anchor.start {
        a.insert("start".into(), Value::from(start.as_str()));
    }
    if let Some(party) = anchor.party {
        a.insert("party".into(), Value::from(party));
    }
    if let Some(dialog) = anchor.dialog {
        a.insert("dialog".into(), Value::from(dialog));
    }
    a.insert("mediatype".into(), Value::from(TAGS_MEDIATYPE));
    a.insert("encoding".into(), Value::from("json"));
    a.insert(
        "body".into(),
        Value::Array(entries.iter().map(|e| Value::from(e.as_str())).collect()),
    );
    a
}

/// Rewrites the vCon's tag entries with `edit`, creating the tags attachment
/// (anchored at `anchor`) if there is none and `edit` leaves entries. An
/// existing attachment is normalised: array body, `encoding: "json"`,
/// `purpose: "tags"` added if it only had the legacy `type`.
fn edit_entries(
    vcon: &mut Map<String, Value>,
    anchor: &TagsAnchor,
    edit: impl FnOnce(&mut Vec<String>),
) -> Result<(), TagError> {
    let found = find_tags_attachment(vcon)?;
    let mut entries = tag_entries(vcon)?;
    edit(&mut entries);
    let body = Value::Array(entries.iter().map(|e| Value::from(e.as_str())).collect());
    match found {
        Some(index) => {
            if let Some(Value::Object(att)) =
                vcon.get_mut("attachments").and_then(|a| a.get_mut(index))
            {
                if att.get("purpose").and_then(Value::as_str) != Some(TAGS_PURPOSE) {
                    att.insert("purpose".into(), Value::from(TAGS_PURPOSE));
                }
                att.insert("encoding".into(), Value::from("json"));
                att.insert("body".into(), body);
            }
        }
        None if entries.is_empty() => {}
        None => {
            let att = Value::Object(new_tags_attachment(&entries, anchor));
            match vcon.get_mut("attachments") {
                Some(Value::Array(items)) => items.push(att),
                _ => {
                    vcon.insert("attachments".into(), Value::Array(vec![att]));
                }
            }
        }
    }
    Ok(())
}

/// Appends `name:value`, exactly like vcon-lib's `add_tag` (an existing tag
/// of that name is kept, and readers keep returning the first one).
pub fn add_tag(
    vcon: &mut Map<String, Value>,
    name: &str,
    value: &str,
    anchor: &TagsAnchor,
) -> Result<(), TagError> {
    check_name(name)?;
    let entry = format!("{name}:{value}");
    edit_entries(vcon, anchor, |entries| entries.push(entry))
}

/// Sets tag `name` to `value`: replaces the first entry of that name in
/// place and drops later ones, or appends. Both vcon-lib and this module
/// then read back `value`.
pub fn set_tag(
    vcon: &mut Map<String, Value>,
    name: &str,
    value: &str,
    anchor: &TagsAnchor,
) -> Result<(), TagError> {
    check_name(name)?;
    let entry = format!("{name}:{value}");
    edit_entries(vcon, anchor, |entries| set_entry(entries, name, entry))
}

/// Removes every entry of tag `name`; returns whether one was removed.
pub fn remove_tag(vcon: &mut Map<String, Value>, name: &str) -> Result<bool, TagError> {
    if find_tags_attachment(vcon)?.is_none() {
        return Ok(false);
    }
    let mut removed = false;
    edit_entries(vcon, &TagsAnchor::default(), |entries| {
        let before = entries.len();
        entries.retain(|e| !is_entry_of(e, name));
        removed = entries.len() != before;
    })?;
    Ok(removed)
}

/// Whether a raw entry belongs to tag `name`.
pub(crate) fn is_entry_of(entry: &str, name: &str) -> bool {
    entry
        .strip_prefix(name)
        .is_some_and(|rest| rest.starts_with(':'))
}

/// Replaces the first entry of `name` by `entry` and drops later ones, or appends.
pub(crate) fn set_entry(entries: &mut Vec<String>, name: &str, entry: String) {
    match entries.iter().position(|e| is_entry_of(e, name)) {
        Some(first) => {
            entries[first] = entry;
            let mut i = 0;
            entries.retain(|e| {
                let keep = i <= first || !is_entry_of(e, name);
                i += 1;
                keep
            });
        }
        None => entries.push(entry),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn reads_every_vcon_lib_shape() {
        let shapes = [
            // vcon-lib <= 0.6 (attachment `type`)
            json!({"type": "tags", "body": ["a:1", "b:x:y"], "encoding": "json"}),
            // vcon-lib 0.7 .. 0.9.2 and 0.10+
            json!({"purpose": "tags", "body": ["a:1", "b:x:y"], "encoding": "json"}),
            // pre-0.10 / vcon-server: body is a JSON string
            json!({"purpose": "tags", "body": "[\"a:1\",\"b:x:y\"]", "encoding": "json",
                   "mediatype": "application/json", "start": "2025-01-01T00:00:00Z",
                   "party": 0, "dialog": 0}),
            // vcon-server production data: string body, no encoding at all
            json!({"type": "tags", "body": "[\"a:1\", \"b:x:y\"]"}),
            // legacy encoding none with a list body
            json!({"type": "tags", "body": ["a:1", "b:x:y"], "encoding": "none"}),
        ];
        for shape in shapes {
            let v = obj(
                json!({"attachments": [{"purpose": "other", "body": "x", "encoding": "none"}, shape]}),
            );
            assert_eq!(get_tag(&v, "a").unwrap().as_deref(), Some("1"));
            assert_eq!(get_tag(&v, "b").unwrap().as_deref(), Some("x:y"));
            assert_eq!(get_tag(&v, "c").unwrap(), None);
            assert_eq!(tags(&v).unwrap().len(), 2);
        }
    }

    #[test]
    fn first_tags_attachment_and_first_entry_win() {
        let v = obj(json!({"attachments": [
            {"purpose": "tags", "body": ["k:first", "k:second", "plain", 7], "encoding": "json"},
            {"purpose": "tags", "body": ["k:other"], "encoding": "json"}
        ]}));
        assert_eq!(get_tag(&v, "k").unwrap().as_deref(), Some("first"));
        assert_eq!(tag_entries(&v).unwrap(), ["k:first", "k:second", "plain"]);
        // prefix of another name does not match
        assert_eq!(get_tag(&v, "").unwrap(), None);
    }

    #[test]
    fn no_attachments_means_no_tags() {
        assert!(tags(&Map::new()).unwrap().is_empty());
        assert!(tags(&obj(json!({"attachments": null}))).unwrap().is_empty());
    }

    #[test]
    fn malformed_input_is_reported_with_pointer() {
        let v = obj(json!({"attachments": {"purpose": "tags"}}));
        assert_eq!(
            get_tag(&v, "a").unwrap_err(),
            TagError::NotAnArray {
                pointer: "/attachments".into(),
                found: "an object"
            }
        );
        let v = obj(json!({"attachments": [3]}));
        assert!(
            matches!(get_tag(&v, "a"), Err(TagError::NotAnObject { pointer, .. }) if pointer == "/attachments/0")
        );
        let v = obj(json!({"attachments": [{"purpose": "tags", "body": {"a": "1"}}]}));
        let err = get_tag(&v, "a").unwrap_err();
        assert!(err.to_string().starts_with("/attachments/0/body:"), "{err}");
        let v =
            obj(json!({"attachments": [{"purpose": "tags", "body": "a:1", "encoding": "json"}]}));
        assert!(matches!(get_tag(&v, "a"), Err(TagError::BadBody { .. })));
    }

    #[test]
    fn writes_new_attachment_with_anchor() {
        let mut v =
            obj(json!({"created_at": "2025-01-01T00:00:00Z", "parties": [{}], "dialog": [{}]}));
        let anchor = TagsAnchor::for_vcon(&v);
        add_tag(&mut v, "category", "support", &anchor).unwrap();
        add_tag(&mut v, "priority", "high", &anchor).unwrap();
        assert_eq!(
            v["attachments"],
            json!([{"purpose": "tags", "start": "2025-01-01T00:00:00Z", "party": 0, "dialog": 0,
                    "mediatype": "application/json", "encoding": "json",
                    "body": ["category:support", "priority:high"]}])
        );
    }

    #[test]
    fn add_keeps_duplicates_like_vcon_lib_but_set_replaces() {
        let mut v = Map::new();
        let anchor = TagsAnchor::default();
        add_tag(&mut v, "k", "1", &anchor).unwrap();
        add_tag(&mut v, "k", "2", &anchor).unwrap();
        assert_eq!(get_tag(&v, "k").unwrap().as_deref(), Some("1"));
        add_tag(&mut v, "z", "0", &anchor).unwrap();
        set_tag(&mut v, "k", "3", &anchor).unwrap();
        assert_eq!(tag_entries(&v).unwrap(), ["k:3", "z:0"]);
    }

    #[test]
    fn existing_legacy_attachment_is_normalised_in_place() {
        let mut v = obj(json!({"attachments": [
            {"type": "tags", "body": "[\"a:1\"]", "encoding": "none", "party": 2}
        ]}));
        set_tag(&mut v, "b", "2", &TagsAnchor::default()).unwrap();
        assert_eq!(
            v["attachments"][0],
            json!({"type": "tags", "body": ["a:1", "b:2"], "encoding": "json", "party": 2, "purpose": "tags"})
        );
    }

    #[test]
    fn remove_tag_removes_all_entries_of_the_name() {
        let mut v = obj(
            json!({"attachments": [{"purpose": "tags", "body": ["a:1", "ab:2", "a:3"], "encoding": "json"}]}),
        );
        assert!(remove_tag(&mut v, "a").unwrap());
        assert!(!remove_tag(&mut v, "a").unwrap());
        assert_eq!(tag_entries(&v).unwrap(), ["ab:2"]);
        assert!(!remove_tag(&mut Map::new(), "a").unwrap());
    }

    #[test]
    fn bad_names_are_refused() {
        let mut v = Map::new();
        let a = TagsAnchor::default();
        assert_eq!(add_tag(&mut v, "", "x", &a), Err(TagError::EmptyName));
        assert!(matches!(
            set_tag(&mut v, "a:b", "x", &a),
            Err(TagError::NameContainsColon { .. })
        ));
        assert!(v.is_empty(), "nothing written on error");
    }

    #[test]
    fn values_may_be_empty_or_hold_colons() {
        let mut v = Map::new();
        set_tag(&mut v, "empty", "", &TagsAnchor::default()).unwrap();
        set_tag(&mut v, "t", "12:30:00", &TagsAnchor::default()).unwrap();
        assert_eq!(get_tag(&v, "empty").unwrap().as_deref(), Some(""));
        assert_eq!(get_tag(&v, "t").unwrap().as_deref(), Some("12:30:00"));
    }
}
