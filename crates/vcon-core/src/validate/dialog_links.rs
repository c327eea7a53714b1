//! References between dialogs and the roles of a transfer (core-03 §Dialog
//! Transfer, §recordings, §recording_set): R-18 (W, missing transfer members),
//! R-19, R-20 (transfer party roles) and R-23. Legacy `transfer-target` and
//! `target-dialog` are checked like their 0.3.0 names and flagged under R-11.

use super::Ctx;
use super::content::{Ptr, is_empty_value};
use super::dialog::{
    Kind, Members, check_party_index, describe, is_placeholder, kind_of, number_text,
};
use crate::tree::{Json, JsonObj, View};

/// A transfer member: its name, its pre-0.3.0 name, and what it refers to.
pub(super) struct Role {
    name: &'static str,
    legacy: Option<&'static str>,
    target: Target,
    /// Whether an array of indices is allowed.
    many: bool,
    /// Whether core-03 says it SHOULD be present on a transfer dialog.
    expected: bool,
}

/// What a transfer member's indices point into.
pub(super) enum Target {
    /// The top-level `parties` array.
    Party,
    /// The `dialog` array, at dialogs of one of these types.
    Dialog(&'static [Kind]),
}

/// Number of transfer roles.
pub(super) const ROLE_COUNT: usize = 6;

/// The transfer roles, in the slot order of [`Members::roles`].
pub(super) const ROLES: [Role; ROLE_COUNT] = [
    Role {
        name: "transferee",
        legacy: None,
        target: Target::Party,
        many: false,
        expected: true,
    },
    Role {
        name: "transferor",
        legacy: None,
        target: Target::Party,
        many: false,
        expected: true,
    },
    Role {
        name: "transfer_target",
        legacy: Some("transfer-target"),
        target: Target::Party,
        many: true,
        expected: true,
    },
    Role {
        name: "original",
        legacy: None,
        target: Target::Dialog(&[Kind::Recording, Kind::Text]),
        many: true,
        expected: true,
    },
    Role {
        name: "consultation",
        legacy: None,
        target: Target::Dialog(&[Kind::Recording, Kind::Text, Kind::Incomplete]),
        many: true,
        expected: false,
    },
    Role {
        name: "target_dialog",
        legacy: Some("target-dialog"),
        target: Target::Dialog(&[Kind::Recording, Kind::Text, Kind::Incomplete]),
        many: true,
        expected: true,
    },
];

/// The role slot of a member name, and whether the name is the legacy one.
pub(super) fn role_slot(name: &str) -> Option<(usize, bool)> {
    match name {
        "transferee" => Some((0, false)),
        "transferor" => Some((1, false)),
        "transfer_target" => Some((2, false)),
        "transfer-target" => Some((2, true)),
        "original" => Some((3, false)),
        "consultation" => Some((4, false)),
        "target_dialog" => Some((5, false)),
        "target-dialog" => Some((5, true)),
        _ => None,
    }
}

/// Checks the transfer and recording-set members of dialog `i` (members `m`, at `at`).
pub(super) fn check<J: Json>(
    ctx: &mut Ctx<'_>,
    dialogs: &[J],
    i: usize,
    m: &Members<'_, J>,
    kind: Option<Kind>,
    at: &Ptr<'_>,
) {
    check_transfer_roles(ctx, dialogs, m, kind, at);
    check_recordings(ctx, dialogs, i, m.recordings, kind, at);
    check_recording_set(ctx, dialogs, i, m.recording_set, kind, at);
}

/// A value that is not empty (`[]`, `{}`, `""` count as absent).
fn non_empty<J: Json>(v: Option<&J>) -> Option<&J> {
    v.filter(|v| !is_empty_value(*v))
}

/// A member present with a non-empty value (`null`, `[]`, `{}` count as absent).
fn present<'v, O: JsonObj>(d: &'v O, name: &str) -> Option<&'v O::Val> {
    d.get(name).filter(|v| !is_empty_value(*v))
}

fn check_transfer_roles<J: Json>(
    ctx: &mut Ctx<'_>,
    dialogs: &[J],
    m: &Members<'_, J>,
    kind: Option<Kind>,
    at: &Ptr<'_>,
) {
    let is_transfer = kind == Some(Kind::Transfer);
    let mut missing: [Option<&str>; ROLE_COUNT] = [None; ROLE_COUNT];
    for (slot, role) in ROLES.iter().enumerate() {
        let mut found = false;
        let current = (role.name, m.roles[slot]);
        let legacy = role.legacy.map(|name| (name, m.legacy_roles[slot]));
        for (name, value) in std::iter::once(current).chain(legacy) {
            let Some(v) = non_empty(value) else {
                continue;
            };
            found = true;
            let at_m = at.key(name);
            if name != role.name {
                ctx.warning(
                    "R-11",
                    at_m.build(),
                    format!(
                        "`{name}` is the pre-0.3.0 name of `{}`; rename it (`vcon migrate` does)",
                        role.name
                    ),
                );
            }
            match kind {
                Some(Kind::Transfer) => check_role_value(ctx, dialogs, role, v, &at_m),
                Some(k) => ctx.error(
                    "R-19",
                    at_m.build(),
                    format!(
                        "`{name}` belongs only on transfer dialogs, not on a {} dialog",
                        k.name()
                    ),
                ),
                // Without a known type the dialog's R-13 finding says enough.
                None => {}
            }
        }
        if is_transfer && role.expected && !found {
            missing[slot] = Some(role.name);
        }
    }
    if missing.iter().any(Option::is_some) {
        let names: Vec<&str> = missing.iter().flatten().copied().collect();
        ctx.warning(
            "R-18",
            at.build(),
            format!(
                "transfer dialog lacks {}; core-03 says each SHOULD be present",
                names.join(", ")
            ),
        );
    }
}

/// The value of a transfer role: one index, or an array when `role.many`.
fn check_role_value<J: Json>(ctx: &mut Ctx<'_>, dialogs: &[J], role: &Role, v: &J, at: &Ptr<'_>) {
    match v.view() {
        View::Array(items) if role.many => {
            for (j, item) in items.iter().enumerate() {
                check_role_index(ctx, dialogs, role, item, &at.index(j));
            }
        }
        View::Array(_) => ctx.error(
            "R-19",
            at.build(),
            format!("`{}` must be a single party index, not an array", role.name),
        ),
        _ => check_role_index(ctx, dialogs, role, v, at),
    }
}

fn check_role_index<J: Json>(ctx: &mut Ctx<'_>, dialogs: &[J], role: &Role, v: &J, at: &Ptr<'_>) {
    match role.target {
        Target::Party => {
            let party_count = ctx.party_count();
            check_party_index(
                ctx,
                v,
                at,
                party_count,
                "R-19",
                "a party index (a non-negative integer)",
            );
        }
        Target::Dialog(allowed) => {
            let Some((_, target)) = dialog_at(ctx, dialogs, v, at, "R-19") else {
                return;
            };
            if is_placeholder(target) {
                return;
            }
            match kind_of(target) {
                Some(k) if allowed.contains(&k) => {}
                Some(k) => ctx.error(
                    "R-19",
                    at.build(),
                    format!(
                        "`{}` must refer to a {} dialog, but dialog {} is a {} dialog",
                        role.name,
                        names(allowed),
                        number_text(v),
                        k.name()
                    ),
                ),
                // A target without a known type has its own R-13 finding.
                None => {}
            }
        }
    }
}

fn names(kinds: &[Kind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => names.concat(),
    }
}

/// Resolves a dialog index to the index and the dialog, reporting under
/// `rule` when it is not one.
fn dialog_at<'d, J: Json>(
    ctx: &mut Ctx<'_>,
    dialogs: &'d [J],
    v: &J,
    at: &Ptr<'_>,
    rule: &'static str,
) -> Option<(usize, &'d J)> {
    let found = v
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .and_then(|n| dialogs.get(n).map(|d| (n, d)));
    if found.is_none() {
        let message = if v.as_u64().is_some() {
            format!(
                "dialog index {} is out of range: the vCon has {} dialogs",
                number_text(v),
                dialogs.len()
            )
        } else {
            format!(
                "expected a dialog index (a non-negative integer), found {}",
                describe(v)
            )
        };
        ctx.error(rule, at.build(), message);
    }
    found
}

/// `recordings` is required on recording-set dialogs and barred elsewhere;
/// each entry is a recording dialog, which SHOULD point back.
fn check_recordings<J: Json>(
    ctx: &mut Ctx<'_>,
    dialogs: &[J],
    i: usize,
    recordings: Option<&J>,
    kind: Option<Kind>,
    at: &Ptr<'_>,
) {
    let recordings = non_empty(recordings);
    let at_r = at.key("recordings");
    let items = match (kind, recordings.map(|r| (r, r.view()))) {
        (Some(Kind::RecordingSet), None) => {
            ctx.error(
                "R-23",
                at.build(),
                "recording-set dialog has no `recordings` (the indices of its recording dialogs)",
            );
            return;
        }
        (Some(Kind::RecordingSet), Some((_, View::Array(items)))) => items,
        (Some(Kind::RecordingSet), Some((other, _))) => {
            ctx.error(
                "R-23",
                at_r.build(),
                format!(
                    "`recordings` must be an array of dialog indices, found {}",
                    describe(other)
                ),
            );
            return;
        }
        (Some(k), Some(_)) => {
            ctx.error(
                "R-23",
                at_r.build(),
                format!(
                    "`recordings` belongs only on recording-set dialogs, not on a {} dialog",
                    k.name()
                ),
            );
            return;
        }
        (None, _) | (_, None) => return,
    };
    for (j, item) in items.iter().enumerate() {
        let at_j = at_r.index(j);
        let Some((k, target)) = dialog_at(ctx, dialogs, item, &at_j, "R-23") else {
            continue;
        };
        if is_placeholder(target) {
            continue;
        }
        match kind_of(target) {
            Some(Kind::Recording) if present_in(target, "recording_set").is_none() => {
                ctx.warning(
                    "R-23",
                    Ptr::Base("/dialog").index(k).build(),
                    format!(
                        "recording dialog {k} is listed in the `recordings` of recording-set \
                         dialog {i} but has no `recording_set` pointing back"
                    ),
                );
            }
            Some(Kind::Recording) => {}
            Some(other) => ctx.error(
                "R-23",
                at_j.build(),
                format!(
                    "`recordings` must list recording dialogs, but dialog {k} is a {} dialog",
                    other.name()
                ),
            ),
            None => {}
        }
    }
}

fn present_in<'v, J: Json>(dialog: &'v J, name: &str) -> Option<&'v J> {
    dialog.as_object().and_then(|d| present(d, name))
}

/// `recording_set` only on recording dialogs, pointing at a recording-set
/// dialog that (SHOULD) list this one.
fn check_recording_set<J: Json>(
    ctx: &mut Ctx<'_>,
    dialogs: &[J],
    i: usize,
    recording_set: Option<&J>,
    kind: Option<Kind>,
    at: &Ptr<'_>,
) {
    let Some(v) = non_empty(recording_set) else {
        return;
    };
    let at_s = at.key("recording_set");
    match kind {
        Some(Kind::Recording) => {}
        Some(k) => {
            ctx.error(
                "R-23",
                at_s.build(),
                format!(
                    "`recording_set` belongs only on recording dialogs, not on a {} dialog",
                    k.name()
                ),
            );
            return;
        }
        None => return,
    }
    let Some((_, set)) = dialog_at(ctx, dialogs, v, &at_s, "R-23") else {
        return;
    };
    if is_placeholder(set) {
        return;
    }
    match kind_of(set) {
        Some(Kind::RecordingSet) => {
            let listed = present_in(set, "recordings")
                .and_then(Json::as_array)
                .is_some_and(|r| r.iter().any(|x| x.as_u64() == u64::try_from(i).ok()));
            if !listed {
                ctx.warning(
                    "R-23",
                    at_s.build(),
                    format!(
                        "recording-set dialog {} does not list this dialog ({i}) in its `recordings`",
                        number_text(v)
                    ),
                );
            }
        }
        Some(k) => ctx.error(
            "R-23",
            at_s.build(),
            format!(
                "`recording_set` must refer to a recording-set dialog, but dialog {} is a {} dialog",
                number_text(v),
                k.name()
            ),
        ),
        None => {}
    }
}
