//! Rules on the top-level members of an unsigned vCon (core-03 §vCon JSON Object):
//!
//! * R-1 `vcon`, R-2 `uuid`, R-3 `created_at`, R-4 `updated_at`;
//! * R-7 (first half): `extensions`, `critical` and its legacy aliases;
//! * the four arrays of objects (and the type of `subject`);
//! * R-7 (second half), R-11, R-50 (CC members): the member accounting, which
//!   sorts every member name of every object into core, legacy or extension-defined.
//!
//! and R-44 (`redacted`, `amended`, `group`) are in [`super::analysis`].

use chrono::DateTime;

use super::Ctx;
use super::content::quote;
use super::primitives::{is_uuid_text, uuid_version};
use crate::tree::{Json, JsonObj, View};
use crate::version::Syntax;

/// The top-level members the rules look at, found in one pass over the
/// object (`null` counts as absent), so that no member is looked up by name.
struct Top<'v, J> {
    vcon: Option<&'v J>,
    uuid: Option<&'v J>,
    created_at: Option<&'v J>,
    updated_at: Option<&'v J>,
    extensions: Option<&'v J>,
    critical: Option<&'v J>,
    must_support: Option<&'v J>,
    must_understand: Option<&'v J>,
    redacted: Option<&'v J>,
    amended: Option<&'v J>,
    appended: Option<&'v J>,
    group: Option<&'v J>,
    subject: Option<&'v J>,
    /// `parties`, `dialog`, `analysis`, `attachments`, in [`ARRAYS`] order.
    arrays: [Option<&'v J>; 4],
}

/// The four top-level arrays of objects.
const ARRAYS: [&str; 4] = ["parties", "dialog", "analysis", "attachments"];

impl<'v, J: Json> Top<'v, J> {
    fn of(object: &'v J::Obj) -> Self {
        let mut top = Self {
            vcon: None,
            uuid: None,
            created_at: None,
            updated_at: None,
            extensions: None,
            critical: None,
            must_support: None,
            must_understand: None,
            redacted: None,
            amended: None,
            appended: None,
            group: None,
            subject: None,
            arrays: [None; 4],
        };
        for (key, v) in object.members().filter(|(_, v)| !v.is_null()) {
            let slot = match key {
                "vcon" => &mut top.vcon,
                "uuid" => &mut top.uuid,
                "created_at" => &mut top.created_at,
                "updated_at" => &mut top.updated_at,
                "extensions" => &mut top.extensions,
                "critical" => &mut top.critical,
                "must_support" => &mut top.must_support,
                "must_understand" => &mut top.must_understand,
                "redacted" => &mut top.redacted,
                "amended" => &mut top.amended,
                "appended" => &mut top.appended,
                "group" => &mut top.group,
                "subject" => &mut top.subject,
                "parties" => &mut top.arrays[0],
                "dialog" => &mut top.arrays[1],
                "analysis" => &mut top.arrays[2],
                "attachments" => &mut top.arrays[3],
                _ => continue,
            };
            *slot = Some(v);
        }
        top
    }
}

/// Runs the rules of this module.
pub(super) fn check<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O) {
    let top = Top::<O::Val>::of(object);
    vcon_member(ctx, top.vcon);
    uuid(ctx, top.uuid);
    dates(ctx, &top);
    extension_lists(ctx, &top);
    super::analysis::references(ctx, top.redacted, top.amended, top.appended);
    super::analysis::group(ctx, top.group);
    arrays(ctx, &top);
    members(ctx, object, &top);
}

/// `vcon`, when present, is "0.4.0".
fn vcon_member<J: Json>(ctx: &mut Ctx<'_>, vcon: Option<&J>) {
    match vcon.map(Json::view) {
        None => {}
        Some(View::String(s)) if s == Syntax::V0_4_0.as_str() => {}
        Some(View::String(s)) if Syntax::from_str_opt(s).is_some() => ctx.error(
            "R-1",
            "/vcon",
            format!(
                "`vcon` is {}, a legacy syntax version; a 0.4.0 vCon says \"0.4.0\" or omits \
                 the member (run `vcon migrate` to upgrade)",
                quote(s)
            ),
        ),
        Some(View::String(s)) => ctx.error(
            "R-1",
            "/vcon",
            format!(
                "`vcon` is {}; it must be \"0.4.0\" (the member is deprecated and may be omitted)",
                quote(s)
            ),
        ),
        Some(other) => ctx.error(
            "R-1",
            "/vcon",
            format!(
                "`vcon` must be the string \"0.4.0\", found {}",
                other.type_name()
            ),
        ),
    }
}

/// `uuid` is present and a UUID; SHOULD be version 8.
fn uuid<J: Json>(ctx: &mut Ctx<'_>, uuid: Option<&J>) {
    match uuid.map(Json::view) {
        None => ctx.error("R-2", "/uuid", "`uuid` is missing; every vCon needs one"),
        Some(View::String(s)) if is_uuid_text(s) => {
            let version = uuid_version(s).unwrap_or(0);
            if version != 8 {
                ctx.warning(
                    "R-2",
                    "/uuid",
                    format!(
                        "`uuid` is a version {version} UUID; core-03 recommends version 8 \
                         (time-ordered, with a hash of the issuer's domain name)"
                    ),
                );
            }
        }
        Some(View::String(s)) => ctx.error(
            "R-2",
            "/uuid",
            format!(
                "`uuid` {} is not a UUID in 8-4-4-4-12 hexadecimal text form",
                quote(s)
            ),
        ),
        Some(other) => ctx.error(
            "R-2",
            "/uuid",
            format!("`uuid` must be a UUID string, found {}", other.type_name()),
        ),
    }
}

/// `created_at` and `updated_at`.
fn dates<J: Json>(ctx: &mut Ctx<'_>, top: &Top<'_, J>) {
    let created = match top.created_at {
        None => {
            ctx.error(
                "R-3",
                "/created_at",
                "`created_at` is missing; every vCon needs one",
            );
            None
        }
        Some(v) => date_value(ctx, "R-3", "created_at", v),
    };
    let Some(v) = top.updated_at else {
        return;
    };
    let Some(updated) = date_value(ctx, "R-4", "updated_at", v) else {
        return;
    };
    if created.is_some_and(|c| updated < c) {
        ctx.warning(
            "R-4",
            "/updated_at",
            "`updated_at` is earlier than `created_at`",
        );
    }
}

/// Parses a top-level Date member, reporting under `rule` when it is not one.
fn date_value(
    ctx: &mut Ctx<'_>,
    rule: &'static str,
    name: &str,
    v: &impl Json,
) -> Option<DateTime<chrono::FixedOffset>> {
    let pointer = || format!("/{name}");
    match v.view() {
        View::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) => Some(t),
            Err(_) => {
                ctx.error(
                    rule,
                    pointer(),
                    format!(
                        "`{name}` {} is not an RFC 3339 date-time with a time zone \
                         (such as 2024-01-01T12:00:00Z)",
                        quote(s)
                    ),
                );
                None
            }
        },
        other => {
            ctx.error(
                rule,
                pointer(),
                format!(
                    "`{name}` must be an RFC 3339 date-time string, found {}",
                    other.type_name()
                ),
            );
            None
        }
    }
}

/// R-7 (critical names also in `extensions`), and the same for the
/// aliases `must_support` (0.3.0) and `must_understand` (vcon-dev docs), whose
/// names R-6 treats like `critical`'s.
fn extension_lists<J: Json>(ctx: &mut Ctx<'_>, top: &Top<'_, J>) {
    let extensions = top.extensions;
    string_list(ctx, "extensions", extensions);
    let listed = ListedNames::of(extensions);
    let lists = [
        ("critical", top.critical),
        ("must_support", top.must_support),
        ("must_understand", top.must_understand),
    ];
    for (name, list) in lists {
        let Some(list) = list else {
            continue;
        };
        string_list(ctx, name, Some(list));
        let View::Array(items) = list.view() else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let View::String(ext) = item.view() else {
                continue;
            };
            if !ctx.options.supports(ext) {
                ctx.error(
                    "R-6",
                    format!("/{name}/{i}"),
                    format!(
                        "extension {} is listed in `{name}` but this consumer does not support \
                         it: the vCon must be rejected, not processed",
                        quote(ext)
                    ),
                );
            }
            if !listed.contains(ext) {
                ctx.warning(
                    "R-7",
                    format!("/{name}/{i}"),
                    format!(
                        "extension {} is listed in `{name}` but not in `extensions`",
                        quote(ext)
                    ),
                );
            }
        }
    }
}

/// `value`, if present, is an array of strings.
fn string_list<J: Json>(ctx: &mut Ctx<'_>, name: &str, value: Option<&J>) {
    match value.map(Json::view) {
        None => {}
        Some(View::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if !item.is_string() {
                    ctx.error(
                        "R-5",
                        format!("/{name}/{i}"),
                        format!(
                            "`{name}` entries must be extension names (strings), found {}",
                            item.type_name()
                        ),
                    );
                }
            }
        }
        Some(other) => ctx.error(
            "R-5",
            format!("/{name}"),
            format!(
                "`{name}` must be an array of extension names, found {}",
                other.type_name()
            ),
        ),
    }
}

/// The names in `extensions`, searchable in O(log n) when the list is long
/// (a scan is cheaper for the usual handful of names).
enum ListedNames<'v, J> {
    Short(&'v [J]),
    Long(std::collections::BTreeSet<&'v str>),
}

impl<'v, J: Json> ListedNames<'v, J> {
    fn of(extensions: Option<&'v J>) -> Self {
        match extensions.map(Json::view) {
            Some(View::Array(a)) if a.len() > 16 => {
                Self::Long(a.iter().filter_map(Json::as_str).collect())
            }
            Some(View::Array(a)) => Self::Short(a),
            _ => Self::Short(&[]),
        }
    }

    fn contains(&self, name: &str) -> bool {
        match self {
            Self::Short(a) => a.iter().any(|v| v.as_str() == Some(name)),
            Self::Long(set) => set.contains(name),
        }
    }
}

/// the four arrays hold objects; `parties` is present. Also the
/// type of `subject` (a string).
fn arrays<J: Json>(ctx: &mut Ctx<'_>, top: &Top<'_, J>) {
    for (name, value) in ARRAYS.into_iter().zip(top.arrays) {
        match value.map(Json::view) {
            None if name == "parties" => ctx.warning(
                "R-10",
                "/parties",
                "`parties` is missing; core-03 lists it without \"optional\"",
            ),
            None => {}
            Some(View::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    if !item.is_object() {
                        ctx.error(
                            "R-9",
                            format!("/{name}/{i}"),
                            format!(
                                "`{name}` entries must be objects (an empty object {{}} is the \
                                 placeholder for a removed entry), found {}",
                                item.type_name()
                            ),
                        );
                    }
                }
            }
            Some(other) => ctx.error(
                "R-9",
                format!("/{name}"),
                format!(
                    "`{name}` must be an array of objects, found {}",
                    other.type_name()
                ),
            ),
        }
    }
    if let Some(v) = top.subject.filter(|v| !v.is_string()) {
        ctx.error(
            "R-9",
            "/subject",
            format!("`subject` must be a string, found {}", v.type_name()),
        );
    }
}

// ---- Member accounting: and R-50 (CC members) -------------------
//
// One pass over the member *names* of every object (never their values), so
// its cost does not grow with body sizes.

/// Which kind of object a member belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Top,
    Party,
    Dialog,
    Analysis,
    Attachment,
    Reference,
}

/// Whether `name` is a core-03 member of a `kind` object (or a legacy name
/// another module reports). A `match` compiles to a length switch and a few
/// comparisons, which keeps this pass cheap.
#[rustfmt::skip]
fn is_core(kind: Kind, name: &str) -> bool {
    // Legacy `mimetype`, `alg` and `signature` are reported by `content`.
    let content = || matches!(name,
        "mediatype" | "filename" | "body" | "encoding" | "url" | "content_hash" | "mimetype"
        | "alg" | "signature");
    match kind {
        Kind::Top => matches!(name,
            "vcon" | "uuid" | "extensions" | "critical" | "created_at" | "updated_at"
            | "subject" | "redacted" | "amended" | "group" | "parties" | "dialog" | "analysis"
            | "attachments"),
        Kind::Party => matches!(name,
            "tel" | "sip" | "stir" | "mailto" | "name" | "did" | "validation" | "gmlpos"
            | "civicaddress" | "uuid" | "type" | "org" | "dept"),
        // With the legacy transfer names, which `dialog_links` reports.
        Kind::Dialog => content() || matches!(name,
            "type" | "start" | "duration" | "parties" | "originator" | "disposition"
            | "session_id" | "party_history" | "transferee" | "transferor" | "transfer_target"
            | "original" | "consultation" | "target_dialog" | "recordings" | "recording_set"
            | "application" | "message_id" | "transfer-target" | "target-dialog"),
        Kind::Analysis => content() || matches!(name,
            "type" | "dialog" | "attachment" | "vendor" | "product" | "schema"),
        // An attachment `type` is R-37's, or lawful_basis's (see `classify`).
        Kind::Attachment => content() || matches!(name, "purpose" | "start" | "party" | "dialog"),
        Kind::Reference => content() || matches!(name, "uuid" | "type"),
    }
}

/// What a non-core member name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// A legacy name, with the advice to give.
    Legacy(&'static str),
    /// A member defined by the extension with this token.
    Extension(&'static str),
    /// A name neither core-03 nor a known extension defines.
    Unknown,
}

/// Classifies a non-core member; `None` when another rule reports it.
fn classify(kind: Kind, name: &str, value: &impl Json) -> Option<Known> {
    use Known::{Extension, Legacy};
    Some(match (kind, name) {
        (Kind::Top, "appended") => Legacy("`appended` is the pre-0.4.0 name of `amended`"),
        (Kind::Top, "must_support") => Legacy("`must_support` is the 0.3.0 name of `critical`"),
        (Kind::Top, "must_understand") => Legacy("`must_understand` is a docs alias of `critical`"),
        (Kind::Party, "jCard" | "timezone") => {
            Legacy("this party member was removed in core-02; drop it or move it to an extension")
        }
        (Kind::Dialog, "interaction") => {
            Legacy("`interaction` is the 0.0.1 name of the CC extension's `interaction_id`")
        }
        (Kind::Analysis, "schema_version" | "vendor_schema") => {
            Legacy("this is a pre-0.4.0 name of `schema`")
        }
        (Kind::Party, "role" | "contact_list")
        | (Kind::Dialog, "campaign" | "interaction_type" | "interaction_id" | "skill") => {
            Extension("CC")
        }
        (Kind::Party, "sip_contact" | "sip_user_agent" | "sip_display_name")
        | (Kind::Dialog, "sip_call_id" | "sip_from_tag" | "sip_to_tag" | "sip_cseq") => {
            Extension("sip-signaling")
        }
        (Kind::Attachment, "type") if value.as_str() == Some("lawful_basis") => {
            Extension("lawful_basis")
        }
        (Kind::Attachment, "type") => return None,
        _ => Known::Unknown,
    })
}

/// Where a member was found: `/{array}/{index}`, `/{member}` or the top level.
#[derive(Debug, Clone, Copy)]
struct Loc {
    array: &'static str,
    index: Option<usize>,
}

impl Loc {
    fn pointer(self, name: &str) -> String {
        let base = match (self.array, self.index) {
            ("", _) => String::new(),
            (array, Some(i)) => format!("/{array}/{i}"),
            (array, None) => format!("/{array}"),
        };
        super::pointer_join(&base, name)
    }
}

/// A non-core member reported once per name, at its first place, with a count.
struct Pending<'v> {
    name: &'v str,
    /// The extension defining it, `""` when unknown.
    extension: &'static str,
    first: Loc,
    count: usize,
}

/// State of the member accounting over one document.
struct Accounting<'v> {
    extensions_empty: bool,
    /// At most [`MAX_PENDING`] names, so that a document with a flood of
    /// distinct names costs linear time.
    pending: Vec<Pending<'v>>,
    /// Distinct names beyond [`MAX_PENDING`], counted only.
    more_names: usize,
}

/// Distinct non-core member names reported one by one.
const MAX_PENDING: usize = 32;

impl<'v> Accounting<'v> {
    fn object<O: JsonObj>(&mut self, ctx: &mut Ctx<'_>, kind: Kind, loc: Loc, object: &'v O) {
        for (name, value) in object.members() {
            if is_core(kind, name) {
                continue;
            }
            let extension = match classify(kind, name, value) {
                None => continue,
                Some(Known::Legacy(advice)) => {
                    ctx.warning(
                        "R-11",
                        loc.pointer(name),
                        format!("{advice}; upgrade the vCon (`vcon migrate` does)"),
                    );
                    continue;
                }
                Some(Known::Extension(ext)) => {
                    if ext == "sip-signaling" && kind == Kind::Dialog {
                        super::extensions::sip_dialog_member(ctx, name, value, || {
                            loc.pointer(name)
                        });
                    }
                    if ctx.lists_extension(ext) {
                        continue;
                    }
                    ext
                }
                Some(Known::Unknown) if self.extensions_empty => "",
                Some(_) => continue,
            };
            let full = self.pending.len() >= MAX_PENDING;
            match self.pending.iter_mut().find(|p| p.name == name) {
                Some(p) => p.count += 1,
                None if full => self.more_names += 1,
                None => self.pending.push(Pending {
                    name,
                    extension,
                    first: loc,
                    count: 1,
                }),
            }
        }
    }

    fn report(self, ctx: &mut Ctx<'_>) {
        for p in self.pending {
            let more = match p.count {
                1 => String::new(),
                n => format!(" ({n} occurrences; the first is shown)"),
            };
            let (rule, message) = match p.extension {
                "" => (
                    "R-7",
                    format!(
                        "member `{}` is not defined by core-03 and `extensions` is empty; list \
                         the extension that defines it{more}",
                        p.name
                    ),
                ),
                ext => (
                    if ext == "CC" { "R-50" } else { "R-7" },
                    format!(
                        "member `{}` belongs to the `{ext}` extension, which is not listed in \
                         `extensions`{more}",
                        p.name
                    ),
                ),
            };
            ctx.warning(rule, p.first.pointer(p.name), message);
        }
        if self.more_names > 0 {
            ctx.warning(
                "R-7",
                "",
                format!(
                    "{} more occurrences of member names not defined by core-03 or not listed \
                     in `extensions` (only the first {MAX_PENDING} names are reported)",
                    self.more_names
                ),
            );
        }
    }
}

/// over the member names of every object of the document.
fn members<'v, O: JsonObj>(ctx: &mut Ctx<'_>, object: &'v O, top: &Top<'v, O::Val>) {
    let mut acc = Accounting {
        extensions_empty: top
            .extensions
            .and_then(Json::as_array)
            .is_none_or(<[_]>::is_empty),
        pending: Vec::new(),
        more_names: 0,
    };
    let root = Loc {
        array: "",
        index: None,
    };
    acc.object(ctx, Kind::Top, root, object);
    let kinds = [Kind::Party, Kind::Dialog, Kind::Analysis, Kind::Attachment];
    for ((array, kind), value) in ARRAYS.into_iter().zip(kinds).zip(top.arrays) {
        let Some(items) = value.and_then(Json::as_array) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            if let Some(o) = item.as_object() {
                let loc = Loc {
                    array,
                    index: Some(i),
                };
                acc.object(ctx, kind, loc, o);
            }
        }
    }
    for (array, value) in [("redacted", top.redacted), ("amended", top.amended)] {
        if let Some(o) = value.and_then(Json::as_object) {
            acc.object(ctx, Kind::Reference, Loc { array, index: None }, o);
        }
    }
    acc.report(ctx);
}
