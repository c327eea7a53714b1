//! Inline and external content of any object that carries a file (dialog,
//! analysis, attachment, redacted, amended), core-03 §Inline Files and
//! §Externally Referenced Files:
//!
//! * R-14 every `mediatype` (and legacy `mimetype`) is `type/subtype[;params]`;
//! * R-25 a non-empty `body` has an `encoding` from {base64url, json, none};
//! * R-26 base64url bodies decode, `none` bodies are strings;
//! * R-30 a `url` comes with a `content_hash`;
//! * R-31 the `url` is an absolute `https:` URL;
//! * R-32 `content_hash` is one or more well-formed tokens, one of them sha512;
//! * R-11 the legacy content members `mimetype` and `alg`/`signature` are flagged
//!   at their pointers.
//!
//! R-33 (fetched bytes must hash to the declared value) is not checked here: this
//! validator is pure and never fetches a URL. [`crate::hash::ContentHashes::verify`]
//! implements it for callers that hold the bytes.
//!
//! Pointers are built lazily with [`Ptr`], only when a finding is emitted, so the
//! happy path allocates nothing but the parsed `content_hash` digests.

use std::fmt;

use serde_json::{Map, Value};

use super::primitives::{check_base64url, is_https_url, is_mediatype};
use super::{Ctx, pointer_join};
use crate::hash::{ContentHash, HashAlg, HashError};
use crate::tree::{Json, JsonObj, View};

/// A JSON pointer that is only turned into a string when a finding needs it:
/// a chain of member names and array indices kept on the stack.
#[derive(Debug, Clone, Copy)]
pub(super) enum Ptr<'a> {
    /// An already built pointer (`""` is the whole document).
    Base(&'a str),
    /// A member of the object at the parent pointer.
    Key(&'a Ptr<'a>, &'a str),
    /// An element of the array at the parent pointer.
    Index(&'a Ptr<'a>, usize),
}

impl<'a> Ptr<'a> {
    /// The pointer to member `name` below this one.
    pub(super) fn key(&'a self, name: &'a str) -> Ptr<'a> {
        Ptr::Key(self, name)
    }

    /// The pointer to element `index` below this one.
    pub(super) fn index(&'a self, index: usize) -> Ptr<'a> {
        Ptr::Index(self, index)
    }

    /// The pointer as an RFC 6901 string.
    pub(super) fn build(&self) -> String {
        match self {
            Ptr::Base(s) => (*s).to_owned(),
            Ptr::Key(parent, name) => pointer_join(&parent.build(), name),
            Ptr::Index(parent, i) => pointer_join(&parent.build(), i),
        }
    }
}

impl fmt::Display for Ptr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.build())
    }
}

/// A member of `object`, treating `null` as absent (core-03 §JSON Notation).
pub(super) fn non_null<'v, O: JsonObj>(object: &'v O, name: &str) -> Option<&'v O::Val> {
    object.get(name).filter(|v| !v.is_null())
}

/// [`non_null`] on a `serde_json` object.
pub(super) fn member<'v>(object: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    non_null(object, name)
}

/// Whether a value counts as empty: `null`, `""`, `{}` or `[]`.
pub(super) fn is_empty_value(v: &impl Json) -> bool {
    match v.view() {
        View::Null => true,
        View::String(s) => s.is_empty(),
        View::Array(a) => a.is_empty(),
        View::Object(o) => o.is_empty(),
        View::Bool(_) | View::Number(_) => false,
    }
}

/// A string value quoted for a message, shortened when long.
pub(super) fn quote(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}…", &s[..cut]),
        None => format!("{s:?}"),
    }
}

/// The content members of one object, gathered in a single pass over it
/// (`null` values count as absent).
pub(super) struct Content<'v, J> {
    /// `mediatype`.
    pub(super) mediatype: Option<&'v J>,
    /// Legacy `mimetype`.
    pub(super) mimetype: Option<&'v J>,
    /// Legacy `alg`.
    pub(super) alg: Option<&'v J>,
    /// Legacy `signature`.
    pub(super) signature: Option<&'v J>,
    /// `body`.
    pub(super) body: Option<&'v J>,
    /// `encoding`.
    pub(super) encoding: Option<&'v J>,
    /// `url`.
    pub(super) url: Option<&'v J>,
    /// `content_hash`.
    pub(super) content_hash: Option<&'v J>,
}

impl<J> Default for Content<'_, J> {
    fn default() -> Self {
        Self {
            mediatype: None,
            mimetype: None,
            alg: None,
            signature: None,
            body: None,
            encoding: None,
            url: None,
            content_hash: None,
        }
    }
}

impl<'v, J: Json> Content<'v, J> {
    /// Gathers the content members of `object`.
    pub(super) fn of(object: &'v J::Obj) -> Self {
        let mut c = Self::default();
        for (name, value) in object.members() {
            c.take(name, value);
        }
        c
    }

    /// Records `value` when `name` is a content member; returns whether it is one.
    pub(super) fn take(&mut self, name: &str, value: &'v J) -> bool {
        let slot = match name {
            "mediatype" => &mut self.mediatype,
            "mimetype" => &mut self.mimetype,
            "alg" => &mut self.alg,
            "signature" => &mut self.signature,
            "body" => &mut self.body,
            "encoding" => &mut self.encoding,
            "url" => &mut self.url,
            "content_hash" => &mut self.content_hash,
            _ => return false,
        };
        *slot = Some(value).filter(|v| !v.is_null());
        true
    }

    /// Whether there is inline content: a non-empty `body`.
    pub(super) fn has_inline(&self) -> bool {
        self.body.is_some_and(|b| !is_empty_value(b))
    }

    /// Whether there is a reference to external content: a `url`.
    pub(super) fn has_external(&self) -> bool {
        self.url.is_some()
    }
}

/// Checks the content members (`body`, `encoding`, `url`, `content_hash`) of
/// one object found at `pointer`, plus its `mediatype` syntax and its legacy
/// `mimetype`, `alg` and `signature` members (rules,
/// Callers in other rule modules use this for every object
/// that may carry content, and need not check those rules themselves.
pub(super) fn check_object<O: JsonObj>(ctx: &mut Ctx<'_>, object: &O, pointer: &str) {
    let at = Ptr::Base(pointer);
    let content = Content::<O::Val>::of(object);
    check_descriptors(ctx, &content, &at);
    check_payload(ctx, &content, &at);
}

/// R-14 on `mediatype` and legacy `mimetype`; R-11 on the legacy members
/// `mimetype`, `alg` and `signature`.
pub(super) fn check_descriptors<J: Json>(ctx: &mut Ctx<'_>, c: &Content<'_, J>, at: &Ptr<'_>) {
    if let Some(v) = c.mediatype {
        check_mediatype(ctx, v, &at.key("mediatype"), "mediatype");
    }
    if let Some(v) = c.mimetype {
        ctx.warning(
            "R-11",
            at.key("mimetype").build(),
            "`mimetype` is the pre-0.0.2 name of `mediatype`; rename it (`vcon migrate` does)",
        );
        check_mediatype(ctx, v, &at.key("mimetype"), "mimetype");
    }
    if c.alg.is_some() || c.signature.is_some() {
        let name = if c.alg.is_some() { "alg" } else { "signature" };
        ctx.warning(
            "R-11",
            at.key(name).build(),
            "`alg`/`signature` is the 0.0.1 form of `content_hash`; replace it by a \
             `sha512-<base64url digest>` token (`vcon migrate` does)",
        );
    }
}

fn check_mediatype(ctx: &mut Ctx<'_>, value: &impl Json, at: &Ptr<'_>, name: &str) {
    match value.view() {
        View::String(s) if is_mediatype(s) => {}
        View::String(s) => ctx.error(
            "R-14",
            at.build(),
            format!(
                "`{name}` {} is not a media type of the form type/subtype[;parameters]",
                quote(s)
            ),
        ),
        other => ctx.error(
            "R-14",
            at.build(),
            format!(
                "`{name}` must be a media type string, found {}",
                other.type_name()
            ),
        ),
    }
}

/// R-25, R-26 (inline) and, R-32 (external) on one object.
pub(super) fn check_payload<J: Json>(ctx: &mut Ctx<'_>, c: &Content<'_, J>, at: &Ptr<'_>) {
    check_inline(ctx, c, at);
    check_external(ctx, c, at);
}

/// The values `encoding` may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Base64Url,
    Json,
    None,
    /// `jwe`, defined by the agent_session extension (only when supported).
    Jwe,
}

fn check_inline<J: Json>(ctx: &mut Ctx<'_>, c: &Content<'_, J>, at: &Ptr<'_>) {
    let body = c.body;
    let encoding = match c.encoding.map(Json::view) {
        None => None,
        Some(View::String(s)) => match s {
            "base64url" => Some(Encoding::Base64Url),
            "json" => Some(Encoding::Json),
            "none" => Some(Encoding::None),
            "jwe" if ctx.options.supports("agent_session") => Some(Encoding::Jwe),
            _ => {
                ctx.error(
                    "R-25",
                    at.key("encoding").build(),
                    format!(
                        "`encoding` {} is not one of base64url, json, none",
                        quote(s)
                    ),
                );
                return;
            }
        },
        Some(other) => {
            ctx.error(
                "R-25",
                at.key("encoding").build(),
                format!(
                    "`encoding` must be one of the strings base64url, json, none; found {}",
                    other.type_name()
                ),
            );
            return;
        }
    };
    let Some(body) = body else {
        return;
    };
    let Some(encoding) = encoding else {
        if !is_empty_value(body) {
            ctx.error(
                "R-25",
                at.build(),
                "object has a `body` but no `encoding` (base64url, json or none)",
            );
        }
        return;
    };
    match (encoding, body.view()) {
        (Encoding::Json | Encoding::Jwe, _) => {}
        (Encoding::Base64Url, View::String(s)) => {
            if let Err(e) = check_base64url(s) {
                ctx.error(
                    "R-26",
                    at.key("body").build(),
                    format!("`body` is declared base64url but does not decode: {e}"),
                );
            }
        }
        (Encoding::None, View::String(_)) => {}
        (Encoding::Base64Url | Encoding::None, other) => {
            let name = if encoding == Encoding::None {
                "none"
            } else {
                "base64url"
            };
            ctx.error(
                "R-26",
                at.key("body").build(),
                format!(
                    "with `encoding` {name} the `body` must be a string, found {} \
                     (use `encoding` json for JSON values)",
                    other.type_name()
                ),
            );
        }
    }
}

fn check_external<J: Json>(ctx: &mut Ctx<'_>, c: &Content<'_, J>, at: &Ptr<'_>) {
    let hash = c.content_hash;
    if let Some(url) = c.url {
        match url.view() {
            View::String(s) if is_https_url(s) => {}
            View::String(s) => ctx.error(
                "R-31",
                at.key("url").build(),
                format!("`url` {} is not an absolute https: URL", quote(s)),
            ),
            other => ctx.error(
                "R-31",
                at.key("url").build(),
                format!(
                    "`url` must be an https: URL string, found {}",
                    other.type_name()
                ),
            ),
        }
        if hash.is_none() {
            let hint = if c.signature.is_some() {
                " (it has the legacy `alg`/`signature` pair instead)"
            } else {
                ""
            };
            ctx.error(
                "R-30",
                at.build(),
                format!("object has a `url` but no `content_hash`{hint}"),
            );
        }
    }
    if let Some(hash) = hash {
        check_content_hash(ctx, hash, &at.key("content_hash"));
    }
}

/// R-32 on a `content_hash` value at `at`.
fn check_content_hash(ctx: &mut Ctx<'_>, value: &impl Json, at: &Ptr<'_>) {
    let mut sha512 = false;
    match value.view() {
        View::String(s) => sha512 |= check_token(ctx, s, at),
        View::Array(items) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                match item.view() {
                    View::String(s) => sha512 |= check_token(ctx, s, &at.index(i)),
                    other => ctx.error(
                        "R-32",
                        at.index(i).build(),
                        format!(
                            "a content_hash token must be a string, found {}",
                            other.type_name()
                        ),
                    ),
                }
            }
        }
        other => {
            ctx.error(
                "R-32",
                at.build(),
                format!(
                    "`content_hash` must be a token or a non-empty array of tokens, found {}",
                    other.type_name()
                ),
            );
            return;
        }
    }
    if !sha512 {
        ctx.error(
            "R-32",
            at.build(),
            "`content_hash` has no valid sha512 token; core-03 requires one (`sha512-<base64url of 64 bytes>`)",
        );
    }
}

/// Checks one token; true when it is a valid sha512 token.
fn check_token(ctx: &mut Ctx<'_>, token: &str, at: &Ptr<'_>) -> bool {
    // The usual token, checked without decoding; anything else is parsed to
    // say what is wrong with it.
    if ContentHash::is_sha512_token(token) {
        return true;
    }
    match token.parse::<ContentHash>() {
        Ok(t) if t.alg == Some(HashAlg::Sha512) => true,
        Ok(t) if t.alg.is_none() => {
            ctx.warning(
                "R-32",
                at.build(),
                format!(
                    "content_hash algorithm {} is unknown here and cannot be checked",
                    quote(&t.alg_name)
                ),
            );
            false
        }
        Ok(_) => false,
        Err(e) => {
            let reason = match e {
                HashError::Malformed { .. } => format!(
                    "{} is not a content_hash token `<alg>-<base64url digest>` \
                     (alg in lower-case letters and digits)",
                    quote(token)
                ),
                HashError::BadDigestEncoding { .. } => {
                    format!("{}: the digest is not valid base64url", quote(token))
                }
                HashError::BadDigestLength {
                    alg,
                    expected,
                    found,
                    ..
                } => format!(
                    "{}: a {alg} digest is {expected} bytes, this one decodes to {found}",
                    quote(token)
                ),
                other => other.to_string(),
            };
            ctx.error("R-32", at.build(), reason);
            false
        }
    }
}
