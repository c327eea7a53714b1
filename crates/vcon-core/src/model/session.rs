//! The dialog `session_id` member: [`SessionId`] and its array shapes [`SessionIds`].

use serde_json::Value;

use super::error::ModelError;
use super::json::{JsonValue, Path, json_object};

json_object! {
    /// A session identifier pair (core-03 SessionId, RFC 7989). A party
    /// without one is written as `{}`; a missing half uses the nil UUID.
    pub struct SessionId {
        /// The local UUID.
        local: String = "local",
        /// The remote UUID.
        remote: String = "remote",
    }
}

/// The dialog `session_id` member (core-03 §session_id).
#[derive(Debug, Clone, PartialEq)]
pub enum SessionIds {
    /// One session id for all parties.
    One(SessionId),
    /// One element per party (or channel), each a session id or an array of them.
    List(Vec<SessionIdSlot>),
    /// The 0.3.0 form: a plain string (RFC 7989 `local;remote=...`).
    Legacy(String),
}

/// One element of a [`SessionIds::List`].
#[derive(Debug, Clone, PartialEq)]
pub enum SessionIdSlot {
    /// A session id.
    One(SessionId),
    /// Several session ids (a channel with several parties).
    List(Vec<SessionId>),
}

impl SessionIds {
    /// Every session id object, flattened in the order written (none for the legacy string).
    pub fn iter(&self) -> Vec<&SessionId> {
        match self {
            Self::One(s) => vec![s],
            Self::List(slots) => slots
                .iter()
                .flat_map(|slot| match slot {
                    SessionIdSlot::One(s) => std::slice::from_ref(s).iter(),
                    SessionIdSlot::List(l) => l.iter(),
                })
                .collect(),
            Self::Legacy(_) => Vec::new(),
        }
    }
}

impl From<SessionId> for SessionIds {
    fn from(id: SessionId) -> Self {
        Self::One(id)
    }
}

impl serde::Serialize for SessionIds {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(s) => s.serialize(serializer),
            Self::List(slots) => slots.serialize(serializer),
            Self::Legacy(s) => serializer.serialize_str(s),
        }
    }
}

impl serde::Serialize for SessionIdSlot {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(s) => s.serialize(serializer),
            Self::List(l) => l.serialize(serializer),
        }
    }
}

impl JsonValue for SessionIdSlot {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::Object(_) => SessionId::from_json(value, at).map(Self::One),
            Value::Array(_) => Vec::<SessionId>::from_json(value, at).map(Self::List),
            other => Err(at.wrong_type("a session id object or an array of them", &other)),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            Self::One(s) => s.to_json(),
            Self::List(l) => l.to_json(),
        }
    }
}

impl JsonValue for SessionIds {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::Object(_) => SessionId::from_json(value, at).map(Self::One),
            Value::Array(_) => Vec::<SessionIdSlot>::from_json(value, at).map(Self::List),
            Value::String(s) => Ok(Self::Legacy(s)),
            other => Err(at.wrong_type(
                "a session id object, an array of them, or a legacy string",
                &other,
            )),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            Self::One(s) => s.to_json(),
            Self::List(slots) => slots.to_json(),
            Self::Legacy(s) => Value::String(s.clone()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_round_trip() {
        let at = Path::Root("/dialog/0/session_id");
        for v in [
            json!({"local": "a", "remote": "b"}),
            json!([{"local": "a", "remote": "b"}, {}]),
            json!([[{"local": "a"}, {"remote": "b", "x": 1}], {}]),
            json!("abc;remote=def"),
        ] {
            let s = SessionIds::from_json(v.clone(), &at).unwrap();
            assert_eq!(s.to_json().to_string(), v.to_string());
            assert_eq!(serde_json::to_value(&s).unwrap(), v);
        }
        let s = SessionIds::from_json(json!([[{"local": "a"}], {"local": "c"}]), &at).unwrap();
        let locals: Vec<_> = s
            .iter()
            .into_iter()
            .filter_map(|x| x.local.as_deref())
            .collect();
        assert_eq!(locals, ["a", "c"]);
    }

    #[test]
    fn errors_have_pointers() {
        let at = Path::Root("/dialog/0/session_id");
        let e = SessionIds::from_json(json!([{}, 3]), &at).unwrap_err();
        assert_eq!(e.pointer(), Some("/dialog/0/session_id/1"));
        let e = SessionIds::from_json(json!({"local": 1}), &at).unwrap_err();
        assert_eq!(e.pointer(), Some("/dialog/0/session_id/local"));
    }
}
