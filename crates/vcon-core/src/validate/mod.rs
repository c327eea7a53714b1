//! Validation against the numbered rules of the digest §12 (draft-ietf-vcon-vcon-core-03).
//!
//! Validation works on the raw JSON value, not on the typed model, so that a
//! wrongly typed member becomes a precise finding instead of a parse failure.
//! Each [`Finding`] carries the rule id, a severity, a JSON pointer and a message.
//!
//! ```
//! use vcon_core::validate::{validate_bytes, Options};
//! let report = validate_bytes(br#"{"uuid":"nope","parties":[]}"#, &Options::default());
//! assert!(!report.is_valid());
//! assert!(report.findings.iter().any(|f| f.rule == "R-2" && f.pointer == "/uuid"));
//! ```

mod analysis;
pub(crate) mod content;
mod dialog;
mod dialog_links;
mod dialog_session;
mod envelope;
mod extensions;
mod fast;
mod party;
pub mod primitives;
mod toplevel;

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::form::Form;
use crate::read::{ReadLimits, read};
use crate::tree::{Json, JsonObj, View};
use crate::version::{self, VersionInfo};
use content::{Ptr, non_null, quote};
use primitives::is_date;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational: worth knowing, never a problem.
    Info,
    /// A SHOULD is broken (or a MUST, under the lenient profile).
    Warning,
    /// A MUST is broken: the vCon is invalid.
    Error,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
        })
    }
}

/// One problem found in a vCon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Rule id from the digest §12, such as `R-20`.
    pub rule: &'static str,
    /// How bad it is, after the profile was applied.
    pub severity: Severity,
    /// JSON pointer (RFC 6901) to the offending value; `""` is the whole document.
    pub pointer: String,
    /// Plain-English explanation.
    pub message: String,
}

/// Which rule set applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Every MUST of core-03 is an error (the default).
    #[default]
    Strict,
    /// Accepts, as warnings, what the draft's own appendix examples do
    /// (a missing `created_at`, for one). For ingesting vCons in the wild.
    Lenient,
}

/// Extensions this crate knows how to check, supported unless configured otherwise.
pub const DEFAULT_SUPPORTED_EXTENSIONS: &[&str] = &[
    "CC",
    "lawful_basis",
    "wtf_transcription",
    "sip-signaling",
    "lifecycle",
];

/// What to validate against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Strict or lenient.
    pub profile: Profile,
    /// Extension names this consumer supports; a `critical` name outside it is an error (R-6).
    pub supported_extensions: BTreeSet<String>,
    /// Limits for reading bytes (and gzip payloads).
    pub limits: ReadLimits,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            profile: Profile::Strict,
            supported_extensions: DEFAULT_SUPPORTED_EXTENSIONS
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            limits: ReadLimits::default(),
        }
    }
}

impl Options {
    /// Default options with the given profile.
    pub fn with_profile(profile: Profile) -> Self {
        Self {
            profile,
            ..Self::default()
        }
    }

    /// Whether `name` is a supported extension.
    pub fn supports(&self, name: &str) -> bool {
        self.supported_extensions.contains(name)
    }
}

/// The outcome of validating one document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// The form found, if any (R-40).
    pub form: Option<Form>,
    /// Syntax version declared and detected.
    pub version: VersionInfo,
    /// Every finding, in document order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// True when no finding is an error.
    pub fn is_valid(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Number of findings of the given severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// Reads and validates bytes. Read failures (size, gzip, syntax, UTF-8,
/// duplicates, non-object) become findings of R-42 or R-45 at pointer `""`.
pub fn validate_bytes(bytes: &[u8], options: &Options) -> Report {
    if let Some(report) = fast::validate(bytes, options) {
        return report;
    }
    validate_bytes_with_reader(bytes, options)
}

/// [`validate_bytes`] through the bounded reader and a [`serde_json::Value`]
/// tree only (no fast path): the reference the fast path is tested against.
pub fn validate_bytes_with_reader(bytes: &[u8], options: &Options) -> Report {
    match read(bytes, &options.limits) {
        Ok(doc) => validate_object(&doc.object, options),
        Err(e) => Report {
            form: None,
            version: VersionInfo::unknown(),
            findings: vec![Finding {
                rule: e.rule(),
                severity: Severity::Error,
                pointer: String::new(),
                message: e.to_string(),
            }],
        },
    }
}

/// Validates an unsigned vCon already parsed into the borrowed tree of
/// [`crate::tree::parse`]: the fast path of [`validate_bytes`], for a caller
/// that keeps the tree afterwards (to index it, say). `None` when `root` is
/// not an unsigned vCon (signed, encrypted, no form): then
/// [`validate_object`] on the reader's object decides. The findings are
/// those [`validate_object`] gives for the same text.
///
/// ```
/// use vcon_core::validate::{validate_tree, Options};
/// let root = vcon_core::tree::parse(br#"{"uuid":"nope","parties":[]}"#, 64).unwrap();
/// let report = validate_tree(&root, &Options::default()).unwrap();
/// assert!(report.findings.iter().any(|f| f.rule == "R-2" && f.pointer == "/uuid"));
/// let signed = vcon_core::tree::parse(br#"{"payload":"e30","signatures":[]}"#, 64).unwrap();
/// assert!(validate_tree(&signed, &Options::default()).is_none());
/// ```
pub fn validate_tree(root: &crate::tree::Obj<'_>, options: &Options) -> Option<Report> {
    if Form::detect(root) != Some(Form::Unsigned) {
        return None;
    }
    let mut ctx = Ctx::new(options, root);
    let version = validate_document(&mut ctx, root);
    Some(Report {
        form: Some(Form::Unsigned),
        version,
        findings: ctx.findings,
    })
}

/// Validates a parsed top-level object.
///
/// A signed vCon is checked as a JWS and its payload is decoded and validated
/// in turn (findings inside it carry pointers under `/payload`); an encrypted
/// vCon can only be checked as a JWE envelope, since validation holds no keys.
/// [`Report::version`] describes the innermost unsigned vCon that was reached.
pub fn validate_object(object: &Map<String, Value>, options: &Options) -> Report {
    let form = Form::detect(object);
    let mut ctx = Ctx::new(options, object);
    let version = match form {
        Some(Form::Unsigned) => Some(validate_document(&mut ctx, object)),
        Some(Form::Signed) => envelope::signed(&mut ctx, object),
        Some(Form::Encrypted) => {
            envelope::encrypted(&mut ctx, object);
            None
        }
        None => {
            no_form(&mut ctx, object);
            None
        }
    };
    Report {
        form,
        version: version.unwrap_or_else(VersionInfo::unknown),
        findings: ctx.findings,
    }
}

/// A document with no determinable form (R-40).
fn no_form<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O) {
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

/// Validates an unsigned vCon object and reports a legacy syntax (R-11) when
/// its members or its `vcon` value say so.
fn validate_document<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O) -> VersionInfo {
    validate_unsigned(ctx, object);
    let version = version::detect(object);
    if version.is_legacy() {
        ctx.legacy_note(&version);
    }
    version
}

/// Runs every rule of an unsigned vCon object.
///
/// Division of labour: `toplevel` checks the shape of the four arrays (R-9),
/// so the per-array modules skip elements that are not objects without
/// reporting them again; `content::check_object` is called for every object
/// that may carry a file.
pub(crate) fn validate_unsigned<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O) {
    toplevel::check(ctx, object);
    party::check(ctx, object);
    dialog::check(ctx, object);
    analysis::check(ctx, object);
    extensions::check(ctx, object);
}

/// Rules that the lenient profile reports as warnings instead of errors:
/// exactly what the draft's appendix examples and legacy upgrades break.
/// (One more difference: the `redacted: {}` leftover of A.2 and A.3 is an
/// R-43 error under strict and an R-44 note under lenient; see `analysis`.
/// Attachments without `party`, `start` or `dialog`, as the conserver writes
/// them, are R-36 warnings under lenient: see `Ctx::missing_in_the_wild`.)
const LENIENT_DOWNGRADES: &[&str] = &["R-3", "R-15"];

/// Shared state of one validation run.
pub(crate) struct Ctx<'a> {
    pub(crate) options: &'a Options,
    pub(crate) findings: Vec<Finding>,
    /// Whether the object being checked is the payload of a signed vCon.
    pub(crate) in_payload: bool,
    /// Which of [`KNOWN_EXTENSIONS`] the root's `extensions` lists, found
    /// once so that per-member questions cost nothing.
    listed: [bool; KNOWN_EXTENSIONS.len()],
    /// Whether the root has a non-empty `redacted` object.
    redacted: bool,
    /// Length of the root's `parties` array (0 when absent or not an array).
    party_count: usize,
}

/// Extension tokens whose members or values the rules recognise.
const KNOWN_EXTENSIONS: [&str; 5] = [
    "CC",
    "sip-signaling",
    "lawful_basis",
    "wtf_transcription",
    "agent_session",
];

impl<'a> Ctx<'a> {
    fn new<O: JsonObj>(options: &'a Options, root: &O) -> Self {
        Self {
            options,
            findings: Vec::new(),
            in_payload: false,
            listed: listed_extensions(root),
            redacted: root
                .get("redacted")
                .and_then(Json::as_object)
                .is_some_and(|m| !m.is_empty()),
            party_count: root
                .get("parties")
                .and_then(Json::as_array)
                .map_or(0, <[_]>::len),
        }
    }

    fn push(&mut self, rule: &'static str, severity: Severity, pointer: String, message: String) {
        self.findings.push(Finding {
            rule,
            severity,
            pointer,
            message,
        });
    }

    /// A broken MUST. The lenient profile downgrades the rules in `LENIENT_DOWNGRADES`.
    pub(crate) fn error(
        &mut self,
        rule: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) {
        let severity =
            if self.options.profile == Profile::Lenient && LENIENT_DOWNGRADES.contains(&rule) {
                Severity::Warning
            } else {
                Severity::Error
            };
        self.push(rule, severity, pointer.into(), message.into());
    }

    /// A required member missing where producers in the wild (the reference
    /// conserver among them) leave it out: an error under strict, a warning
    /// under lenient. Wrong values of the same member stay errors.
    pub(crate) fn missing_in_the_wild(
        &mut self,
        rule: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) {
        let severity = match self.options.profile {
            Profile::Strict => Severity::Error,
            Profile::Lenient => Severity::Warning,
        };
        self.push(rule, severity, pointer.into(), message.into());
    }

    /// A broken SHOULD.
    pub(crate) fn warning(
        &mut self,
        rule: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(rule, Severity::Warning, pointer.into(), message.into());
    }

    /// Something worth knowing.
    pub(crate) fn info(
        &mut self,
        rule: &'static str,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.push(rule, Severity::Info, pointer.into(), message.into());
    }

    /// Whether the vCon is a redacted one (content may then be missing).
    pub(crate) fn is_redacted(&self) -> bool {
        self.redacted
    }

    /// Number of parties (0 when `parties` is absent or not an array).
    pub(crate) fn party_count(&self) -> usize {
        self.party_count
    }

    /// Whether the root's `extensions` lists `name`, one of [`KNOWN_EXTENSIONS`]
    /// (always false for other names).
    pub(crate) fn lists_extension(&self, name: &str) -> bool {
        KNOWN_EXTENSIONS
            .iter()
            .position(|k| *k == name)
            .is_some_and(|i| self.listed[i])
    }

    fn legacy_note(&mut self, version: &VersionInfo) {
        self.push(
            "R-11",
            Severity::Warning,
            String::new(),
            format!(
                "legacy vCon syntax {} detected ({}); run `vcon migrate` to upgrade it to 0.4.0",
                version.detected, version.evidence
            ),
        );
    }
}

/// The kinds of value a member may be required to hold (for [`Fields`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Str,
    Date,
    DateOrNull,
    Bool,
    /// A number in [0, 1] (a confidence).
    Unit,
    /// A number >= 0.
    NonNegative,
    Object,
    Array,
}

impl Want {
    fn describe(self) -> &'static str {
        match self {
            Self::Str => "a string",
            Self::Date => "an RFC 3339 date-time",
            Self::DateOrNull => "an RFC 3339 date-time or null",
            Self::Bool => "true or false",
            Self::Unit => "a number from 0 to 1",
            Self::NonNegative => "a non-negative number",
            Self::Object => "an object",
            Self::Array => "an array",
        }
    }

    fn accepts(self, v: &impl Json) -> bool {
        match self {
            Self::Str => v.is_string(),
            Self::Date => v.as_str().is_some_and(is_date),
            Self::DateOrNull => v.is_null() || v.as_str().is_some_and(is_date),
            Self::Bool => v.is_boolean(),
            Self::Unit => v.as_f64().is_some_and(|x| (0.0..=1.0).contains(&x)),
            Self::NonNegative => v.as_f64().is_some_and(|x| x >= 0.0),
            Self::Object => v.is_object(),
            Self::Array => v.is_array(),
        }
    }
}

/// Checks the members of objects whose shape a rule fixes (extension bodies
/// mostly), reporting each problem as an error of `rule`, prefixed by `label`.
struct Fields<'c, 'a> {
    ctx: &'c mut Ctx<'a>,
    rule: &'static str,
    /// What the checked object is, for messages ("wtf_transcription analysis").
    label: &'static str,
}

impl Fields<'_, '_> {
    /// The member `name` of `obj` (at `at`) if it is what `want` says;
    /// otherwise reports it (missing only when `required`) and returns `None`.
    fn get<'v, O: JsonObj>(
        &mut self,
        obj: &'v O,
        name: &str,
        want: Want,
        required: bool,
        at: &Ptr<'_>,
    ) -> Option<&'v O::Val> {
        let v = match obj.get(name) {
            Some(v) if v.is_null() && want != Want::DateOrNull => None,
            other => other,
        };
        let Some(v) = v else {
            if required {
                self.error(at.key(name), format!("`{name}` is missing"));
            }
            return None;
        };
        if want.accepts(v) {
            return Some(v);
        }
        let found = match v.view() {
            View::String(s) => quote(s),
            View::Number(n) => n.to_string(),
            other => other.type_name().to_owned(),
        };
        self.error(
            at.key(name),
            format!("`{name}` must be {}, found {found}", want.describe()),
        );
        None
    }

    fn error(&mut self, at: Ptr<'_>, message: String) {
        self.ctx
            .error(self.rule, at.build(), format!("{}: {message}", self.label));
    }

    /// `encoding` must be `json` (or one of `also`) and `body` an object.
    fn json_body<'v, O: JsonObj>(&mut self, obj: &'v O, at: &Ptr<'_>) -> Option<&'v O> {
        let encoding = non_null(obj, "encoding").and_then(Json::as_str);
        if encoding != Some("json") {
            self.error(
                at.key("encoding"),
                format!(
                    "`encoding` must be json, found {}",
                    encoding.map_or_else(|| "none".to_owned(), quote)
                ),
            );
        }
        self.get(obj, "body", Want::Object, true, at)?.as_object()
    }
}

/// Which of [`KNOWN_EXTENSIONS`] `root.extensions` lists (one scan).
fn listed_extensions<O: JsonObj>(root: &O) -> [bool; KNOWN_EXTENSIONS.len()] {
    let mut listed = [false; KNOWN_EXTENSIONS.len()];
    if let Some(names) = root.get("extensions").and_then(Json::as_array) {
        for name in names.iter().filter_map(Json::as_str) {
            if let Some(i) = KNOWN_EXTENSIONS.iter().position(|k| *k == name) {
                listed[i] = true;
            }
        }
    }
    listed
}

/// A short JSON pointer such as `/attachments/12`, formatted on the stack so
/// that walking an array allocates nothing; rule modules pass
/// [`ElementPointer::as_str`] to helpers that take a `&str` pointer.
pub(crate) struct ElementPointer {
    buf: [u8; 48],
    len: usize,
}

impl ElementPointer {
    /// The pointer `/{array}/{index}`; `array` is a member name that needs no
    /// escaping (`parties`, `dialog`, `analysis`, `attachments`).
    pub(crate) fn new(array: &str, index: usize) -> Self {
        use std::fmt::Write as _;
        let mut p = Self {
            buf: [0; 48],
            len: 0,
        };
        // Cannot overflow: the longest array name plus a u64 fits in 48 bytes.
        let _ = write!(p, "/{array}/{index}");
        p
    }

    /// The pointer text.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for ElementPointer {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let slot = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends a member name or index to a JSON pointer, escaping `~` and `/` (RFC 6901).
pub fn pointer_join(base: &str, token: impl std::fmt::Display) -> String {
    let token = token.to_string();
    if token.contains(['~', '/']) {
        format!("{base}/{}", token.replace('~', "~0").replace('/', "~1"))
    } else {
        format!("{base}/{token}")
    }
}
