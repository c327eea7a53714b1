//! Errors. Each says what went wrong and where: the uuid, the list, the JSON
//! pointer, the file or the operation.

use std::path::PathBuf;

use crate::ids::{Etag, VconUuid};

/// A name or identifier that does not have the required form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Not a UUID in any RFC 9562 text form.
    #[error("`{value}` is not a UUID: {reason}")]
    Uuid {
        /// The text given (clipped).
        value: String,
        /// What the parser reported.
        reason: String,
    },
    /// Not a usable list name.
    #[error("list name `{value}` is refused: {reason}")]
    List {
        /// The text given (clipped).
        value: String,
        /// Why.
        reason: &'static str,
    },
    /// Not 64 lower-case hex digits (optionally quoted).
    #[error("etag `{value}` is not 64 lower-case hex digits (the SHA-256 of the stored bytes)")]
    Etag {
        /// The text given (clipped).
        value: String,
    },
    /// A cursor that this store did not hand out, or handed out for another order.
    #[error("cursor `{value}` is not valid here: {reason}")]
    Cursor {
        /// The text given (clipped).
        value: String,
        /// Why.
        reason: &'static str,
    },
}

/// Why bytes could not be made into a [`crate::VconRecord`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    /// Larger than the store accepts.
    #[error("vCon is {size} bytes, over the store's limit of {limit} bytes")]
    TooLarge {
        /// Size received.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a JSON object (or gzip of one) within the read limits.
    #[error("{context}: {source}")]
    Read {
        /// Which part was being read: `vCon` or `/payload` of a signed vCon.
        context: &'static str,
        /// What the reader reported.
        source: vcon_core::ReadError,
    },
    /// A JSON object that is none of the three vCon forms.
    #[error(
        "the object is not a vCon: no `parties`/`dialog`/`analysis`/`attachments` (unsigned), \
         `payload`+`signatures` (signed) or `ciphertext`+`recipients` (encrypted)"
    )]
    NoForm,
    /// No uuid could be found and none was given.
    #[error("{form} vCon has no uuid at {pointer} and none was supplied")]
    MissingUuid {
        /// The form of the vCon.
        form: vcon_core::Form,
        /// Where the uuid was looked for.
        pointer: &'static str,
    },
    /// The uuid member is not a UUID.
    #[error("{pointer}: {source}")]
    BadUuid {
        /// JSON pointer of the member.
        pointer: String,
        /// Why it is not a UUID.
        source: NameError,
    },
    /// The uuid found in the vCon differs from the one supplied (for example in the URL).
    #[error("{pointer} is {found} but {expected} was supplied")]
    UuidMismatch {
        /// Where the uuid was found.
        pointer: String,
        /// The uuid in the vCon.
        found: VconUuid,
        /// The uuid supplied.
        expected: VconUuid,
    },
    /// The `payload` of a signed vCon is not base64url.
    #[error("/payload of the signed vCon is not base64url: {reason}")]
    Payload {
        /// What the decoder reported.
        reason: String,
    },
    /// The tenant name is empty, too long or has control characters.
    #[error("tenant `{value}` is refused: 1 to 200 bytes without control characters")]
    Tenant {
        /// The tenant given (clipped).
        value: String,
    },
}

/// An error from a [`crate::Store`] or [`crate::Queue`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The same uuid is stored with different bytes (a `put` is not a replace).
    #[error(
        "vCon {uuid} is already stored with different bytes (etag {stored}, offered {offered}); \
         use replace to change it"
    )]
    Conflict {
        /// The uuid.
        uuid: VconUuid,
        /// Etag of the stored bytes.
        stored: Etag,
        /// Etag of the bytes offered.
        offered: Etag,
    },
    /// No vCon with this uuid.
    #[error("vCon {uuid} is not stored")]
    NotFound {
        /// The uuid.
        uuid: VconUuid,
    },
    /// The If-Match etag does not match the stored one (or nothing is stored).
    #[error("vCon {uuid}: If-Match {expected} does not hold, stored etag is {}",
        current.as_ref().map_or("absent (not stored)".to_owned(), Etag::to_string))]
    PreconditionFailed {
        /// The uuid.
        uuid: VconUuid,
        /// The etag the caller required.
        expected: Etag,
        /// The etag stored now, if any.
        current: Option<Etag>,
    },
    /// The lease was not current: it expired and the item was leased again,
    /// or it was already acknowledged, nacked or dead-lettered.
    #[error(
        "lease {lease} is no longer held (expired and re-leased, acknowledged, or the item is gone)"
    )]
    LeaseLost {
        /// The lease id.
        lease: crate::queue::LeaseId,
    },
    /// A bad input: a name, a cursor, a limit.
    #[error(transparent)]
    Name(#[from] NameError),
    /// A vCon that could not be stored as a record.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// An argument out of range (a zero limit, a too-long error text, ...).
    #[error("{what}: {reason}")]
    Invalid {
        /// Which argument.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The data directory is used by another store (in this or another process).
    #[error("{}: data directory is locked by another open store", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// The data directory could not be created or opened.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the OS reported.
        source: std::io::Error,
    },
    /// The database file is not a database of this store, is corrupt, or is of a newer schema.
    #[error("{}: {reason}", path.display())]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The backend failed while doing `op`.
    #[error("{backend} backend, {op}: {message}")]
    Backend {
        /// Which backend (`sqlite`).
        backend: &'static str,
        /// The operation (`put 0193…`, `lease default`, `open`, ...).
        op: String,
        /// What the backend reported.
        message: String,
    },
    /// The store was shut down, or its writer stopped after a fatal error.
    #[error("the store is closed{}", reason.as_ref().map_or(String::new(), |r| format!(": {r}")))]
    Closed {
        /// Why, when known.
        reason: Option<String>,
    },
}
