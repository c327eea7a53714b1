//! [`Redacted`] and [`Amended`]: references to the prior version of a vCon
//! (core-03 §Redacted Object, §Amended Object).

use super::json::json_object;
use super::values::ContentHashValue;

json_object! {
    /// Reference to the less-redacted prior version (core-03 §Redacted Object).
    pub struct Redacted {
        /// uuid of the prior version; absent when it is unavailable.
        uuid: String = "uuid",
        /// Kind of redaction, such as `PII Redaction`.
        r#type: String = "type",
        /// HTTPS URL of the prior version.
        url: String = "url",
        /// Hash of the document at `url` (required with `url`).
        content_hash: ContentHashValue = "content_hash",
    }
}

json_object! {
    /// Reference to the prior version this vCon amends (core-03 §Amended Object).
    pub struct Amended {
        /// uuid of the prior version.
        uuid: String = "uuid",
        /// HTTPS URL of the prior version.
        url: String = "url",
        /// Hash of the document at `url` (required with `url`).
        content_hash: ContentHashValue = "content_hash",
    }
}
