//! Writes of queue items, run by the writer inside its batch transaction:
//! enqueue, lease, ack (and forward), nack, release, dead-letter, pop,
//! reprocess.
//!
//! An item counts its leases in `deliveries`; a lease is the pair (item id,
//! delivery number), so one that was taken back and leased again is no
//! longer held by its first holder. A lease handed back unstarted
//! ([`release`]) is also counted in `handed_back`: the attempts of an item
//! are `deliveries - handed_back`, and only attempts count towards a
//! chain's retry limit and a dead letter's record.

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{list_at, uuid_at};
use super::schema::sql_error;
use crate::clock::to_datetime;
use crate::error::StoreError;
use crate::ids::{ListName, VconUuid};
use crate::queue::{AckReport, Lease, LeaseId, MAX_ERROR_BYTES};

/// Appends uuids to the tail of `list`.
pub(super) fn enqueue(
    conn: &Connection,
    list: &ListName,
    uuids: &[VconUuid],
    now: i64,
) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO queue_items (list, uuid, enqueued_ms, visible_ms) VALUES (?1, ?2, ?3, ?3)",
        )
        .map_err(|e| sql_error(format!("enqueue on `{list}`"), e))?;
    for uuid in uuids {
        stmt.execute(params![list.as_str(), uuid.as_str(), now])
            .map_err(|e| sql_error(format!("enqueue {uuid} on `{list}`"), e))?;
    }
    Ok(())
}

/// Leases up to `max` visible items of `list`.
pub(super) fn lease(
    conn: &Connection,
    list: &ListName,
    max: usize,
    visibility_ms: i64,
    now: i64,
) -> Result<Vec<Lease>, StoreError> {
    let err = |e| sql_error(format!("lease from `{list}`"), e);
    let expires = now.saturating_add(visibility_ms);
    let limit = i64::try_from(max).unwrap_or(i64::MAX);
    let mut select = conn
        .prepare_cached(
            "SELECT id, uuid, deliveries, deliveries - handed_back, enqueued_ms, last_error
             FROM queue_items
             WHERE list = ?1 AND visible_ms <= ?2 ORDER BY visible_ms, id LIMIT ?3",
        )
        .map_err(err)?;
    let rows = select
        .query_map(params![list.as_str(), now, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                uuid_at(r, 1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(err)?;
    let mut update = conn
        .prepare_cached(
            "UPDATE queue_items SET deliveries = deliveries + 1, leased = 1, visible_ms = ?2
             WHERE id = ?1",
        )
        .map_err(err)?;
    let mut leases = Vec::with_capacity(rows.len());
    let count = |n: i64| u32::try_from(n.saturating_add(1)).unwrap_or(u32::MAX);
    for (id, uuid, deliveries, attempts, enqueued, last_error) in rows {
        update.execute(params![id, expires]).map_err(err)?;
        leases.push(Lease {
            id: LeaseId {
                item: id,
                delivery: count(deliveries),
            },
            list: list.clone(),
            uuid,
            attempts: count(attempts),
            enqueued_at: to_datetime(enqueued),
            expires_at: to_datetime(expires),
            last_error,
        });
    }
    Ok(leases)
}

/// A held lease's item: its list, its uuid and its attempts so far.
pub(super) struct Held {
    pub list: ListName,
    pub uuid: VconUuid,
    pub attempts: i64,
}

/// The item of a held lease, `None` when the lease is not held.
pub(super) fn held(conn: &Connection, lease: &LeaseId) -> Result<Option<Held>, StoreError> {
    conn.prepare_cached(
        "SELECT list, uuid, deliveries - handed_back FROM queue_items
         WHERE id = ?1 AND deliveries = ?2 AND leased = 1",
    )
    .and_then(|mut s| {
        s.query_row(params![lease.item, lease.delivery], |r| {
            Ok(Held {
                list: list_at(r, 0)?,
                uuid: uuid_at(r, 1)?,
                attempts: r.get(2)?,
            })
        })
        .optional()
    })
    .map_err(|e| sql_error(format!("find lease {lease}"), e))
}

fn remove_item(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM queue_items WHERE id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map_err(|e| sql_error(format!("remove queue item {id}"), e))?;
    Ok(())
}

/// Acknowledges leases and forwards their vCons to `to`.
pub(super) fn ack(
    conn: &Connection,
    leases: &[LeaseId],
    to: &[ListName],
    now: i64,
) -> Result<AckReport, StoreError> {
    let mut report = AckReport::default();
    for lease in leases {
        match held(conn, lease)? {
            None => report.lost.push(*lease),
            Some(Held { uuid, .. }) => {
                ack_held(conn, lease.item, &uuid, to, now)?;
                report.acked += 1;
            }
        }
    }
    Ok(report)
}

/// Removes queue item `item` (a held lease of `uuid`) and appends `uuid` to
/// each list of `to`.
pub(super) fn ack_held(
    conn: &Connection,
    item: i64,
    uuid: &VconUuid,
    to: &[ListName],
    now: i64,
) -> Result<(), StoreError> {
    remove_item(conn, item)?;
    for list in to {
        enqueue(conn, list, std::slice::from_ref(uuid), now)?;
    }
    Ok(())
}

/// Cuts an error text to [`MAX_ERROR_BYTES`] at a character boundary.
fn clip_error(error: &str) -> &str {
    let mut end = error.len().min(MAX_ERROR_BYTES);
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    &error[..end]
}

/// Gives a lease back, visible again at `now + retry_ms`.
pub(super) fn nack(
    conn: &Connection,
    lease: &LeaseId,
    retry_ms: i64,
    error: &str,
    now: i64,
) -> Result<(), StoreError> {
    let Some(Held { list, .. }) = held(conn, lease)? else {
        return Err(StoreError::LeaseLost { lease: *lease });
    };
    conn.prepare_cached(
        "UPDATE queue_items SET leased = 0, visible_ms = ?2, last_error = ?3 WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            lease.item,
            now.saturating_add(retry_ms),
            clip_error(error)
        ])
    })
    .map_err(|e| sql_error(format!("nack {lease} on `{list}`"), e))?;
    Ok(())
}

/// Gives an unstarted lease back: the item is ready again at once, in its
/// place in the list (visible from when it was enqueued), with its attempts,
/// error and place as before the lease. The delivery still counts, so the
/// lease given back is no longer held.
pub(super) fn release(conn: &Connection, lease: &LeaseId, now: i64) -> Result<(), StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE queue_items SET leased = 0, handed_back = handed_back + 1,
                    visible_ms = min(enqueued_ms, ?3)
             WHERE id = ?1 AND deliveries = ?2 AND leased = 1",
        )
        .and_then(|mut s| s.execute(params![lease.item, lease.delivery, now]))
        .map_err(|e| sql_error(format!("release {lease}"), e))?;
    if changed == 0 {
        return Err(StoreError::LeaseLost { lease: *lease });
    }
    Ok(())
}

/// Moves a leased item to the dead letters of its list.
pub(super) fn dead_letter(
    conn: &Connection,
    lease: &LeaseId,
    error: &str,
    now: i64,
) -> Result<(), StoreError> {
    let Some(Held {
        list,
        uuid,
        attempts,
    }) = held(conn, lease)?
    else {
        return Err(StoreError::LeaseLost { lease: *lease });
    };
    conn.prepare_cached(
        "INSERT INTO dead_letters (list, uuid, attempts, error, failed_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| {
        s.execute(params![list.as_str(), uuid.as_str(), attempts, clip_error(error), now])
    })
    .map_err(|e| sql_error(format!("dead-letter {lease} of `{list}`"), e))?;
    remove_item(conn, lease.item)
}

/// Removes and returns up to `max` visible items of `list`.
pub(super) fn pop(
    conn: &Connection,
    list: &ListName,
    max: usize,
    now: i64,
) -> Result<Vec<VconUuid>, StoreError> {
    let limit = i64::try_from(max).unwrap_or(i64::MAX);
    let rows = conn
        .prepare_cached(
            "SELECT id, uuid FROM queue_items WHERE list = ?1 AND visible_ms <= ?2
             ORDER BY visible_ms, id LIMIT ?3",
        )
        .and_then(|mut s| {
            s.query_map(params![list.as_str(), now, limit], |r| {
                Ok((r.get::<_, i64>(0)?, uuid_at(r, 1)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        })
        .map_err(|e| sql_error(format!("pop from `{list}`"), e))?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, uuid) in rows {
        remove_item(conn, id)?;
        out.push(uuid);
    }
    Ok(out)
}

/// Moves up to `max` dead letters of `list` back to its tail.
pub(super) fn dlq_reprocess(
    conn: &Connection,
    list: &ListName,
    max: u32,
    now: i64,
) -> Result<u64, StoreError> {
    let err = |e| sql_error(format!("reprocess dead letters of `{list}`"), e);
    let rows = conn
        .prepare_cached("SELECT id, uuid FROM dead_letters WHERE list = ?1 ORDER BY id LIMIT ?2")
        .and_then(|mut s| {
            s.query_map(params![list.as_str(), max], |r| {
                Ok((r.get::<_, i64>(0)?, uuid_at(r, 1)?))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        })
        .map_err(err)?;
    let mut delete = conn
        .prepare_cached("DELETE FROM dead_letters WHERE id = ?1")
        .map_err(err)?;
    for (id, uuid) in &rows {
        enqueue(conn, list, std::slice::from_ref(uuid), now)?;
        delete.execute([id]).map_err(err)?;
    }
    Ok(u64::try_from(rows.len()).unwrap_or(u64::MAX))
}

/// Makes every leased item visible again (at open: their workers are gone).
pub(super) fn release_all_leases(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    conn.execute(
        "UPDATE queue_items SET leased = 0, visible_ms = min(visible_ms, ?1) WHERE leased = 1",
        [now],
    )
    .map_err(|e| sql_error("release leases at open", e))
}
