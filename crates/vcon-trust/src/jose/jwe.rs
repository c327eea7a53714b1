//! Structure of a JWE General JSON Serialization (RFC 7516 §7.2.1) as the
//! encrypted vCon form uses it (core-03 §Encrypted Form, rule R-41).

use serde_json::{Map, Value};
use vcon_core::tree::{Json, JsonObj, View};

use super::normalize::{Conflict, Union};
use super::unb64;
use crate::error::{EnvelopeError, Warning};

fn fault(pointer: impl Into<String>, reason: impl Into<String>) -> EnvelopeError {
    EnvelopeError {
        pointer: pointer.into(),
        reason: reason.into(),
        rule: "R-41",
    }
}

/// One entry of `recipients`.
#[derive(Debug)]
pub(crate) struct RecipientParts {
    /// Position in `recipients`.
    pub index: usize,
    /// The decoded `encrypted_key`.
    pub encrypted_key: Vec<u8>,
    /// Union of protected, shared unprotected and this recipient's header.
    pub union: Union,
}

impl RecipientParts {
    /// A string member of the header union.
    pub fn str_member(&self, name: &str) -> Result<Option<&str>, EnvelopeError> {
        match self.union.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(fault(
                vcon_core::validate::pointer_join(self.union.origin_of(name), name),
                "must be a string",
            )),
        }
    }

    /// Pointer where a member was found (or the recipient's header if absent).
    pub fn pointer_of(&self, name: &str) -> String {
        let origin = self.union.origin_of(name);
        if origin.is_empty() {
            format!("/recipients/{}/header/{name}", self.index)
        } else {
            vcon_core::validate::pointer_join(origin, name)
        }
    }
}

/// A parsed encrypted vCon envelope.
#[derive(Debug)]
pub(crate) struct Jwe {
    /// The `protected` member as written (the AAD), or empty.
    pub protected_b64: String,
    /// The `aad` member as written, if any.
    pub aad_b64: Option<String>,
    /// The recipients, in order.
    pub recipients: Vec<RecipientParts>,
    /// Decoded `iv`.
    pub iv: Vec<u8>,
    /// Decoded `ciphertext`.
    pub ciphertext: Vec<u8>,
    /// Decoded `tag`.
    pub tag: Vec<u8>,
    /// Things accepted with a remark (repeated header members).
    pub warnings: Vec<Warning>,
}

impl Jwe {
    /// The additional authenticated data (RFC 7516 §5.1 step 14).
    pub fn aad(&self) -> Vec<u8> {
        match &self.aad_b64 {
            Some(aad) => format!("{}.{aad}", self.protected_b64).into_bytes(),
            None => self.protected_b64.clone().into_bytes(),
        }
    }
}

fn b64_member<O: JsonObj>(
    object: &O,
    name: &'static str,
    at: &str,
) -> Result<Vec<u8>, EnvelopeError> {
    // The pointer is built only for an error.
    let pointer = || format!("{at}/{name}");
    match object.get(name).map(Json::view) {
        Some(View::String(s)) => unb64(s).map_err(|e| fault(pointer(), e)),
        Some(_) => Err(fault(pointer(), "must be a string")),
        None => Err(fault(pointer(), "is missing")),
    }
}

/// Member `name` of `object`, which must be an object if present; read in
/// place (the header union copies what it keeps).
fn header_object<'o, O: JsonObj>(
    object: &'o O,
    name: &str,
    pointer: &str,
) -> Result<Option<&'o O>, EnvelopeError> {
    match object.get(name).map(Json::view) {
        None => Ok(None),
        Some(View::Object(m)) => Ok(Some(m)),
        Some(_) => Err(fault(pointer, "must be an object")),
    }
}

/// Parses the envelope of an encrypted vCon and builds each recipient's
/// header union (members repeated with equal values, as in the draft's A.7,
/// are ignored with a warning; different values are refused). `object` is
/// either JSON tree (see [`super::jws::parse`]).
pub(crate) fn parse<O: JsonObj>(object: &O) -> Result<Jwe, EnvelopeError> {
    let mut warnings = Vec::new();
    let (protected_b64, mut protected) = match object.get("protected").map(Json::view) {
        Some(View::String(s)) => {
            let json = unb64(s).map_err(|e| fault("/protected", e))?;
            let map = vcon_core::read::parse_object(&json, 16).map_err(|e| {
                fault(
                    "/protected",
                    format!("decoded header is not a JSON object: {e}"),
                )
            })?;
            (s.to_owned(), map)
        }
        Some(_) => return Err(fault("/protected", "must be a string")),
        None => (String::new(), Map::new()),
    };
    let unprotected = header_object(object, "unprotected", "/unprotected")?;
    let aad_b64 = match object.get("aad").map(Json::view) {
        Some(View::String(s)) => Some(s.to_owned()),
        Some(_) => return Err(fault("/aad", "must be a string")),
        None => None,
    };
    let entries = super::entries(object, "recipients", "R-41")?;
    let mut recipients = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let at = super::indexed("/recipients/", index);
        let Some(entry) = entry.as_object() else {
            return Err(fault(at, "must be an object"));
        };
        let header_at = [at.as_str(), "/header"].concat();
        let header = header_object(entry, "header", &header_at)?;
        let encrypted_key = b64_member(entry, "encrypted_key", &at)?;
        // The protected members as parsed (copied for each recipient but the
        // last, which takes them: most messages have one), then the shared
        // unprotected and the recipient's header, copied from the envelope.
        let protected = if index + 1 == entries.len() {
            std::mem::take(&mut protected)
        } else {
            protected.clone()
        };
        let mut union = Union::new("/protected".into(), protected);
        let conflict = |c: Conflict| {
            fault(
                c.pointer,
                format!(
                    "differs from {}; a header member may appear once (RFC 7516 §7.2.1)",
                    c.first
                ),
            )
        };
        if let Some(unprotected) = unprotected {
            union
                .add("/unprotected".into(), unprotected)
                .map_err(conflict)?;
        }
        if let Some(header) = header {
            union.add(header_at, header).map_err(conflict)?;
        }
        for (repeat, first) in &union.repeats {
            if warnings.iter().any(|w: &Warning| &w.pointer == repeat) {
                continue;
            }
            warnings.push(Warning {
                pointer: repeat.clone(),
                rule: Some("R-41"),
                message: format!("repeats {first} with the same value (the draft's A.7 layout); RFC 7516 wants disjoint headers, the repeat is ignored"),
            });
        }
        recipients.push(RecipientParts {
            index,
            encrypted_key,
            union,
        });
    }
    Ok(Jwe {
        protected_b64,
        aad_b64,
        recipients,
        iv: b64_member(object, "iv", "")?,
        ciphertext: b64_member(object, "ciphertext", "")?,
        tag: b64_member(object, "tag", "")?,
        warnings,
    })
}
