//! [`Attachment`] (core-03 §Attachment Object).

use serde_json::Value;

use super::json::json_object;
use super::values::{ContentHashValue, Date, Encoding};

json_object! {
    /// A document exchanged during or about the conversation (core-03 §Attachment Object).
    pub struct Attachment {
        /// Legacy placeholder replaced by `purpose` in core-02; still the
        /// marker of a lawful_basis attachment (`"lawful_basis"`).
        r#type: String = "type",
        /// What the attachment is for (core-02+).
        purpose: String = "purpose",
        /// When it was exchanged.
        start: Date = "start",
        /// Index of the party that distributed it.
        party: u64 = "party",
        /// Index of the related dialog.
        dialog: u64 = "dialog",
        /// Media type of the content.
        mediatype: String = "mediatype",
        /// Original file name.
        filename: String = "filename",
        /// Inline content, encoded as `encoding` says.
        body: Value = "body",
        /// How `body` is encoded.
        encoding: Encoding = "encoding",
        /// HTTPS URL of external content.
        url: String = "url",
        /// Hash of the external content.
        content_hash: ContentHashValue = "content_hash",
    }
}
