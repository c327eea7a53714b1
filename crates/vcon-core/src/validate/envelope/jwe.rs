//! the encrypted form (JWE General JSON Serialization), checked
//! without keys.

use serde_json::{Map, Value};

use super::{
    B64URL, Headers, base64url_member, describe, found, non_empty_array, protected_header,
};
use crate::read::json_type;
use crate::validate::Ctx;
use crate::validate::content::{Ptr, member, quote};
use crate::validate::primitives::is_uuid_text;
use base64::Engine as _;

/// Rules of the encrypted form, without decrypting.
pub(in crate::validate) fn encrypted(ctx: &mut Ctx<'_>, object: &Map<String, Value>) {
    let root = Ptr::Base("");
    let protected = protected_header(ctx, object, &root, false);
    let unprotected = match member(object, "unprotected") {
        None => None,
        Some(Value::Object(u)) => Some(u),
        Some(other) => {
            ctx.error(
                "R-41",
                "/unprotected",
                format!(
                    "`unprotected` must be an object, found {}",
                    json_type(other)
                ),
            );
            None
        }
    };
    let shared = Headers([unprotected, protected.as_ref(), None]);
    for name in ["iv", "ciphertext", "tag"] {
        base64url_member(ctx, "R-41", object, name, &root);
    }
    let first_enc = recipients(ctx, object, &shared);
    if first_enc.as_deref() == Some("A256CBC-HS512") {
        for (name, want) in [("iv", 16), ("tag", 32)] {
            let len = member(object, name)
                .and_then(Value::as_str)
                .and_then(|s| B64URL.decode(s).ok())
                .map(|b| b.len());
            if len.is_some_and(|n| n != want) {
                ctx.error(
                    "R-41",
                    format!("/{name}"),
                    format!(
                        "with A256CBC-HS512 the `{name}` is {want} bytes, this one is {}",
                        len.unwrap_or(0)
                    ),
                );
            }
        }
    }
    match shared.get("cty").and_then(Value::as_str) {
        Some("application/vcon" | "application/vcon+gzip") => {}
        Some("application/vcon+json") => ctx.info(
            "R-41",
            "/unprotected/cty",
            "`cty` application/vcon+json is the pre-core-00 name; core-03 uses application/vcon",
        ),
        other => ctx.warning(
            "R-41",
            "/unprotected/cty",
            format!(
                "`cty` should be application/vcon or application/vcon+gzip, found {}",
                other.map_or_else(|| "none".to_owned(), quote)
            ),
        ),
    }
    match unprotected.and_then(|u| member(u, "uuid")) {
        None => ctx.warning(
            "R-41",
            "/unprotected/uuid",
            "`unprotected` has no `uuid`; core-03 recommends the vCon's uuid there",
        ),
        Some(Value::String(u)) if is_uuid_text(u) => {}
        Some(v) => ctx.warning(
            "R-41",
            "/unprotected/uuid",
            format!("`unprotected.uuid` is not a UUID string: {}", describe(v)),
        ),
    }
    ctx.info(
        "R-41",
        "",
        "only the JWE envelope was checked: decrypt it to validate the signed vCon inside",
    );
}

/// R-41 on `recipients`; returns the `enc` that applies to the first one.
fn recipients(
    ctx: &mut Ctx<'_>,
    object: &Map<String, Value>,
    shared: &Headers<'_>,
) -> Option<String> {
    let root = Ptr::Base("");
    let items = non_empty_array(ctx, "R-41", object, "recipients", &root)?;
    let list = root.key("recipients");
    let mut first_enc = None;
    for (i, r) in items.iter().enumerate() {
        let at = list.index(i);
        let Value::Object(r) = r else {
            ctx.error(
                "R-41",
                at.build(),
                format!("a recipient must be an object, found {}", json_type(r)),
            );
            continue;
        };
        base64url_member(ctx, "R-41", r, "encrypted_key", &at);
        let header = match member(r, "header") {
            None => None,
            Some(Value::Object(h)) => Some(h),
            Some(other) => {
                ctx.error(
                    "R-41",
                    at.key("header").build(),
                    format!(
                        "a recipient `header` must be an object, found {}",
                        json_type(other)
                    ),
                );
                None
            }
        };
        let headers = Headers([header, shared.0[0], shared.0[1]]);
        for (name, want) in [("alg", "RSA-OAEP"), ("enc", "A256CBC-HS512")] {
            match headers.get(name) {
                Some(Value::String(v)) => {
                    if name == "enc" && first_enc.is_none() {
                        first_enc = Some(v.clone());
                    }
                    if v != want {
                        ctx.warning(
                            "R-41",
                            at.key("header").key(name).build(),
                            format!("`{name}` is {}; core-03 recommends {want}", quote(v)),
                        );
                    }
                }
                other => ctx.error(
                    "R-41",
                    at.key("header").key(name).build(),
                    format!(
                        "no `{name}` string in the protected, unprotected or recipient header (found {})",
                        found(other)
                    ),
                ),
            }
        }
    }
    first_enc
}
