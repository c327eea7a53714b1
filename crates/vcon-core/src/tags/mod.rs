//! Tags, stored the way the reference Python library (vcon-dev/vcon-lib)
//! stores them, so that both sides read each other's.
//!
//! vcon-lib keeps all tags of a vCon in **one attachment** whose `purpose`
//! is `"tags"` (`type: "tags"` in older releases such as 0.3.x, when
//! attachments still had `type`), with `encoding: "json"` and a `body` that
//! is a JSON array of `"name:value"` strings. vcon-lib 0.9.2 writes exactly
//! (no `start`, `party`, `dialog` or `mediatype`):
//!
//! ```json
//! {"purpose": "tags", "body": ["category:support", "priority:high"], "encoding": "json"}
//! ```
//!
//! Other writers stored the body as a JSON *string* holding that array
//! (`"body": "[\"a:b\"]"`: vcon-server's copy of the library, vcon-lib
//! releases before 0.10 by its own tests, and production data without any
//! `encoding`), or used `encoding: "none"`; all of these are read. Lookups
//! follow vcon-lib: the first attachment whose `purpose` (or legacy `type`)
//! is `"tags"`, and in it the first entry starting with `name:`. The value
//! is everything after the first colon (vcon-lib up to 0.9.2 returns only
//! the text up to a second colon; vcon-server keeps it all, as we do).
//!
//! Writes produce the vcon-lib shape plus what core-03 requires of every
//! attachment (`start`, `party`, `dialog`, R-36), and `mediatype:
//! application/json`; vcon-lib ignores the extra members. Tag names must be
//! non-empty and contain no `:`, or no reader could split them back.
//!
//! The [`Tagged`] trait gives the same operations on a JSON object
//! (`serde_json::Map`) and on the typed [`crate::model::Vcon`]; the free
//! functions are shorthands for the JSON object.
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
//!
//! // The same on the typed model:
//! use vcon_core::{model::Vcon, tags::Tagged};
//! let mut typed = Vcon::from_object(map.clone()).unwrap();
//! typed.add_tag("team", "blue", &TagsAnchor::for_model(&typed)).unwrap();
//! assert_eq!(typed.get_tag("team").unwrap().as_deref(), Some("blue"));
//! ```

use std::borrow::Cow;

use serde_json::{Map, Value};

pub use view::entries_in;

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

/// Refuses names vcon-lib could not read back: empty, or containing `:`.
pub(crate) fn check_name(name: &str) -> Result<(), TagError> {
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
    view::is_tags_in(attachment)
}

/// Index of the first tags attachment, if any; errors if `attachments` is
/// present but not an array of objects (up to the match).
pub fn find_tags_attachment(vcon: &Map<String, Value>) -> Result<Option<usize>, TagError> {
    Ok(view::find_in(vcon)?.map(|(i, _)| i))
}

/// The raw entries of a tags attachment's body, in order. Accepts an array
/// (non-string items are skipped), a string holding a JSON array (the
/// pre-0.10 vcon-lib / vcon-server shape, with or without `encoding`), and a
/// missing or null body. `index` is used for error pointers.
pub fn body_entries(
    attachment: &Map<String, Value>,
    index: usize,
) -> Result<Vec<String>, TagError> {
    entries_of(attachment.get("body"), index)
}

/// [`body_entries`] on the `body` value itself.
pub(crate) fn entries_of(body: Option<&Value>, index: usize) -> Result<Vec<String>, TagError> {
    Ok(view::body_entries_in(body, index)?
        .into_iter()
        .map(Cow::into_owned)
        .collect())
}

/// Tag access on a vCon, implemented for the JSON object
/// (`serde_json::Map`) and for the typed [`crate::model::Vcon`]. Reading
/// accepts every shape described in the [module documentation](self);
/// writing produces the vcon-lib shape.
pub trait Tagged {
    /// Whether the vCon has a tags attachment.
    fn has_tags_attachment(&self) -> Result<bool, TagError>;

    /// The raw `name:value` entries of the first tags attachment (empty
    /// when there is none), exactly as stored.
    fn tag_entries(&self) -> Result<Vec<String>, TagError>;

    /// Rewrites the entries with `edit`, creating the tags attachment
    /// (anchored at `anchor`) if there is none and `edit` leaves entries.
    /// An existing attachment is normalised: array body, `encoding: "json"`,
    /// `purpose: "tags"` added if it only had the legacy `type`; its other
    /// members are kept.
    fn edit_tag_entries(
        &mut self,
        anchor: &TagsAnchor,
        edit: &mut dyn FnMut(&mut Vec<String>),
    ) -> Result<(), TagError>;

    /// All tags, in stored order (entries without a colon are left out).
    fn tags(&self) -> Result<Vec<Tag>, TagError> {
        Ok(self
            .tag_entries()?
            .iter()
            .filter_map(|e| Tag::parse(e))
            .collect())
    }

    /// The value of the first tag called `name`, as vcon-lib's `get_tag`.
    fn get_tag(&self, name: &str) -> Result<Option<String>, TagError> {
        Ok(self
            .tags()?
            .into_iter()
            .find(|t| t.name == name)
            .map(|t| t.value))
    }

    /// Appends `name:value`, exactly like vcon-lib's `add_tag` (an existing
    /// tag of that name is kept, and readers keep returning the first one).
    fn add_tag(&mut self, name: &str, value: &str, anchor: &TagsAnchor) -> Result<(), TagError> {
        check_name(name)?;
        let mut entry = Some(format!("{name}:{value}"));
        self.edit_tag_entries(anchor, &mut |entries| entries.extend(entry.take()))
    }

    /// Sets tag `name` to `value`: replaces the first entry of that name in
    /// place and drops later ones, or appends. Both vcon-lib and this module
    /// then read back `value`.
    fn set_tag(&mut self, name: &str, value: &str, anchor: &TagsAnchor) -> Result<(), TagError> {
        check_name(name)?;
        let entry = format!("{name}:{value}");
        self.edit_tag_entries(anchor, &mut |entries| {
            set_entry(entries, name, entry.clone());
        })
    }

    /// Removes every entry of tag `name`; returns whether one was removed.
    fn remove_tag(&mut self, name: &str) -> Result<bool, TagError> {
        if !self.has_tags_attachment()? {
            return Ok(false);
        }
        let mut removed = false;
        self.edit_tag_entries(&TagsAnchor::default(), &mut |entries| {
            let before = entries.len();
            entries.retain(|e| !is_entry_of(e, name));
            removed = entries.len() != before;
        })?;
        Ok(removed)
    }
}

impl Tagged for Map<String, Value> {
    fn has_tags_attachment(&self) -> Result<bool, TagError> {
        Ok(find_tags_attachment(self)?.is_some())
    }

    fn tag_entries(&self) -> Result<Vec<String>, TagError> {
        let Some(index) = find_tags_attachment(self)? else {
            return Ok(Vec::new());
        };
        match self.get("attachments").and_then(|a| a.get(index)) {
            Some(Value::Object(att)) => body_entries(att, index),
            _ => Ok(Vec::new()),
        }
    }

    fn edit_tag_entries(
        &mut self,
        anchor: &TagsAnchor,
        edit: &mut dyn FnMut(&mut Vec<String>),
    ) -> Result<(), TagError> {
        let found = find_tags_attachment(self)?;
        let mut entries = self.tag_entries()?;
        edit(&mut entries);
        let body = Value::Array(entries.iter().map(|e| Value::from(e.as_str())).collect());
        match found {
            Some(index) => {
                if let Some(Value::Object(att)) =
                    self.get_mut("attachments").and_then(|a| a.get_mut(index))
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
                match self.get_mut("attachments") {
                    Some(Value::Array(items)) => items.push(att),
                    _ => {
                        self.insert("attachments".into(), Value::Array(vec![att]));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The raw entries of a JSON vCon's tags attachment; see [`Tagged::tag_entries`].
pub fn tag_entries(vcon: &Map<String, Value>) -> Result<Vec<String>, TagError> {
    Tagged::tag_entries(vcon)
}

/// The tags of a JSON vCon; see [`Tagged::tags`].
pub fn tags(vcon: &Map<String, Value>) -> Result<Vec<Tag>, TagError> {
    Tagged::tags(vcon)
}

/// The value of tag `name` of a JSON vCon; see [`Tagged::get_tag`].
pub fn get_tag(vcon: &Map<String, Value>, name: &str) -> Result<Option<String>, TagError> {
    Tagged::get_tag(vcon, name)
}

/// Appends a tag to a JSON vCon; see [`Tagged::add_tag`].
pub fn add_tag(
    vcon: &mut Map<String, Value>,
    name: &str,
    value: &str,
    anchor: &TagsAnchor,
) -> Result<(), TagError> {
    Tagged::add_tag(vcon, name, value, anchor)
}

/// Sets a tag of a JSON vCon; see [`Tagged::set_tag`].
pub fn set_tag(
    vcon: &mut Map<String, Value>,
    name: &str,
    value: &str,
    anchor: &TagsAnchor,
) -> Result<(), TagError> {
    Tagged::set_tag(vcon, name, value, anchor)
}

/// Removes a tag of a JSON vCon; see [`Tagged::remove_tag`].
pub fn remove_tag(vcon: &mut Map<String, Value>, name: &str) -> Result<bool, TagError> {
    Tagged::remove_tag(vcon, name)
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
    /// Defaults taken from a JSON vCon: `start` = `created_at`, `party` = 0
    /// and `dialog` = 0 when those arrays are non-empty.
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

    /// The same defaults taken from a typed vCon.
    pub fn for_model(vcon: &crate::model::Vcon) -> Self {
        Self {
            start: vcon.created_at.as_ref().map(|d| d.as_str().to_owned()),
            party: (!vcon.parties().is_empty()).then_some(0),
            dialog: (!vcon.dialogs().is_empty()).then_some(0),
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

pub mod typed;
mod view;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests;
