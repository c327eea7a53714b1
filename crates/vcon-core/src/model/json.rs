//! JSON plumbing shared by the typed model: lazily rendered JSON pointers,
//! the [`JsonValue`] conversion trait, member-order bookkeeping and the two
//! macros that generate the object structs and the open string enums.
//!
//! Every object type keeps the members it has no field for in `extra` and
//! records the order members arrived in, so that `from_json` followed by
//! `to_json` (or `Serialize`) gives back the same members in the same order.

use std::collections::HashSet;

use serde_json::{Map, Number, Value};

use super::error::ModelError;

/// Where a value sits in the document. Rendered as a JSON pointer only when
/// an error needs it, so successful conversions allocate nothing for paths.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    /// The value being converted, at the given base pointer (`""` for the root).
    Root(&'a str),
    /// A member of the object at the parent path.
    Key(&'a Path<'a>, &'a str),
    /// An element of the array at the parent path.
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    /// The path of member `key` of this object.
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    /// The path of element `index` of this array.
    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    /// The JSON pointer (RFC 6901) of this path.
    pub(crate) fn pointer(&self) -> String {
        match self {
            Path::Root(base) => (*base).to_owned(),
            Path::Key(parent, key) => {
                let mut s = parent.pointer();
                push_token(&mut s, key);
                s
            }
            Path::Index(parent, index) => format!("{}/{index}", parent.pointer()),
        }
    }

    /// A [`ModelError::WrongType`] at this path.
    pub(crate) fn wrong_type(&self, expected: &'static str, found: &Value) -> ModelError {
        ModelError::WrongType {
            pointer: self.pointer(),
            expected,
            found: describe(found),
        }
    }
}

/// Appends one escaped reference token to a JSON pointer.
pub(crate) fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

/// Describes a JSON value for an error message: its type, or the number itself.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Number(n) => format!("the number {n}"),
        other => crate::read::json_type(other).to_owned(),
    }
}

/// Conversion between a JSON value and a typed model value.
pub(crate) trait JsonValue: Sized {
    /// Converts `value`, found at `at`; a wrongly typed value is an error naming `at`.
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError>;
    /// The JSON form of this value.
    fn to_json(&self) -> Value;
}

impl JsonValue for String {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(at.wrong_type("a string", &other)),
        }
    }
    fn to_json(&self) -> Value {
        Value::String(self.clone())
    }
}

impl JsonValue for u64 {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value.as_u64() {
            Some(n) => Ok(n),
            None => Err(at.wrong_type("a non-negative integer", &value)),
        }
    }
    fn to_json(&self) -> Value {
        Value::from(*self)
    }
}

impl JsonValue for bool {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::Bool(b) => Ok(b),
            other => Err(at.wrong_type("a boolean", &other)),
        }
    }
    fn to_json(&self) -> Value {
        Value::Bool(*self)
    }
}

impl JsonValue for Number {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::Number(n) => Ok(n),
            other => Err(at.wrong_type("a number", &other)),
        }
    }
    fn to_json(&self) -> Value {
        Value::Number(self.clone())
    }
}

impl JsonValue for Value {
    fn from_json(value: Value, _at: &Path<'_>) -> Result<Self, ModelError> {
        Ok(value)
    }
    fn to_json(&self) -> Value {
        self.clone()
    }
}

impl JsonValue for Map<String, Value> {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::Object(m) => Ok(m),
            other => Err(at.wrong_type("an object", &other)),
        }
    }
    fn to_json(&self) -> Value {
        Value::Object(self.clone())
    }
}

impl<T: JsonValue> JsonValue for Vec<T> {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| T::from_json(v, &at.index(i)))
                .collect(),
            other => Err(at.wrong_type("an array", &other)),
        }
    }
    fn to_json(&self) -> Value {
        Value::Array(self.iter().map(JsonValue::to_json).collect())
    }
}

/// Converts a number that must not be negative (core-03 UnsignedInt |
/// UnsignedFloat), keeping its textual form (`30` stays `30`, `30.0` stays `30.0`).
pub(crate) fn non_negative_number(value: Value, at: &Path<'_>) -> Result<Number, ModelError> {
    match value {
        Value::Number(n) if n.as_u64().is_some() || n.as_f64().is_some_and(|f| f >= 0.0) => Ok(n),
        other => Err(at.wrong_type("a non-negative number", &other)),
    }
}

/// The order in which an object's members were read. Opaque; two values
/// always compare equal, so that equality of model values ignores member
/// order exactly as equality of [`serde_json::Map`] does.
#[derive(Debug, Clone, Default)]
pub struct MemberOrder(Vec<Box<str>>);

impl MemberOrder {
    /// Records `keys` as the input order.
    pub(crate) fn from_keys(keys: Vec<Box<str>>) -> Self {
        Self(keys)
    }

    /// Forgets the recorded order: members are then written in declaration
    /// order, followed by `extra` in its own order.
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

impl PartialEq for MemberOrder {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

/// One member to write, as decided by [`plan`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Slot<'a> {
    /// A typed field, by JSON name.
    Field(&'static str),
    /// A member of `extra`.
    Extra(&'a str, &'a Value),
}

/// Decides the order of an object's members on output: first the recorded
/// input order (a typed field that is set wins over an `extra` entry of the
/// same name), then typed fields set since, in declaration order, then the
/// remaining `extra` members.
pub(crate) fn plan<'a>(
    names: &'static [&'static str],
    present: &[bool],
    extra: &'a Map<String, Value>,
    order: &'a MemberOrder,
) -> Vec<Slot<'a>> {
    let known = |key: &str| names.iter().position(|n| *n == key);
    let is_set = |i: usize| present.get(i).copied().unwrap_or(false);
    let mut field_done = vec![false; names.len()];
    let mut extra_done: HashSet<&str> = HashSet::new();
    let mut out = Vec::with_capacity(names.len() + extra.len());
    let mut push_field = |i: usize, out: &mut Vec<Slot<'a>>| {
        if let (Some(done), Some(name)) = (field_done.get_mut(i), names.get(i))
            && !*done
        {
            *done = true;
            out.push(Slot::Field(name));
        }
    };
    for key in &order.0 {
        match known(key) {
            Some(i) if is_set(i) => push_field(i, &mut out),
            _ => {
                if let Some((k, v)) = extra.get_key_value(&**key)
                    && extra_done.insert(k.as_str())
                {
                    out.push(Slot::Extra(k, v));
                }
            }
        }
    }
    for i in 0..names.len() {
        if is_set(i) {
            push_field(i, &mut out);
        }
    }
    for (k, v) in extra {
        let shadowed = known(k).is_some_and(is_set);
        if !shadowed && !extra_done.contains(k.as_str()) {
            out.push(Slot::Extra(k, v));
        }
    }
    out
}

/// Picks the converter of a member: the type's own [`JsonValue::from_json`]
/// unless the declaration names another function.
macro_rules! member_conv {
    ($ty:ty;) => {
        <$ty as $crate::model::json::JsonValue>::from_json
    };
    ($ty:ty; $conv:path) => {
        $conv
    };
}
pub(crate) use member_conv;

/// Generates a JSON object struct: one `pub Option<T>` field per known member,
/// `extra` for every other member (and for known members whose value is
/// `null`), and the hidden recorded member order; plus its conversions,
/// `Serialize` and `Deserialize`. `where check` names a function run on the
/// raw object before conversion.
macro_rules! json_object {
    (
        $(#[$meta:meta])*
        pub struct $name:ident $(where $check:path)? {
            $(
                $(#[$fmeta:meta])*
                $field:ident : $ty:ty = $json:literal $(via $conv:path)?
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: Option<$ty>, )*
            /// Members without a field here (extension, legacy and unknown
            /// members) and known members whose value was `null`, which is
            /// read as absent but written back in place.
            pub extra: serde_json::Map<String, serde_json::Value>,
            /// Recorded input order of the members (opaque).
            #[doc(hidden)]
            pub order: $crate::model::json::MemberOrder,
        }

        impl $name {
            /// JSON names of the members this type has fields for, in declaration order.
            pub const MEMBERS: &'static [&'static str] = &[$($json),*];

            /// Converts a JSON object found at `at`.
            pub(crate) fn from_map(
                map: serde_json::Map<String, serde_json::Value>,
                at: &$crate::model::json::Path<'_>,
            ) -> Result<Self, $crate::model::ModelError> {
                $( $check(&map)?; )?
                let mut out = Self::default();
                let mut order = Vec::with_capacity(map.len());
                for (key, value) in map {
                    order.push(Box::<str>::from(key.as_str()));
                    match key.as_str() {
                        $(
                            $json => {
                                if value.is_null() {
                                    out.extra.insert(key, serde_json::Value::Null);
                                } else {
                                    let here = at.key(&key);
                                    let conv = $crate::model::json::member_conv!($ty; $($conv)?);
                                    out.$field = Some(conv(value, &here)?);
                                }
                            }
                        )*
                        _ => {
                            out.extra.insert(key, value);
                        }
                    }
                }
                out.order = $crate::model::json::MemberOrder::from_keys(order);
                Ok(out)
            }

            fn slots(&self) -> Vec<$crate::model::json::Slot<'_>> {
                let present = [$( self.$field.is_some() ),*];
                $crate::model::json::plan(Self::MEMBERS, &present, &self.extra, &self.order)
            }

            /// The JSON object, members in recorded input order (see the module docs).
            pub fn to_object(&self) -> serde_json::Map<String, serde_json::Value> {
                use $crate::model::json::{JsonValue as _, Slot};
                let mut map = serde_json::Map::new();
                for slot in self.slots() {
                    match slot {
                        Slot::Extra(k, v) => {
                            map.insert(k.to_owned(), v.clone());
                        }
                        Slot::Field(name) => match name {
                            $(
                                $json => {
                                    if let Some(v) = &self.$field {
                                        map.insert(name.to_owned(), v.to_json());
                                    }
                                }
                            )*
                            _ => {}
                        },
                    }
                }
                map
            }

            /// Whether the object has no members at all (it reads as `{}`).
            pub fn is_empty(&self) -> bool {
                true $( && self.$field.is_none() )* && self.extra.is_empty()
            }
        }

        impl $crate::model::json::JsonValue for $name {
            fn from_json(
                value: serde_json::Value,
                at: &$crate::model::json::Path<'_>,
            ) -> Result<Self, $crate::model::ModelError> {
                match value {
                    serde_json::Value::Object(map) => Self::from_map(map, at),
                    other => Err(at.wrong_type("an object", &other)),
                }
            }
            fn to_json(&self) -> serde_json::Value {
                serde_json::Value::Object(self.to_object())
            }
        }

        impl TryFrom<serde_json::Value> for $name {
            type Error = $crate::model::ModelError;
            /// Converts a JSON object; errors name the member by JSON pointer.
            fn try_from(value: serde_json::Value) -> Result<Self, Self::Error> {
                <Self as $crate::model::json::JsonValue>::from_json(
                    value,
                    &$crate::model::json::Path::Root(""),
                )
            }
        }

        impl From<&$name> for serde_json::Value {
            fn from(value: &$name) -> Self {
                serde_json::Value::Object(value.to_object())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap as _;
                use $crate::model::json::Slot;
                let slots = self.slots();
                let mut map = serializer.serialize_map(Some(slots.len()))?;
                for slot in slots {
                    match slot {
                        Slot::Extra(k, v) => map.serialize_entry(k, v)?,
                        Slot::Field(name) => match name {
                            $(
                                $json => {
                                    if let Some(v) = &self.$field {
                                        map.serialize_entry(name, v)?;
                                    }
                                }
                            )*
                            _ => {}
                        },
                    }
                }
                map.end()
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            /// Reads the object (member order kept) and converts it; a wrongly
            /// typed member fails with its JSON pointer in the message.
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let map = <serde_json::Map<String, serde_json::Value> as serde::Deserialize>::deserialize(deserializer)?;
                Self::from_map(map, &$crate::model::json::Path::Root(""))
                    .map_err(<D::Error as serde::de::Error>::custom)
            }
        }
    };
}
pub(crate) use json_object;

/// Generates an open string enum: named variants for registered values,
/// `Other(String)` for anything else, kept verbatim.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// Any other value, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The JSON string of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(s) => s,
                }
            }

            /// Whether this is one of the registered values (not `Other`).
            pub fn is_registered(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $text => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $( $text => Self::$variant, )*
                    _ => Self::Other(s),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl $crate::model::json::JsonValue for $name {
            fn from_json(
                value: serde_json::Value,
                at: &$crate::model::json::Path<'_>,
            ) -> Result<Self, $crate::model::ModelError> {
                match value {
                    serde_json::Value::String(s) => Ok(Self::from(s)),
                    other => Err(at.wrong_type("a string", &other)),
                }
            }
            fn to_json(&self) -> serde_json::Value {
                serde_json::Value::String(self.as_str().to_owned())
            }
        }
    };
}
pub(crate) use string_enum;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_escape_tokens() {
        let root = Path::Root("/base");
        let k = root.key("a/b~c");
        let i = k.index(3);
        assert_eq!(i.pointer(), "/base/a~1b~0c/3");
        assert_eq!(Path::Root("").pointer(), "");
    }

    #[test]
    fn unsigned_int_rejects_negative_and_float() {
        let at = Path::Root("/x");
        assert_eq!(u64::from_json(json!(3), &at).unwrap(), 3);
        let e = u64::from_json(json!(-1), &at).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/x: expected a non-negative integer, found the number -1"
        );
        assert!(u64::from_json(json!(1.5), &at).is_err());
    }

    #[test]
    fn non_negative_number_keeps_text() {
        let at = Path::Root("");
        let n = non_negative_number(serde_json::from_str("30.0").unwrap(), &at).unwrap();
        assert_eq!(n.to_string(), "30.0");
        let n = non_negative_number(json!(30), &at).unwrap();
        assert_eq!(n.to_string(), "30");
        let e = non_negative_number(json!("long"), &Path::Root("/d")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/d: expected a non-negative number, found a string"
        );
        assert!(non_negative_number(json!(-30), &at).is_err());
    }

    #[test]
    fn vec_errors_name_the_element() {
        let e = Vec::<String>::from_json(json!(["a", 1]), &Path::Root("/l")).unwrap_err();
        assert_eq!(e.pointer(), Some("/l/1"));
    }

    #[test]
    fn plan_orders_recorded_then_new_then_extra() {
        const NAMES: &[&str] = &["a", "b", "c"];
        let mut extra = Map::new();
        extra.insert("x".into(), json!(1));
        extra.insert("b".into(), Value::Null);
        extra.insert("y".into(), json!(2));
        let order = MemberOrder::from_keys(vec!["y".into(), "c".into(), "b".into()]);
        // c recorded and set; b recorded as null; a set later; x never recorded.
        let slots = plan(NAMES, &[true, false, true], &extra, &order);
        let names: Vec<&str> = slots
            .iter()
            .map(|s| match s {
                Slot::Field(n) => *n,
                Slot::Extra(k, _) => k,
            })
            .collect();
        assert_eq!(names, ["y", "c", "b", "a", "x"]);
        // Once b is set, the typed value wins over the recorded null.
        let slots = plan(NAMES, &[false, true, false], &extra, &order);
        assert!(matches!(slots.get(1), Some(Slot::Field("b"))));
        assert_eq!(slots.len(), 3);
    }
}
