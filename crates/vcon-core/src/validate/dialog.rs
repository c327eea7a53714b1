//! Rules for Dialog objects (core-03 §Dialog Object), digest §12.
//!
//! This module walks `dialog` once, gathers each object's members in a single
//! pass ([`Members`]) and checks them:
//! R-12 duration, R-13 type, R-14 recommended media types, R-15 start,
//! R-16 content on content-less types, R-17 disposition, R-18 members barred
//! from transfers, R-20/R-21/R-22 party indices, R-24 missing content,
//! R-27 mediatype of inline content. The content members themselves (R-25, R-26,
//! mediatype syntax, legacy `mimetype`/`alg`/`signature`) are
//! checked by [`super::content`]; references between dialogs (transfer roles,
//! recording sets) by [`super::dialog_links`]; `session_id`
//! and `party_history` by [`super::dialog_session`].
//!
//! An empty `{}` dialog (or one whose members are all `null`) is a legal
//! placeholder and yields no finding.

use super::Ctx;
use super::content::{self, Content, Ptr, is_empty_value, quote};
use super::dialog_links;
use super::dialog_session;
use super::primitives::{is_date, is_recommended_dialog_mediatype};
use crate::tree::{Json, JsonObj, View};

/// The dialog types of core-03 §Dialog/type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// `recording`: audio or video.
    Recording,
    /// `recording-set`: a call made of several recording dialogs.
    RecordingSet,
    /// `text`: one message.
    Text,
    /// `transfer`: roles and dialogs of a call transfer.
    Transfer,
    /// `incomplete`: a call that failed before any conversation.
    Incomplete,
}

impl Kind {
    /// Parses a `type` value.
    pub(super) fn parse(s: &str) -> Option<Self> {
        match s {
            "recording" => Some(Self::Recording),
            "recording-set" => Some(Self::RecordingSet),
            "text" => Some(Self::Text),
            "transfer" => Some(Self::Transfer),
            "incomplete" => Some(Self::Incomplete),
            _ => None,
        }
    }

    /// The `type` string.
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::RecordingSet => "recording-set",
            Self::Text => "text",
            Self::Transfer => "transfer",
            Self::Incomplete => "incomplete",
        }
    }

    /// Whether dialogs of this type must not carry content.
    fn forbids_content(self) -> bool {
        matches!(self, Self::Transfer | Self::Incomplete | Self::RecordingSet)
    }
}

/// The type of a dialog value, when it is an object with a known `type`.
pub(super) fn kind_of(dialog: &impl Json) -> Option<Kind> {
    dialog
        .get("type")
        .and_then(Json::as_str)
        .and_then(Kind::parse)
}

/// Whether a dialog value is an empty placeholder (`{}`, or only `null` members).
pub(super) fn is_placeholder(dialog: &impl Json) -> bool {
    dialog
        .as_object()
        .is_some_and(|d| d.values().all(Json::is_null))
}

/// The allowed `disposition` values.
const DISPOSITIONS: &[&str] = &[
    "no-answer",
    "congestion",
    "failed",
    "busy",
    "hung-up",
    "voicemail-no-message",
];

/// The members of one dialog object the rules look at, gathered in one pass
/// over the object (`null` values count as absent; unknown members are skipped).
pub(super) struct Members<'v, J> {
    /// `body`, `encoding`, `url`, `content_hash`, `mediatype` and legacy content members.
    pub(super) content: Content<'v, J>,
    /// `type`.
    pub(super) kind: Option<&'v J>,
    /// `start`.
    pub(super) start: Option<&'v J>,
    /// `duration`.
    pub(super) duration: Option<&'v J>,
    /// `parties`.
    pub(super) parties: Option<&'v J>,
    /// `originator`.
    pub(super) originator: Option<&'v J>,
    /// `filename`.
    pub(super) filename: Option<&'v J>,
    /// `disposition`.
    pub(super) disposition: Option<&'v J>,
    /// `party_history`.
    pub(super) party_history: Option<&'v J>,
    /// `session_id`.
    pub(super) session_id: Option<&'v J>,
    /// `recordings`.
    pub(super) recordings: Option<&'v J>,
    /// `recording_set`.
    pub(super) recording_set: Option<&'v J>,
    /// Transfer roles by [`dialog_links::ROLES`] slot: current names.
    pub(super) roles: [Option<&'v J>; dialog_links::ROLE_COUNT],
    /// Transfer roles by slot: pre-0.3.0 hyphenated names.
    pub(super) legacy_roles: [Option<&'v J>; dialog_links::ROLE_COUNT],
    /// Whether any member is not `null` (otherwise the dialog is a placeholder).
    pub(super) any: bool,
}

impl<'v, J: Json> Members<'v, J> {
    /// Gathers the members of `d` in one pass.
    pub(super) fn of(d: &'v J::Obj) -> Self {
        let mut m = Self {
            content: Content::default(),
            kind: None,
            start: None,
            duration: None,
            parties: None,
            originator: None,
            filename: None,
            disposition: None,
            party_history: None,
            session_id: None,
            recordings: None,
            recording_set: None,
            roles: [None; dialog_links::ROLE_COUNT],
            legacy_roles: [None; dialog_links::ROLE_COUNT],
            any: false,
        };
        for (name, value) in d.members() {
            if value.is_null() {
                continue;
            }
            m.any = true;
            if m.content.take(name, value) {
                continue;
            }
            let slot = match name {
                "type" => &mut m.kind,
                "start" => &mut m.start,
                "duration" => &mut m.duration,
                "parties" => &mut m.parties,
                "originator" => &mut m.originator,
                "filename" => &mut m.filename,
                "disposition" => &mut m.disposition,
                "party_history" => &mut m.party_history,
                "session_id" => &mut m.session_id,
                "recordings" => &mut m.recordings,
                "recording_set" => &mut m.recording_set,
                other => match dialog_links::role_slot(other) {
                    Some((i, false)) => &mut m.roles[i],
                    Some((i, true)) => &mut m.legacy_roles[i],
                    None => continue,
                },
            };
            *slot = Some(value);
        }
        m
    }
}

/// Runs the dialog rules over the top-level `dialog` array. A missing or
/// non-array `dialog`, and non-object elements, are R-9 matters reported elsewhere.
pub(super) fn check<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O) {
    let Some(dialogs) = object.get("dialog").and_then(Json::as_array) else {
        return;
    };
    let base = Ptr::Base("/dialog");
    for (i, item) in dialogs.iter().enumerate() {
        let Some(d) = item.as_object() else {
            continue;
        };
        let m = Members::<O::Val>::of(d);
        if m.any {
            check_dialog(ctx, dialogs, i, &m, &base.index(i));
        }
    }
}

/// All rules for dialog `i`, whose members are `m`, at `at`.
fn check_dialog<J: Json>(
    ctx: &mut Ctx<'_>,
    dialogs: &[J],
    i: usize,
    m: &Members<'_, J>,
    at: &Ptr<'_>,
) {
    let kind = check_type(ctx, m.kind, at);
    check_start(ctx, m.start, at);
    if let Some(v) = m.duration {
        check_duration(ctx, v, &at.key("duration"));
    }
    let party_count = ctx.party_count();
    if kind == Some(Kind::Transfer) {
        let barred = [
            ("parties", m.parties),
            ("originator", m.originator),
            ("mediatype", m.content.mediatype),
            ("filename", m.filename),
        ];
        forbid(ctx, &barred, at, "R-18", Kind::Transfer);
    } else {
        if let Some(v) = m.parties {
            check_parties(ctx, v, &at.key("parties"), party_count);
        }
        if let Some(v) = m.originator {
            check_originator(ctx, v, m.parties, &at.key("originator"), party_count);
        }
        check_recommended_mediatype(ctx, &m.content, at);
    }
    content::check_descriptors(ctx, &m.content, at);
    match kind {
        Some(k) if k.forbids_content() => {
            let c = &m.content;
            let barred = [
                ("body", c.body),
                ("encoding", c.encoding),
                ("url", c.url),
                ("content_hash", c.content_hash),
            ];
            forbid(ctx, &barred, at, "R-16", k);
        }
        _ => {
            content::check_payload(ctx, &m.content, at);
            check_content_presence(ctx, &m.content, kind, at);
        }
    }
    check_disposition(ctx, m.disposition, kind, at);
    dialog_links::check(ctx, dialogs, i, m, kind, at);
    dialog_session::check(ctx, m, at);
}

/// `type` present and one of the registered dialog types.
fn check_type<J: Json>(ctx: &mut Ctx<'_>, v: Option<&J>, at: &Ptr<'_>) -> Option<Kind> {
    match v.map(Json::view) {
        None => {
            ctx.error(
                "R-13",
                at.build(),
                "dialog has no `type` (recording, recording-set, text, transfer or incomplete)",
            );
            None
        }
        Some(View::String(s)) => {
            let kind = Kind::parse(s);
            if kind.is_none() {
                ctx.error(
                    "R-13",
                    at.key("type").build(),
                    format!(
                        "dialog `type` {} is not one of recording, recording-set, text, transfer, incomplete",
                        quote(s)
                    ),
                );
            }
            kind
        }
        Some(other) => {
            ctx.error(
                "R-13",
                at.key("type").build(),
                format!(
                    "dialog `type` must be a string, found {}",
                    other.type_name()
                ),
            );
            None
        }
    }
}

/// `start` present and an RFC 3339 date-time.
fn check_start<J: Json>(ctx: &mut Ctx<'_>, v: Option<&J>, at: &Ptr<'_>) {
    match v.map(Json::view) {
        None => ctx.error("R-15", at.build(), "dialog has no `start` date-time"),
        Some(View::String(s)) if is_date(s) => {}
        Some(View::String(s)) => ctx.error(
            "R-15",
            at.key("start").build(),
            format!(
                "`start` {} is not an RFC 3339 date-time with a time zone (Z or ±hh:mm)",
                quote(s)
            ),
        ),
        Some(other) => ctx.error(
            "R-15",
            at.key("start").build(),
            format!(
                "`start` must be an RFC 3339 date-time string, found {}",
                other.type_name()
            ),
        ),
    }
}

/// `duration` is a non-negative number of seconds.
fn check_duration(ctx: &mut Ctx<'_>, v: &impl Json, at: &Ptr<'_>) {
    match v.view() {
        View::Number(n) if n.as_f64().is_some_and(|f| f >= 0.0) => {}
        View::Number(n) => ctx.error(
            "R-12",
            at.build(),
            format!("`duration` {n} is negative; it is a number of seconds, 0 or more"),
        ),
        other => ctx.error(
            "R-12",
            at.build(),
            format!(
                "`duration` must be a non-negative number of seconds, found {}",
                other.type_name()
            ),
        ),
    }
}

/// Checks one party index. A value that is not an integer at all breaks
/// `shape_rule` instead, with `expected` saying what belongs there.
pub(super) fn check_party_index(
    ctx: &mut Ctx<'_>,
    v: &impl Json,
    at: &Ptr<'_>,
    party_count: usize,
    shape_rule: &'static str,
    expected: &str,
) {
    match v.as_u64() {
        Some(n) if usize::try_from(n).is_ok_and(|n| n < party_count) => {}
        Some(n) => ctx.error("R-20", at.build(), out_of_range(n, party_count)),
        None if v.as_i64().is_some() => ctx.error(
            "R-20",
            at.build(),
            format!(
                "party index {} is negative; indices into `parties` start at 0",
                number_text(v)
            ),
        ),
        None => ctx.error(
            shape_rule,
            at.build(),
            format!("expected {expected}, found {}", describe(v)),
        ),
    }
}

fn out_of_range(n: u64, party_count: usize) -> String {
    match party_count {
        0 => format!("party index {n} points nowhere: the vCon has no `parties`"),
        1 => format!("party index {n} is out of range: the vCon has 1 party (index 0)"),
        c => format!(
            "party index {n} is out of range: the vCon has {c} parties (indices 0 to {})",
            c - 1
        ),
    }
}

/// A number as `serde_json` prints it (`""` for a value that is not a number).
pub(super) fn number_text(v: &impl Json) -> String {
    v.as_number().map_or_else(String::new, ToString::to_string)
}

/// A value described for a message: its JSON type, or the number itself.
pub(super) fn describe(v: &impl Json) -> String {
    match v.view() {
        View::Number(n) => format!("the number {n}"),
        View::String(s) => format!("the string {}", quote(s)),
        other => other.type_name().to_owned(),
    }
}

const PARTIES_SHAPE: &str = "a party index, an array of party indices, or one entry per channel \
                             (an index, an array of indices, or null)";

/// R-22 shape and R-20 range of a dialog's `parties`.
fn check_parties(ctx: &mut Ctx<'_>, v: &impl Json, at: &Ptr<'_>, party_count: usize) {
    let View::Array(channels) = v.view() else {
        check_party_index(ctx, v, at, party_count, "R-22", PARTIES_SHAPE);
        return;
    };
    for (j, channel) in channels.iter().enumerate() {
        let at_j = at.index(j);
        match channel.view() {
            // An unused channel of a multi-channel recording.
            View::Null => {}
            View::Array(mixed) => {
                for (k, p) in mixed.iter().enumerate() {
                    check_party_index(
                        ctx,
                        p,
                        &at_j.index(k),
                        party_count,
                        "R-22",
                        "a party index inside a channel's array (null only marks a whole unused channel)",
                    );
                }
            }
            _ => check_party_index(
                ctx,
                channel,
                &at_j,
                party_count,
                "R-22",
                "a party index, an array of party indices, or null for an unused channel",
            ),
        }
    }
}

/// The first party listed in `parties`: the implied originator.
fn first_party(parties: &impl Json) -> Option<u64> {
    match parties.view() {
        View::Array(channels) => channels.iter().find_map(|c| match c.view() {
            View::Array(mixed) => mixed.first().and_then(Json::as_u64),
            View::Null => None,
            _ => c.as_u64(),
        }),
        _ => parties.as_u64(),
    }
}

/// R-21 (UnsignedInt; redundant when equal to the first party) and R-20.
fn check_originator<J: Json>(
    ctx: &mut Ctx<'_>,
    v: &J,
    parties: Option<&J>,
    at: &Ptr<'_>,
    party_count: usize,
) {
    check_party_index(
        ctx,
        v,
        at,
        party_count,
        "R-21",
        "`originator` as a party index (a non-negative integer)",
    );
    if let Some(n) = v.as_u64()
        && parties.and_then(first_party) == Some(n)
    {
        ctx.info(
            "R-21",
            at.build(),
            format!(
                "`originator` {n} is already the first listed party, which is the implied originator; it can be omitted"
            ),
        );
    }
}

/// R-14 (W): the dialog media type is one core-03 recommends.
fn check_recommended_mediatype<J: Json>(ctx: &mut Ctx<'_>, c: &Content<'_, J>, at: &Ptr<'_>) {
    let (name, value) = match (c.mediatype.map(Json::view), c.mimetype.map(Json::view)) {
        (Some(View::String(s)), _) => ("mediatype", s),
        (None, Some(View::String(s))) => ("mimetype", s),
        _ => return,
    };
    if super::primitives::is_mediatype(value) && !is_recommended_dialog_mediatype(value) {
        ctx.warning(
            "R-14",
            at.key(name).build(),
            format!(
                "dialog media type {} is not one core-03 recommends (text/plain, audio/x-wav, \
                 audio/x-mp3, audio/x-mp4, audio/ogg, video/x-mp4, video/ogg, multipart/mixed)",
                quote(value)
            ),
        );
    }
}

/// Reports each present, non-empty member of `members` as barred from dialogs of `kind`.
fn forbid<J: Json>(
    ctx: &mut Ctx<'_>,
    members: &[(&str, Option<&J>)],
    at: &Ptr<'_>,
    rule: &'static str,
    kind: Kind,
) {
    for (name, value) in members {
        if value.is_some_and(|v| !is_empty_value(v)) {
            ctx.error(
                rule,
                at.key(name).build(),
                format!("a {} dialog must not have `{name}`", kind.name()),
            );
        }
    }
}

/// R-24 (content expected on recording/text) and R-27 (inline content has a mediatype).
fn check_content_presence<J: Json>(
    ctx: &mut Ctx<'_>,
    c: &Content<'_, J>,
    kind: Option<Kind>,
    at: &Ptr<'_>,
) {
    let inline = c.has_inline();
    if inline && c.mediatype.is_none() {
        let hint = if c.mimetype.is_some() {
            " (it has the legacy `mimetype`; rename it)"
        } else {
            ""
        };
        ctx.error(
            "R-27",
            at.build(),
            format!("dialog has inline content (`body`) but no `mediatype`{hint}"),
        );
    }
    let expects_content = matches!(kind, Some(Kind::Recording | Kind::Text));
    if expects_content && !inline && !c.has_external() && !ctx.is_redacted() {
        let name = kind.map_or("", Kind::name);
        ctx.warning(
            "R-24",
            at.build(),
            format!(
                "{name} dialog has no content (neither `body` nor `url`) and the vCon is not redacted"
            ),
        );
    }
}

/// `disposition` required and valid on incomplete dialogs, discouraged elsewhere.
fn check_disposition<J: Json>(
    ctx: &mut Ctx<'_>,
    disposition: Option<&J>,
    kind: Option<Kind>,
    at: &Ptr<'_>,
) {
    match (kind, disposition) {
        (Some(Kind::Incomplete), None) => ctx.error(
            "R-17",
            at.build(),
            format!(
                "incomplete dialog has no `disposition` (one of {})",
                DISPOSITIONS.join(", ")
            ),
        ),
        (Some(Kind::Incomplete), Some(v))
            if v.as_str().is_some_and(|s| DISPOSITIONS.contains(&s)) => {}
        (Some(Kind::Incomplete), Some(v)) => ctx.error(
            "R-17",
            at.key("disposition").build(),
            format!(
                "`disposition` {} is not one of {}",
                describe(v),
                DISPOSITIONS.join(", ")
            ),
        ),
        (Some(k), Some(_)) => ctx.warning(
            "R-17",
            at.key("disposition").build(),
            format!(
                "`disposition` should only appear on incomplete dialogs, not on a {} dialog",
                k.name()
            ),
        ),
        (None, _) | (_, None) => {}
    }
}
