//! The value-by-value comparison behind [`super::check_lineage`]: what was
//! removed, masked, added or changed, by JSON pointer. A string counts as
//! masked when it is the original with non-empty spans replaced by masks.
//!
//! ```
//! use vcon_core::lineage::{check_lineage, DiffKind, LineageOptions};
//! let original = br#"{"uuid":"u1","parties":[{"name":"Ann"}],"subject":"call 202-555-0101"}"#;
//! let derived = br#"{"uuid":"u2","redacted":{"uuid":"u1","type":"PII"},
//!   "parties":[{"name":"Ann"}],"subject":"call ***"}"#;
//! let plain = check_lineage(derived, original, &LineageOptions::default()).unwrap();
//! assert_eq!(plain.differences[0].kind, DiffKind::Changed);
//! let with_mask = LineageOptions { masks: vec!["***".into()], ..Default::default() };
//! let masked = check_lineage(derived, original, &with_mask).unwrap();
//! assert_eq!(masked.differences[0].kind, DiffKind::Masked);
//! assert!(masked.holds);
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use regex::Regex;
use serde_json::{Map, Value};

use super::{DiffKind, Difference, Relation};
use crate::hash::ContentHashes;
use crate::redact::wav::Wav;
use crate::validate::pointer_join;

/// Top-level members that name the version itself; never compared.
const VERSION_MEMBERS: [&str; 5] = ["uuid", "updated_at", "redacted", "amended", "appended"];

/// Recognises mask tokens in derived strings.
pub(super) struct Masks {
    re: Option<Regex>,
}

impl Masks {
    /// The bracketed forms plus the given mask texts.
    pub(super) fn new(extra: &[String]) -> Self {
        let mut alts: Vec<String> = extra
            .iter()
            .filter(|m| !m.is_empty())
            .map(|m| regex::escape(m))
            .collect();
        alts.sort_by_key(|a| std::cmp::Reverse(a.len()));
        alts.extend([
            r"\[[A-Z][A-Z0-9_:\-]*\]".to_owned(),
            r"\{\{[A-Z][A-Z0-9_]*\}\}".to_owned(),
            r"<[A-Z][A-Z0-9_]*>".to_owned(),
        ]);
        Self {
            re: Regex::new(&alts.join("|")).ok(),
        }
    }

    /// If `derived` is `original` with non-empty spans replaced by masks,
    /// the number of masks.
    fn masked(&self, original: &str, derived: &str) -> Option<usize> {
        let re = self.re.as_ref()?;
        let masks: Vec<(usize, usize)> = re
            .find_iter(derived)
            .map(|m| (m.start(), m.end()))
            .collect();
        if masks.is_empty() {
            return None;
        }
        // Literal pieces between the masks: p0 M p1 M ... pn.
        let mut pieces = Vec::with_capacity(masks.len() + 1);
        let mut at = 0;
        for &(s, e) in &masks {
            pieces.push(&derived[at..s]);
            at = e;
        }
        pieces.push(&derived[at..]);
        let (first, rest) = pieces.split_first()?;
        let (last, middle) = rest.split_last()?;
        let mut pos = original.strip_prefix(first).map(|_| first.len())?;
        for piece in middle {
            // Each mask replaced at least one character.
            pos = next_char(original, pos)?;
            let found = original[pos..].find(piece)?;
            pos += found + piece.len();
        }
        let min_end = next_char(original, pos)?;
        let ok = original.len() >= min_end + last.len() && original.ends_with(last);
        ok.then_some(masks.len())
    }
}

fn next_char(s: &str, i: usize) -> Option<usize> {
    s.get(i..)?.chars().next().map(|c| i + c.len_utf8())
}

struct Cmp<'a> {
    rel: Relation,
    masks: &'a Masks,
    out: Vec<Difference>,
}

impl Cmp<'_> {
    fn diff(&mut self, pointer: String, kind: DiffKind, detail: impl Into<String>) {
        self.out.push(Difference {
            pointer,
            kind,
            detail: detail.into(),
        });
    }

    fn value(&mut self, o: &Value, d: &Value, ptr: &str) {
        if o == d {
            return;
        }
        match (o, d) {
            (Value::Object(om), Value::Object(dm)) => self.object(om, dm, ptr, &[]),
            (Value::Array(oa), Value::Array(da)) => self.array(oa, da, ptr),
            (Value::String(os), Value::String(ds)) => match (self.rel, self.masks.masked(os, ds)) {
                (Relation::Redacted, Some(n)) => {
                    self.diff(
                        ptr.to_owned(),
                        DiffKind::Masked,
                        format!("string partly masked ({n} mask(s))"),
                    );
                }
                _ => self.diff(ptr.to_owned(), DiffKind::Changed, "string changed"),
            },
            _ => self.diff(
                ptr.to_owned(),
                DiffKind::Changed,
                format!(
                    "{} changed to {}",
                    crate::read::json_type(o),
                    crate::read::json_type(d)
                ),
            ),
        }
    }

    /// Compares two objects member by member, ignoring the members in `skip`.
    fn object(&mut self, o: &Map<String, Value>, d: &Map<String, Value>, ptr: &str, skip: &[&str]) {
        if d.is_empty() && self.rel == Relation::Redacted {
            self.diff(
                ptr.to_owned(),
                DiffKind::Removed,
                "replaced by an empty {} placeholder",
            );
            return;
        }
        let audio = self.rel == Relation::Redacted && self.silenced_audio(o, d, ptr);
        for (k, ov) in o {
            if skip.contains(&k.as_str()) || (audio && (k == "body" || k == "content_hash")) {
                continue;
            }
            let at = pointer_join(ptr, k);
            match d.get(k) {
                Some(dv) => self.value(ov, dv, &at),
                None => self.diff(at, DiffKind::Removed, format!("member `{k}` removed")),
            }
        }
        for k in d
            .keys()
            .filter(|k| !o.contains_key(*k) && !skip.contains(&k.as_str()))
        {
            self.diff(
                pointer_join(ptr, k),
                DiffKind::Added,
                format!("member `{k}` added"),
            );
        }
    }

    fn array(&mut self, o: &[Value], d: &[Value], ptr: &str) {
        for (i, (ov, dv)) in o.iter().zip(d).enumerate() {
            self.value(ov, dv, &pointer_join(ptr, i));
        }
        if d.len() > o.len() {
            for i in o.len()..d.len() {
                self.diff(pointer_join(ptr, i), DiffKind::Added, "element appended");
            }
        } else if o.len() > d.len() {
            let kind = match self.rel {
                // Redaction keeps every index: a shorter array shifts nothing but hides removals.
                Relation::Redacted => DiffKind::Changed,
                Relation::Amended => DiffKind::Removed,
            };
            for i in d.len()..o.len() {
                self.diff(
                    pointer_join(ptr, i),
                    kind,
                    "element missing (no placeholder)",
                );
            }
        }
    }

    /// An inline WAV whose only change is samples set to silence, with its
    /// `content_hash` (if any) matching the new bytes: one Masked difference.
    fn silenced_audio(
        &mut self,
        o: &Map<String, Value>,
        d: &Map<String, Value>,
        ptr: &str,
    ) -> bool {
        let b64 = |m: &Map<String, Value>| -> Option<Vec<u8>> {
            if m.get("encoding")?.as_str()? != "base64url" {
                return None;
            }
            URL_SAFE_NO_PAD
                .decode(m.get("body")?.as_str()?.trim_end_matches('='))
                .ok()
        };
        if o.get("body") == d.get("body") {
            return false;
        }
        let (Some(ob), Some(db)) = (b64(o), b64(d)) else {
            return false;
        };
        let (Ok(ow), Ok(dw)) = (Wav::parse(&ob), Wav::parse(&db)) else {
            return false;
        };
        if ow != dw
            || ob.len() != db.len()
            || ob[..ow.data.start] != db[..dw.data.start]
            || ob[ow.data.end..] != db[dw.data.end..]
        {
            return false;
        }
        let mut silenced = 0;
        for f in 0..ow.frames() {
            let (s, e) = (
                ow.data.start + f * usize::from(ow.block_align),
                ow.data.start + (f + 1) * usize::from(ow.block_align),
            );
            if ob[s..e] != db[s..e] {
                if !dw.is_silent(&db, f) {
                    return false;
                }
                silenced += 1;
            }
        }
        let hash_ok = match (o.get("content_hash"), d.get("content_hash")) {
            (None, None) => true,
            (Some(oh), Some(dh)) if oh == dh => false,
            (Some(_), Some(dh)) => ContentHashes::from_value(dh)
                .and_then(|h| h.verify(&db))
                .is_ok(),
            _ => false,
        };
        if !hash_ok {
            return false;
        }
        self.diff(
            pointer_join(ptr, "body"),
            DiffKind::Masked,
            format!("audio: {silenced} frame(s) set to silence, nothing else changed"),
        );
        if d.contains_key("content_hash") {
            self.diff(
                pointer_join(ptr, "content_hash"),
                DiffKind::Masked,
                "recomputed for the silenced recording (verified)",
            );
        }
        true
    }
}

/// Compares two top-level vCon objects, skipping the version members.
pub(super) fn top_level(
    o: &Map<String, Value>,
    d: &Map<String, Value>,
    rel: Relation,
    masks: &Masks,
) -> Vec<Difference> {
    let mut c = Cmp {
        rel,
        masks,
        out: Vec::new(),
    };
    c.object(o, d, "", &VERSION_MEMBERS);
    c.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_strings() {
        let m = Masks::new(&["***".to_owned()]);
        assert_eq!(
            m.masked("call 202-555-0101 now", "call [PHONE] now"),
            Some(1)
        );
        assert_eq!(m.masked("Alice", "[NAME]"), Some(1));
        assert_eq!(
            m.masked("Hi Alice at a@b.c", "Hi [NAME] at [EMAIL]"),
            Some(2)
        );
        assert_eq!(m.masked("My number is 12", "My number is {{BAN}}"), Some(1));
        assert_eq!(m.masked("pin 1234", "pin ***"), Some(1));
        // The mask must stand for at least one character, pieces must be in order.
        assert_eq!(m.masked("call  now", "call [PHONE] now"), None);
        assert_eq!(m.masked("call 202 now", "call [PHONE] later"), None);
        assert_eq!(m.masked("a b", "b [X] a"), None);
        assert_eq!(m.masked("same", "same"), None);
        assert_eq!(m.masked("x", "[lower]"), None);
    }

    #[test]
    fn redaction_and_amendment_rules() {
        let o = serde_json::json!({"uuid": "a", "parties": [{"name": "A"}, {"name": "B"}], "subject": "s"});
        let d = serde_json::json!({"uuid": "b", "parties": [{"name": "[NAME]"}, {}], "extra": 1});
        let diffs = top_level(
            o.as_object().unwrap(),
            d.as_object().unwrap(),
            Relation::Redacted,
            &Masks::new(&[]),
        );
        let got: Vec<(&str, DiffKind)> =
            diffs.iter().map(|x| (x.pointer.as_str(), x.kind)).collect();
        assert_eq!(
            got,
            [
                ("/parties/0/name", DiffKind::Masked),
                ("/parties/1", DiffKind::Removed),
                ("/subject", DiffKind::Removed),
                ("/extra", DiffKind::Added)
            ]
        );
        let d = serde_json::json!({"parties": [{"name": "A"}, {"name": "B"}, {"name": "C"}], "subject": "t"});
        let diffs = top_level(
            o.as_object().unwrap(),
            d.as_object().unwrap(),
            Relation::Amended,
            &Masks::new(&[]),
        );
        let got: Vec<(&str, DiffKind)> =
            diffs.iter().map(|x| (x.pointer.as_str(), x.kind)).collect();
        assert_eq!(
            got,
            [
                ("/parties/2", DiffKind::Added),
                ("/subject", DiffKind::Changed)
            ]
        );
    }
}
