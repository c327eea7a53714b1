//! Retention: when each vCon expires, and which have.
//!
//! A vCon expires at the instant of its tag `expires_at:<RFC 3339>` (the
//! pipeline's `expire` link writes it; any client may). The instant is
//! learnt with the other search fields ([`crate::index::IndexFields`]) and
//! kept in `vcon_expiry` (in the index file, see `index_db`), written and
//! removed together with the search row by the indexer,
//! so a replace that drops or moves the tag moves the expiry with it.
//! [`expired`] lists what has passed; the caller erases each with a
//! conditional delete (its etag), so a vCon replaced meanwhile survives.

use rusqlite::{Connection, params};

use super::rows::uuid_at;
use super::schema::sql_error;
use crate::error::StoreError;
use crate::ids::{Etag, VconUuid};

/// Records (or clears, with `None`) when row `id` expires.
pub(super) fn set(conn: &Connection, id: i64, expires_ms: Option<i64>) -> Result<(), StoreError> {
    let result = match expires_ms {
        Some(ms) => conn
            .prepare_cached(
                "INSERT INTO vcon_expiry (id, expires_ms) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET expires_ms = excluded.expires_ms",
            )
            .and_then(|mut s| s.execute(params![id, ms])),
        None => conn
            .prepare_cached("DELETE FROM vcon_expiry WHERE id = ?1")
            .and_then(|mut s| s.execute([id])),
    };
    result.map_err(|e| sql_error(format!("record the expiry of vCon row {id}"), e))?;
    Ok(())
}

/// Up to `limit` vCons whose expiry is at or before `now_ms`, oldest expiry
/// first, with the etag they had when they were found.
pub(super) fn expired(
    conn: &Connection,
    now_ms: i64,
    limit: u32,
) -> Result<Vec<(VconUuid, Etag)>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT v.uuid, v.etag FROM idx.vcon_expiry e JOIN vcons v ON v.id = e.id
             WHERE e.expires_ms <= ?1 ORDER BY e.expires_ms, e.id LIMIT ?2",
        )
        .map_err(|e| sql_error("find expired vCons", e))?;
    stmt.query_map(params![now_ms, limit], |r| {
        Ok((uuid_at(r, 0)?, Etag::from_stored(r.get(1)?)))
    })
    .and_then(|rows| rows.collect())
    .map_err(|e| sql_error("find expired vCons", e))
}
