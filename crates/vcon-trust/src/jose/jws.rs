//! Structure of a JWS General JSON Serialization (RFC 7515 §7.2.1) as the
//! signed vCon form uses it (core-03 §Signed Form, rule R-39), and decoding
//! of its payload.

use serde_json::Value;
use vcon_core::Form;
use vcon_core::read::ReadLimits;
use vcon_core::tree::{Json, JsonObj, View};

use super::normalize::Union;
use super::{same_json, unb64};
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
    let entries = super::entries(object, "signatures", "R-39")?;
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
            Some(View::Object(h)) => Some(h),
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
        // The protected members as parsed, then the header's copied from the
        // envelope (no intermediate map).
        let mut union = Union::new(protected_at, protected);
        if let Some(header) = header {
            union
                .add([at.as_str(), "/header"].concat(), header)
                .map_err(|c| {
                    fault(
                        c.pointer,
                        format!(
                            "differs from {}; a header member may appear once (RFC 7515 §7.2.1)",
                            c.first
                        ),
                    )
                })?;
        }
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

/// One signature's header `uuid` as [`header_uuids`] reads it (the
/// protected header's, else the unprotected one's): a string, absent, or the
/// error that a value of another type is (what [`SigParts::str_member`]
/// says of it).
pub(crate) type HeaderUuid = Result<Option<String>, EnvelopeError>;

/// Checks the envelope of a signed vCon exactly as [`parse`] does (the same
/// refusals, with the same errors, in the same order) without building the
/// [`Jws`]: the headers are compared where they lie and nothing but each
/// signature's header `uuid` is copied (not the `x5c` chain, nor the header
/// maps and their union). For [`crate::encrypt`] and [`crate::decrypt`],
/// which read nothing else of a signed vCon's envelope; warnings are not
/// collected.
pub(crate) fn header_uuids<O: JsonObj>(object: &O) -> Result<Vec<HeaderUuid>, EnvelopeError> {
    match object.get("payload").map(Json::view) {
        Some(View::String(_)) => {}
        Some(_) => return Err(fault("/payload", "must be a string")),
        None => return Err(fault("/payload", "is missing")),
    }
    let entries = super::entries(object, "signatures", "R-39")?;
    let mut uuids = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        // Pointers are built only for an error.
        let at = || super::indexed("/signatures/", index);
        let protected_at = || [at().as_str(), "/protected"].concat();
        let Some(entry) = entry.as_object() else {
            return Err(fault(at(), "must be an object"));
        };
        let protected_b64 = match entry.get("protected").map(Json::view) {
            Some(View::String(s)) => s,
            Some(_) => return Err(fault(protected_at(), "must be a string")),
            None => {
                return Err(fault(
                    protected_at(),
                    "is missing; the signed vCon form needs `alg` in a protected header",
                ));
            }
        };
        let protected_json = unb64(protected_b64).map_err(|e| fault(protected_at(), e))?;
        // The borrowed fast parser, which refuses what the bounded reader
        // refuses; the bounded reader when it gives up (for its error).
        let uuid = match vcon_core::tree::parse(&protected_json, 16) {
            Ok(protected) => entry_uuid(&protected, entry, index)?,
            Err(_) => {
                let protected =
                    vcon_core::read::parse_object(&protected_json, 16).map_err(|e| {
                        fault(
                            protected_at(),
                            format!("decoded header is not a JSON object: {e}"),
                        )
                    })?;
                entry_uuid(&protected, entry, index)?
            }
        };
        uuids.push(uuid);
    }
    Ok(uuids)
}

/// The rest of [`header_uuids`] for signature `index`, its protected header
/// read: the `header` and `signature` members, the header members that
/// repeat a protected one, and the `uuid`.
fn entry_uuid<P: JsonObj, E: JsonObj>(
    protected: &P,
    entry: &E,
    index: usize,
) -> Result<HeaderUuid, EnvelopeError> {
    let at = || super::indexed("/signatures/", index);
    let header_at = || [at().as_str(), "/header"].concat();
    let header = match entry.get("header").map(Json::view) {
        Some(View::Object(h)) => Some(h),
        Some(_) => return Err(fault(header_at(), "must be an object")),
        None => None,
    };
    let signature_at = || [at().as_str(), "/signature"].concat();
    match entry.get("signature").map(Json::view) {
        Some(View::String(s)) => {
            unb64(s).map_err(|e| fault(signature_at(), e))?;
        }
        Some(_) => return Err(fault(signature_at(), "must be a string")),
        None => return Err(fault(signature_at(), "is missing")),
    }
    let join = vcon_core::validate::pointer_join;
    if let Some(header) = header {
        for (name, value) in header.members() {
            if let Some(first) = protected.get(name)
                && !same_json(first, value)
            {
                let first = join(&[at().as_str(), "/protected"].concat(), name);
                return Err(fault(
                    join(&header_at(), name),
                    format!(
                        "differs from {first}; a header member may appear once (RFC 7515 §7.2.1)"
                    ),
                ));
            }
        }
    }
    let uuid = |s: Option<&str>, origin: &str| match s {
        Some(s) => Ok(Some(s.to_owned())),
        None => Err(fault(
            join(&[at().as_str(), origin].concat(), "uuid"),
            "must be a string",
        )),
    };
    Ok(match protected.get("uuid") {
        Some(v) => uuid(v.as_str(), "/protected"),
        None => match header.and_then(|h| h.get("uuid")) {
            Some(v) => uuid(v.as_str(), "/header"),
            None => Ok(None),
        },
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use serde_json::{Map, json};

    use super::*;
    use crate::jose::b64;

    /// What `parse` says of each signature's uuid, or its error.
    fn by_parse<O: JsonObj>(object: &O) -> Result<Vec<HeaderUuid>, EnvelopeError> {
        parse(object).map(|jws| {
            jws.signatures
                .iter()
                .map(|s| s.str_member("uuid").map(|u| u.map(str::to_owned)))
                .collect()
        })
    }

    fn envelope(protected: &[u8], header: Option<Value>, signature: Value) -> Value {
        let mut entry = json!({"protected": b64(protected), "signature": signature});
        if let Some(h) = header {
            entry["header"] = h;
        }
        json!({"payload": b64(br#"{"uuid":"u"}"#), "signatures": [entry]})
    }

    /// `header_uuids` accepts and refuses exactly what `parse` does, with the
    /// same error, and reads the same uuids, on both JSON trees.
    #[test]
    fn header_uuids_agree_with_parse() {
        let sig = || Value::String(b64(&[1; 64]));
        let p = br#"{"alg":"ES256"}"#;
        let mut cases = vec![
            envelope(p, Some(json!({"uuid": "u", "x5c": ["AAAA"]})), sig()),
            envelope(p, None, sig()),
            envelope(
                br#"{"alg":"ES256","uuid":"u","x5c":["A"],"o":{"a":1,"b":[true,null]}}"#,
                Some(json!({"alg": "ES256", "x5c": ["A"], "o": {"b": [true, null], "a": 1}})),
                sig(),
            ),
            envelope(br#"{"alg":"ES256","n":1}"#, Some(json!({"n": 1.0})), sig()),
            envelope(p, Some(json!({"alg": "RS256"})), sig()),
            envelope(
                br#"{"alg":"ES256","o":{"a":1}}"#,
                Some(json!({"o": {"a": 1, "b": 2}})),
                sig(),
            ),
            envelope(
                br#"{"alg":"ES256","a":[1,2]}"#,
                Some(json!({"a": [1]})),
                sig(),
            ),
            envelope(p, Some(json!({"uuid": 7})), sig()),
            envelope(
                br#"{"alg":"ES256","uuid":7}"#,
                Some(json!({"uuid": 7})),
                sig(),
            ),
            envelope(
                br#"{"alg":"ES256","uuid":"u"}"#,
                Some(json!({"uuid": "v"})),
                sig(),
            ),
            envelope(br#"{"alg":"ES256","uuid":"u"}"#, None, sig()),
            envelope(p, Some(json!([])), sig()),
            envelope(p, Some(json!({})), json!(5)),
            envelope(p, Some(json!({})), json!("AA=")),
            envelope(br#"{"alg":"ES256","alg":"ES256"}"#, None, sig()),
            envelope(b"\xef\xbb\xbf{\"alg\":\"ES256\"}", None, sig()),
            envelope(b"[1]", None, sig()),
            envelope(b"{\"alg\":", None, sig()),
            envelope(
                format!("{{\"a\":{}1{}}}", "[".repeat(20), "]".repeat(20)).as_bytes(),
                None,
                sig(),
            ),
            envelope(
                format!("{{\"a\":{}1{}}}", "[".repeat(14), "]".repeat(14)).as_bytes(),
                None,
                sig(),
            ),
            json!({"payload": "e30", "signatures": [{"signature": "AA"}]}),
            json!({"payload": "e30", "signatures": [{"protected": 1, "signature": "AA"}]}),
            json!({"payload": "e30", "signatures": [{"protected": "a+b", "signature": "AA"}]}),
            json!({"payload": "e30", "signatures": [7]}),
            json!({"payload": "e30", "signatures": []}),
            json!({"payload": "e30", "signatures": {}}),
            json!({"payload": "e30"}),
            json!({"payload": 1, "signatures": []}),
            json!({"signatures": []}),
        ];
        // Two signatures, the second one at fault or not.
        for second in [envelope(p, None, sig()), envelope(p, None, json!(null))] {
            let mut two = envelope(p, Some(json!({"uuid": "u"})), sig());
            let extra = second["signatures"][0].clone();
            two["signatures"].as_array_mut().unwrap().push(extra);
            cases.push(two);
        }
        for case in &cases {
            let map: &Map<String, Value> = case.as_object().unwrap();
            let expected = by_parse(map);
            assert_eq!(header_uuids(map), expected, "{case}");
            let text = serde_json::to_vec(case).unwrap();
            let tree = vcon_core::tree::parse(&text, 64).unwrap();
            assert_eq!(header_uuids(&tree), expected, "{case}");
            assert_eq!(by_parse(&tree), expected, "{case}");
        }
        // The cases above reach each outcome.
        let outcomes: Vec<_> = cases
            .iter()
            .map(|c| by_parse(c.as_object().unwrap()))
            .collect();
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Ok(u) if u == &[Ok(Some("u".into()))]))
        );
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Ok(u) if u == &[Ok(None)]))
        );
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Ok(u) if matches!(u[..], [Err(_)])))
        );
        let refused = outcomes.iter().filter(|o| o.is_err()).count();
        assert!(refused >= 20, "{refused}");
    }
}
