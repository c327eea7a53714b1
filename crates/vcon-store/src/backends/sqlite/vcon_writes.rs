//! Writes of vCons, run by the writer inside its batch transaction: put,
//! replace, delete and re-index, each with its row's mark in
//! `index_pending` (the indexer writes the search rows, see `indexer`).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::body_codec::Packed;
use super::queue_writes::enqueue;
use super::rows::{META_COLUMNS, form_name, meta_from_row};
use super::schema::sql_error;
use crate::error::StoreError;
use crate::ids::{Etag, ListName, VconUuid};
use crate::record::{PutOutcome, PutStatus, VconMeta, VconRecord};

/// How a put treats a uuid that is already stored.
#[derive(Debug, Clone)]
pub(super) enum PutMode {
    /// Identical bytes: already stored; other bytes: conflict.
    Create,
    /// Replace, when `if_match` (if any) holds.
    Replace { if_match: Option<Etag> },
}

fn stored_meta(conn: &Connection, uuid: &VconUuid) -> Result<Option<(i64, VconMeta)>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {META_COLUMNS}, id FROM vcons WHERE uuid = ?1"
    ))
    .and_then(|mut s| {
        s.query_row([uuid.as_str()], |r| Ok((r.get(11)?, meta_from_row(r)?)))
            .optional()
    })
    .map_err(|e| sql_error(format!("read vCon {uuid}"), e))
}

/// Stores a record (its bytes as `body` holds them: `Packed::of` the
/// record's bytes) as `mode` says and, when the bytes changed, enqueues it
/// on `lists`. Returns the outcome and, when the row must be (re)indexed,
/// its id: it is then marked in `index_pending` with the commit's generation, its
/// search rows missing (new) or stale (replaced) until the indexer
/// rewrites what changed.
pub(super) fn put(
    conn: &Connection,
    record: &VconRecord,
    body: &Packed,
    lists: &[ListName],
    mode: &PutMode,
    now: i64,
    generation: i64,
) -> Result<(PutOutcome, Option<i64>), StoreError> {
    // The common case, a new uuid, costs one insert and no lookup; only a
    // stored uuid (or an If-Match) reads the stored metadata.
    let unconditional = matches!(mode, PutMode::Create | PutMode::Replace { if_match: None });
    if unconditional && let Some(id) = insert_new_row(conn, record, body, now)? {
        set_pending(conn, id, generation)?;
        for list in lists {
            enqueue(conn, list, std::slice::from_ref(&record.uuid), now)?;
        }
        let outcome = PutOutcome {
            status: PutStatus::Created,
            meta: meta_of(record, 1, now, now),
        };
        return Ok((outcome, Some(id)));
    }
    let existing = stored_meta(conn, &record.uuid)?;
    if let PutMode::Replace {
        if_match: Some(expected),
    } = mode
    {
        let current = existing.as_ref().map(|(_, m)| m.etag.clone());
        if current.as_ref() != Some(expected) {
            return Err(StoreError::PreconditionFailed {
                uuid: record.uuid.clone(),
                expected: expected.clone(),
                current,
            });
        }
    }
    let (outcome, id) = match existing {
        Some((_, meta)) if meta.etag == record.etag => {
            return Ok((
                PutOutcome {
                    status: PutStatus::AlreadyStored,
                    meta,
                },
                None,
            ));
        }
        Some((_, meta)) if matches!(mode, PutMode::Create) => {
            return Err(StoreError::Conflict {
                uuid: record.uuid.clone(),
                stored: meta.etag,
                offered: record.etag.clone(),
            });
        }
        Some((id, meta)) => {
            let stored = meta.stored_at.timestamp_millis();
            update_row(
                conn,
                id,
                record,
                body,
                now,
                sort_ms(record.created_at, stored),
            )?;
            set_pending(conn, id, generation)?;
            let outcome = PutOutcome {
                status: PutStatus::Replaced,
                meta: meta_of(
                    record,
                    meta.revision + 1,
                    meta.stored_at.timestamp_millis(),
                    now,
                ),
            };
            (outcome, id)
        }
        None => {
            // Looked up as absent in this transaction, so the insert happens.
            let id =
                insert_new_row(conn, record, body, now)?.ok_or_else(|| StoreError::Backend {
                    backend: "sqlite",
                    op: format!("insert vCon {}", record.uuid),
                    message: "the uuid appeared within its own transaction".to_owned(),
                })?;
            set_pending(conn, id, generation)?;
            let outcome = PutOutcome {
                status: PutStatus::Created,
                meta: meta_of(record, 1, now, now),
            };
            (outcome, id)
        }
    };
    for list in lists {
        enqueue(conn, list, std::slice::from_ref(&record.uuid), now)?;
    }
    Ok((outcome, Some(id)))
}

/// Marks row `id` as waiting for its search rows, with generation `generation`
/// (the indexer clears the mark only if it still has that generation).
fn set_pending(conn: &Connection, id: i64, generation: i64) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO index_pending (id, gen) VALUES (?1, ?2)
         ON CONFLICT (id) DO UPDATE SET gen = excluded.gen",
    )
    .and_then(|mut s| s.execute(params![id, generation]))
    .map_err(|e| sql_error(format!("mark vCon row {id} for indexing"), e))?;
    Ok(())
}

/// The place of a vCon in the created order, the `sort_ms` column: its
/// `created_at`, else when it was stored (Unix ms). The one definition for
/// the row and for the index's copy (`vcon_created`).
fn sort_ms(created_at: Option<DateTime<Utc>>, stored_ms: i64) -> i64 {
    created_at.map_or(stored_ms, |d| d.timestamp_millis())
}

/// [`sort_ms`] of a stored vCon, from its metadata.
pub(super) fn created_order_ms(meta: &VconMeta) -> i64 {
    sort_ms(meta.created_at, meta.stored_at.timestamp_millis())
}

fn meta_of(record: &VconRecord, revision: u64, stored: i64, updated: i64) -> VconMeta {
    VconMeta {
        uuid: record.uuid.clone(),
        form: record.form,
        etag: record.etag.clone(),
        revision,
        created_at: record.created_at,
        stored_at: crate::clock::to_datetime(stored),
        updated_at: crate::clock::to_datetime(updated),
        size: u64::try_from(record.bytes.len()).unwrap_or(u64::MAX),
        gzipped: record.gzipped,
        tenant: record.tenant.clone(),
    }
}

fn size_of(record: &VconRecord) -> i64 {
    i64::try_from(record.bytes.len()).unwrap_or(i64::MAX)
}

/// Inserts the row unless its uuid is stored; returns the new row id.
fn insert_new_row(
    conn: &Connection,
    r: &VconRecord,
    body: &Packed,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let created = r.created_at.map(|d| d.timestamp_millis());
    let (codec, stored) = body.stored(&r.bytes);
    let inserted = conn
        .prepare_cached(
            "INSERT INTO vcons (uuid, form, etag, revision, created_ms, sort_ms, stored_ms,
                                updated_ms, size, gzipped, tenant, body, codec)
             VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (uuid) DO NOTHING",
        )
        .and_then(|mut s| {
            s.execute(params![
                r.uuid.as_str(),
                form_name(r.form),
                r.etag.as_str(),
                created,
                sort_ms(r.created_at, now),
                now,
                size_of(r),
                r.gzipped,
                r.tenant,
                stored,
                codec,
            ])
        })
        .map_err(|e| sql_error(format!("insert vCon {}", r.uuid), e))?;
    Ok((inserted == 1).then(|| conn.last_insert_rowid()))
}

/// Replaces row `id` with `r`; `order_ms` is its [`sort_ms`] (the row
/// keeps its `stored_ms`).
fn update_row(
    conn: &Connection,
    id: i64,
    r: &VconRecord,
    body: &Packed,
    now: i64,
    order_ms: i64,
) -> Result<(), StoreError> {
    let created = r.created_at.map(|d| d.timestamp_millis());
    let (codec, stored) = body.stored(&r.bytes);
    conn.prepare_cached(
        "UPDATE vcons SET form = ?2, etag = ?3, revision = revision + 1, created_ms = ?4,
                sort_ms = ?10, updated_ms = ?5, size = ?6, gzipped = ?7,
                tenant = ?8, body = ?9, codec = ?11
         WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            id,
            form_name(r.form),
            r.etag.as_str(),
            created,
            now,
            size_of(r),
            r.gzipped,
            r.tenant,
            stored,
            order_ms,
            codec,
        ])
    })
    .map_err(|e| sql_error(format!("replace vCon {}", r.uuid), e))?;
    Ok(())
}

/// Deletes a vCon (when `if_match` holds); returns its row id when it was
/// there. The row stays marked (with its generation): a mark without its row
/// has the indexer remove the search rows.
pub(super) fn delete(
    conn: &Connection,
    uuid: &VconUuid,
    if_match: Option<&Etag>,
    generation: i64,
) -> Result<Option<i64>, StoreError> {
    let Some((id, meta)) = stored_meta(conn, uuid)? else {
        return match if_match {
            Some(expected) => Err(StoreError::PreconditionFailed {
                uuid: uuid.clone(),
                expected: expected.clone(),
                current: None,
            }),
            None => Ok(None),
        };
    };
    if let Some(expected) = if_match
        && *expected != meta.etag
    {
        return Err(StoreError::PreconditionFailed {
            uuid: uuid.clone(),
            expected: expected.clone(),
            current: Some(meta.etag),
        });
    }
    set_pending(conn, id, generation)?;
    conn.prepare_cached("DELETE FROM vcons WHERE id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map_err(|e| sql_error(format!("delete vCon {uuid}"), e))?;
    Ok(Some(id))
}

/// Marks row `id` (with the commit's generation) for its search rows to be rewritten,
/// if its bytes still have `etag`; returns whether they had.
pub(super) fn reindex(
    conn: &Connection,
    id: i64,
    etag: &Etag,
    generation: i64,
) -> Result<bool, StoreError> {
    let current: Option<String> = conn
        .prepare_cached("SELECT etag FROM vcons WHERE id = ?1")
        .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
        .map_err(|e| sql_error(format!("reindex vCon row {id}"), e))?;
    if current.as_deref() != Some(etag.as_str()) {
        return Ok(false);
    }
    set_pending(conn, id, generation)?;
    Ok(true)
}
