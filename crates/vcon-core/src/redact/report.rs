//! [`RedactionReport`]: what a redaction removed, masked and silenced,
//! counted by kind, with the JSON pointer of every change. It never holds
//! the removed values themselves, so it can be logged and shown freely.
//!
//! ```
//! use vcon_core::redact::{Action, RedactionReport};
//! let mut r = RedactionReport::default();
//! r.record("/parties/0/tel", Action::Removed, "party_member:tel", 1);
//! r.record("/dialog/0/body", Action::Masked, "phone", 2);
//! assert_eq!(r.counts["phone"], 2);
//! assert_eq!(r.total(Action::Masked), 2);
//! assert_eq!(r.items[0].pointer, "/parties/0/tel");
//! ```

use std::collections::BTreeMap;

use serde::Serialize;

/// What was done at a pointer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// A value or array element was removed (elements leave a `{}` placeholder).
    Removed,
    /// Parts of a string were replaced by masks.
    Masked,
    /// A value was replaced as a whole by a fixed text.
    Replaced,
    /// Samples of a recording were set to silence.
    Silenced,
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Removed => "removed",
            Self::Masked => "masked",
            Self::Replaced => "replaced",
            Self::Silenced => "silenced",
        })
    }
}

/// One change: where, what was done, what kind of data, how many times.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportItem {
    /// JSON pointer of the changed value in the output (same as in the input).
    pub pointer: String,
    /// What was done.
    pub action: Action,
    /// Kind of data: `phone`, `email`, `card`, `ssn`, `iban`, `ip`, `dob`,
    /// `party_tel`, `party_email`, `party_name`, `custom:NAME`, `party`,
    /// `party_member:NAME`, `media`, `analysis`, `attachment`, `reference`,
    /// `audio` (for [`Action::Silenced`], `count` is the number of spans).
    pub kind: String,
    /// How many occurrences at this pointer.
    pub count: usize,
}

/// Something the redaction could not look into or chose to leave, at a pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportNote {
    /// JSON pointer of the value concerned.
    pub pointer: String,
    /// What was left and why (never the value itself).
    pub message: String,
}

/// What a redaction did. See the [module documentation](self).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RedactionReport {
    /// uuid of the original vCon.
    pub original_uuid: Option<String>,
    /// uuid of the redacted vCon.
    pub redacted_uuid: String,
    /// `content_hash` (sha512) of the original's exact bytes.
    pub original_content_hash: String,
    /// Number of occurrences per kind (sum of the items' counts).
    pub counts: BTreeMap<String, usize>,
    /// Every change, in document order of the steps that made them.
    pub items: Vec<ReportItem>,
    /// What was not scanned or not changed, and why.
    pub notes: Vec<ReportNote>,
    /// Seconds of audio silenced, per dialog pointer.
    pub silenced_seconds: BTreeMap<String, f64>,
}

impl RedactionReport {
    /// Records `count` occurrences of `kind` handled by `action` at `pointer`.
    pub fn record(
        &mut self,
        pointer: impl Into<String>,
        action: Action,
        kind: impl Into<String>,
        count: usize,
    ) {
        if count == 0 {
            return;
        }
        let kind = kind.into();
        *self.counts.entry(kind.clone()).or_default() += count;
        self.items.push(ReportItem {
            pointer: pointer.into(),
            action,
            kind,
            count,
        });
    }

    /// Adds a note.
    pub fn note(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.notes.push(ReportNote {
            pointer: pointer.into(),
            message: message.into(),
        });
    }

    /// Total occurrences handled by `action`.
    pub fn total(&self, action: Action) -> usize {
        self.items
            .iter()
            .filter(|i| i.action == action)
            .map(|i| i.count)
            .sum()
    }

    /// Whether nothing was changed at all.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}
