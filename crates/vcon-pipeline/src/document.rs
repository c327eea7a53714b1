//! [`VconDoc`]: the vCon a chain works on, with what its links asked the
//! worker to do once the chain has finished ([`Effects`]).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use vcon_core::read::{ReadLimits, read};
use vcon_core::{Form, ReadError};

/// One vCon moving through a chain.
///
/// Links see the JSON object (`serde_json::Map`), not the typed model, so
/// that a signed or encrypted vCon travels the same way as an unsigned one
/// and nothing a link does not understand is lost. Reading through
/// [`VconDoc::object`] is free; writing through [`VconDoc::object_mut`] or
/// [`VconDoc::replace_object`] marks the document changed, and only a changed
/// document is written back to the working store.
///
/// ```
/// use vcon_pipeline::VconDoc;
/// let mut doc = VconDoc::from_bytes(
///     br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","parties":[]}"#,
///     &Default::default(),
/// ).unwrap();
/// assert_eq!(doc.uuid(), "019f15a6-a752-826f-b9a2-279e0d16bc46");
/// assert!(!doc.is_changed());
/// doc.object_mut().insert("subject".into(), "hello".into());
/// assert!(doc.is_changed());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct VconDoc {
    uuid: String,
    object: Map<String, Value>,
    form: Form,
    changed: bool,
    effects: Effects,
}

/// What links asked for beyond changing the vCon. The worker carries these
/// out after the chain: routes even when a link stopped the chain (as the
/// conserver's `tag_router` pushes before it filters).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Effects {
    /// Extra lists the vCon's uuid is pushed to (by `tag_router`), in order,
    /// without duplicates.
    pub routes: Vec<String>,
}

/// Why bytes or an object could not become a [`VconDoc`].
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bytes are not a readable vCon (size, gzip, JSON syntax, not an object).
    #[error("reading vCon {uuid}: {source}")]
    Read {
        /// The uuid the caller expected, or `?`.
        uuid: String,
        /// The reader's error, which names the rule and position.
        #[source]
        source: ReadError,
    },
    /// The object is none of the three vCon forms (R-40).
    #[error("vCon {uuid}: the object is neither unsigned, signed nor encrypted (R-40)")]
    NoForm {
        /// The uuid the caller expected, or `?`.
        uuid: String,
    },
    /// No uuid was given and none was found in the vCon.
    #[error(
        "the vCon has no uuid (looked at /uuid, /signatures/0/header/uuid and /unprotected/uuid)"
    )]
    NoUuid,
}

impl VconDoc {
    /// Reads bytes (JSON or gzip); the uuid is read from the vCon.
    pub fn from_bytes(bytes: &[u8], limits: &ReadLimits) -> Result<Self, DocError> {
        let doc = read(bytes, limits).map_err(|source| DocError::Read {
            uuid: "?".into(),
            source,
        })?;
        Self::from_object(doc.object)
    }

    /// Reads bytes stored under a known uuid (the queue's), which is kept
    /// even when the vCon spells it differently.
    pub fn from_stored(uuid: &str, bytes: &[u8], limits: &ReadLimits) -> Result<Self, DocError> {
        let doc = read(bytes, limits).map_err(|source| DocError::Read {
            uuid: uuid.to_owned(),
            source,
        })?;
        let form = Form::detect(&doc.object).ok_or_else(|| DocError::NoForm {
            uuid: uuid.to_owned(),
        })?;
        Ok(Self::with_parts(uuid.to_owned(), doc.object, form))
    }

    /// Wraps an object; the uuid is read from it.
    pub fn from_object(object: Map<String, Value>) -> Result<Self, DocError> {
        let uuid = uuid_of(&object).ok_or(DocError::NoUuid)?;
        let form = Form::detect(&object).ok_or_else(|| DocError::NoForm { uuid: uuid.clone() })?;
        Ok(Self::with_parts(uuid, object, form))
    }

    fn with_parts(uuid: String, object: Map<String, Value>, form: Form) -> Self {
        Self {
            uuid,
            object,
            form,
            changed: false,
            effects: Effects::default(),
        }
    }

    /// The uuid the vCon is processed under.
    pub fn uuid(&self) -> &str {
        &self.uuid
    }

    /// The form of the vCon as it is now.
    pub fn form(&self) -> Form {
        self.form
    }

    /// The vCon object, read-only.
    pub fn object(&self) -> &Map<String, Value> {
        &self.object
    }

    /// The vCon object, for editing; marks the document changed.
    ///
    /// Editing must keep the form: a link that turns the vCon into another
    /// form (signing) uses [`VconDoc::replace_object`].
    pub fn object_mut(&mut self) -> &mut Map<String, Value> {
        self.changed = true;
        &mut self.object
    }

    /// Replaces the object (a jq transform, signing) and re-detects the form;
    /// marks the document changed. Fails, leaving the document as it was,
    /// when the new object is none of the three forms.
    pub fn replace_object(&mut self, object: Map<String, Value>) -> Result<(), DocError> {
        let form = Form::detect(&object).ok_or_else(|| DocError::NoForm {
            uuid: self.uuid.clone(),
        })?;
        self.object = object;
        self.form = form;
        self.changed = true;
        Ok(())
    }

    /// Whether a link changed the vCon.
    pub fn is_changed(&self) -> bool {
        self.changed
    }

    /// Asks the worker to push the uuid to `list` as well (no duplicates).
    pub fn route_to(&mut self, list: &str) {
        if !self.effects.routes.iter().any(|r| r == list) {
            self.effects.routes.push(list.to_owned());
        }
    }

    /// What links asked for so far.
    pub fn effects(&self) -> &Effects {
        &self.effects
    }

    /// Compact JSON of the vCon as it is now.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising a Map of Values cannot fail: keys are strings and
        // numbers are finite by construction.
        serde_json::to_vec(&self.object).unwrap_or_default()
    }

    /// `created_at` of an unsigned vCon, if present and RFC 3339.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        let text = self.object.get("created_at")?.as_str()?;
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|d| d.with_timezone(&Utc))
    }

    /// Consumes the document, returning the object.
    pub fn into_object(self) -> Map<String, Value> {
        self.object
    }
}

/// The uuid of a vCon object in any form: `/uuid` (unsigned),
/// `/signatures/0/header/uuid` (signed), `/unprotected/uuid` (encrypted).
pub fn uuid_of(object: &Map<String, Value>) -> Option<String> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    text(object.get("uuid"))
        .or_else(|| text(object.pointer_in("signatures", &["0", "header", "uuid"])))
        .or_else(|| text(object.pointer_in("unprotected", &["uuid"])))
        .filter(|u| !u.is_empty())
}

trait PointerIn {
    fn pointer_in(&self, first: &str, rest: &[&str]) -> Option<&Value>;
}

impl PointerIn for Map<String, Value> {
    fn pointer_in(&self, first: &str, rest: &[&str]) -> Option<&Value> {
        let mut at = self.get(first)?;
        for token in rest {
            at = match at {
                Value::Object(m) => m.get(*token)?,
                Value::Array(a) => a.get(token.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn uuid_found_in_every_form() {
        let signed = json!({"payload": "e30", "signatures": [{"header": {"uuid": "s-1"}}]});
        let encrypted =
            json!({"ciphertext": "x", "recipients": [], "unprotected": {"uuid": "e-1"}});
        assert_eq!(uuid_of(signed.as_object().unwrap()).as_deref(), Some("s-1"));
        assert_eq!(
            uuid_of(encrypted.as_object().unwrap()).as_deref(),
            Some("e-1")
        );
        let doc = VconDoc::from_object(signed.as_object().unwrap().clone()).unwrap();
        assert_eq!(doc.form(), Form::Signed);
    }

    #[test]
    fn replace_with_a_formless_object_is_refused() {
        let mut doc = VconDoc::from_object(
            json!({"uuid": "u", "parties": []})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
        let err = doc.replace_object(Map::new()).unwrap_err();
        assert!(matches!(err, DocError::NoForm { .. }));
        assert!(!doc.is_changed());
    }

    #[test]
    fn routes_are_deduplicated() {
        let mut doc = VconDoc::from_object(
            json!({"uuid": "u", "parties": []})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap();
        doc.route_to("a");
        doc.route_to("b");
        doc.route_to("a");
        assert_eq!(doc.effects().routes, vec!["a", "b"]);
    }
}
