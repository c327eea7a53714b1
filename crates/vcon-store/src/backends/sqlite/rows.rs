//! Reading rows back into [`VconMeta`], [`Lease`] and [`DeadLetter`], and the
//! integer codes of [`TermKind`] in the `terms` table.

use rusqlite::Row;
use sha2::{Digest, Sha256};
use vcon_core::Form;

use crate::clock::to_datetime;
use crate::ids::{Etag, ListName, VconUuid};
use crate::index::TermKind;
use crate::queue::DeadLetter;
use crate::record::VconMeta;

/// The metadata columns of `vcons`, in the order [`meta_from_row`] reads them.
pub(super) const META_COLUMNS: &str =
    "uuid, form, etag, revision, created_ms, stored_ms, updated_ms, size, gzipped, tenant, sort_ms";

/// The code of a term kind, hashed into its token. Codes are part of the schema: never renumber.
fn kind_code(kind: TermKind) -> i64 {
    match kind {
        TermKind::Tel => 1,
        TermKind::Mailto => 2,
        TermKind::Name => 3,
        TermKind::PartyUuid => 4,
        TermKind::Tag => 5,
        TermKind::TagName => 6,
        TermKind::DialogType => 7,
    }
}

pub(super) fn form_name(form: Form) -> &'static str {
    form.as_str()
}

fn form_from(text: &str) -> Form {
    match text {
        "signed" => Form::Signed,
        "encrypted" => Form::Encrypted,
        _ => Form::Unsigned,
    }
}

/// A column read failed a check of ours (not SQLite's).
fn bad_column(index: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, what.into())
}

pub(super) fn uuid_at(row: &Row<'_>, index: usize) -> rusqlite::Result<VconUuid> {
    let text: String = row.get(index)?;
    VconUuid::parse(&text).map_err(|e| bad_column(index, e.to_string()))
}

pub(super) fn list_at(row: &Row<'_>, index: usize) -> rusqlite::Result<ListName> {
    let text: String = row.get(index)?;
    ListName::new(text).map_err(|e| bad_column(index, e.to_string()))
}

/// Reads [`META_COLUMNS`] starting at column 0. Returns the meta and the sort key of `sort_ms`.
pub(super) fn meta_from_row(row: &Row<'_>) -> rusqlite::Result<VconMeta> {
    let form: String = row.get(1)?;
    let created: Option<i64> = row.get(4)?;
    Ok(VconMeta {
        uuid: uuid_at(row, 0)?,
        form: form_from(&form),
        etag: Etag::from_stored(row.get(2)?),
        revision: u64::try_from(row.get::<_, i64>(3)?).unwrap_or(0),
        created_at: created.map(to_datetime),
        stored_at: to_datetime(row.get(5)?),
        updated_at: to_datetime(row.get(6)?),
        size: u64::try_from(row.get::<_, i64>(7)?).unwrap_or(0),
        gzipped: row.get(8)?,
        tenant: row.get(9)?,
    })
}

/// Columns of `dead_letters` read by [`dead_letter_from_row`].
pub(super) const DEAD_COLUMNS: &str = "id, list, uuid, attempts, error, failed_ms";

pub(super) fn dead_letter_from_row(row: &Row<'_>) -> rusqlite::Result<DeadLetter> {
    Ok(DeadLetter {
        id: row.get(0)?,
        list: list_at(row, 1)?,
        uuid: uuid_at(row, 2)?,
        attempts: u32::try_from(row.get::<_, i64>(3)?).unwrap_or(u32::MAX),
        error: row.get(4)?,
        failed_at: to_datetime(row.get(5)?),
    })
}

/// The `keys` token of a term: `k` + the first 8 bytes of SHA-256(kind code,
/// normalised value) in hex. Two different terms share a token with
/// probability about n²/2⁶⁵ for n distinct terms (under 10⁻⁷ for 10⁶).
pub(super) fn term_token(kind: TermKind, normalized: &str) -> String {
    let mut h = Sha256::new();
    h.update([u8::try_from(kind_code(kind)).unwrap_or(0)]);
    h.update(normalized.as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(17);
    out.push('k');
    for b in &digest[..8] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}
