//! Rules on the objects beside the dialogs that may carry a file: Analysis and
//! Attachment objects (core-03 §Analysis Object, §Attachment Object) and the
//! Redacted and Amended references (§Redacted Object, §Amended Object):
//!
//! * R-34 analysis `type` and `vendor` (and its string members);
//! * R-35 analysis `dialog` / `attachment` indices;
//! * R-36 attachment `party`, `start` and `dialog`; R-20 for the `party` index;
//! * R-37 attachment `type` used instead of `purpose`;
//! * R-8 `redacted` and `amended` are exclusive; R-43 their members;
//! * R-44 empty leftovers (`redacted: {}`, `group: []`) and the reserved `group`.
//!
//! Content members of both (`body`, `encoding`, `url`, `content_hash`,
//! `mediatype`) are checked by [`super::content::check_object`]; the rules of
//! known extensions by [`super::extensions`].

use super::content::{self, non_null, quote};
use super::primitives::{is_date, is_uuid_text};
use super::{Ctx, ElementPointer, Profile, extensions};
use crate::tree::{Json, JsonObj, View};

/// Analysis types core-03 recommends.
const ANALYSIS_TYPES: &[&str] = &[
    "report",
    "sentiment",
    "summary",
    "transcript",
    "translation",
    "tts",
];

/// Runs the rules of this module on every analysis and attachment entry.
pub(super) fn check<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O) {
    let dialogs = array_len(object, "dialog");
    let attachments = array_len(object, "attachments");
    if let Some(items) = object.get("analysis").and_then(Json::as_array) {
        for (i, item) in items.iter().enumerate() {
            // Non-objects are reported by R-9; `{}` is a removed entry's placeholder.
            if let Some(a) = item.as_object().filter(|o| !o.is_empty()) {
                check_analysis(ctx, i, a, dialogs, attachments);
            }
        }
    }
    if let Some(items) = object.get("attachments").and_then(Json::as_array) {
        for (i, item) in items.iter().enumerate() {
            if let Some(a) = item.as_object().filter(|o| !o.is_empty()) {
                check_attachment(ctx, object, i, a, dialogs);
            }
        }
    }
}

/// Length of the top-level array `name` (0 when absent or not an array).
fn array_len<O: JsonObj>(object: &O, name: &str) -> usize {
    object
        .get(name)
        .and_then(Json::as_array)
        .map_or(0, <[_]>::len)
}

fn check_analysis<O: JsonObj>(
    ctx: &mut Ctx<'_>,
    i: usize,
    a: &O,
    dialogs: usize,
    attachments: usize,
) {
    match non_null(a, "type").map(Json::view) {
        None => ctx.error(
            "R-34",
            format!("/analysis/{i}/type"),
            "analysis has no `type` (such as transcript or summary)",
        ),
        Some(View::String(t)) => {
            if !ANALYSIS_TYPES.contains(&t) && !extensions::defines_analysis_type(ctx, t) {
                ctx.warning(
                    "R-34",
                    format!("/analysis/{i}/type"),
                    format!(
                        "analysis `type` {} is not one of report, sentiment, summary, transcript, \
                         translation, tts",
                        quote(t)
                    ),
                );
            }
        }
        Some(other) => ctx.error(
            "R-34",
            format!("/analysis/{i}/type"),
            format!(
                "analysis `type` must be a string, found {}",
                other.type_name()
            ),
        ),
    }
    if non_null(a, "vendor").is_none() {
        ctx.error(
            "R-34",
            format!("/analysis/{i}/vendor"),
            "analysis has no `vendor` naming who produced it",
        );
    }
    for name in ["vendor", "product", "schema", "filename"] {
        if let Some(v) = non_null(a, name).filter(|v| !v.is_string()) {
            ctx.error(
                "R-34",
                format!("/analysis/{i}/{name}"),
                format!(
                    "analysis `{name}` must be a string, found {}",
                    v.type_name()
                ),
            );
        }
    }
    for (name, len, array) in [
        ("dialog", dialogs, "dialog"),
        ("attachment", attachments, "attachments"),
    ] {
        if let Some(v) = non_null(a, name) {
            indices(ctx, i, name, v, len, array);
        }
    }
    let at = ElementPointer::new("analysis", i);
    content::check_object(ctx, a, at.as_str());
    extensions::check_analysis(ctx, a, at.as_str());
}

/// an UnsignedInt or an array of them, each an index into `array` of length `len`.
fn indices<J: Json>(ctx: &mut Ctx<'_>, i: usize, name: &str, v: &J, len: usize, array: &str) {
    match v.as_array() {
        Some(items) => {
            for (j, item) in items.iter().enumerate() {
                if let Some(problem) = index_problem(item, len) {
                    ctx.error(
                        "R-35",
                        format!("/analysis/{i}/{name}/{j}"),
                        format!("analysis `{name}` entry {problem} (`{array}` has {len} entries)"),
                    );
                }
            }
        }
        None => {
            if let Some(problem) = index_problem(v, len) {
                ctx.error(
                    "R-35",
                    format!("/analysis/{i}/{name}"),
                    format!("analysis `{name}` {problem} (`{array}` has {len} entries)"),
                );
            }
        }
    }
}

/// What is wrong with `item` as an index into an array of `len` entries.
fn index_problem(item: &impl Json, len: usize) -> Option<String> {
    match item.as_u64() {
        Some(n) if usize::try_from(n).is_ok_and(|n| n < len) => None,
        Some(n) => Some(format!("{n} is out of range")),
        None => Some(format!(
            "must be an index (a non-negative integer), found {}",
            item.type_name()
        )),
    }
}

fn check_attachment<O: JsonObj>(ctx: &mut Ctx<'_>, root: &O, i: usize, a: &O, dialogs: usize) {
    let parties = ctx.party_count();
    match non_null(a, "party") {
        None => ctx.missing_in_the_wild(
            "R-36",
            format!("/attachments/{i}/party"),
            "attachment has no `party` (the index of the party that contributed it)",
        ),
        Some(v) => match v.as_u64() {
            Some(n) if usize::try_from(n).is_ok_and(|n| n < parties) => {}
            Some(n) => ctx.error(
                "R-20",
                format!("/attachments/{i}/party"),
                format!("attachment `party` {n} is out of range: `parties` has {parties} entries"),
            ),
            None => ctx.error(
                "R-20",
                format!("/attachments/{i}/party"),
                format!(
                    "attachment `party` must be a party index, found {}",
                    v.type_name()
                ),
            ),
        },
    }
    match non_null(a, "start") {
        None => ctx.missing_in_the_wild(
            "R-36",
            format!("/attachments/{i}/start"),
            "attachment has no `start` (when it was exchanged)",
        ),
        Some(v) if v.as_str().is_some_and(is_date) => {}
        Some(v) => ctx.error(
            "R-36",
            format!("/attachments/{i}/start"),
            format!(
                "attachment `start` must be an RFC 3339 date-time, found {}",
                v.as_str().map_or_else(|| v.type_name().to_owned(), quote)
            ),
        ),
    }
    match non_null(a, "dialog") {
        None => ctx.missing_in_the_wild(
            "R-36",
            format!("/attachments/{i}/dialog"),
            "attachment has no `dialog` (the index of the dialog it relates to)",
        ),
        Some(v) => match v.as_u64() {
            Some(n) if usize::try_from(n).is_ok_and(|n| n < dialogs) => {}
            Some(n) => ctx.error(
                "R-36",
                format!("/attachments/{i}/dialog"),
                format!("attachment `dialog` {n} is out of range: `dialog` has {dialogs} entries"),
            ),
            None => ctx.error(
                "R-36",
                format!("/attachments/{i}/dialog"),
                format!(
                    "attachment `dialog` must be a dialog index, found {}",
                    v.type_name()
                ),
            ),
        },
    }
    if let Some(v) = non_null(a, "filename").filter(|v| !v.is_string()) {
        ctx.error(
            "R-36",
            format!("/attachments/{i}/filename"),
            format!(
                "attachment `filename` must be a string, found {}",
                v.type_name()
            ),
        );
    }
    purpose(ctx, i, a);
    let at = ElementPointer::new("attachments", i);
    content::check_object(ctx, a, at.as_str());
    extensions::check_attachment(ctx, root, a, at.as_str());
}

/// `purpose` is a string; `type` is only the lawful_basis marker.
fn purpose<O: JsonObj>(ctx: &mut Ctx<'_>, i: usize, a: &O) {
    if let Some(v) = non_null(a, "purpose").filter(|v| !v.is_string()) {
        ctx.error(
            "R-37",
            format!("/attachments/{i}/purpose"),
            format!(
                "attachment `purpose` must be a string, found {}",
                v.type_name()
            ),
        );
    }
    match non_null(a, "type") {
        None => {}
        Some(t) if t.as_str() == Some("lawful_basis") => {}
        Some(t) => ctx.warning(
            "R-37",
            format!("/attachments/{i}/type"),
            format!(
                "attachment uses `type` {}, the pre-core-02 placeholder; use `purpose` \
                 (`vcon migrate` renames it); only the lawful_basis extension uses `type`",
                t.as_str().map_or_else(|| t.type_name().to_owned(), quote)
            ),
        ),
    }
}

/// on `redacted`, `amended` and the legacy `appended`.
pub(super) fn references<J: Json>(
    ctx: &mut Ctx<'_>,
    redacted: Option<&J>,
    amended: Option<&J>,
    appended: Option<&J>,
) {
    let redacted = reference(ctx, redacted, "redacted");
    let amended = reference(ctx, amended, "amended");
    let appended = reference(ctx, appended, "appended");
    if redacted && (amended || appended) {
        let other = if amended { "amended" } else { "appended" };
        ctx.error(
            "R-8",
            format!("/{other}"),
            format!("`redacted` and `{other}` are mutually exclusive; a vCon is one or the other"),
        );
    }
}

/// Checks one Redacted or Amended object; returns whether it is a non-empty object.
fn reference<J: Json>(ctx: &mut Ctx<'_>, value: Option<&J>, name: &'static str) -> bool {
    let pointer = match name {
        "redacted" => "/redacted",
        "amended" => "/amended",
        _ => "/appended",
    };
    let reference = match value.map(Json::view) {
        None => return false,
        Some(View::Object(o)) if o.is_empty() => {
            // core-03's own examples carry `redacted: {}`; strictly it is a
            // Redacted Object without its required `type`, leniently a leftover.
            if name == "redacted" && ctx.options.profile == Profile::Strict {
                ctx.error(
                    "R-43",
                    "/redacted/type",
                    "`redacted` is an empty object: a Redacted Object needs a `type` (remove the \
                     leftover; the lenient profile treats it as absent)",
                );
            } else {
                ctx.info(
                    "R-44",
                    pointer,
                    format!(
                        "`{name}` is an empty object, a leftover of older tools; treated as absent"
                    ),
                );
            }
            return false;
        }
        Some(View::Object(o)) => o,
        Some(other) => {
            ctx.error(
                "R-43",
                pointer,
                format!("`{name}` must be an object, found {}", other.type_name()),
            );
            return false;
        }
    };
    if name == "appended" {
        // Legacy: reported under R-11 by the member accounting; its content
        // may follow the 0.0.1 inline rules, so it is not checked as 0.4.0.
        return true;
    }
    match non_null(reference, "uuid").map(Json::view) {
        None => ctx.warning(
            "R-43",
            format!("{pointer}/uuid"),
            format!(
                "`{name}` has no `uuid` of the prior vCon; without it the prior version is \
                 taken to be unavailable"
            ),
        ),
        Some(View::String(s)) if is_uuid_text(s) => {}
        Some(View::String(s)) => ctx.warning(
            "R-43",
            format!("{pointer}/uuid"),
            format!("`{name}.uuid` {} is not a UUID in text form", quote(s)),
        ),
        Some(other) => ctx.error(
            "R-43",
            format!("{pointer}/uuid"),
            format!(
                "`{name}.uuid` must be a UUID string, found {}",
                other.type_name()
            ),
        ),
    }
    if name == "redacted" {
        match non_null(reference, "type").map(Json::view) {
            Some(View::String(_)) => {}
            None => ctx.error(
                "R-43",
                "/redacted/type",
                "`redacted` has no `type` naming the kind of redaction (such as \"PII Redaction\")",
            ),
            Some(other) => ctx.error(
                "R-43",
                "/redacted/type",
                format!(
                    "`redacted.type` must be a string, found {}",
                    other.type_name()
                ),
            ),
        }
    }
    content::check_object(ctx, reference, pointer);
    if ctx.in_payload {
        return true;
    }
    ctx.info(
        "R-43",
        pointer,
        format!(
            "this {name} vCon is unsigned; it should be signed before it leaves its security domain"
        ),
    );
    true
}

/// `group` is reserved; only an empty leftover is tolerated.
pub(super) fn group<J: Json>(ctx: &mut Ctx<'_>, group: Option<&J>) {
    match group.map(Json::view) {
        None => {}
        Some(View::Array([])) => ctx.info(
            "R-44",
            "/group",
            "`group` is an empty array, a leftover of older tools; treated as absent",
        ),
        Some(View::Array(_)) if ctx.options.supports("group") => {}
        Some(View::Array(_)) => {
            ctx.error(
                "R-44",
                "/group",
                "`group` was removed in core-02 and is reserved for a future extension; a 0.4.0 \
                 vCon must not carry group objects",
            );
            ctx.warning(
                "R-11",
                "/group",
                "`group` is a legacy (0.0.1 to 0.3.0) member; run `vcon migrate` to upgrade",
            );
        }
        Some(other) => ctx.error(
            "R-44",
            "/group",
            format!(
                "`group` is reserved; found {} where only a legacy array could be",
                other.type_name()
            ),
        ),
    }
}
