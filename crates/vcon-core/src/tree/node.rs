//! [`Node`]: a JSON tree that borrows its strings from the input bytes
//! (escaped strings are decoded into owned ones) and keeps object members in
//! a vector, in input order: no hashing, no copy of the text.

use std::borrow::Cow;

use serde_json::{Map, Number, Value};

use super::{Json, JsonObj, View};

/// A JSON value borrowed from the text it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, exactly as serde_json reads it.
    Number(Number),
    /// A string: borrowed when it has no escape, decoded otherwise.
    String(Cow<'a, str>),
    /// An array.
    Array(Vec<Node<'a>>),
    /// An object.
    Object(Obj<'a>),
}

/// A JSON object: members in input order (names are unique; the parser
/// refuses duplicates).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Obj<'a> {
    pub(super) members: Vec<(Cow<'a, str>, Node<'a>)>,
}

impl Node<'_> {
    /// The same value as a [`serde_json::Value`] (strings copied, member order kept).
    pub fn to_value(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Number(n) => Value::Number(n.clone()),
            Node::String(s) => Value::String(s.as_ref().to_owned()),
            Node::Array(a) => Value::Array(a.iter().map(Node::to_value).collect()),
            Node::Object(o) => Value::Object(o.to_map()),
        }
    }
}

impl Obj<'_> {
    /// The same object as a [`serde_json::Map`] (strings copied, member order kept).
    pub fn to_map(&self) -> Map<String, Value> {
        self.members
            .iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.to_value()))
            .collect()
    }
}

impl<'a> Json for Node<'a> {
    type Obj = Obj<'a>;

    #[inline]
    fn view(&self) -> View<'_, Self> {
        match self {
            Node::Null => View::Null,
            Node::Bool(b) => View::Bool(*b),
            Node::Number(n) => View::Number(n),
            Node::String(s) => View::String(s),
            Node::Array(a) => View::Array(a),
            Node::Object(o) => View::Object(o),
        }
    }
}

impl<'a> JsonObj for Obj<'a> {
    type Val = Node<'a>;

    #[inline]
    fn get(&self, name: &str) -> Option<&Node<'a>> {
        self.members
            .iter()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v)
    }

    fn members(&self) -> impl Iterator<Item = (&str, &Node<'a>)> {
        self.members.iter().map(|(k, v)| (k.as_ref(), v))
    }

    fn len(&self) -> usize {
        self.members.len()
    }
}
