//! Envelope rules for the signed (JWS) and encrypted (JWE) forms,
//! and the form rule R-40.

use serde_json::{Map, Value};

use super::Ctx;

/// A document with no determinable form.
pub(super) fn no_form(ctx: &mut Ctx<'_>, object: &Map<String, Value>) {
    let hint = if object.contains_key("cyphertext") {
        " (`cyphertext` is a misspelling of `ciphertext`)"
    } else if object.contains_key("payload") || object.contains_key("signatures") {
        " (a signed vCon needs both `payload` and `signatures`)"
    } else if object.contains_key("ciphertext") || object.contains_key("recipients") {
        " (an encrypted vCon needs both `ciphertext` and `recipients`)"
    } else {
        ""
    };
    ctx.error(
        "R-40",
        "",
        format!(
            "form cannot be determined: none of payload+signatures, ciphertext+recipients, or parties/dialog/analysis/attachments is present{hint}"
        ),
    );
}

/// Rules of the signed form.
pub(super) fn signed(_ctx: &mut Ctx<'_>, _object: &Map<String, Value>) {}

/// Rules of the encrypted form.
pub(super) fn encrypted(_ctx: &mut Ctx<'_>, _object: &Map<String, Value>) {}
