//! Order-preserving edits of JSON objects used by the migration passes.
//!
//! `serde_json::Map` keeps insertion order (feature `preserve_order`), but
//! `Map::remove` swaps the last member into the hole and `insert` appends.
//! These helpers rename, insert and remove members without disturbing the
//! order of the others.

use serde_json::{Map, Value};

use super::PRESERVED_MEMBER;

/// Appends a member name or array index to a JSON pointer (RFC 6901 escaping).
pub(super) fn join(base: &str, token: impl std::fmt::Display) -> String {
    let token = token.to_string();
    format!("{base}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// Renames member `old` to `new`, keeping its position. A member already
/// called `new` is replaced by the renamed one.
pub(super) fn rename_in_place(map: &mut Map<String, Value>, old: &str, new: &str) {
    if !map.contains_key(old) {
        return;
    }
    let members = std::mem::take(map);
    for (key, value) in members {
        if key == old {
            map.insert(new.to_owned(), value);
        } else if key != new {
            map.insert(key, value);
        }
    }
}

/// Inserts `key` right after member `after` (or at the end when `after` is
/// absent). An existing `key` is moved to the new position.
pub(super) fn insert_after(map: &mut Map<String, Value>, after: &str, key: &str, value: Value) {
    if !map.contains_key(after) {
        map.shift_remove(key);
        map.insert(key.to_owned(), value);
        return;
    }
    let members = std::mem::take(map);
    let mut value = Some(value);
    for (k, v) in members {
        if k == key {
            continue;
        }
        let is_anchor = k == after;
        map.insert(k, v);
        if is_anchor && let Some(value) = value.take() {
            map.insert(key.to_owned(), value);
        }
    }
}

/// Whether a value is an empty leftover: `null`, `{}` or `[]`.
pub(super) fn is_empty_leftover(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Stores `value` under `key` in the preservation member of `map`
/// ([`PRESERVED_MEMBER`], created at the end of `map` when absent) and returns
/// the pointer of the stored value relative to `map`, such as
/// `/legacy_preserved/session_id`.
///
/// Never overwrites: if the preservation member is not an object, the first
/// free `legacy_preserved_<n>` is used; if `key` is taken, `key (<n>)` is.
pub(super) fn stash(map: &mut Map<String, Value>, key: &str, value: Value) -> String {
    let mut member = PRESERVED_MEMBER.to_owned();
    let mut n = 2usize;
    while map.get(&member).is_some_and(|v| !v.is_object()) {
        member = format!("{PRESERVED_MEMBER}_{n}");
        n += 1;
    }
    let slot = map
        .entry(member.clone())
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(slot) = slot else {
        // Unreachable: the loop above picked an absent or object member.
        return String::new();
    };
    let mut name = key.to_owned();
    let mut n = 2usize;
    while slot.contains_key(&name) {
        name = format!("{key} ({n})");
        n += 1;
    }
    slot.insert(name.clone(), value);
    join(&join("", &member), &name)
}

/// The JSON type of a value, for change descriptions.
pub(super) fn type_name(value: &Value) -> &'static str {
    crate::read::json_type(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    fn keys(m: &Map<String, Value>) -> Vec<&str> {
        m.keys().map(String::as_str).collect()
    }

    #[test]
    fn rename_keeps_position() {
        let mut m = obj(json!({"a": 1, "old": 2, "c": 3}));
        rename_in_place(&mut m, "old", "new");
        assert_eq!(keys(&m), ["a", "new", "c"]);
        assert_eq!(m["new"], 2);
        rename_in_place(&mut m, "absent", "x");
        assert_eq!(keys(&m), ["a", "new", "c"]);
    }

    #[test]
    fn insert_after_anchor_or_at_end() {
        let mut m = obj(json!({"a": 1, "b": 2, "c": 3}));
        insert_after(&mut m, "a", "x", json!(9));
        assert_eq!(keys(&m), ["a", "x", "b", "c"]);
        insert_after(&mut m, "zzz", "y", json!(8));
        assert_eq!(keys(&m), ["a", "x", "b", "c", "y"]);
    }

    #[test]
    fn stash_never_overwrites() {
        let mut m = obj(json!({"a": 1}));
        assert_eq!(stash(&mut m, "k", json!(1)), "/legacy_preserved/k");
        assert_eq!(stash(&mut m, "k", json!(2)), "/legacy_preserved/k (2)");
        assert_eq!(m["legacy_preserved"], json!({"k": 1, "k (2)": 2}));
        let mut m = obj(json!({"legacy_preserved": "taken"}));
        assert_eq!(stash(&mut m, "a/b", json!(1)), "/legacy_preserved_2/a~1b");
        assert_eq!(m["legacy_preserved"], "taken");
    }

    #[test]
    fn leftovers() {
        assert!(is_empty_leftover(&json!(null)));
        assert!(is_empty_leftover(&json!({})));
        assert!(is_empty_leftover(&json!([])));
        assert!(!is_empty_leftover(&json!([0])));
        assert!(!is_empty_leftover(&json!("")));
    }
}
