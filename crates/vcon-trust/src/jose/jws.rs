//! Structure of a JWS General JSON Serialization (RFC 7515 §7.2.1) as the
//! signed vCon form uses it (core-03 §Signed Form, rule R-39), and decoding
//! of its payload.

use std::borrow::Cow;

use serde_json::Value;
use vcon_core::Form;
use vcon_core::read::ReadLimits;
use vcon_core::tree::{Json, JsonObj, View};

use super::normalize::{self, Part, Union};
use super::{owned_map, unb64};
use crate::error::{EnvelopeError, Warning};

fn fault(pointer: impl Into<String>, reason: impl Into<String>) -> EnvelopeError {
    EnvelopeError {
        pointer: pointer.into(),
        reason: reason.into(),
        rule: "R-39",
    }
}

/// One entry of `signatures`.
#[derive(Debug)]
pub(crate) struct SigParts {
    /// Position in `signatures`.
    pub index: usize,
    /// The `protected` member as written (part of the signing input).
    pub protected_b64: String,
    /// The decoded signature value.
    pub signature: Vec<u8>,
    /// Union of the protected and unprotected headers.
    pub union: Union,
}

impl SigParts {
    /// JSON pointer of this entry.
    pub fn pointer(&self) -> String {
        format!("/signatures/{}", self.index)
    }

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

    /// `protected` or `unprotected`, for messages about where a member sits.
    pub fn location_of(&self, name: &str) -> &'static str {
        if self.union.origin_of(name).ends_with("/protected") {
            "protected"
        } else {
            "unprotected"
        }
    }
}

/// A parsed signed vCon envelope.
#[derive(Debug)]
pub(crate) struct Jws {
    /// The `payload` member as written.
    pub payload_b64: String,
    /// The signatures, in order.
    pub signatures: Vec<SigParts>,
    /// Things accepted with a remark.
    pub warnings: Vec<Warning>,
}

/// Parses the envelope of a signed vCon. Each entry must have `protected`
/// (base64url of a JSON object with no repeated names) and `signature`; a
/// missing `header` (as the PyPI `vcon` library writes) is a warning.
/// `object` is either JSON tree: the borrowed one of vcon-core's fast parser
/// (nothing but the header members is copied) or a `serde_json` map.
pub(crate) fn parse<O: JsonObj>(object: &O) -> Result<Jws, EnvelopeError> {
    let mut warnings = Vec::new();
    let payload_b64 = match object.get("payload").map(Json::view) {
        Some(View::String(s)) => s.to_owned(),
        Some(_) => return Err(fault("/payload", "must be a string")),
        None => return Err(fault("/payload", "is missing")),
    };
    let entries = match object.get("signatures").map(Json::view) {
        Some(View::Array(a)) if !a.is_empty() => a,
        Some(View::Array(_)) => return Err(fault("/signatures", "must not be empty")),
        Some(_) => return Err(fault("/signatures", "must be an array")),
        None => return Err(fault("/signatures", "is missing")),
    };
    let extra: Vec<&str> = object
        .members()
        .map(|(k, _)| k)
        .filter(|k| !matches!(*k, "payload" | "signatures"))
        .collect();
    if !extra.is_empty() {
        warnings.push(Warning {
            pointer: String::new(),
            rule: Some("R-39"),
            message: format!(
                "top-level member(s) {} sit beside the JWS and are covered by no signature; they are ignored",
                extra.join(", ")
            ),
        });
    }
    let mut signatures = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let at = super::indexed("/signatures/", index);
        let protected_at = [at.as_str(), "/protected"].concat();
        let Some(entry) = entry.as_object() else {
            return Err(fault(at, "must be an object"));
        };
        let protected_b64 = match entry.get("protected").map(Json::view) {
            Some(View::String(s)) => s.to_owned(),
            Some(_) => return Err(fault(protected_at.clone(), "must be a string")),
            None => {
                return Err(fault(
                    protected_at.clone(),
                    "is missing; the signed vCon form needs `alg` in a protected header",
                ));
            }
        };
        let protected_json = unb64(&protected_b64).map_err(|e| fault(protected_at.clone(), e))?;
        let protected = vcon_core::read::parse_object(&protected_json, 16).map_err(|e| {
            fault(
                protected_at.clone(),
                format!("decoded header is not a JSON object: {e}"),
            )
        })?;
        let header = match entry.get("header").map(Json::view) {
            Some(View::Object(h)) => Some(owned_map(h)),
            Some(_) => {
                return Err(fault(
                    [at.as_str(), "/header"].concat(),
                    "must be an object",
                ));
            }
            None => {
                warnings.push(Warning {
                    pointer: at.clone(),
                    rule: Some("R-39"),
                    message: "no `header` member; core-03 expects one holding x5c/x5u and uuid"
                        .into(),
                });
                None
            }
        };
        let signature = match entry.get("signature").map(Json::view) {
            Some(View::String(s)) => unb64(s).map_err(|e| fault(format!("{at}/signature"), e))?,
            Some(_) => return Err(fault(format!("{at}/signature"), "must be a string")),
            None => return Err(fault(format!("{at}/signature"), "is missing")),
        };
        let union = normalize::union([
            Part {
                pointer: protected_at,
                members: Cow::Owned(protected),
            },
            Part {
                pointer: [at.as_str(), "/header"].concat(),
                members: Cow::Owned(header.unwrap_or_default()),
            },
        ])
        .map_err(|c| {
            fault(
                c.pointer,
                format!(
                    "differs from {}; a header member may appear once (RFC 7515 §7.2.1)",
                    c.first
                ),
            )
        })?;
        for (repeat, first) in &union.repeats {
            warnings.push(Warning {
                pointer: repeat.clone(),
                rule: Some("R-39"),
                message: format!("repeats {first} with the same value (the draft's A.6 layout); RFC 7515 wants disjoint headers, the repeat is ignored"),
            });
        }
        signatures.push(SigParts {
            index,
            protected_b64,
            signature,
            union,
        });
    }
    Ok(Jws {
        payload_b64,
        signatures,
        warnings,
    })
}

/// The JWS signing input `BASE64URL(protected) || '.' || BASE64URL(payload)`
/// (RFC 7515 §5.1), in one allocation of the right size: the payload is
/// most of it, and `format!` would grow its buffer as it goes.
pub(crate) fn signing_input(protected_b64: &str, payload_b64: &str) -> Vec<u8> {
    let mut input = Vec::with_capacity(protected_b64.len() + 1 + payload_b64.len());
    input.extend_from_slice(protected_b64.as_bytes());
    input.push(b'.');
    input.extend_from_slice(payload_b64.as_bytes());
    input
}

/// Decodes a payload: base64url, then gzip (if it starts with the gzip
/// magic) within `limits`. Returns the JSON bytes (inflated) and whether
/// they were gzip; the caller parses them.
pub(crate) fn decode_payload(
    payload_b64: &str,
    limits: &ReadLimits,
) -> Result<(Vec<u8>, bool), String> {
    let raw = unb64(payload_b64)?;
    if raw.len() > limits.max_bytes {
        return Err(format!(
            "payload is {} bytes, over the limit of {} bytes (R-42)",
            raw.len(),
            limits.max_bytes
        ));
    }
    if vcon_core::read::is_gzip(&raw) {
        let json =
            vcon_core::read::inflate(&raw, limits.max_inflated_bytes).map_err(|e| e.to_string())?;
        return Ok((json, true));
    }
    Ok((raw, false))
}

/// What a payload holds, for [`innermost_uuid`].
enum Inner {
    /// A signed vCon: its own payload.
    Signed(String),
    /// Anything else: its uuid, or why there is none.
    Other(Result<String, String>),
}

fn inner<O: JsonObj>(object: &O) -> Inner {
    match Form::detect(object) {
        Some(Form::Signed) => match object.get("payload").and_then(Json::as_str) {
            Some(p) => Inner::Signed(p.to_owned()),
            None => Inner::Other(Err("the signed vCon has no payload string".into())),
        },
        _ => Inner::Other(match object.get("uuid").and_then(Json::as_str) {
            Some(u) => Ok(u.to_owned()),
            None => Err("the payload vCon has no uuid string".into()),
        }),
    }
}

/// The uuid of the innermost unsigned vCon under a signed one (following
/// nested JWS payloads up to `max_depth` layers), or why it cannot be found.
/// Each payload is read with the borrowed fast parser: only the uuid (and a
/// nested payload) is copied out.
pub(crate) fn innermost_uuid<O: JsonObj>(
    object: &O,
    limits: &ReadLimits,
    max_depth: usize,
) -> Result<String, String> {
    let Some(mut payload) = object
        .get("payload")
        .and_then(Json::as_str)
        .map(str::to_owned)
    else {
        return Err("the signed vCon has no payload string".into());
    };
    for _ in 0..max_depth {
        let (json, _) = decode_payload(&payload, limits)?;
        let next = match vcon_core::tree::parse(&json, limits.max_depth) {
            Ok(object) => inner(&object),
            Err(_) => {
                let object = vcon_core::read::parse_object(&json, limits.max_depth)
                    .map_err(|e| e.to_string())?;
                inner(&object)
            }
        };
        match next {
            Inner::Signed(p) => payload = p,
            Inner::Other(uuid) => return uuid,
        }
    }
    Err(format!(
        "nested signed vCons deeper than {max_depth} layers"
    ))
}
