//! [`BuildError`]: why a [`super::VconBuilder`] could not produce a vCon.

use crate::hash::HashError;
use crate::tags::TagError;
use crate::validate::Finding;

/// Why [`super::VconBuilder::build`] refused to produce a vCon. Every
/// variant names the JSON pointer of the offending member in the vCon that
/// would have been built, and the rule of the digest §12 it breaks.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// No uuid was given (neither explicitly nor from an id generator).
    #[error("/uuid: a vCon needs a uuid; call `.uuid(..)` or `.uuid_from(&IdGenerator)` (R-2)")]
    MissingUuid,
    /// A required member is missing.
    #[error("{pointer}: `{member}` is required ({rule})")]
    Missing {
        /// Pointer of the object lacking the member.
        pointer: String,
        /// The member's name.
        member: &'static str,
        /// Rule id of the digest §12.
        rule: &'static str,
    },
    /// A date is not an RFC 3339 date-time with `Z` or a numeric offset.
    #[error(
        "{pointer}: `{value}` is not an RFC 3339 date-time with a `Z` or numeric offset ({rule})"
    )]
    BadDate {
        /// Where the date is.
        pointer: String,
        /// The date as given.
        value: String,
        /// Rule id of the digest §12.
        rule: &'static str,
    },
    /// A party index does not name a party.
    #[error("{pointer}: party index {index} is out of range, the vCon has {count} parties (R-20)")]
    PartyIndex {
        /// Where the index is.
        pointer: String,
        /// The index.
        index: u64,
        /// How many parties there are.
        count: usize,
    },
    /// A dialog index does not name a dialog.
    #[error(
        "{pointer}: dialog index {index} is out of range, the vCon has {count} dialogs ({rule})"
    )]
    DialogIndex {
        /// Where the index is.
        pointer: String,
        /// The index.
        index: u64,
        /// How many dialogs there are.
        count: usize,
        /// Rule id of the digest §12.
        rule: &'static str,
    },
    /// An attachment index does not name an attachment.
    #[error(
        "{pointer}: attachment index {index} is out of range, the vCon has {count} attachments (R-35)"
    )]
    AttachmentIndex {
        /// Where the index is.
        pointer: String,
        /// The index.
        index: u64,
        /// How many attachments there are.
        count: usize,
    },
    /// An external URL is not an absolute `https:` URL.
    #[error("{pointer}: `{url}` is not an absolute https URL (R-31)")]
    NotHttps {
        /// Where the URL is.
        pointer: String,
        /// The URL as given.
        url: String,
    },
    /// A media type is not `type/subtype[; parameters]`.
    #[error("{pointer}: `{value}` is not a media type `type/subtype` (R-14)")]
    BadMediatype {
        /// Where the media type is.
        pointer: String,
        /// The media type as given.
        value: String,
    },
    /// A content hash given for external content is unusable.
    #[error("{pointer}: {source}")]
    Hash {
        /// Where the content hash is.
        pointer: String,
        /// What is wrong with it.
        source: HashError,
    },
    /// A tag could not be written.
    #[error("/attachments (tags): {0}")]
    Tag(#[from] TagError),
    /// Tags need a party and a dialog to anchor their attachment.
    #[error(
        "/attachments (tags): a tags attachment must name a party and a dialog (R-36); \
         the vCon has {parties} parties and {dialogs} dialogs"
    )]
    TagsUnanchored {
        /// How many parties there are.
        parties: usize,
        /// How many dialogs there are.
        dialogs: usize,
    },
    /// The assembled vCon fails strict validation. Only errors are listed.
    #[error("{}", describe_findings(.findings))]
    Invalid {
        /// The error findings of [`crate::validate::validate_object`].
        findings: Vec<Finding>,
    },
}

fn describe_findings(findings: &[Finding]) -> String {
    let mut text = format!(
        "the built vCon fails strict validation with {} error(s)",
        findings.len()
    );
    for f in findings.iter().take(5) {
        let at = if f.pointer.is_empty() {
            "(root)"
        } else {
            f.pointer.as_str()
        };
        text.push_str(&format!("; {at}: {} ({})", f.message, f.rule));
    }
    if findings.len() > 5 {
        text.push_str("; ...");
    }
    text
}

impl BuildError {
    /// The JSON pointer of the offending member, when there is one.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            Self::MissingUuid => Some("/uuid"),
            Self::Missing { pointer, .. }
            | Self::BadDate { pointer, .. }
            | Self::PartyIndex { pointer, .. }
            | Self::DialogIndex { pointer, .. }
            | Self::AttachmentIndex { pointer, .. }
            | Self::NotHttps { pointer, .. }
            | Self::BadMediatype { pointer, .. }
            | Self::Hash { pointer, .. } => Some(pointer),
            Self::Tag(_) | Self::TagsUnanchored { .. } => Some("/attachments"),
            Self::Invalid { findings } => findings.first().map(|f| f.pointer.as_str()),
        }
    }
}
