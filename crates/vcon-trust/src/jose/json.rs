//! JSON output of the envelopes, byte for byte what `serde_json` writes
//! (`to_vec` / `to_vec_pretty`), but copying strings that need no escaping
//! as they are. The envelopes are mostly base64 (payload, signatures,
//! `x5c` certificates, ciphertext), which `serde_json` scans byte by byte
//! for characters to escape; here a string is checked 32 bytes at a time.

use serde_json::{Map, Value};

/// Compact (`serde_json::to_vec`) or pretty (`to_vec_pretty`, two spaces).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Compact,
    Pretty,
}

/// `object` as JSON text in `style`.
pub(crate) fn to_vec(object: &Map<String, Value>, style: Style) -> Vec<u8> {
    let mut out = Vec::with_capacity(size_hint(object));
    Writer {
        out: &mut out,
        style,
    }
    .object(object.iter(), object.is_empty(), 0);
    out
}

/// `object` as compact JSON with member `name` set to `value`: replaced in
/// place when present, else inserted after member `after` (or last when
/// `after` is absent). The same text as serialising the modified map,
/// without copying the map.
pub(crate) fn to_vec_with(
    object: &Map<String, Value>,
    name: &str,
    value: &Value,
    after: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(size_hint(object) + 64);
    let present = object.contains_key(name);
    let placed = present || object.contains_key(after);
    let mut members: Vec<(&str, &Value)> = Vec::with_capacity(object.len() + 1);
    for (k, v) in object {
        if k == name {
            members.push((name, value));
            continue;
        }
        members.push((k, v));
        if !present && k == after {
            members.push((name, value));
        }
    }
    if !placed {
        members.push((name, value));
    }
    let mut w = Writer {
        out: &mut out,
        style: Style::Compact,
    };
    w.object(members.into_iter(), false, 0);
    out
}

/// A member written by [`object_pretty`]: a JSON value, or bytes written
/// as a base64url string straight into the output (no intermediate
/// `String`, no escape scan: the alphabet needs no escaping).
pub(crate) enum Member<'a> {
    /// A JSON value.
    Json(&'a Value),
    /// Bytes, written as an unpadded base64url string.
    Base64(&'a [u8]),
}

/// The members as a pretty JSON object (`serde_json::to_vec_pretty` of the
/// object that has the same members, base64url strings for
/// [`Member::Base64`]; tested). Names must be distinct.
pub(crate) fn object_pretty(members: &[(&str, Member<'_>)]) -> Vec<u8> {
    let hint: usize = members
        .iter()
        .map(|(k, m)| {
            k.len()
                + 8
                + match m {
                    Member::Json(v) => value_size(v),
                    Member::Base64(b) => b.len().div_ceil(3) * 4 + 2,
                }
        })
        .sum();
    let mut out = Vec::with_capacity(hint + 16);
    if members.is_empty() {
        out.extend_from_slice(b"{}");
        return out;
    }
    let mut w = Writer {
        out: &mut out,
        style: Style::Pretty,
    };
    w.out.push(b'{');
    for (i, (k, m)) in members.iter().enumerate() {
        if i > 0 {
            w.out.push(b',');
        }
        w.newline(1);
        w.string(k);
        w.out.extend_from_slice(b": ");
        match m {
            Member::Json(v) => w.value(v, 1),
            Member::Base64(bytes) => {
                w.out.push(b'"');
                base64_simd::URL_SAFE_NO_PAD.encode_append(bytes, w.out);
                w.out.push(b'"');
            }
        }
    }
    w.newline(0);
    w.out.push(b'}');
    out
}

/// A first guess of the output size: the strings dominate.
fn size_hint(object: &Map<String, Value>) -> usize {
    object
        .iter()
        .map(|(k, v)| k.len() + value_size(v) + 8)
        .sum()
}

/// A first guess of the size of one value.
fn value_size(v: &Value) -> usize {
    match v {
        Value::String(s) => s.len() + 8,
        Value::Array(a) => a.iter().map(value_size).sum::<usize>() + 8,
        Value::Object(o) => size_hint(o),
        _ => 16,
    }
}

struct Writer<'o> {
    out: &'o mut Vec<u8>,
    style: Style,
}

impl Writer<'_> {
    fn newline(&mut self, depth: usize) {
        if self.style == Style::Pretty {
            self.out.push(b'\n');
            self.out.resize(self.out.len() + 2 * depth, b' ');
        }
    }

    fn object<'a>(
        &mut self,
        members: impl Iterator<Item = (impl AsRef<str>, &'a Value)>,
        empty: bool,
        depth: usize,
    ) {
        if empty {
            self.out.extend_from_slice(b"{}");
            return;
        }
        self.out.push(b'{');
        for (i, (k, v)) in members.enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.newline(depth + 1);
            self.string(k.as_ref());
            self.out.extend_from_slice(match self.style {
                Style::Compact => b":".as_slice(),
                Style::Pretty => b": ".as_slice(),
            });
            self.value(v, depth + 1);
        }
        self.newline(depth);
        self.out.push(b'}');
    }

    fn value(&mut self, v: &Value, depth: usize) {
        match v {
            Value::Null => self.out.extend_from_slice(b"null"),
            Value::Bool(true) => self.out.extend_from_slice(b"true"),
            Value::Bool(false) => self.out.extend_from_slice(b"false"),
            Value::Number(n) => {
                let _ = serde_json::to_writer(&mut *self.out, n);
            }
            Value::String(s) => self.string(s),
            Value::Array(items) if items.is_empty() => self.out.extend_from_slice(b"[]"),
            Value::Array(items) => {
                self.out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(b',');
                    }
                    self.newline(depth + 1);
                    self.value(item, depth + 1);
                }
                self.newline(depth);
                self.out.push(b']');
            }
            Value::Object(o) => self.object(o.iter(), o.is_empty(), depth),
        }
    }

    fn string(&mut self, s: &str) {
        if needs_escape(s.as_bytes()) {
            // serde_json's escaping; writing to a Vec cannot fail.
            let _ = serde_json::to_writer(&mut *self.out, s);
        } else {
            self.out.reserve(s.len() + 2);
            self.out.push(b'"');
            self.out.extend_from_slice(s.as_bytes());
            self.out.push(b'"');
        }
    }
}

/// Whether JSON needs an escape for any byte: a control character, `"`
/// or `\` (serde_json writes everything else, UTF-8 included, as is).
fn needs_escape(bytes: &[u8]) -> bool {
    let bad = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    let mut chunks = bytes.chunks_exact(32);
    for chunk in &mut chunks {
        // Branch-free over the chunk, so that it vectorises.
        if chunk.iter().fold(false, |acc, &b| acc | bad(b)) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| bad(b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sample() -> Map<String, Value> {
        let long = "AbC+/=".repeat(40);
        json!({
            "payload": long,
            "empty_o": {}, "empty_a": [],
            "n": [0, -1, 1.5, 1e300, 12345678901234567890_u64, -0.0],
            "b": [true, false, null],
            "esc": "quote \" back \\ nl \n tab \t ctl \u{1} del \u{7f} ünï ☃ 𝄞",
            "k\"ey": {"nested": [{"a": "b"}, [], {}, [[1]]]},
            "created_at": "2026-06-29T23:11:19Z",
            "tail": "x".repeat(33) + "\"",
        })
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn same_bytes_as_serde_json() {
        let o = sample();
        assert_eq!(
            to_vec(&o, Style::Pretty),
            serde_json::to_vec_pretty(&o).unwrap()
        );
        assert_eq!(to_vec(&o, Style::Compact), serde_json::to_vec(&o).unwrap());
        let empty = Map::new();
        assert_eq!(to_vec(&empty, Style::Pretty), b"{}");
    }

    #[test]
    fn with_member_matches_the_modified_map() {
        let o = sample();
        let v = Value::String("2026-07-01T00:00:00.000Z".into());
        for (name, after) in [
            ("updated_at", "created_at"),
            ("updated_at", "absent"),
            ("payload", "created_at"),
            ("tail", "nowhere"),
        ] {
            let mut want = Map::new();
            let present = o.contains_key(name);
            let anchored = present || o.contains_key(after);
            for (k, val) in &o {
                if k == name {
                    want.insert(k.clone(), v.clone());
                    continue;
                }
                want.insert(k.clone(), val.clone());
                if !present && k == after {
                    want.insert(name.into(), v.clone());
                }
            }
            if !anchored {
                want.insert(name.into(), v.clone());
            }
            assert_eq!(
                to_vec_with(&o, name, &v, after),
                serde_json::to_vec(&want).unwrap(),
                "{name} after {after}"
            );
        }
    }

    /// `object_pretty` writes what `to_vec_pretty` writes for the same
    /// members with the bytes as base64url strings.
    #[test]
    fn object_pretty_matches_the_map() {
        let o = sample();
        for cut in [0, 1, 3, 4, 7, 64, 100, 3_700] {
            let bytes: Vec<u8> = (0..cut).map(|i| (i * 37 % 256) as u8).collect();
            let mut want = Map::new();
            want.insert("first".into(), Value::String(crate::jose::b64(&bytes)));
            for (k, v) in &o {
                want.insert(k.clone(), v.clone());
            }
            want.insert(
                "last".into(),
                Value::String(crate::jose::b64(&bytes[..cut / 2])),
            );
            let mut members = vec![("first", Member::Base64(&bytes))];
            members.extend(o.iter().map(|(k, v)| (k.as_str(), Member::Json(v))));
            members.push(("last", Member::Base64(&bytes[..cut / 2])));
            assert_eq!(
                String::from_utf8(object_pretty(&members)).unwrap(),
                String::from_utf8(serde_json::to_vec_pretty(&want).unwrap()).unwrap(),
                "{cut}"
            );
        }
        assert_eq!(object_pretty(&[]), b"{}");
    }

    /// Any JSON value: strings from the whole of Unicode (control
    /// characters, quotes, backslashes, astral planes), numbers of every
    /// kind, nesting.
    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[ -~\\\"\\n\\t\\u{1}-\\u{1f}]{0,40}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn any_object_writes_as_serde_json_does(
            members in proptest::collection::vec((any_key(), any_value()), 0..8),
            name in any_key(),
            after in any_key(),
            value in any_value(),
        ) {
            let o: Map<String, Value> = members.into_iter().collect();
            proptest::prop_assert_eq!(to_vec(&o, Style::Compact), serde_json::to_vec(&o).unwrap());
            proptest::prop_assert_eq!(
                to_vec(&o, Style::Pretty),
                serde_json::to_vec_pretty(&o).unwrap()
            );
            let mut want = Map::new();
            let present = o.contains_key(&name);
            let anchored = present || o.contains_key(&after);
            for (k, val) in &o {
                if *k == name {
                    want.insert(k.clone(), value.clone());
                    continue;
                }
                want.insert(k.clone(), val.clone());
                if !present && *k == after {
                    want.insert(name.clone(), value.clone());
                }
            }
            if !anchored {
                want.insert(name.clone(), value.clone());
            }
            proptest::prop_assert_eq!(
                to_vec_with(&o, &name, &value, &after),
                serde_json::to_vec(&want).unwrap()
            );
        }
    }

    /// Member names, often colliding so that replace and insert-after both run.
    fn any_key() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof!["[a-c]{1,2}", Just("updated_at".to_owned()), any::<String>(),]
    }
}
