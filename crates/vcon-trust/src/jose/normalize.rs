//! The header normaliser: the union of a JOSE object's header parts.
//!
//! RFC 7515 §7.2.1 and RFC 7516 §7.2.1 require the protected, shared
//! unprotected and per-signature/per-recipient headers to be disjoint. The
//! draft's own A.6 and A.7 examples repeat `alg`, `x5c` and `enc` in several
//! of them. A member repeated with the *same* value is harmless (only the
//! protected header is signed or used as AAD, and it already holds the
//! value), so it is dropped with a warning; a member repeated with a
//! *different* value is ambiguous and refused.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// One header part: where it sits and its members.
pub(crate) struct Part<'a> {
    /// JSON pointer of the part, such as `/signatures/0/header`.
    pub pointer: String,
    /// The members: owned ones move into the union, borrowed ones (a header
    /// shared by several recipients) are copied.
    pub members: Cow<'a, Map<String, Value>>,
}

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

/// Builds the union of `parts`, earlier parts first (protected first).
pub(crate) fn union<const N: usize>(parts: [Part<'_>; N]) -> Result<Union, Conflict> {
    const { assert!(N <= u8::MAX as usize) };
    let mut u = Union {
        parts: Vec::with_capacity(N),
        ..Union::default()
    };
    for (index, part) in parts.into_iter().enumerate() {
        // At most N (≤ 255, checked above) parts.
        let index = u8::try_from(index).unwrap_or(u8::MAX);
        u.parts.push(part.pointer);
        match part.members {
            Cow::Borrowed(members) => {
                for (name, value) in members {
                    u.add(index, Cow::Borrowed(name), Cow::Borrowed(value))?;
                }
            }
            Cow::Owned(members) => {
                for (name, value) in members {
                    u.add(index, Cow::Owned(name), Cow::Owned(value))?;
                }
            }
        }
    }
    Ok(u)
}

impl Union {
    /// Adds member `name` of part `part` (the last one pushed).
    fn add(&mut self, part: u8, name: Cow<'_, str>, value: Cow<'_, Value>) -> Result<(), Conflict> {
        let Some(first) = self.members.get(&*name) else {
            self.members.insert(name.into_owned(), value.into_owned());
            self.origin.push(part);
            return Ok(());
        };
        let pointer = self.parts.get(usize::from(part)).map_or("", String::as_str);
        let name = &*name;
        let repeat = vcon_core::validate::pointer_join(pointer, name);
        let first_pointer = vcon_core::validate::pointer_join(self.origin_of(name), name);
        if *first != *value {
            return Err(Conflict {
                pointer: repeat,
                first: first_pointer,
            });
        }
        self.repeats.push((repeat, first_pointer));
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
        let u = union([
            Part {
                pointer: "/signatures/0/protected".into(),
                members: Cow::Borrowed(&p),
            },
            Part {
                pointer: "/signatures/0/header".into(),
                members: Cow::Owned(h.clone()),
            },
        ])
        .unwrap();
        assert_eq!(u.members.len(), 3);
        assert_eq!(u.origin_of("uuid"), "/signatures/0/header");
        assert_eq!(u.origin_of("alg"), "/signatures/0/protected");
        assert_eq!(u.repeats.len(), 2);
        assert_eq!(
            u.repeats[0],
            (
                "/signatures/0/header/x5c".into(),
                "/signatures/0/protected/x5c".into()
            )
        );
    }

    #[test]
    fn different_repeats_are_refused() {
        let p = obj(json!({"alg": "RS256"}));
        let h = obj(json!({"alg": "none"}));
        let c = union([
            Part {
                pointer: "/p".into(),
                members: Cow::Borrowed(&p),
            },
            Part {
                pointer: "/h".into(),
                members: Cow::Owned(h.clone()),
            },
        ])
        .unwrap_err();
        assert_eq!((c.pointer.as_str(), c.first.as_str()), ("/h/alg", "/p/alg"));
    }
}
