//! Envelope rules for the signed (JWS) and encrypted (JWE) forms, core-03
//! §Signed Form and §Encrypted Form:
//!
//! * R-39 the JWS General JSON Serialization: payload, signatures, headers;
//! * R-41 the JWE General JSON Serialization: recipients, iv, ciphertext, tag
//!   and the header values, checked without keys;
//! * R-42 gzip payloads inflate within [`super::Options::limits`]; signed
//!   vCons nest at most [`MAX_JWS_NESTING`] deep.
//!
//! A JWS payload is decoded and validated like any vCon. Its findings carry
//! pointers under `/payload` (the decoded document is not addressable by a
//! plain JSON pointer, so every message says where it was decoded from).
//! Signatures are not verified here: that needs X.509 and lives in vcon-trust.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

use super::content::{Ptr, member, quote};
use super::primitives::{check_base64url, is_https_url, is_uuid_text};
use super::{Ctx, Finding, Severity};
use crate::form::Form;
use crate::read::{self, json_type};
use crate::version::VersionInfo;

mod jwe;
#[cfg(test)]
mod tests;

pub(super) use jwe::encrypted;

/// Deepest nesting of signed vCons (a signed vCon re-signed for long-term
/// archiving is the payload of another JWS).
pub const MAX_JWS_NESTING: usize = 4;

/// base64url as JOSE uses it, tolerating `=` padding on input.
const B64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Rules of the signed form, then the payload's own rules.
/// Returns the syntax version of the unsigned vCon inside, when reached.
pub(super) fn signed(ctx: &mut Ctx<'_>, object: &Map<String, Value>) -> Option<VersionInfo> {
    let budget = ctx.options.limits.max_inflated_bytes;
    signed_at(ctx, object, "", 1, budget).version
}

/// What was learnt from the payload of a JWS.
#[derive(Default)]
struct Inner {
    /// Syntax version of the innermost unsigned vCon.
    version: Option<VersionInfo>,
    /// Its `uuid`, to compare with the signature headers'.
    uuid: Option<String>,
}

/// A `uuid` found in a signature header.
struct HeaderUuid {
    signature: usize,
    uuid: String,
    /// Whether it came from the protected header (otherwise the unprotected one).
    protected: bool,
}

/// The signed vCon `object` found at `base` (`""` or `/payload/...`), nested
/// `depth` levels deep; gzip payloads may inflate to `budget` bytes in all
/// (shared by the nested levels, so nesting cannot multiply the limit).
fn signed_at(
    ctx: &mut Ctx<'_>,
    object: &Map<String, Value>,
    base: &str,
    depth: usize,
    budget: usize,
) -> Inner {
    beside_the_jws(ctx, object, base);
    let header_uuids = signatures(ctx, object, base);
    let at = format!("{base}/payload");
    let Some((inner, inflated)) = payload(ctx, object, &at, budget) else {
        return Inner::default();
    };
    let result = match Form::detect(&inner) {
        Some(Form::Unsigned) => {
            let mut sub = Ctx::new(ctx.options, &inner);
            sub.in_payload = true;
            let version = super::validate_document(&mut sub, &inner);
            merge(ctx, sub.findings, &at);
            Inner {
                version: Some(version),
                uuid: inner.get("uuid").and_then(Value::as_str).map(str::to_owned),
            }
        }
        Some(Form::Signed) if depth < MAX_JWS_NESTING => {
            signed_at(ctx, &inner, &at, depth + 1, budget.saturating_sub(inflated))
        }
        Some(Form::Signed) => {
            ctx.error(
                "R-42",
                at,
                format!(
                    "signed vCons are nested more than {MAX_JWS_NESTING} deep; not decoded further"
                ),
            );
            Inner::default()
        }
        Some(Form::Encrypted) => {
            ctx.error(
                "R-39",
                at,
                "the payload is an encrypted vCon; a JWS payload must be an unsigned vCon (or a \
                 signed one, when re-signing)",
            );
            Inner::default()
        }
        None => {
            let mut sub = Ctx::new(ctx.options, &inner);
            super::no_form(&mut sub, &inner);
            merge(ctx, sub.findings, &at);
            Inner::default()
        }
    };
    if let Some(payload_uuid) = &result.uuid {
        for h in header_uuids.iter().filter(|h| h.uuid != *payload_uuid) {
            let header = if h.protected { "protected" } else { "header" };
            ctx.error(
                "R-39",
                format!("{base}/signatures/{}/{header}/uuid", h.signature),
                format!(
                    "signature header `uuid` {} differs from the payload vCon's `uuid` {}",
                    quote(&h.uuid),
                    quote(payload_uuid)
                ),
            );
        }
    }
    result
}

/// R-39 (W): members other than `payload` and `signatures` in a signed
/// vCon. The PyPI `vcon` library (0.10.0) leaves the unsigned vCon's members
/// there; no signature covers them, so they are reported and ignored.
fn beside_the_jws(ctx: &mut Ctx<'_>, object: &Map<String, Value>, base: &str) {
    let root = Ptr::Base(base);
    for name in object.keys() {
        if name != "payload" && name != "signatures" {
            ctx.warning(
                "R-39",
                root.key(name).build(),
                format!(
                    "`{name}` sits beside the JWS (`payload`, `signatures`) and is covered by no \
                     signature; it is ignored (the PyPI vcon library writes the unsigned members \
                     there)"
                ),
            );
        }
    }
}

/// Decodes the JWS payload at `at`: base64url, then gzip if it is gzip,
/// then one JSON object.
/// Returns the object and the number of bytes gzip inflation produced.
fn payload(
    ctx: &mut Ctx<'_>,
    object: &Map<String, Value>,
    at: &str,
    budget: usize,
) -> Option<(Map<String, Value>, usize)> {
    let text = match member(object, "payload") {
        Some(Value::String(s)) => s,
        other => {
            ctx.error(
                "R-39",
                at,
                format!(
                    "`payload` must be the base64url-encoded vCon, found {}",
                    found(other)
                ),
            );
            return None;
        }
    };
    let bytes = match B64URL.decode(text) {
        Ok(b) => b,
        Err(e) => {
            ctx.error("R-39", at, format!("`payload` is not valid base64url: {e}"));
            return None;
        }
    };
    let (bytes, inflated) = if read::is_gzip(&bytes) {
        match read::inflate(&bytes, budget) {
            Ok(b) => {
                let n = b.len();
                (b, n)
            }
            Err(e) => {
                ctx.error(e.rule(), at, format!("gzip payload: {e}"));
                return None;
            }
        }
    } else {
        (bytes, 0)
    };
    match read::parse_object(&bytes, ctx.options.limits.max_depth) {
        Ok(inner) => Some((inner, inflated)),
        Err(e) => {
            ctx.error(
                e.rule(),
                at,
                format!("the decoded `payload` is not a JSON object: {e}"),
            );
            None
        }
    }
}

/// Moves the findings of a decoded payload into `ctx`, under `prefix`.
fn merge(ctx: &mut Ctx<'_>, findings: Vec<Finding>, prefix: &str) {
    ctx.findings.extend(findings.into_iter().map(|f| Finding {
        pointer: format!("{prefix}{}", f.pointer),
        message: format!("in the vCon decoded from `{prefix}`: {}", f.message),
        ..f
    }));
}

/// R-39 on `signatures`; returns the header `uuid`s to compare with the payload.
fn signatures(ctx: &mut Ctx<'_>, object: &Map<String, Value>, base: &str) -> Vec<HeaderUuid> {
    let mut uuids = Vec::new();
    let root = Ptr::Base(base);
    let Some(items) = non_empty_array(ctx, "R-39", object, "signatures", &root) else {
        return uuids;
    };
    let list = root.key("signatures");
    for (i, sig) in items.iter().enumerate() {
        let at = list.index(i);
        let Value::Object(sig) = sig else {
            ctx.error(
                "R-39",
                at.build(),
                format!("a signature must be an object, found {}", json_type(sig)),
            );
            continue;
        };
        let protected = protected_header(ctx, sig, &at, true);
        let header = match member(sig, "header") {
            Some(Value::Object(h)) => Some(h),
            None => {
                ctx.warning(
                    "R-39",
                    at.key("header").build(),
                    "the signature has no unprotected `header` (as the PyPI vcon library writes); \
                     core-03 requires one holding `x5c` or `x5u` and `uuid`: only the signer's \
                     public key can verify it",
                );
                None
            }
            other => {
                ctx.error(
                    "R-39",
                    at.key("header").build(),
                    format!(
                        "a signature must have an unprotected `header` object, found {}",
                        found(other)
                    ),
                );
                None
            }
        };
        base64url_member(ctx, "R-39", sig, "signature", &at);
        let headers = Headers([header, protected.as_ref(), None]);
        // Without a `header` (the PyPI layout), a missing x5c/x5u was reported with it.
        let identity = if member(sig, "header").is_none() {
            Severity::Warning
        } else {
            Severity::Error
        };
        signature_header(ctx, &headers, &at, identity);
        if let (Some(h), Some(p)) = (header, protected.as_ref()) {
            disjoint(ctx, h, p, &at);
        }
        let found = [(header, false), (protected.as_ref(), true)]
            .into_iter()
            .find_map(|(h, is_p)| Some((h?.get("uuid")?, is_p)));
        match found {
            None => ctx.warning(
                "R-39",
                at.key("header").build(),
                "the signature header has no `uuid`; core-03 recommends the vCon's uuid there",
            ),
            Some((Value::String(u), protected)) => {
                if !is_uuid_text(u) {
                    ctx.warning(
                        "R-39",
                        at.key("header").key("uuid").build(),
                        format!("header `uuid` {} is not a UUID in text form", quote(u)),
                    );
                }
                uuids.push(HeaderUuid {
                    signature: i,
                    uuid: u.clone(),
                    protected,
                });
            }
            Some((other, _)) => ctx.error(
                "R-39",
                at.key("header").key("uuid").build(),
                format!("header `uuid` must be a string, found {}", json_type(other)),
            ),
        }
    }
    uuids
}

/// Header parameters looked up in up to three headers, first match wins
/// (JOSE's union of the protected, shared unprotected and per-recipient headers).
struct Headers<'h>([Option<&'h Map<String, Value>>; 3]);

impl Headers<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().flatten().find_map(|h| member(h, name))
    }
}

/// Decodes the base64url JSON `protected` member of `object` at `at`.
/// `required` says whether its absence is an error.
fn protected_header(
    ctx: &mut Ctx<'_>,
    object: &Map<String, Value>,
    at: &Ptr<'_>,
    required: bool,
) -> Option<Map<String, Value>> {
    let rule = if required { "R-39" } else { "R-41" };
    let text = match member(object, "protected") {
        Some(Value::String(s)) => s,
        None if !required => return None,
        other => {
            ctx.error(
                rule,
                at.key("protected").build(),
                format!(
                    "`protected` must be a base64url-encoded JSON header, found {}",
                    found(other)
                ),
            );
            return None;
        }
    };
    let decoded = B64URL
        .decode(text)
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            read::parse_object(&bytes, ctx.options.limits.max_depth).map_err(|e| e.to_string())
        });
    match decoded {
        Ok(header) => Some(header),
        Err(e) => {
            ctx.error(
                rule,
                at.key("protected").build(),
                format!("`protected` is not a base64url-encoded JSON object: {e}"),
            );
            None
        }
    }
}

/// R-39 on the union of one signature's headers: `alg`, `x5c` or `x5u`.
/// `identity` is how severe a missing `x5c`/`x5u` is.
fn signature_header(ctx: &mut Ctx<'_>, headers: &Headers<'_>, at: &Ptr<'_>, identity: Severity) {
    let header_at = at.key("header");
    match headers.get("alg") {
        Some(Value::String(alg)) if alg == "RS256" => {}
        Some(Value::String(alg)) => ctx.warning(
            "R-39",
            header_at.key("alg").build(),
            format!(
                "signature `alg` is {}; core-03 recommends RS256",
                quote(alg)
            ),
        ),
        other => ctx.error(
            "R-39",
            header_at.key("alg").build(),
            format!(
                "the signature header must have an `alg` string, found {}",
                found(other)
            ),
        ),
    }
    let x5c = headers.get("x5c");
    let x5u = headers.get("x5u");
    if x5c.is_none() && x5u.is_none() {
        let message =
            "the signature header has neither `x5c` (certificate chain) nor `x5u` (its https URL)";
        if identity == Severity::Error {
            ctx.error("R-39", header_at.build(), message);
        } else {
            ctx.warning("R-39", header_at.build(), message);
        }
    }
    if let Some(x5c) = x5c {
        let ok = matches!(x5c, Value::Array(certs) if !certs.is_empty()
            && certs.iter().all(|c| c.as_str().is_some_and(is_base64_der)));
        if !ok {
            ctx.error(
                "R-39",
                header_at.key("x5c").build(),
                "`x5c` must be a non-empty array of base64 (not base64url) DER certificates",
            );
        }
    }
    match x5u {
        None => {}
        Some(Value::String(u)) if is_https_url(u) => {}
        Some(v) => ctx.error(
            "R-39",
            header_at.key("x5u").build(),
            format!("`x5u` must be an https URL, found {}", describe(v)),
        ),
    }
}

/// RFC 7515 wants the protected and unprotected header names disjoint; core-03's
/// own example repeats `alg` and `x5c` in both, so equal repeats are only noted.
fn disjoint(
    ctx: &mut Ctx<'_>,
    header: &Map<String, Value>,
    protected: &Map<String, Value>,
    at: &Ptr<'_>,
) {
    let mut repeated = Vec::new();
    for (name, value) in protected {
        match header.get(name) {
            Some(v) if v == value => repeated.push(name.as_str()),
            Some(_) => ctx.error(
                "R-39",
                at.key("header").key(name).build(),
                format!(
                    "header parameter `{name}` has different values in `protected` and `header`"
                ),
            ),
            None => {}
        }
    }
    if !repeated.is_empty() {
        ctx.info(
            "R-39",
            at.key("header").build(),
            format!(
                "`{}` appear in both `protected` and `header` with the same value; RFC 7515 wants \
                 them disjoint (tolerated, as in core-03's example)",
                repeated.join("`, `")
            ),
        );
    }
}

/// Whether `s` is standard base64 (as `x5c` certificates are).
fn is_base64_der(s: &str) -> bool {
    let data = s.trim_end_matches('=');
    !data.is_empty()
        && s.len().is_multiple_of(4)
        && data
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// A value for a message: quoted when a string, its type otherwise.
fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => quote(s),
        other => json_type(other).to_owned(),
    }
}

/// An optional value for a message; an empty array is called so.
fn found(v: Option<&Value>) -> String {
    match v {
        None => "nothing".to_owned(),
        Some(Value::Array(a)) if a.is_empty() => "an empty array".to_owned(),
        Some(v) => describe(v),
    }
}

/// Checks that member `name` of `object` (at `at`) is a non-empty base64url
/// string, reporting under `rule`.
fn base64url_member(
    ctx: &mut Ctx<'_>,
    rule: &'static str,
    object: &Map<String, Value>,
    name: &str,
    at: &Ptr<'_>,
) {
    let v = member(object, name);
    if !matches!(v, Some(Value::String(s)) if !s.is_empty() && check_base64url(s).is_ok()) {
        ctx.error(
            rule,
            at.key(name).build(),
            format!(
                "`{name}` must be a non-empty base64url string, found {}",
                found(v)
            ),
        );
    }
}

/// The non-empty array member `name` of `object`, or an error under `rule`.
fn non_empty_array<'v>(
    ctx: &mut Ctx<'_>,
    rule: &'static str,
    object: &'v Map<String, Value>,
    name: &str,
    at: &Ptr<'_>,
) -> Option<&'v Vec<Value>> {
    match member(object, name) {
        Some(Value::Array(items)) if !items.is_empty() => Some(items),
        other => {
            ctx.error(
                rule,
                at.key(name).build(),
                format!(
                    "`{name}` must be a non-empty array of objects, found {}",
                    found(other)
                ),
            );
            None
        }
    }
}
