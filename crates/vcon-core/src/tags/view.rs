//! Reading tags from any JSON tree ([`crate::tree::Json`]): the reader
//! vCon (`serde_json::Map`) and the borrowed [`crate::tree::Obj`] alike,
//! with entries borrowed from the tree where they can be. The one
//! implementation behind [`super::find_tags_attachment`] and
//! [`super::body_entries`].

use std::borrow::Cow;

use serde_json::Value;

use super::{TAGS_PURPOSE, TagError};
use crate::tree::{Json, JsonObj, View};

/// The raw `name:value` entries of the first tags attachment of `vcon`, in
/// order (empty when there is none), exactly as [`super::tag_entries`]
/// reads them, but from any tree and without copying entries of an array
/// body.
///
/// ```
/// use vcon_core::tree::parse;
/// let text = br#"{"attachments":[{"purpose":"tags","body":["a:1","b:x:y"],"encoding":"json"}]}"#;
/// let root = parse(text, 64).unwrap();
/// let entries = vcon_core::tags::entries_in(&root).unwrap();
/// assert_eq!(entries, ["a:1", "b:x:y"]);
/// ```
pub fn entries_in<O: JsonObj>(vcon: &O) -> Result<Vec<Cow<'_, str>>, TagError> {
    match find_in(vcon)? {
        Some((index, attachment)) => body_entries_in(attachment.get("body"), index),
        None => Ok(Vec::new()),
    }
}

/// The first tags attachment of `vcon` and its index; errors if
/// `attachments` is present but not an array of objects (up to the match).
pub(super) fn find_in<O: JsonObj>(vcon: &O) -> Result<Option<(usize, &O)>, TagError> {
    let items = match vcon.get("attachments").map(Json::view) {
        None | Some(View::Null) => return Ok(None),
        Some(View::Array(items)) => items,
        Some(other) => {
            return Err(TagError::NotAnArray {
                pointer: "/attachments".to_owned(),
                found: other.type_name(),
            });
        }
    };
    for (i, item) in items.iter().enumerate() {
        match item.view() {
            View::Object(a) if is_tags_in(a) => return Ok(Some((i, a))),
            View::Object(_) => {}
            other => {
                return Err(TagError::NotAnObject {
                    pointer: format!("/attachments/{i}"),
                    found: other.type_name(),
                });
            }
        }
    }
    Ok(None)
}

/// Whether an attachment object is a tags attachment (`purpose` or legacy
/// `type` equal to `"tags"`).
pub(super) fn is_tags_in<O: JsonObj>(attachment: &O) -> bool {
    let is = |key: &str| attachment.get(key).and_then(Json::as_str) == Some(TAGS_PURPOSE);
    is("purpose") || is("type")
}

/// The entries of a tags body: an array (non-string items skipped), a
/// string holding a JSON array, or nothing. `index` is for error pointers.
pub(super) fn body_entries_in<J: Json>(
    body: Option<&J>,
    index: usize,
) -> Result<Vec<Cow<'_, str>>, TagError> {
    let pointer = || format!("/attachments/{index}/body");
    match body.map(Json::view) {
        None | Some(View::Null) => Ok(Vec::new()),
        Some(View::Array(items)) => Ok(items
            .iter()
            .filter_map(Json::as_str)
            .map(Cow::Borrowed)
            .collect()),
        Some(View::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(items)) => Ok(items
                .into_iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(Cow::Owned(s)),
                    _ => None,
                })
                .collect()),
            _ => Err(TagError::BadBody {
                pointer: pointer(),
                found: "a string that is not a JSON array".to_owned(),
            }),
        },
        Some(other) => Err(TagError::BadBody {
            pointer: pointer(),
            found: other.type_name().to_owned(),
        }),
    }
}
