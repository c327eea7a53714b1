//! [`Analysis`] (core-03 §Analysis Object).

use serde_json::Value;

use super::indices::IndexOrList;
use super::json::json_object;
use super::values::{ContentHashValue, Encoding};

json_object! {
    /// A derived result: transcript, summary, sentiment, translation, ...
    /// (core-03 §Analysis Object).
    pub struct Analysis {
        /// Kind of analysis, such as `transcript` or `wtf_transcription`.
        r#type: String = "type",
        /// Index(es) of the dialogs it was derived from.
        dialog: IndexOrList = "dialog",
        /// Index(es) of the attachments it was derived from (core-03).
        attachment: IndexOrList = "attachment",
        /// Media type of the content.
        mediatype: String = "mediatype",
        /// Original file name.
        filename: String = "filename",
        /// Who produced it.
        vendor: String = "vendor",
        /// Which product produced it.
        product: String = "product",
        /// Label of the data format of the body.
        schema: String = "schema",
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

impl Analysis {
    /// The dialog indices it was derived from (empty when absent).
    pub fn dialog_indices(&self) -> Vec<u64> {
        self.dialog
            .as_ref()
            .map(IndexOrList::to_vec)
            .unwrap_or_default()
    }

    /// The attachment indices it was derived from (empty when absent).
    pub fn attachment_indices(&self) -> Vec<u64> {
        self.attachment
            .as_ref()
            .map(IndexOrList::to_vec)
            .unwrap_or_default()
    }
}
