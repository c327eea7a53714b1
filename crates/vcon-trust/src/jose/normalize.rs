//! The header normaliser: the union of a JOSE object's header parts.
//!
//! RFC 7515 §7.2.1 and RFC 7516 §7.2.1 require the protected, shared
//! unprotected and per-signature/per-recipient headers to be disjoint. The
//! draft's own A.6 and A.7 examples repeat `alg`, `x5c` and `enc` in several
//! of them. A member repeated with the *same* value is harmless (only the
//! protected header is signed or used as AAD, and it already holds the
//! value), so it is dropped with a warning; a member repeated with a
//! *different* value is ambiguous and refused.

use serde_json::{Map, Value};
use vcon_core::tree::JsonObj;

use super::{owned, same_json};

/// The union of header parts.
#[derive(Debug, Default)]
pub(crate) struct Union {
    /// Every member once, with the part it was first found in.
    pub members: Map<String, Value>,
    /// The pointers of the parts, in order.
    parts: Vec<String>,
    /// For each member of `members` (same order), the index in `parts` of
    /// the part it came from: members are only ever appended, so positions
    /// line up, and no name or pointer is copied per member.
    origin: Vec<u8>,
    /// Members repeated with an equal value: `(pointer of the repeat, first pointer)`.
    pub repeats: Vec<(String, String)>,
}

impl Union {
    /// The member's value.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.members.get(name)
    }

    /// The pointer of the part a member came from (empty if absent).
    pub fn origin_of(&self, name: &str) -> &str {
        // A handful of members: a scan of the names is as quick as a hash.
        // Positions are insertion order (serde_json's `preserve_order`,
        // which the workspace enables; the tests below would catch a sorted map).
        self.members
            .keys()
            .position(|k| k == name)
            .and_then(|i| self.origin.get(i))
            .and_then(|&part| self.parts.get(usize::from(part)))
            .map_or("", String::as_str)
    }
}

/// A member present in two parts with different values.
#[derive(Debug)]
pub(crate) struct Conflict {
    /// Pointer of the second occurrence.
    pub pointer: String,
    /// Pointer of the first occurrence.
    pub first: String,
}

impl Union {
    /// A union whose first part (the protected header, at `pointer`) is
    /// `members`, taken as they are (a parsed object: names unique).
    pub fn new(pointer: String, members: Map<String, Value>) -> Self {
        Self {
            origin: vec![0; members.len()],
            members,
            parts: vec![pointer],
            repeats: Vec::new(),
        }
    }

    /// Adds the part at `pointer`, an object of either JSON tree (read in
    /// place: only the members not already present are copied), after the
    /// parts already added.
    pub fn add<O: JsonObj>(&mut self, pointer: String, part: &O) -> Result<(), Conflict> {
        // A JOSE object has at most three header parts; 255 would do.
        let index = u8::try_from(self.parts.len()).unwrap_or(u8::MAX);
        self.parts.push(pointer);
        for (name, value) in part.members() {
            let Some(first) = self.members.get(name) else {
                self.members.insert(name.to_owned(), owned(value));
                self.origin.push(index);
                continue;
            };
            let pointer = self.parts.last().map_or("", String::as_str);
            let repeat = vcon_core::validate::pointer_join(pointer, name);
            let first_pointer = vcon_core::validate::pointer_join(self.origin_of(name), name);
            if !same_json(first, value) {
                return Err(Conflict {
                    pointer: repeat,
                    first: first_pointer,
                });
            }
            self.repeats.push((repeat, first_pointer));
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn equal_repeats_are_dropped_and_reported() {
        let p = obj(json!({"alg": "RS256", "x5c": ["a"]}));
        let h = obj(json!({"x5c": ["a"], "alg": "RS256", "uuid": "u"}));
        let mut u = Union::new("/signatures/0/protected".into(), p);
        u.add("/signatures/0/header".into(), &h).unwrap();
        assert_eq!(u.members.len(), 3);
        assert_eq!(u.origin_of("uuid"), "/signatures/0/header");
        assert_eq!(u.origin_of("alg"), "/signatures/0/protected");
        assert_eq!(u.origin_of("other"), "");
        assert_eq!(u.repeats.len(), 2);
        assert_eq!(
            u.repeats[0],
            (
                "/signatures/0/header/x5c".into(),
                "/signatures/0/protected/x5c".into()
            )
        );
        // A third part, read from the borrowed tree, repeats the second's member.
        let text = br#"{"uuid":"u","kid":"k"}"#;
        let tree = vcon_core::tree::parse(text, 8).unwrap();
        u.add("/recipients/0/header".into(), &tree).unwrap();
        assert_eq!(u.origin_of("kid"), "/recipients/0/header");
        assert_eq!(
            u.repeats[2],
            (
                "/recipients/0/header/uuid".into(),
                "/signatures/0/header/uuid".into()
            )
        );
    }

    #[test]
    fn different_repeats_are_refused() {
        let p = obj(json!({"alg": "RS256"}));
        let h = obj(json!({"alg": "none"}));
        let c = Union::new("/p".into(), p).add("/h".into(), &h).unwrap_err();
        assert_eq!((c.pointer.as_str(), c.first.as_str()), ("/h/alg", "/p/alg"));
    }
}
