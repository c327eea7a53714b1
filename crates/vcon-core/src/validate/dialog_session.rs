//! Per-party details of a dialog: `party_history` (R-28, with R-20 on its
//! indices) and `session_id`, core-03 §Party_History Object, §session_id.

use super::Ctx;
use super::content::{Ptr, non_null, quote};
use super::dialog::{Members, check_party_index, describe};
use super::primitives::{is_date, is_session_uuid};
use crate::tree::{Json, JsonObj, View};

/// The `event` values of the party_event registry.
const EVENTS: &[&str] = &[
    "join", "drop", "hold", "unhold", "mute", "unmute", "keydown", "keyup",
];

/// Checks `party_history` and `session_id` of one dialog (members `m`) at `at`.
pub(super) fn check<J: Json>(ctx: &mut Ctx<'_>, m: &Members<'_, J>, at: &Ptr<'_>) {
    if let Some(v) = m.party_history {
        check_party_history(ctx, v, &at.key("party_history"));
    }
    if let Some(v) = m.session_id {
        check_session_id(ctx, v, m.parties, &at.key("session_id"));
    }
}

/// an array of `{party, time, event[, button]}` objects.
fn check_party_history(ctx: &mut Ctx<'_>, v: &impl Json, at: &Ptr<'_>) {
    let View::Array(items) = v.view() else {
        ctx.error(
            "R-28",
            at.build(),
            format!(
                "`party_history` must be an array of Party_History objects, found {}",
                v.type_name()
            ),
        );
        return;
    };
    let party_count = ctx.party_count();
    for (j, item) in items.iter().enumerate() {
        let at_j = at.index(j);
        let View::Object(h) = item.view() else {
            ctx.error(
                "R-28",
                at_j.build(),
                format!(
                    "a party_history entry must be an object {{party, time, event}}, found {}",
                    item.type_name()
                ),
            );
            continue;
        };
        match non_null(h, "party") {
            Some(p) => check_party_index(
                ctx,
                p,
                &at_j.key("party"),
                party_count,
                "R-28",
                "`party` as a party index (a non-negative integer)",
            ),
            None => ctx.error(
                "R-28",
                at_j.build(),
                "party_history entry has no `party` index",
            ),
        }
        match non_null(h, "time") {
            Some(t) if t.as_str().is_some_and(is_date) => {}
            Some(t) => ctx.error(
                "R-28",
                at_j.key("time").build(),
                format!(
                    "`time` must be an RFC 3339 date-time, found {}",
                    describe(t)
                ),
            ),
            None => ctx.error("R-28", at_j.build(), "party_history entry has no `time`"),
        }
        let event = match non_null(h, "event") {
            Some(e) if e.as_str().is_some_and(|s| EVENTS.contains(&s)) => e.as_str(),
            Some(e) => {
                ctx.error(
                    "R-28",
                    at_j.key("event").build(),
                    format!(
                        "`event` {} is not one of {}",
                        describe(e),
                        EVENTS.join(", ")
                    ),
                );
                None
            }
            None => {
                ctx.error("R-28", at_j.build(), "party_history entry has no `event`");
                None
            }
        };
        let keyed = matches!(event, Some("keydown" | "keyup"));
        match non_null(h, "button") {
            Some(b) if b.is_string() => {}
            Some(b) => ctx.error(
                "R-28",
                at_j.key("button").build(),
                format!(
                    "`button` must be a string (DTMF digit or button label), found {}",
                    b.type_name()
                ),
            ),
            None if keyed => ctx.error(
                "R-28",
                at_j.build(),
                format!(
                    "a {} event needs a `button` (the DTMF digit or button label)",
                    event.unwrap_or_default()
                ),
            ),
            None => {}
        }
    }
}

/// a SessionId, or an array mirroring the shape of `parties`.
fn check_session_id<J: Json>(ctx: &mut Ctx<'_>, v: &J, parties: Option<&J>, at: &Ptr<'_>) {
    match v.view() {
        View::String(_) => ctx.warning(
            "R-29",
            at.build(),
            "`session_id` is a plain string (the 0.3.0 form); 0.4.0 uses a SessionId object \
             {\"local\": uuid, \"remote\": uuid}",
        ),
        View::Object(s) => check_session_object(ctx, s, at),
        View::Array(items) => check_session_array(ctx, items, parties, at),
        other => ctx.error(
            "R-29",
            at.build(),
            format!(
                "`session_id` must be a SessionId object or an array shaped like `parties`, found {}",
                other.type_name()
            ),
        ),
    }
}

fn check_session_array<J: Json>(ctx: &mut Ctx<'_>, items: &[J], parties: Option<&J>, at: &Ptr<'_>) {
    let channels = match parties.map(Json::view) {
        Some(View::Array(p)) => {
            if p.len() != items.len() {
                ctx.error(
                    "R-29",
                    at.build(),
                    format!(
                        "`session_id` has {} entries but `parties` has {}; the array must mirror `parties`",
                        items.len(),
                        p.len()
                    ),
                );
            }
            Some(p)
        }
        Some(_) => {
            ctx.error(
                "R-29",
                at.build(),
                "`parties` is a single index, so `session_id` must be a single SessionId object",
            );
            return;
        }
        None => None,
    };
    for (j, item) in items.iter().enumerate() {
        let at_j = at.index(j);
        let channel = channels.and_then(|c| c.get(j));
        match item.view() {
            View::Object(s) => check_session_object(ctx, s, &at_j),
            View::Array(inner) => {
                match channel.map(|c| (c, c.view())) {
                    Some((_, View::Array(mixed))) if mixed.len() != inner.len() => ctx.error(
                        "R-29",
                        at_j.build(),
                        format!(
                            "this entry has {} SessionIds but `parties` entry {j} has {} parties",
                            inner.len(),
                            mixed.len()
                        ),
                    ),
                    Some((_, View::Array(_))) | None => {}
                    Some((other, _)) => ctx.error(
                        "R-29",
                        at_j.build(),
                        format!(
                            "`parties` entry {j} is {}, so this entry must be one SessionId object, not an array",
                            describe(other)
                        ),
                    ),
                }
                for (k, s) in inner.iter().enumerate() {
                    match s.view() {
                        View::Object(o) => check_session_object(ctx, o, &at_j.index(k)),
                        _ => not_a_session_id(ctx, s, &at_j.index(k)),
                    }
                }
            }
            _ => not_a_session_id(ctx, item, &at_j),
        }
    }
}

fn not_a_session_id(ctx: &mut Ctx<'_>, v: &impl Json, at: &Ptr<'_>) {
    ctx.error(
        "R-29",
        at.build(),
        format!(
            "expected a SessionId object ({{}} for a party without one), found {}",
            v.type_name()
        ),
    );
}

/// `{}` (no session id for this party) or `{local, remote}` UUIDs.
fn check_session_object<O: JsonObj>(ctx: &mut Ctx<'_>, s: &O, at: &Ptr<'_>) {
    let local = non_null(s, "local");
    let remote = non_null(s, "remote");
    for (name, value) in [("local", local), ("remote", remote)] {
        match value.map(Json::view) {
            None => {}
            Some(View::String(u)) if is_session_uuid(u) => {}
            Some(View::String(u)) => ctx.error(
                "R-29",
                at.key(name).build(),
                format!(
                    "`{name}` {} is not a UUID (RFC 7989: 32 hex digits, or the 8-4-4-4-12 form)",
                    quote(u)
                ),
            ),
            Some(other) => ctx.error(
                "R-29",
                at.key(name).build(),
                format!(
                    "`{name}` must be a UUID string, found {}",
                    other.type_name()
                ),
            ),
        }
    }
    let missing = match (local, remote) {
        (Some(_), None) => Some("remote"),
        (None, Some(_)) => Some("local"),
        _ => None,
    };
    if let Some(missing) = missing {
        ctx.warning(
            "R-29",
            at.build(),
            format!(
                "SessionId has no `{missing}`; use the nil UUID \
                 00000000000000000000000000000000 for an unknown half (RFC 7989 §7)"
            ),
        );
    }
}
