//! [`Tagged`] for the typed model ([`Vcon`]): the same shapes as the JSON
//! implementation, read from and written to [`Attachment`] values.

use serde_json::Value;

use super::{TAGS_MEDIATYPE, TAGS_PURPOSE, TagError, Tagged, TagsAnchor, entries_of};
use crate::model::{Attachment, Date, Encoding, Vcon};

/// Whether a typed attachment is a tags attachment (`purpose` or legacy
/// `type` equal to `"tags"`).
pub fn is_tags_attachment(attachment: &Attachment) -> bool {
    attachment.purpose.as_deref() == Some(TAGS_PURPOSE)
        || attachment.r#type.as_deref() == Some(TAGS_PURPOSE)
}

fn find(vcon: &Vcon) -> Option<usize> {
    vcon.attachments().iter().position(is_tags_attachment)
}

fn body_of(entries: &[String]) -> Value {
    Value::Array(entries.iter().map(|e| Value::from(e.as_str())).collect())
}

/// A new typed tags attachment in the shape [`super::new_tags_attachment`] writes.
pub fn new_tags_attachment(entries: &[String], anchor: &TagsAnchor) -> Attachment {
    Attachment {
        purpose: Some(TAGS_PURPOSE.to_owned()),
        start: anchor.start.as_deref().map(Date::verbatim),
        party: anchor.party,
        dialog: anchor.dialog,
        mediatype: Some(TAGS_MEDIATYPE.to_owned()),
        encoding: Some(Encoding::Json),
        body: Some(body_of(entries)),
        ..Default::default()
    }
}

impl Tagged for Vcon {
    fn has_tags_attachment(&self) -> Result<bool, TagError> {
        Ok(find(self).is_some())
    }

    fn tag_entries(&self) -> Result<Vec<String>, TagError> {
        let found = find(self).and_then(|i| Some((i, self.attachments().get(i)?)));
        match found {
            Some((index, att)) => entries_of(att.body.as_ref(), index),
            None => Ok(Vec::new()),
        }
    }

    fn edit_tag_entries(
        &mut self,
        anchor: &TagsAnchor,
        edit: &mut dyn FnMut(&mut Vec<String>),
    ) -> Result<(), TagError> {
        let found = find(self);
        let mut entries = self.tag_entries()?;
        edit(&mut entries);
        match found {
            Some(index) => {
                if let Some(att) = self.attachments_mut().get_mut(index) {
                    if att.purpose.as_deref() != Some(TAGS_PURPOSE) {
                        att.purpose = Some(TAGS_PURPOSE.to_owned());
                        att.extra.shift_remove("purpose");
                    }
                    // Drop `null` leftovers the model keeps in `extra`.
                    att.extra.shift_remove("encoding");
                    att.extra.shift_remove("body");
                    att.encoding = Some(Encoding::Json);
                    att.body = Some(body_of(&entries));
                }
            }
            None if entries.is_empty() => {}
            None => {
                self.push_attachment(new_tags_attachment(&entries, anchor));
            }
        }
        Ok(())
    }
}
