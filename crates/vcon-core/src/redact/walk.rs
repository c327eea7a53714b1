//! Masking every string of a JSON body (transcripts, summaries, any
//! analysis or attachment), with special care for timed lists:
//!
//! * a **word list** is an array of objects with numeric `start` and `end`
//!   and a one-token text (`punctuated_word`, `word` or `text`), such as
//!   deepgram's `words[]` or wtf_transcription's `words[]`. Its words are
//!   scanned joined by spaces, so a number spoken as several words
//!   (`555` `123` `4567`) is found; every word touching a match is masked
//!   in all its text fields, and its time span is kept for silencing audio;
//! * a **segment list** is the same with longer texts (sentences, segments);
//!   each text is masked on its own and the span of a masked segment is kept.
//!
//! Object keys and numbers are not scanned.
//!
//! ```
//! use serde_json::json;
//! use vcon_core::redact::{PiiRules, RedactionReport, Scanner};
//! use vcon_core::redact::walk::mask_json;
//! let scanner = Scanner::new(&PiiRules::default(), &[]).unwrap();
//! let mut body = json!({"words": [
//!     {"word": "call", "start": 0.0, "end": 0.4},
//!     {"word": "555", "start": 0.5, "end": 0.9},
//!     {"word": "123", "start": 1.0, "end": 1.4},
//!     {"word": "4567", "start": 1.5, "end": 2.0},
//! ]});
//! let mut report = RedactionReport::default();
//! let spans = mask_json(&mut body, "/analysis/0/body", &scanner, &mut report);
//! assert_eq!(body["words"][1]["word"], "[PHONE]");
//! assert_eq!(body["words"][0]["word"], "call");
//! assert_eq!(spans.audio(), vec![(0.5, 0.9), (1.0, 1.4), (1.5, 2.0)]);
//! assert_eq!(report.counts["phone"], 1);
//! ```

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::pii::{PiiKind, Scanner};
use super::report::{Action, RedactionReport};
use crate::validate::pointer_join;

/// Text members of a timed entry, in the order used to scan a word list.
const TEXT_FIELDS: [&str; 3] = ["punctuated_word", "word", "text"];

/// Time spans (seconds) of masked entries, found while masking a body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Spans {
    /// Spans of masked words.
    pub words: Vec<(f64, f64)>,
    /// Spans of masked segments (sentences, utterances).
    pub segments: Vec<(f64, f64)>,
    /// Whether the body has at least one word list.
    pub has_word_list: bool,
}

impl Spans {
    /// The spans to silence: the words' when the body has word timings,
    /// otherwise the segments'.
    pub fn audio(&self) -> Vec<(f64, f64)> {
        if self.has_word_list {
            self.words.clone()
        } else {
            self.segments.clone()
        }
    }
}

struct Walker<'a> {
    scanner: &'a Scanner,
    report: &'a mut RedactionReport,
    spans: Spans,
}

/// Masks every string of `body` in place, recording each masked string at
/// its pointer below `pointer`; returns the time spans of masked entries.
pub fn mask_json(
    body: &mut Value,
    pointer: &str,
    scanner: &Scanner,
    report: &mut RedactionReport,
) -> Spans {
    let mut w = Walker {
        scanner,
        report,
        spans: Spans::default(),
    };
    w.walk(body, pointer);
    w.spans
}

/// Records masked kinds at a pointer, one item per kind.
pub(crate) fn record_kinds(
    report: &mut RedactionReport,
    scanner: &Scanner,
    pointer: &str,
    kinds: &[PiiKind],
) {
    let mut by: BTreeMap<PiiKind, usize> = BTreeMap::new();
    for k in kinds {
        *by.entry(*k).or_default() += 1;
    }
    for (k, n) in by {
        report.record(pointer, Action::Masked, scanner.label(k), n);
    }
}

fn timing(o: &Map<String, Value>) -> Option<(f64, f64)> {
    Some((o.get("start")?.as_f64()?, o.get("end")?.as_f64()?))
}

fn primary_text(o: &Map<String, Value>) -> Option<&str> {
    TEXT_FIELDS
        .iter()
        .find_map(|f| o.get(*f).and_then(Value::as_str))
}

/// `Some(true)` for a word list, `Some(false)` for a segment list, `None` otherwise.
fn timed_kind(items: &[Value]) -> Option<bool> {
    if items.is_empty() {
        return None;
    }
    let mut words = true;
    for item in items {
        let o = item.as_object()?;
        timing(o)?;
        let text = primary_text(o)?;
        if text.trim().contains(char::is_whitespace) {
            words = false;
        }
    }
    Some(words)
}

impl Walker<'_> {
    /// Masks `v`; returns whether anything changed.
    fn walk(&mut self, v: &mut Value, ptr: &str) -> bool {
        match v {
            Value::String(s) => match self.scanner.mask(s) {
                Some((masked, kinds)) => {
                    record_kinds(self.report, self.scanner, ptr, &kinds);
                    *s = masked;
                    true
                }
                None => false,
            },
            Value::Array(items) => match timed_kind(items) {
                Some(true) => self.word_list(items, ptr),
                Some(false) => {
                    let mut any = false;
                    for (i, item) in items.iter_mut().enumerate() {
                        if self.walk(item, &pointer_join(ptr, i)) {
                            any = true;
                            if let Some(t) = item.as_object().and_then(timing) {
                                self.spans.segments.push(t);
                            }
                        }
                    }
                    any
                }
                None => {
                    let mut any = false;
                    for (i, item) in items.iter_mut().enumerate() {
                        any |= self.walk(item, &pointer_join(ptr, i));
                    }
                    any
                }
            },
            Value::Object(map) => {
                let mut any = false;
                for (k, item) in map.iter_mut() {
                    any |= self.walk(item, &pointer_join(ptr, k));
                }
                any
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => false,
        }
    }

    fn word_list(&mut self, items: &mut [Value], ptr: &str) -> bool {
        self.spans.has_word_list = true;
        let mut joined = String::new();
        let mut ranges = Vec::with_capacity(items.len());
        for item in items.iter() {
            let text = item.as_object().and_then(primary_text).unwrap_or_default();
            if !joined.is_empty() {
                joined.push(' ');
            }
            let start = joined.len();
            joined.push_str(text);
            ranges.push((start, joined.len()));
        }
        let found = self.scanner.find(&joined);
        if found.is_empty() {
            // Other members of the words (speaker labels...) are still scanned.
            let mut any = false;
            for (i, item) in items.iter_mut().enumerate() {
                any |= self.walk_other_members(item, &pointer_join(ptr, i));
            }
            return any;
        }
        // The match (kind) each word touches, if any.
        let mut hit: Vec<Option<PiiKind>> = vec![None; items.len()];
        for m in &found {
            let mut first = None;
            for (i, &(s, e)) in ranges.iter().enumerate() {
                if s < m.end && m.start < e.max(s + 1) {
                    hit[i].get_or_insert(m.kind);
                    first.get_or_insert(i);
                }
            }
            if let Some(i) = first {
                let at = pointer_join(ptr, i);
                self.report
                    .record(at, Action::Masked, self.scanner.label(m.kind), 1);
            }
        }
        for (i, item) in items.iter_mut().enumerate() {
            let at = pointer_join(ptr, i);
            let Some(kind) = hit[i] else {
                self.walk_other_members(item, &at);
                continue;
            };
            let Some(o) = item.as_object_mut() else {
                continue;
            };
            for f in TEXT_FIELDS {
                if let Some(Value::String(s)) = o.get_mut(f) {
                    *s = match self.scanner.mask(s) {
                        Some((masked, _)) => masked,
                        None => self.scanner.mask_of(kind).to_owned(),
                    };
                }
            }
            if let Some(t) = timing(o) {
                self.spans.words.push(t);
            }
            self.walk_other_members(item, &at);
        }
        true
    }

    /// Walks the members of a timed entry other than its text fields.
    fn walk_other_members(&mut self, item: &mut Value, ptr: &str) -> bool {
        let Some(o) = item.as_object_mut() else {
            return false;
        };
        let mut any = false;
        for (k, v) in o.iter_mut() {
            if !TEXT_FIELDS.contains(&k.as_str()) {
                any |= self.walk(v, &pointer_join(ptr, k));
            }
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::{PartyIds, PiiRules};
    use serde_json::json;

    #[test]
    fn wtf_words_and_segments() {
        let alice = PartyIds {
            name: Some("Alice".into()),
            ..Default::default()
        };
        let scanner = Scanner::new(&PiiRules::default(), &[alice]).unwrap();
        let mut body = json!({
            "transcript": {"text": "Hi Alice, call 202-555-0101"},
            "segments": [{"id": 0, "start": 0.5, "end": 4.0, "text": "Hi Alice, call 202-555-0101", "words": [0, 1]}],
            "words": [
                {"id": 0, "start": 0.5, "end": 0.8, "text": "Hi"},
                {"id": 1, "start": 0.9, "end": 1.2, "text": "Alice,"},
                {"id": 2, "start": 1.3, "end": 1.5, "text": "call"},
                {"id": 3, "start": 1.6, "end": 3.9, "text": "202-555-0101"}
            ]
        });
        let mut report = RedactionReport::default();
        let spans = mask_json(&mut body, "", &scanner, &mut report);
        assert_eq!(body["transcript"]["text"], "Hi [NAME], call [PHONE]");
        assert_eq!(body["segments"][0]["text"], "Hi [NAME], call [PHONE]");
        assert_eq!(body["words"][1]["text"], "[NAME],");
        assert_eq!(body["words"][3]["text"], "[PHONE]");
        assert_eq!(spans.segments, vec![(0.5, 4.0)]);
        assert_eq!(spans.audio(), vec![(0.9, 1.2), (1.6, 3.9)]);
        assert_eq!(report.counts["party_name"], 3);
        assert_eq!(report.counts["phone"], 3);
        assert!(report.items.iter().any(|i| i.pointer == "/words/3"));
    }

    #[test]
    fn plain_arrays_and_numbers_are_left() {
        let scanner = Scanner::new(&PiiRules::default(), &[]).unwrap();
        let mut body =
            json!([{"start": "2022-06-21T17:53:27Z", "text": "mail a@b.example"}, 2025550101_u64]);
        let mut report = RedactionReport::default();
        let spans = mask_json(&mut body, "/x", &scanner, &mut report);
        assert_eq!(body[0]["text"], "mail [EMAIL]");
        assert_eq!(body[1], 2025550101_u64);
        assert!(spans.audio().is_empty());
        assert_eq!(report.items[0].pointer, "/x/0/text");
    }
}
