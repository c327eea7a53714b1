//! Rules on Party objects (core-03 §Party Object), R-38: member types, `did`
//! syntax, `tel` as a TEL URL, `type` values, `name` with `validation`, and the
//! `civicaddress` object.

use super::Ctx;
use super::content::quote;
use crate::tree::{Json, JsonObj, View};

/// Values core-03 recommends for party `type`.
const PARTY_TYPES: &[&str] = &["person", "bot", "organization"];

/// Runs the rules of this module on every party.
pub(super) fn check<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O) {
    let Some(parties) = object.get("parties").and_then(Json::as_array) else {
        return;
    };
    for (i, party) in parties.iter().enumerate() {
        // Non-objects are reported by R-9; `{}` is a legal unknown participant.
        if let Some(party) = party.as_object() {
            check_party(ctx, i, party);
        }
    }
}

/// One pass over the party's members (no lookups by name).
fn check_party<O: JsonObj>(ctx: &mut Ctx<'_>, i: usize, party: &O) {
    let mut name = None;
    let mut validation = false;
    for (key, v) in party.members() {
        if v.is_null() {
            continue;
        }
        match key {
            "civicaddress" => civicaddress(ctx, i, v),
            "tel" | "sip" | "stir" | "mailto" | "name" | "did" | "validation" | "gmlpos"
            | "uuid" | "type" | "org" | "dept" => {
                let View::String(s) = v.view() else {
                    ctx.error(
                        "R-38",
                        format!("/parties/{i}/{key}"),
                        format!("party `{key}` must be a string, found {}", v.type_name()),
                    );
                    continue;
                };
                match key {
                    "did" => did(ctx, i, s),
                    "tel" => tel(ctx, i, s),
                    "type" => party_type(ctx, i, s),
                    "name" => name = Some(s),
                    "validation" => validation = true,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if let Some(name) = name
        && !name.is_empty()
        && name != "anonymous"
        && !validation
    {
        ctx.warning(
            "R-38",
            format!("/parties/{i}/name"),
            "party has a `name` but no `validation` saying how the identity was checked \
             (\"none\" if it was not)",
        );
    }
    super::extensions::check_party(ctx, i, party);
}

fn did(ctx: &mut Ctx<'_>, i: usize, did: &str) {
    if !is_did(did) {
        ctx.error(
            "R-38",
            format!("/parties/{i}/did"),
            format!(
                "`did` {} is not a DID URI of the form did:<method>:<id>",
                quote(did)
            ),
        );
    }
}

fn tel(ctx: &mut Ctx<'_>, i: usize, tel: &str) {
    if !is_tel(tel) {
        ctx.warning(
            "R-38",
            format!("/parties/{i}/tel"),
            format!(
                "`tel` {} is not a TEL URL (RFC 3966): a global number such as \
                 +12345678901, or a local number with a phone-context",
                quote(tel)
            ),
        );
    }
}

fn party_type(ctx: &mut Ctx<'_>, i: usize, t: &str) {
    if !PARTY_TYPES.contains(&t) {
        ctx.warning(
            "R-38",
            format!("/parties/{i}/type"),
            format!(
                "party `type` {} is not one of person, bot, organization",
                quote(t)
            ),
        );
    }
}

/// `civicaddress` is an object of lower-case names with string values.
fn civicaddress(ctx: &mut Ctx<'_>, i: usize, v: &impl Json) {
    let View::Object(address) = v.view() else {
        ctx.error(
            "R-38",
            format!("/parties/{i}/civicaddress"),
            format!("`civicaddress` must be an object, found {}", v.type_name()),
        );
        return;
    };
    for (key, value) in address.members() {
        if key.bytes().any(|b| b.is_ascii_uppercase()) {
            ctx.error(
                "R-38",
                super::pointer_join(&format!("/parties/{i}/civicaddress"), key),
                format!("civic address element {} must be lower case", quote(key)),
            );
        }
        if !value.is_string() && !value.is_null() {
            ctx.error(
                "R-38",
                super::pointer_join(&format!("/parties/{i}/civicaddress"), key),
                format!(
                    "civic address element {} must be a string, found {}",
                    quote(key),
                    value.type_name()
                ),
            );
        }
    }
}

/// Whether `s` is a DID (`did:<method>:<method-specific-id>`, W3C DID Core
/// §3.1), optionally followed by a DID URL path, query or fragment.
pub(crate) fn is_did(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("did:") else {
        return false;
    };
    let Some((method, id)) = rest.split_once(':') else {
        return false;
    };
    let method_ok = !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let id = id.split(['/', '?', '#']).next().unwrap_or("");
    method_ok && !id.is_empty() && !id.ends_with(':') && is_did_id(id.as_bytes())
}

/// `*idchar` and `:` with `%XX` escapes (W3C DID Core method-specific-id).
fn is_did_id(b: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'%' => {
                let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !hex(i + 1) || !hex(i + 2) {
                    return false;
                }
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':') => i += 1,
            _ => return false,
        }
    }
    true
}

/// Whether `s` is an RFC 3966 telephone-subscriber, with or without the
/// `tel:` scheme: `+` and digits (visual separators allowed), or a local number
/// with a `phone-context` parameter.
pub(crate) fn is_tel(s: &str) -> bool {
    let s = s
        .get(..4)
        .filter(|scheme| scheme.eq_ignore_ascii_case("tel:"))
        .map_or(s, |_| &s[4..]);
    let (number, params) = s.split_once(';').unwrap_or((s, ""));
    let visual = |c: u8| matches!(c, b'-' | b'.' | b'(' | b')');
    let params_ok = params.is_empty() || params.split(';').all(is_tel_param);
    if let Some(digits) = number.strip_prefix('+') {
        digits.bytes().any(|c| c.is_ascii_digit())
            && digits.bytes().all(|c| c.is_ascii_digit() || visual(c))
            && params_ok
    } else {
        let local = |c: u8| c.is_ascii_hexdigit() || c == b'*' || c == b'#';
        number.bytes().any(local)
            && number.bytes().all(|c| local(c) || visual(c))
            && params_ok
            && params.split(';').any(|p| {
                p.get(..14)
                    .is_some_and(|n| n.eq_ignore_ascii_case("phone-context="))
                    && p.len() > 14
            })
    }
}

/// `pname [ "=" pvalue ]` of RFC 3966 §3, read permissively for the value.
fn is_tel_param(p: &str) -> bool {
    let (name, value) = p.split_once('=').map_or((p, None), |(n, v)| (n, Some(v)));
    !name.is_empty()
        && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
        && value.is_none_or(|v| !v.is_empty() && !v.bytes().any(|c| c.is_ascii_whitespace()))
}
