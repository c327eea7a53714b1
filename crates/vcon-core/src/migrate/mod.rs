//! Legacy upgrade: vCons of syntax 0.0.1, 0.0.2 and 0.3.0 (and mixtures) to
//! 0.4.0, following the digest's §11 map (draft-ietf-vcon-vcon-core-03,
//! §Non-Upward Compatible Changes).
//!
//! Migration works on the raw object, so member order and unknown members
//! survive. Every edit is listed as a [`Change`] with the JSON pointer where
//! it shows in the result. Nothing is silently dropped: data with no 0.4.0
//! place (an inline prior vCon in `appended`, a non-RFC 7989 `session_id`, a
//! non-empty `group`, ...) is moved under a member named
//! [`PRESERVED_MEMBER`] in the object it came from, and reported.
//!
//! A vCon already in 0.4.0 syntax comes back unchanged with no changes, so
//! migrating twice is the same as migrating once. A signed vCon cannot be
//! changed without breaking its signature: [`migrate`] refuses a legacy
//! payload with [`MigrateError::Signed`]; verify it, then migrate the payload
//! (or opt in with [`SignedPolicy::MigrateUnverifiedPayload`]).
//!
//! ```
//! use vcon_core::migrate::{migrate, ChangeKind};
//! use vcon_core::version::Syntax;
//!
//! let legacy = serde_json::json!({
//!     "vcon": "0.0.1",
//!     "uuid": "018b4f72-d0e7-8d8e-b9a2-279e0d16bc46",
//!     "group": [],
//!     "parties": [{"tel": "+12345678901"}],
//!     "dialog": [{
//!         "type": "recording", "start": "2022-06-21T17:53:26Z", "parties": [0],
//!         "url": "https://example.com/call.wav", "mimetype": "audio/x-wav",
//!         "alg": "SHA-512", "signature": "ab".repeat(64)
//!     }]
//! });
//! let serde_json::Value::Object(object) = legacy else { unreachable!() };
//! let migration = migrate(object)?;
//! assert_eq!(migration.from, Syntax::V0_0_1);
//! let out = &migration.object;
//! assert_eq!(out["vcon"], "0.4.0");
//! assert!(!out.contains_key("group"));
//! assert_eq!(out["dialog"][0]["mediatype"], "audio/x-wav");
//! assert!(out["dialog"][0]["content_hash"].as_str().unwrap_or("").starts_with("sha512-q6ur"));
//! assert!(migration.changes.iter().any(|c| c.kind == ChangeKind::ContentHash
//!     && c.pointer == "/dialog/0/content_hash"));
//!
//! // Idempotent: the result is 0.4.0, so migrating it changes nothing.
//! let again = migrate(migration.object.clone())?;
//! assert!(again.changes.is_empty());
//! assert_eq!(again.object, migration.object);
//! # Ok::<(), vcon_core::migrate::MigrateError>(())
//! ```

mod content;
mod entries;
mod toplevel;
mod util;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::form::Form;
use crate::read::{ReadLimits, read};
use crate::version::{self, Syntax};
use util::{join, rename_in_place, type_name};

/// Name of the member that keeps legacy data with no 0.4.0 equivalent, in
/// the object the data came from (for example `/dialog/0/legacy_preserved`).
pub const PRESERVED_MEMBER: &str = "legacy_preserved";

/// Most JWS envelopes nested inside one another that are unwrapped.
const MAX_NESTED_ENVELOPES: usize = 8;

/// What kind of edit a [`Change`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A member got its 0.4.0 name, value unchanged (`mimetype` → `mediatype`, ...).
    Renamed,
    /// `alg: "SHA-512"` + `signature` became a `content_hash` token.
    ContentHash,
    /// A legacy member was dropped because its 0.4.0 twin holds the same data.
    DuplicateRemoved,
    /// An empty or null leftover (`group: []`, `redacted: {}`, ...) was removed.
    EmptyRemoved,
    /// Data with no 0.4.0 place was moved under [`PRESERVED_MEMBER`].
    Preserved,
    /// A 0.3.0 `session_id` string was parsed into `{local, remote}`.
    SessionIdParsed,
    /// A body without `encoding` got one inferred.
    EncodingInferred,
    /// An `encoding` that contradicts its body was corrected.
    EncodingCorrected,
    /// A name was added to `extensions`.
    ExtensionDeclared,
    /// The `vcon` member was set to `"0.4.0"`.
    VersionSet,
    /// A JWS envelope was removed, unverified, to migrate its payload.
    EnvelopeRemoved,
}

impl std::fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Renamed => "renamed",
            Self::ContentHash => "content_hash",
            Self::DuplicateRemoved => "duplicate_removed",
            Self::EmptyRemoved => "empty_removed",
            Self::Preserved => "preserved",
            Self::SessionIdParsed => "session_id_parsed",
            Self::EncodingInferred => "encoding_inferred",
            Self::EncodingCorrected => "encoding_corrected",
            Self::ExtensionDeclared => "extension_declared",
            Self::VersionSet => "version_set",
            Self::EnvelopeRemoved => "envelope_removed",
        })
    }
}

/// One edit made by the migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// JSON pointer (RFC 6901) of the edited member in the result; for a
    /// removed member, where it was. Array indices never shift.
    pub pointer: String,
    /// What kind of edit.
    pub kind: ChangeKind,
    /// Plain-English account naming the legacy member.
    pub description: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            "(document)"
        } else {
            &self.pointer
        };
        write!(f, "{at}: {} ({})", self.description, self.kind)
    }
}

/// The result of a migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Migration {
    /// The migrated top-level object (unsigned 0.4.0 form, or the untouched
    /// input when nothing had to change).
    pub object: Map<String, Value>,
    /// The syntax detected in the input ([`version::detect`]).
    pub from: Syntax,
    /// Every edit, in the order made. Empty when the input was already 0.4.0.
    pub changes: Vec<Change>,
}

impl Migration {
    /// Whether nothing changed.
    pub fn is_noop(&self) -> bool {
        self.changes.is_empty()
    }

    /// The migrated object as a [`Value`].
    pub fn into_value(self) -> Value {
        Value::Object(self.object)
    }
}

/// Why a vCon could not be migrated. Each variant says where (JSON pointer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MigrateError {
    /// The signed vCon's payload is legacy; changing it would break the signature.
    #[error(
        "{}: the signed vCon's payload uses legacy syntax {syntax}; migrating it would \
         invalidate the JWS signature. Verify the signature, then migrate the decoded payload \
         (or opt in with SignedPolicy::MigrateUnverifiedPayload)",
        at(.pointer)
    )]
    Signed {
        /// Where the legacy payload is (`/payload`).
        pointer: String,
        /// Syntax of the payload.
        syntax: Syntax,
    },
    /// The vCon is encrypted; its content cannot be seen here.
    #[error(
        "{}: the vCon is encrypted (JWE); decrypt and verify it, then migrate the payload",
        at(.pointer)
    )]
    Encrypted {
        /// Where the encrypted object is (`""` for the document).
        pointer: String,
    },
    /// No vCon form could be determined (R-40).
    #[error(
        "{}: not a vCon: none of payload+signatures, ciphertext+recipients, or \
         parties/dialog/analysis/attachments is present (R-40)",
        at(.pointer)
    )]
    NoForm {
        /// Where the object is (`""` for the document).
        pointer: String,
    },
    /// A signed payload could not be decoded.
    #[error("{}: the JWS payload cannot be decoded: {reason}", at(.pointer))]
    Payload {
        /// Where the payload is (`/payload`).
        pointer: String,
        /// What went wrong.
        reason: String,
    },
    /// JWS envelopes are nested deeper than this crate unwraps.
    #[error("/payload: JWS envelopes nested more than {limit} deep")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
}

/// A JSON pointer for messages: `""` reads as "document".
fn at(pointer: &str) -> &str {
    if pointer.is_empty() {
        "document"
    } else {
        pointer
    }
}

impl MigrateError {
    /// JSON pointer of the offending member in the input.
    pub fn pointer(&self) -> &str {
        match self {
            Self::Signed { pointer, .. }
            | Self::Encrypted { pointer }
            | Self::NoForm { pointer }
            | Self::Payload { pointer, .. } => pointer,
            Self::TooDeep { .. } => "/payload",
        }
    }
}

/// What to do with a signed vCon whose payload is legacy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignedPolicy {
    /// Refuse with [`MigrateError::Signed`] (the default): verify first.
    #[default]
    Refuse,
    /// Decode the payload **without verifying it**, migrate it and return the
    /// unsigned result; the first change is [`ChangeKind::EnvelopeRemoved`].
    MigrateUnverifiedPayload,
}

/// Settings of [`migrate_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MigrateOptions {
    /// Signed vCons with a legacy payload.
    pub signed: SignedPolicy,
    /// Limits for decoding signed payloads (size, gzip, depth).
    pub limits: ReadLimits,
}

/// Migrates a top-level vCon object with the default options.
pub fn migrate(object: Map<String, Value>) -> Result<Migration, MigrateError> {
    migrate_with(object, &MigrateOptions::default())
}

/// Migrates a top-level vCon object.
///
/// * unsigned: upgraded to 0.4.0; already 0.4.0 ⇒ returned as is, no changes;
/// * signed: returned as is when its payload is 0.4.0; otherwise see
///   [`SignedPolicy`];
/// * encrypted: [`MigrateError::Encrypted`]; no form: [`MigrateError::NoForm`].
pub fn migrate_with(
    object: Map<String, Value>,
    options: &MigrateOptions,
) -> Result<Migration, MigrateError> {
    match Form::detect(&object) {
        Some(Form::Unsigned) => Ok(migrate_unsigned(object)),
        Some(Form::Signed) => migrate_signed(object, options),
        Some(Form::Encrypted) => Err(MigrateError::Encrypted {
            pointer: String::new(),
        }),
        None => Err(MigrateError::NoForm {
            pointer: String::new(),
        }),
    }
}

fn migrate_unsigned(mut object: Map<String, Value>) -> Migration {
    let info = version::detect(&object);
    if !info.is_legacy() {
        return Migration {
            object,
            from: info.detected,
            changes: Vec::new(),
        };
    }
    let mut migrator = Migrator::default();
    migrator.run(&mut object);
    Migration {
        object,
        from: info.detected,
        changes: migrator.changes,
    }
}

/// Decodes the `payload` of a JWS envelope into an object.
fn decode_payload(
    envelope: &Map<String, Value>,
    limits: &ReadLimits,
) -> Result<Map<String, Value>, MigrateError> {
    let fail = |reason: String| MigrateError::Payload {
        pointer: "/payload".to_owned(),
        reason,
    };
    let text = match envelope.get("payload") {
        Some(Value::String(s)) => s,
        Some(other) => return Err(fail(format!("it is {}, not a string", type_name(other)))),
        None => return Err(fail("it is missing".to_owned())),
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| fail(format!("not base64url: {e}")))?;
    read(&bytes, limits)
        .map(|doc| doc.object)
        .map_err(|e| fail(e.to_string()))
}

fn migrate_signed(
    envelope: Map<String, Value>,
    options: &MigrateOptions,
) -> Result<Migration, MigrateError> {
    let mut payload = decode_payload(&envelope, &options.limits)?;
    let mut layers = 1;
    loop {
        match Form::detect(&payload) {
            Some(Form::Unsigned) => break,
            Some(Form::Signed) if layers < MAX_NESTED_ENVELOPES => {
                payload = decode_payload(&payload, &options.limits)?;
                layers += 1;
            }
            Some(Form::Signed) => {
                return Err(MigrateError::TooDeep {
                    limit: MAX_NESTED_ENVELOPES,
                });
            }
            Some(Form::Encrypted) => {
                return Err(MigrateError::Encrypted {
                    pointer: "/payload".to_owned(),
                });
            }
            None => {
                return Err(MigrateError::NoForm {
                    pointer: "/payload".to_owned(),
                });
            }
        }
    }
    let info = version::detect(&payload);
    if !info.is_legacy() {
        return Ok(Migration {
            object: envelope,
            from: info.detected,
            changes: Vec::new(),
        });
    }
    match options.signed {
        SignedPolicy::Refuse => Err(MigrateError::Signed {
            pointer: "/payload".to_owned(),
            syntax: info.detected,
        }),
        SignedPolicy::MigrateUnverifiedPayload => {
            let mut migration = migrate_unsigned(payload);
            migration.changes.insert(
                0,
                Change {
                    pointer: String::new(),
                    kind: ChangeKind::EnvelopeRemoved,
                    description: format!(
                        "{layers} JWS envelope(s) removed WITHOUT verification; the result is \
                         the migrated, unsigned payload"
                    ),
                },
            );
            Ok(migration)
        }
    }
}

/// The state of one migration run: the changes so far and what was seen.
#[derive(Debug, Default)]
pub(crate) struct Migrator {
    pub(crate) changes: Vec<Change>,
    /// Names of the CC extension members seen (party and dialog).
    cc_members: std::collections::BTreeSet<&'static str>,
}

impl Migrator {
    fn note(&mut self, pointer: String, kind: ChangeKind, description: String) {
        self.changes.push(Change {
            pointer,
            kind,
            description,
        });
    }

    /// Every step, on an unsigned object.
    fn run(&mut self, object: &mut Map<String, Value>) {
        self.top_level(object);
        if let Some(Value::Array(parties)) = object.get("parties") {
            for party in parties.iter().filter_map(Value::as_object) {
                self.party(party);
            }
        }
        for (array, step) in [
            (
                "dialog",
                Self::dialog as fn(&mut Self, &mut Map<String, Value>, &str),
            ),
            ("attachments", Self::attachment),
            ("analysis", Self::analysis),
        ] {
            if let Some(Value::Array(items)) = object.get_mut(array) {
                for (i, item) in items.iter_mut().enumerate() {
                    if let Value::Object(entry) = item {
                        step(self, entry, &join(&join("", array), i));
                    }
                }
            }
        }
        self.declare_cc(object);
    }

    /// Gives legacy member `old` of `obj` (at `ptr`) its 0.4.0 name `new`.
    /// A null `old` is removed; a value `accepts` refuses, or one that differs
    /// from an existing `new`, is preserved; one equal to `new` is dropped.
    fn rename(
        &mut self,
        obj: &mut Map<String, Value>,
        ptr: &str,
        old: &str,
        new: &str,
        accepts: fn(&Value) -> bool,
    ) {
        let Some(value) = obj.get(old) else {
            return;
        };
        if value.is_null() {
            obj.shift_remove(old);
            self.note(
                join(ptr, old),
                ChangeKind::EmptyRemoved,
                format!("null legacy `{old}` removed"),
            );
            return;
        }
        if !accepts(value) {
            let why = format!("it is {}, which `{new}` cannot hold", type_name(value));
            self.stash_all(obj, ptr, &[old], &why);
            return;
        }
        match obj.get(new) {
            None | Some(Value::Null) => {
                rename_in_place(obj, old, new);
                self.note(
                    join(ptr, new),
                    ChangeKind::Renamed,
                    format!("`{old}` renamed to `{new}`"),
                );
            }
            Some(existing) if existing == value => {
                obj.shift_remove(old);
                self.note(
                    join(ptr, old),
                    ChangeKind::DuplicateRemoved,
                    format!("legacy `{old}` dropped: `{new}` has the same value"),
                );
            }
            Some(_) => {
                let why = format!("it differs from the existing `{new}`");
                self.stash_all(obj, ptr, &[old], &why);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
