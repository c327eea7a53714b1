//! JSON trees the validator can walk: [`serde_json::Value`] (owned, built by
//! [`crate::read::read`]) and [`Node`] (borrowed from the input bytes, built by
//! [`parse`] for the `validate_bytes` fast path).
//!
//! The validator is written once, generic over [`Json`] and [`JsonObj`], and runs
//! the same code on both trees, so its findings cannot differ between them.
//!
//! ```
//! use vcon_core::tree::{Json, JsonObj, parse};
//! let text = br#"{"vcon":"0.4.0","parties":[{"name":"Alice"}]}"#;
//! let root = parse(text, 64).unwrap();
//! assert_eq!(root.get("vcon").and_then(Json::as_str), Some("0.4.0"));
//! let parties = root.get("parties").and_then(Json::as_array).unwrap();
//! assert_eq!(parties[0].get("name").and_then(Json::as_str), Some("Alice"));
//! ```

mod node;
mod parse;

pub use node::{Node, Obj};
pub use parse::{NotFast, parse};

use serde_json::{Map, Number, Value};

/// One JSON value seen through [`Json::view`].
#[derive(Debug)]
pub enum View<'v, J: Json> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json represents it.
    Number(&'v Number),
    /// A string (escapes decoded).
    String(&'v str),
    /// An array.
    Array(&'v [J]),
    /// An object.
    Object(&'v J::Obj),
}

impl<J: Json> Clone for View<'_, J> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<J: Json> Copy for View<'_, J> {}

impl<J: Json> View<'_, J> {
    /// Name of the JSON type, for messages (`"a string"`, `"null"`, ...), as
    /// [`crate::read::json_type`] says it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::String(_) => "a string",
            Self::Array(_) => "an array",
            Self::Object(_) => "an object",
        }
    }
}

/// A JSON value of some tree.
pub trait Json: Sized {
    /// The object type of this tree.
    type Obj: JsonObj<Val = Self>;

    /// What the value is.
    fn view(&self) -> View<'_, Self>;

    /// The string, if the value is one.
    fn as_str(&self) -> Option<&str> {
        match self.view() {
            View::String(s) => Some(s),
            _ => None,
        }
    }

    /// The elements, if the value is an array.
    fn as_array(&self) -> Option<&[Self]> {
        match self.view() {
            View::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The object, if the value is one.
    fn as_object(&self) -> Option<&Self::Obj> {
        match self.view() {
            View::Object(o) => Some(o),
            _ => None,
        }
    }

    /// The number, if the value is one.
    fn as_number(&self) -> Option<&Number> {
        match self.view() {
            View::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The number as an `f64`, like [`Value::as_f64`].
    fn as_f64(&self) -> Option<f64> {
        self.as_number().and_then(Number::as_f64)
    }

    /// The number as a `u64`, like [`Value::as_u64`].
    fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::as_u64)
    }

    /// The number as an `i64`, like [`Value::as_i64`].
    fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// The boolean, if the value is one.
    fn as_bool(&self) -> Option<bool> {
        match self.view() {
            View::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Whether the value is `null`.
    fn is_null(&self) -> bool {
        matches!(self.view(), View::Null)
    }

    /// Whether the value is a string.
    fn is_string(&self) -> bool {
        matches!(self.view(), View::String(_))
    }

    /// Whether the value is a boolean.
    fn is_boolean(&self) -> bool {
        matches!(self.view(), View::Bool(_))
    }

    /// Whether the value is a number.
    fn is_number(&self) -> bool {
        matches!(self.view(), View::Number(_))
    }

    /// Whether the value is an object.
    fn is_object(&self) -> bool {
        matches!(self.view(), View::Object(_))
    }

    /// Whether the value is an array.
    fn is_array(&self) -> bool {
        matches!(self.view(), View::Array(_))
    }

    /// Member `name`, if the value is an object that has it.
    fn get(&self, name: &str) -> Option<&Self> {
        self.as_object()?.get(name)
    }

    /// Name of the JSON type, for messages.
    fn type_name(&self) -> &'static str {
        self.view().type_name()
    }
}

/// A JSON object of some tree: members in input order, names unique.
pub trait JsonObj: Sized {
    /// The value type of this tree.
    type Val: Json<Obj = Self>;

    /// The value of member `name`.
    fn get(&self, name: &str) -> Option<&Self::Val>;

    /// The members, in input order.
    fn members(&self) -> impl Iterator<Item = (&str, &Self::Val)>;

    /// Number of members.
    fn len(&self) -> usize;

    /// Whether there is no member.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether member `name` exists (even as `null`).
    fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The member values, in input order.
    fn values(&self) -> impl Iterator<Item = &Self::Val> {
        self.members().map(|(_, v)| v)
    }
}

impl Json for Value {
    type Obj = Map<String, Value>;

    #[inline]
    fn view(&self) -> View<'_, Self> {
        match self {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => View::Number(n),
            Value::String(s) => View::String(s),
            Value::Array(a) => View::Array(a),
            Value::Object(o) => View::Object(o),
        }
    }
}

impl JsonObj for Map<String, Value> {
    type Val = Value;

    #[inline]
    fn get(&self, name: &str) -> Option<&Value> {
        Map::get(self, name)
    }

    fn members(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.iter().map(|(k, v)| (k.as_str(), v))
    }

    fn len(&self) -> usize {
        Map::len(self)
    }

    fn contains_key(&self, name: &str) -> bool {
        Map::contains_key(self, name)
    }
}
