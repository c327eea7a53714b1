//! Reading rows back into [`VconMeta`], [`Lease`] and [`DeadLetter`].

use rusqlite::Row;
use vcon_core::Form;

use crate::clock::to_datetime;
use crate::ids::{Etag, ListName, VconUuid};
use crate::queue::DeadLetter;
use crate::record::VconMeta;

/// The metadata columns of `vcons`, in the order [`meta_from_row`] reads them.
pub(super) const META_COLUMNS: &str =
    "uuid, form, etag, revision, created_ms, stored_ms, updated_ms, size, gzipped, tenant, sort_ms";

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
