//! What goes into a store ([`VconRecord`]) and what comes out ([`StoredVcon`],
//! [`VconMeta`], [`PutOutcome`]).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Serialize;
use vcon_core::{Form, ReadLimits};

use crate::error::RecordError;
use crate::ids::{Etag, VconUuid};
use crate::index::{
    Extracted, IndexFields, extract, extract_document, extract_read, extract_unsigned,
};

/// Default largest vCon a store accepts: 64 MiB.
pub const DEFAULT_MAX_VCON_BYTES: usize = 64 * 1024 * 1024;

/// How to make a [`VconRecord`] from bytes.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// Largest accepted input (before gzip inflation).
    pub max_bytes: usize,
    /// Limits for parsing the JSON (and a signed vCon's payload).
    pub read_limits: ReadLimits,
    /// The uuid the caller expects (from a URL, or for an encrypted vCon
    /// without `unprotected.uuid`). When the vCon has one too they must match.
    pub uuid: Option<VconUuid>,
    /// Tenant the vCon belongs to, if the deployment has tenants.
    pub tenant: Option<String>,
    /// Most text kept for full-text search per vCon, in bytes.
    pub max_text_bytes: usize,
}

impl Default for RecordOptions {
    /// 64 MiB vCons, [`ReadLimits::default`] (inflation capped at 4 × 64 MiB),
    /// no uuid expected, no tenant, 1 MiB of searchable text.
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_VCON_BYTES,
            read_limits: ReadLimits {
                max_bytes: DEFAULT_MAX_VCON_BYTES,
                max_inflated_bytes: 4 * DEFAULT_MAX_VCON_BYTES,
                ..ReadLimits::default()
            },
            uuid: None,
            tenant: None,
            max_text_bytes: 1024 * 1024,
        }
    }
}

/// A vCon ready to be stored: its bytes exactly as received, plus what the
/// store needs to key, list and search it, extracted once by [`VconRecord::from_bytes`].
///
/// Build it on the request task (parsing is CPU work that should not sit in
/// a store's writer), then hand it to [`crate::Store::put`].
///
/// ```
/// use vcon_store::{RecordOptions, VconRecord};
/// use vcon_core::Form;
/// let r = VconRecord::from_bytes(
///     br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","created_at":"2026-01-02T03:04:05Z",
///         "parties":[{"tel":"+15551230001","name":"Alice"}]}"#.to_vec(),
///     &RecordOptions::default(),
/// ).unwrap();
/// assert_eq!(r.uuid().as_str(), "019f15a6-a752-826f-b9a2-279e0d16bc46");
/// assert_eq!(r.form(), Form::Unsigned);
/// assert_eq!(r.created_at().unwrap().to_rfc3339(), "2026-01-02T03:04:05+00:00");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct VconRecord {
    pub(crate) uuid: VconUuid,
    pub(crate) bytes: Bytes,
    pub(crate) form: Form,
    pub(crate) etag: Etag,
    pub(crate) gzipped: bool,
    pub(crate) created_at: Option<DateTime<Utc>>,
    pub(crate) tenant: Option<String>,
    pub(crate) index: IndexFields,
}

impl VconRecord {
    /// Reads `bytes` (JSON or gzip of JSON; unsigned, signed or encrypted),
    /// finds the uuid and `created_at`, and extracts the search fields:
    /// from the vCon itself when unsigned, from the base64url-decoded
    /// `payload` when signed (the signature is not verified here), and none
    /// when encrypted (metadata only).
    pub fn from_bytes(
        bytes: impl Into<Bytes>,
        options: &RecordOptions,
    ) -> Result<Self, RecordError> {
        Self::build(bytes.into(), options, |b| extract(b, options))
    }

    /// Like [`VconRecord::from_bytes`], for a caller that has already parsed
    /// `bytes` with [`vcon_core::read`] (to validate them, say): `doc` must be
    /// that parse of these exact bytes. Saves the second parse; `doc` is
    /// consumed (its unsigned object is searched in place).
    ///
    /// ```
    /// use vcon_store::{RecordOptions, VconRecord};
    /// let bytes = br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","parties":[{"name":"Alice"}]}"#;
    /// let options = RecordOptions::default();
    /// let doc = vcon_core::read(bytes, &options.read_limits).unwrap();
    /// let r = VconRecord::from_document(bytes.to_vec(), doc, &options).unwrap();
    /// assert_eq!(r, VconRecord::from_bytes(bytes.to_vec(), &options).unwrap());
    /// ```
    pub fn from_document(
        bytes: impl Into<Bytes>,
        doc: vcon_core::Document,
        options: &RecordOptions,
    ) -> Result<Self, RecordError> {
        Self::build(bytes.into(), options, |_| extract_document(doc, options))
    }

    /// Like [`VconRecord::from_document`], for a caller that has parsed
    /// `bytes` into vcon-core's borrowed tree ([`vcon_core::tree::parse`],
    /// to validate them with [`vcon_core::validate_tree`], say): `root` must
    /// be that parse of these exact bytes. An unsigned vCon is extracted
    /// from the tree (no second parse, no copy of the object); any other
    /// form is read again from the bytes by the bounded reader, as
    /// [`VconRecord::from_bytes`] reads it.
    ///
    /// ```
    /// use vcon_store::{RecordOptions, VconRecord};
    /// let bytes = br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","parties":[{"name":"Alice"}]}"#;
    /// let options = RecordOptions::default();
    /// let root = vcon_core::tree::parse(bytes, options.read_limits.max_depth).unwrap();
    /// let r = VconRecord::from_tree(bytes.to_vec(), &root, &options).unwrap();
    /// assert_eq!(r, VconRecord::from_bytes(bytes.to_vec(), &options).unwrap());
    /// ```
    pub fn from_tree(
        bytes: impl Into<Bytes>,
        root: &vcon_core::tree::Obj<'_>,
        options: &RecordOptions,
    ) -> Result<Self, RecordError> {
        Self::build(bytes.into(), options, |b| {
            if Form::detect(root) == Some(Form::Unsigned) {
                extract_unsigned(root, options)
            } else {
                extract_read(b, options)
            }
        })
    }

    /// Checks the size and tenant, then builds the record from what
    /// `extracted` learns of the bytes.
    fn build(
        bytes: Bytes,
        options: &RecordOptions,
        extracted: impl FnOnce(&Bytes) -> Result<Extracted, RecordError>,
    ) -> Result<Self, RecordError> {
        if bytes.len() > options.max_bytes {
            return Err(RecordError::TooLarge {
                size: bytes.len(),
                limit: options.max_bytes,
            });
        }
        if let Some(t) = &options.tenant {
            check_tenant(t)?;
        }
        let extracted = extracted(&bytes)?;
        Ok(Self {
            etag: Etag::of(&bytes),
            uuid: extracted.uuid,
            bytes,
            form: extracted.form,
            gzipped: extracted.gzipped,
            created_at: extracted.created_at,
            tenant: options.tenant.clone(),
            index: extracted.index,
        })
    }

    /// The uuid (canonical form).
    pub fn uuid(&self) -> &VconUuid {
        &self.uuid
    }

    /// The bytes exactly as received.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The form found.
    pub fn form(&self) -> Form {
        self.form
    }

    /// The etag of the bytes.
    pub fn etag(&self) -> &Etag {
        &self.etag
    }

    /// Whether the bytes are gzip (`application/vcon+gzip`).
    pub fn gzipped(&self) -> bool {
        self.gzipped
    }

    /// `created_at` of the vCon (of the payload, when signed), if readable.
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created_at
    }

    /// The tenant, if any.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The extracted search fields.
    pub fn index(&self) -> &IndexFields {
        &self.index
    }
}

fn check_tenant(t: &str) -> Result<(), RecordError> {
    if t.is_empty() || t.len() > 200 || t.chars().any(char::is_control) {
        return Err(RecordError::Tenant {
            value: t.chars().take(80).collect(),
        });
    }
    Ok(())
}

/// Metadata of a stored vCon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VconMeta {
    /// The uuid.
    pub uuid: VconUuid,
    /// The form of the stored bytes.
    pub form: Form,
    /// SHA-256 of the stored bytes.
    pub etag: Etag,
    /// 1 when first stored, plus one per replace.
    pub revision: u64,
    /// `created_at` of the vCon (of the payload, when signed), if readable.
    pub created_at: Option<DateTime<Utc>>,
    /// When the store first accepted this uuid.
    pub stored_at: DateTime<Utc>,
    /// When the current bytes were stored (equals `stored_at` until a replace).
    pub updated_at: DateTime<Utc>,
    /// Size of the stored bytes.
    pub size: u64,
    /// Whether the bytes are gzip.
    pub gzipped: bool,
    /// The tenant, if any.
    pub tenant: Option<String>,
}

impl VconMeta {
    /// The media type to serve the bytes with: `application/vcon+gzip` or
    /// `application/vcon+json` (core-03 registers `application/vcon`; the
    /// conserver and vcon-lib clients send and expect the `+json` name).
    pub fn content_type(&self) -> &'static str {
        if self.gzipped {
            "application/vcon+gzip"
        } else {
            "application/vcon+json"
        }
    }
}

/// A stored vCon: metadata and the bytes exactly as received.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVcon {
    /// The metadata.
    pub meta: VconMeta,
    /// The bytes, as received.
    pub bytes: Bytes,
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PutStatus {
    /// The uuid was new; the vCon is stored (and queued, for `put_and_enqueue`).
    Created,
    /// The same bytes were already stored under this uuid; nothing changed
    /// and nothing was queued (a retried request is not processed twice).
    AlreadyStored,
    /// The bytes replaced the stored ones (and were queued, for `replace_and_enqueue`).
    Replaced,
}

impl PutStatus {
    /// Its name, as serialised: `created`, `already_stored` or `replaced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::AlreadyStored => "already_stored",
            Self::Replaced => "replaced",
        }
    }
}

/// The result of a successful write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PutOutcome {
    /// What happened.
    pub status: PutStatus,
    /// The metadata now stored.
    pub meta: VconMeta,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::PutStatus;

    /// `as_str` names each status as serde serialises it.
    #[test]
    fn a_status_name_is_its_serialised_form() {
        for status in [
            PutStatus::Created,
            PutStatus::AlreadyStored,
            PutStatus::Replaced,
        ] {
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }
}
