//! The extension framework (core-03 §Extending vCon) and the known extensions:
//!
//! * R-46 `lawful_basis` attachments, R-47 `wtf_transcription` analyses,
//!   R-48 `sip-signaling`, R-49 `agent_session`, R-50 `CC` in `critical`;
//! * R-7 for an extension-defined analysis `type` whose extension is not listed.
//!
//! Which member names are core, legacy or extension-defined (R-7, R-11, R-50
//! for CC members) is accounted for in [`super::toplevel`].
//!
//! Extension rules run only when the extension is supported
//! ([`super::Options::supports`]) and the vCon uses it.

use super::content::{Ptr, non_null, quote};
use super::primitives::mediatype_essence;
use super::{Ctx, Fields, Want};
use crate::tree::{Json, JsonObj, View};

/// Runs the document-wide extension rules: names in `critical`,
/// SIP dialog members and agent_session governance.
pub(super) fn check<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O) {
    critical_names(ctx, object);
    if ctx.options.supports("agent_session") {
        agent_governance(ctx, object);
    }
}

/// R-48 (`sip-signaling` never critical) and R-50 (`CC` critical is pointless).
fn critical_names<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O) {
    for list in ["critical", "must_support", "must_understand"] {
        let Some(items) = non_null(object, list).and_then(Json::as_array) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some("sip-signaling") if ctx.options.supports("sip-signaling") => ctx.error(
                    "R-48",
                    format!("/{list}/{i}"),
                    "`sip-signaling` is a compatible extension and must not be listed in `critical`",
                ),
                Some("CC") if ctx.options.supports("CC") => ctx.info(
                    "R-50",
                    format!("/{list}/{i}"),
                    "`CC` is a compatible extension; listing it in `critical` is legal but makes \
                     consumers without CC support reject the vCon for nothing",
                ),
                _ => {}
            }
        }
    }
}

/// R-48 on one SIP dialog member (called by the member accounting, which sees
/// every member name): `sip_cseq` is an UnsignedInt, the others strings.
pub(super) fn sip_dialog_member(
    ctx: &mut Ctx<'_>,
    name: &str,
    value: &impl Json,
    pointer: impl FnOnce() -> String,
) {
    if value.is_null() || !ctx.options.supports("sip-signaling") {
        return;
    }
    let (ok, want) = match name {
        "sip_cseq" => (value.as_u64().is_some(), "a non-negative integer"),
        _ => (value.is_string(), "a string"),
    };
    if !ok {
        ctx.error(
            "R-48",
            pointer(),
            format!(
                "sip-signaling `{name}` must be {want}, found {}",
                value.type_name()
            ),
        );
    }
}

/// Whether `t` is an analysis type defined by a supported extension (so R-34
/// does not warn about it).
pub(super) fn defines_analysis_type(ctx: &Ctx<'_>, t: &str) -> bool {
    extension_of_analysis_type(t).is_some_and(|ext| ctx.options.supports(ext))
}

fn extension_of_analysis_type(t: &str) -> Option<&'static str> {
    match t {
        "wtf_transcription" => Some("wtf_transcription"),
        "agent_trace" => Some("agent_session"),
        _ => None,
    }
}

/// Extension rules on one analysis entry at `pointer`: for
/// an extension-defined `type` whose extension is not listed.
pub(super) fn check_analysis<O: JsonObj>(ctx: &mut Ctx<'_>, a: &O, pointer: &str) {
    let Some(t) = non_null(a, "type").and_then(Json::as_str) else {
        return;
    };
    let Some(ext) = extension_of_analysis_type(t) else {
        return;
    };
    let at = Ptr::Base(pointer);
    if !ctx.lists_extension(ext) {
        ctx.warning(
            "R-7",
            at.key("type").build(),
            format!("analysis type {} belongs to the `{ext}` extension, which is not listed in `extensions`", quote(t)),
        );
    }
    if !ctx.options.supports(ext) {
        return;
    }
    match ext {
        "wtf_transcription" => wtf(ctx, a, &at),
        _ => agent_trace(ctx, a, &at),
    }
}

/// The SIP message purposes whose content is a `message/sip` message.
const SIP_MESSAGE_PURPOSES: &[&str] = &[
    "sip-invite",
    "sip-response",
    "sip-ack",
    "sip-bye",
    "sip-cancel",
    "sip-update",
    "sip-refer",
];

/// Extension rules on one attachment at `pointer`.
pub(super) fn check_attachment<O: JsonObj>(ctx: &mut Ctx<'_>, root: &O, a: &O, pointer: &str) {
    let at = Ptr::Base(pointer);
    let lawful = non_null(a, "type").and_then(Json::as_str) == Some("lawful_basis")
        || non_null(a, "purpose").and_then(Json::as_str) == Some("lawful_basis");
    if lawful && ctx.options.supports("lawful_basis") {
        lawful_basis(ctx, a, &at);
    }
    let Some(purpose) = non_null(a, "purpose").and_then(Json::as_str) else {
        return;
    };
    if !ctx.options.supports("sip-signaling") {
        return;
    }
    if SIP_MESSAGE_PURPOSES.contains(&purpose) {
        let essence = non_null(a, "mediatype")
            .and_then(Json::as_str)
            .map(mediatype_essence);
        if !essence.is_some_and(|e| e.eq_ignore_ascii_case("message/sip")) {
            ctx.error(
                "R-48",
                at.key("mediatype").build(),
                format!(
                    "a {} attachment must have `mediatype` message/sip, found {}",
                    quote(purpose),
                    essence.map_or_else(|| "none".to_owned(), quote)
                ),
            );
        }
    } else if purpose == "sip-message-trace" {
        sip_trace(ctx, root, a, &at);
    }
}

/// a SIP trace's `call_id` equals its dialog's `sip_call_id`.
fn sip_trace<O: JsonObj>(ctx: &mut Ctx<'_>, root: &O, a: &O, at: &Ptr<'_>) {
    let Some(call_id) = non_null(a, "body")
        .and_then(|b| b.get("call_id"))
        .and_then(Json::as_str)
    else {
        return;
    };
    let dialog_call_id = non_null(a, "dialog")
        .and_then(Json::as_u64)
        .and_then(|d| {
            root.get("dialog")?
                .as_array()?
                .get(usize::try_from(d).ok()?)
        })
        .and_then(|d| d.get("sip_call_id"))
        .and_then(Json::as_str);
    if let Some(expected) = dialog_call_id.filter(|d| *d != call_id) {
        ctx.error(
            "R-48",
            at.key("body").key("call_id").build(),
            format!(
                "trace `call_id` {} differs from the dialog's `sip_call_id` {}",
                quote(call_id),
                quote(expected)
            ),
        );
    }
}

/// The lawful bases of draft-howe-vcon-lawful-basis-00.
const LAWFUL_BASES: &[&str] = &[
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
];

/// a lawful_basis attachment.
fn lawful_basis<O: JsonObj>(ctx: &mut Ctx<'_>, a: &O, at: &Ptr<'_>) {
    let mut f = Fields {
        ctx,
        rule: "R-46",
        label: "lawful_basis attachment",
    };
    let Some(body) = f.json_body(a, at) else {
        return;
    };
    let at = at.key("body");
    if let Some(basis) = f
        .get(body, "lawful_basis", Want::Str, true, &at)
        .and_then(Json::as_str)
        && !LAWFUL_BASES.contains(&basis)
    {
        f.error(
            at.key("lawful_basis"),
            format!(
                "`lawful_basis` {} is not one of {}",
                quote(basis),
                LAWFUL_BASES.join(", ")
            ),
        );
    }
    f.get(body, "expiration", Want::DateOrNull, true, &at);
    let Some(grants) = f
        .get(body, "purpose_grants", Want::Array, true, &at)
        .and_then(Json::as_array)
    else {
        return;
    };
    let grants_at = at.key("purpose_grants");
    for (j, grant) in grants.iter().enumerate() {
        let g_at = grants_at.index(j);
        let View::Object(grant) = grant.view() else {
            f.error(
                g_at,
                format!(
                    "purpose grants must be objects, found {}",
                    grant.type_name()
                ),
            );
            continue;
        };
        f.get(grant, "purpose", Want::Str, true, &g_at);
        f.get(grant, "granted", Want::Bool, true, &g_at);
        f.get(grant, "granted_at", Want::Date, true, &g_at);
        if let Some(conditions) = f
            .get(grant, "conditions", Want::Array, false, &g_at)
            .and_then(Json::as_array)
        {
            let c_at = g_at.key("conditions");
            for (k, c) in conditions
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.is_string())
            {
                f.error(
                    c_at.index(k),
                    format!("conditions must be strings, found {}", c.type_name()),
                );
            }
        }
    }
}

/// A segment `id`, hashable without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum SegmentId<'v> {
    Int(i128),
    Float(u64),
    Str(&'v str),
}

impl<'v> SegmentId<'v> {
    fn of<J: Json>(v: &'v J) -> Option<Self> {
        match v.view() {
            View::String(s) => Some(Self::Str(s)),
            View::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .map(Self::Int)
                .or_else(|| n.as_f64().map(|f| Self::Float(f.to_bits()))),
            _ => None,
        }
    }
}

/// a wtf_transcription analysis.
fn wtf<O: JsonObj>(ctx: &mut Ctx<'_>, a: &O, at: &Ptr<'_>) {
    let mut f = Fields {
        ctx,
        rule: "R-47",
        label: "wtf_transcription analysis",
    };
    let Some(body) = f.json_body(a, at) else {
        return;
    };
    let at = at.key("body");
    if let Some(t) = f
        .get(body, "transcript", Want::Object, true, &at)
        .and_then(Json::as_object)
    {
        let t_at = at.key("transcript");
        f.get(t, "text", Want::Str, true, &t_at);
        f.get(t, "language", Want::Str, true, &t_at);
        f.get(t, "duration", Want::NonNegative, true, &t_at);
        f.get(t, "confidence", Want::Unit, true, &t_at);
    }
    if let Some(segments) = f
        .get(body, "segments", Want::Array, true, &at)
        .and_then(Json::as_array)
    {
        let s_at = at.key("segments");
        // A set only for long lists: short ones are scanned without allocating.
        let mut ids = std::collections::HashSet::new();
        let seen = |ids: &mut std::collections::HashSet<_>, j: usize, id| {
            if segments.len() <= 32 {
                segments[..j]
                    .iter()
                    .any(|s| s.get("id").and_then(SegmentId::of) == Some(id))
            } else {
                !ids.insert(id)
            }
        };
        for (j, segment) in segments.iter().enumerate() {
            let seg_at = s_at.index(j);
            let View::Object(segment) = segment.view() else {
                f.error(
                    seg_at,
                    format!("segments must be objects, found {}", segment.type_name()),
                );
                continue;
            };
            match segment.get("id").and_then(SegmentId::of) {
                None => f.error(
                    seg_at.key("id"),
                    "segment `id` (a number or string) is missing".to_owned(),
                ),
                Some(id) if seen(&mut ids, j, id) => f.error(
                    seg_at.key("id"),
                    "segment `id` repeats an earlier segment's".to_owned(),
                ),
                Some(_) => {}
            }
            let start = f
                .get(segment, "start", Want::NonNegative, true, &seg_at)
                .and_then(Json::as_f64);
            let end = f
                .get(segment, "end", Want::NonNegative, true, &seg_at)
                .and_then(Json::as_f64);
            if let (Some(start), Some(end)) = (start, end)
                && end <= start
            {
                f.error(
                    seg_at.key("end"),
                    format!("segment `end` {end} is not after `start` {start}"),
                );
            }
            f.get(segment, "text", Want::Str, true, &seg_at);
            f.get(segment, "confidence", Want::Unit, true, &seg_at);
        }
    }
    if let Some(words) = f
        .get(body, "words", Want::Array, false, &at)
        .and_then(Json::as_array)
    {
        let w_at = at.key("words");
        for (j, word) in words.iter().enumerate() {
            if let Some(word) = word.as_object() {
                f.get(word, "confidence", Want::Unit, false, &w_at.index(j));
            }
        }
    }
    if let Some(m) = f
        .get(body, "metadata", Want::Object, true, &at)
        .and_then(Json::as_object)
    {
        let m_at = at.key("metadata");
        f.get(m, "created_at", Want::Date, true, &m_at);
        f.get(m, "processed_at", Want::Date, true, &m_at);
        f.get(m, "model", Want::Str, true, &m_at);
        if let Some(p) = f
            .get(m, "provider", Want::Str, true, &m_at)
            .and_then(Json::as_str)
            && p.bytes().any(|b| b.is_ascii_uppercase())
        {
            let pointer = m_at.key("provider").build();
            f.ctx.warning(
                "R-47",
                pointer,
                format!(
                    "wtf_transcription analysis: `provider` {} should be lower case",
                    quote(p)
                ),
            );
        }
        if let Some(audio) = f
            .get(m, "audio", Want::Object, false, &m_at)
            .and_then(Json::as_object)
        {
            f.get(
                audio,
                "duration",
                Want::NonNegative,
                true,
                &m_at.key("audio"),
            );
        }
    }
}

/// an agent_trace analysis.
fn agent_trace<O: JsonObj>(ctx: &mut Ctx<'_>, a: &O, at: &Ptr<'_>) {
    let mut f = Fields {
        ctx,
        rule: "R-49",
        label: "agent_trace analysis",
    };
    // The indices themselves are R-35's.
    f.get(a, "dialog", Want::Array, true, at);
    for name in ["vendor", "product"] {
        f.get(a, name, Want::Str, true, at);
    }
    let schema = f
        .get(a, "schema", Want::Str, true, at)
        .and_then(Json::as_str);
    let cbor = schema.is_some_and(|s| s.contains("encoding=cbor"));
    match non_null(a, "encoding").and_then(Json::as_str) {
        Some("json" | "jwe") => {}
        Some("base64url") if cbor => {}
        other => f.error(
            at.key("encoding"),
            format!(
                "`encoding` must be json (or jwe, or base64url for CBOR when `schema` says \
                 encoding=cbor), found {}",
                other.map_or_else(|| "none".to_owned(), quote)
            ),
        ),
    }
}

/// R-49 on one party: a party carrying `meta.agent_session` is an agent.
pub(super) fn check_party<O: JsonObj>(ctx: &mut Ctx<'_>, i: usize, party: &O) {
    if !ctx.options.supports("agent_session") {
        return;
    }
    let Some(session) = non_null(party, "meta").and_then(|m| m.get("agent_session")) else {
        return;
    };
    let base = Ptr::Base("/parties");
    let at = base.index(i);
    if non_null(party, "role").and_then(Json::as_str) != Some("agent") {
        ctx.error(
            "R-49",
            at.key("role").build(),
            "a party with `meta.agent_session` must have `role` \"agent\"",
        );
    }
    let mut f = Fields {
        ctx,
        rule: "R-49",
        label: "agent party",
    };
    let meta = at.key("meta");
    let View::Object(session) = session.view() else {
        f.error(
            meta.key("agent_session"),
            format!(
                "`agent_session` must be an object, found {}",
                session.type_name()
            ),
        );
        return;
    };
    let s_at = meta.key("agent_session");
    f.get(session, "model_id", Want::Str, true, &s_at);
    f.get(session, "provider", Want::Str, true, &s_at);
}

/// a vCon using agent_session should carry a lawful_basis attachment
/// granting `agent_session_recording`.
fn agent_governance<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O) {
    let array = |name: &str| object.get(name).and_then(Json::as_array).unwrap_or(&[]);
    let uses = array("parties")
        .iter()
        .any(|p| p.get("meta").and_then(|m| m.get("agent_session")).is_some())
        || array("analysis")
            .iter()
            .any(|a| a.get("type").and_then(Json::as_str) == Some("agent_trace"));
    if !uses {
        return;
    }
    let granted = array("attachments").iter().any(|a| {
        a.get("type").and_then(Json::as_str) == Some("lawful_basis")
            && a.get("body")
                .and_then(|b| b.get("purpose_grants"))
                .and_then(Json::as_array)
                .is_some_and(|grants| {
                    grants.iter().any(|g| {
                        g.get("purpose").and_then(Json::as_str) == Some("agent_session_recording")
                            && g.get("granted").and_then(Json::as_bool) == Some(true)
                    })
                })
    });
    if !granted {
        ctx.warning(
            "R-49",
            "/attachments",
            "the vCon records an agent session but no lawful_basis attachment grants \
             `agent_session_recording`",
        );
    }
}
