//! Read queries: vCons by uuid, search and count, queue counts and dead letters.

use std::ops::ControlFlow;

use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::body_codec::{BODY_COLUMNS, StoredBody};
use super::index_db::{ReindexRow, indexed_text};
use super::index_rows::{in_term_table, term_id, term_token};
use super::rows::{
    DEAD_COLUMNS, META_COLUMNS, dead_letter_from_row, form_name, list_at, meta_from_row, uuid_at,
};
use super::schema::sql_error;
use super::text_query::{TextQuery, holds_phrases};
use crate::error::StoreError;
use crate::ids::{ListName, VconUuid};
use crate::index::TermKind;
use crate::queue::{DeadLetter, QueueStats};
use crate::record::{StoredVcon, VconMeta};
use crate::search::{Cursor, CursorKey, Page, SearchQuery};

/// One vCon with its bytes.
pub(super) fn get(conn: &Connection, uuid: &VconUuid) -> Result<Option<StoredVcon>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {META_COLUMNS}, {BODY_COLUMNS} FROM vcons WHERE uuid = ?1"
    ))
    .and_then(|mut s| {
        s.query_row([uuid.as_str()], |r| {
            Ok((meta_from_row(r)?, StoredBody::at(r, 11)?))
        })
        .optional()
    })
    .map_err(|e| sql_error(format!("get vCon {uuid}"), e))?
    .map(|(meta, body)| {
        let bytes = body.unpack(&format_args!("vCon {uuid}"))?;
        Ok(StoredVcon {
            meta,
            bytes: bytes.into(),
        })
    })
    .transpose()
}

/// One vCon's metadata.
pub(super) fn head(conn: &Connection, uuid: &VconUuid) -> Result<Option<VconMeta>, StoreError> {
    conn.prepare_cached(&format!("SELECT {META_COLUMNS} FROM vcons WHERE uuid = ?1"))
        .and_then(|mut s| s.query_row([uuid.as_str()], meta_from_row).optional())
        .map_err(|e| sql_error(format!("head vCon {uuid}"), e))
}

/// SQL parameters of a search, in order.
enum Param {
    Int(i64),
    Text(String),
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Self::Int(i) => i.to_sql(),
            Self::Text(t) => t.to_sql(),
        }
    }
}

/// Whether a query reads the created order, which the indexer keeps in
/// the index file (`idx.vcon_created`, see `index_rows`): a listing in
/// created order or a date filter. Such a query waits for the indexer, as
/// a search does.
pub(super) fn uses_created_order(q: &SearchQuery) -> bool {
    q.order.by_created() || q.created_from.is_some() || q.created_to.is_some()
}

/// The FROM clause of a query: `vcons`, joined with the created order when
/// the query uses it. The order table's columns (`vcon_row`, `at_ms`,
/// `vcon`) have names of their own, so `vcons`' columns stay unqualified.
///
/// A listing in created order walks the order's index and stops at the
/// end of the page: `CROSS JOIN` makes the order table the outer loop
/// (left to itself, SQLite scanned `vcons` and sorted every row). With
/// search filters SQLite chooses: their matches may be few.
fn source(q: &SearchQuery) -> &'static str {
    if !uses_created_order(q) {
        "vcons"
    } else if q.order.by_created() && !q.filters_search_rows() {
        "idx.vcon_created CROSS JOIN vcons ON vcons.id = vcon_row"
    } else {
        "idx.vcon_created JOIN vcons ON vcons.id = vcon_row"
    }
}

/// The text query of `q`, unless its text is absent or blank (no filter).
fn text_of(q: &SearchQuery) -> Option<TextQuery> {
    q.text
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .map(TextQuery::of)
}

/// The WHERE clause of a query's filters (without the cursor), over its
/// [`source`]. Tags and dialog types are looked up in `vcon_terms`; party
/// terms and the text's tokens are ANDed into one FTS5 query on
/// `vcon_index` (see `index_rows`). The phrases of `text`, if any, are not
/// in it: see [`search`].
fn filters(q: &SearchQuery, text: Option<&TextQuery>) -> (String, Vec<Param>) {
    let mut sql = String::from(" WHERE 1 = 1");
    let mut params = Vec::new();
    // A date filter never matches a vCon without created_at (its place in
    // the created order is then when it was stored).
    if q.created_from.is_some() || q.created_to.is_some() {
        sql.push_str(" AND created_ms IS NOT NULL");
    }
    if let Some(from) = q.created_from {
        sql.push_str(" AND at_ms >= ?");
        params.push(Param::Int(from.timestamp_millis()));
    }
    if let Some(to) = q.created_to {
        sql.push_str(" AND at_ms < ?");
        params.push(Param::Int(to.timestamp_millis()));
    }
    let mut matches: Vec<String> = Vec::new();
    let mut term = |kind: TermKind, value: &str| {
        let value = kind.normalize(value);
        if in_term_table(kind) {
            sql.push_str(" AND id IN (SELECT id FROM idx.vcon_terms WHERE term = ?)");
            params.push(Param::Int(term_id(kind, &value)));
        } else {
            matches.push(format!("keys : {}", term_token(kind, &value)));
        }
    };
    for (kind, value) in [
        (TermKind::Tel, &q.tel),
        (TermKind::Mailto, &q.mailto),
        (TermKind::Name, &q.name),
        (TermKind::PartyUuid, &q.party_uuid),
        (TermKind::DialogType, &q.dialog_type),
    ] {
        if let Some(v) = value {
            term(kind, v);
        }
    }
    for tag in &q.tags {
        match &tag.value {
            Some(v) => term(TermKind::Tag, &format!("{}:{v}", tag.name)),
            None => term(TermKind::TagName, &tag.name),
        }
    }
    if let Some(text) = text {
        match &text.tokens {
            Some(m) => matches.push(format!("text : ({m})")),
            // Only separators (`-`, `!!`): no indexed token matches.
            None => sql.push_str(" AND 0"),
        }
    }
    if !matches.is_empty() {
        sql.push_str(" AND id IN (SELECT rowid FROM idx.vcon_index WHERE vcon_index MATCH ?)");
        params.push(Param::Text(matches.join(" AND ")));
    }
    if let Some(form) = q.form {
        sql.push_str(" AND form = ?");
        params.push(Param::Text(form_name(form).to_owned()));
    }
    if let Some(t) = &q.tenant {
        sql.push_str(" AND tenant = ?");
        params.push(Param::Text(t.clone()));
    }
    (sql, params)
}

/// The SQL of up to `rows` results after `q`'s cursor, and its
/// parameters; `true` when the cursor key is the created order's (column
/// 12) rather than the row id (column 11).
fn page_sql(
    q: &SearchQuery,
    text: Option<&TextQuery>,
    rows: usize,
) -> Result<(String, Vec<Param>, bool), StoreError> {
    let (mut sql, mut params) = filters(q, text);
    // Stored order is arrival order, the row id: unique, so no tie-break.
    // Created order ties are broken by uuid (`vcon` of the order table).
    let (key, tie) = if q.order.by_created() {
        ("at_ms", true)
    } else {
        ("id", false)
    };
    let (cmp, dir) = if q.order.descending() {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(c) = &q.cursor {
        let k = c.decode(q.order)?;
        if tie {
            sql.push_str(&format!(" AND ({key}, vcon) {cmp} (?, ?)"));
            params.push(Param::Int(k.key));
            params.push(Param::Text(k.uuid.as_str().to_owned()));
        } else {
            sql.push_str(&format!(" AND {key} {cmp} ?"));
            params.push(Param::Int(k.key));
        }
    }
    let tie_order = if tie {
        format!(", vcon {dir}")
    } else {
        String::new()
    };
    let order_key = if uses_created_order(q) { ", at_ms" } else { "" };
    let full = format!(
        "SELECT {META_COLUMNS}, id{order_key} FROM {}{sql} ORDER BY {key} {dir}{tie_order} LIMIT {rows}",
        source(q),
    );
    Ok((full, params, tie))
}

/// Candidates a page of a search with phrases checks at most; the page may
/// then hold fewer items than its limit, and its cursor goes on after the
/// last candidate checked.
const PHRASE_SCAN: usize = 4096;

/// Candidates read at a time when they are checked for phrases.
const PHRASE_CHUNK: usize = 256;

/// Up to `rows` results after `q`'s cursor, each with its cursor key.
fn candidates(
    conn: &Connection,
    q: &SearchQuery,
    text: Option<&TextQuery>,
    rows: usize,
) -> Result<Vec<(VconMeta, CursorKey)>, StoreError> {
    let (full, params, tie) = page_sql(q, text, rows)?;
    conn.prepare_cached(&full)
        .and_then(|mut s| {
            s.query_map(params_from_iter(params.iter()), |r| {
                let key: i64 = if tie { r.get(12)? } else { r.get(11)? };
                let meta = meta_from_row(r)?;
                let key = CursorKey {
                    order: q.order,
                    key,
                    uuid: meta.uuid.clone(),
                };
                Ok((meta, key))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        })
        .map_err(|e| sql_error("search", e))
}

/// The page of `limit` items from `rows`, which holds one more when a next
/// page exists.
fn page_of(rows: Vec<(VconMeta, CursorKey)>, limit: usize) -> Page {
    let more = rows.len() > limit;
    let mut items = Vec::with_capacity(rows.len().min(limit));
    let mut last = None;
    for (meta, key) in rows.into_iter().take(limit) {
        last = Some(key);
        items.push(meta);
    }
    let next = last.filter(|_| more).map(|key| Cursor::encode(&key));
    Page { items, next }
}

/// Whether the stored text of `uuid` holds `phrases` (a vCon deleted
/// meanwhile does not).
fn holds(conn: &Connection, uuid: &VconUuid, phrases: &str) -> Result<bool, StoreError> {
    let body = conn
        .prepare_cached(&format!("SELECT {BODY_COLUMNS} FROM vcons WHERE uuid = ?1"))
        .and_then(|mut s| {
            s.query_row([uuid.as_str()], |r| StoredBody::at(r, 0))
                .optional()
        })
        .map_err(|e| sql_error(format!("read vCon {uuid} to match the search's words"), e))?;
    Ok(body.is_some_and(|body| holds_phrases(&indexed_text(body, uuid), phrases)))
}

/// Walks the candidates of `q` after its cursor, [`PHRASE_CHUNK`] at a
/// time, giving `visit` each with whether it holds `phrases`, until `visit`
/// breaks or none are left.
fn walk_phrases(
    conn: &Connection,
    q: &SearchQuery,
    text: Option<&TextQuery>,
    phrases: &str,
    mut visit: impl FnMut(VconMeta, CursorKey, bool) -> ControlFlow<()>,
) -> Result<(), StoreError> {
    let mut next = q.clone();
    loop {
        let rows = candidates(conn, &next, text, PHRASE_CHUNK)?;
        let exhausted = rows.len() < PHRASE_CHUNK;
        let mut last = None;
        for (meta, key) in rows {
            let holds = holds(conn, &meta.uuid, phrases)?;
            last = Some(Cursor::encode(&key));
            if visit(meta, key, holds).is_break() {
                return Ok(());
            }
        }
        match last {
            Some(cursor) if !exhausted => next.cursor = Some(cursor),
            _ => return Ok(()),
        }
    }
}

/// A page of results. A text with words of several tokens (`e-mail`)
/// first finds the vCons holding each token (the index keeps no
/// positions); each is then checked for the words' phrases on its stored
/// text, reading up to [`PHRASE_SCAN`] candidates per page.
pub(super) fn search(conn: &Connection, q: &SearchQuery) -> Result<Page, StoreError> {
    let text = text_of(q);
    let limit = q.effective_limit() as usize;
    let Some(phrases) = text.as_ref().and_then(|t| t.phrases.as_deref()) else {
        return Ok(page_of(
            candidates(conn, q, text.as_ref(), limit + 1)?,
            limit,
        ));
    };
    let mut found = Vec::with_capacity(limit + 1);
    let mut scanned = 0;
    let mut stopped_at = None;
    walk_phrases(conn, q, text.as_ref(), phrases, |meta, key, holds| {
        scanned += 1;
        if holds {
            found.push((meta, key.clone()));
            if found.len() > limit {
                return ControlFlow::Break(());
            }
        }
        if scanned >= PHRASE_SCAN {
            stopped_at = Some(key);
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    })?;
    let mut page = page_of(found, limit);
    if let Some(key) = stopped_at {
        page.next = Some(Cursor::encode(&key));
    }
    Ok(page)
}

/// How many vCons match the filters. With phrases (see [`search`]), every
/// candidate is read and checked.
pub(super) fn count(conn: &Connection, q: &SearchQuery) -> Result<u64, StoreError> {
    let text = text_of(q);
    if let Some(phrases) = text.as_ref().and_then(|t| t.phrases.as_deref()) {
        let from_start = SearchQuery {
            cursor: None,
            ..q.clone()
        };
        let mut n = 0;
        walk_phrases(conn, &from_start, text.as_ref(), phrases, |_, _, holds| {
            n += u64::from(holds);
            ControlFlow::Continue(())
        })?;
        return Ok(n);
    }
    let (sql, params) = filters(q, text.as_ref());
    conn.prepare_cached(&format!("SELECT count(*) FROM {}{sql}", source(q)))
        .and_then(|mut s| s.query_row(params_from_iter(params.iter()), |r| r.get::<_, i64>(0)))
        .map(|n| u64::try_from(n).unwrap_or(0))
        .map_err(|e| sql_error("count", e))
}

const STATS_SQL: &str = "
    SELECT list,
           sum(visible_ms <= ?1),
           sum(leased = 0 AND visible_ms > ?1),
           sum(leased = 1 AND visible_ms > ?1),
           0
    FROM queue_items WHERE (?2 IS NULL OR list = ?2) GROUP BY list
    UNION ALL
    SELECT list, 0, 0, 0, count(*) FROM dead_letters WHERE (?2 IS NULL OR list = ?2) GROUP BY list";

/// Counts per list (one list, or all when `list` is `None`), by name.
pub(super) fn stats(
    conn: &Connection,
    list: Option<&ListName>,
    now: i64,
) -> Result<Vec<QueueStats>, StoreError> {
    let rows = conn
        .prepare_cached(STATS_SQL)
        .and_then(|mut s| {
            s.query_map(params![now, list.map(ListName::as_str)], |r| {
                let n = |i| {
                    r.get::<_, Option<i64>>(i)
                        .map(|v| u64::try_from(v.unwrap_or(0)).unwrap_or(0))
                };
                Ok(QueueStats {
                    list: list_at(r, 0)?,
                    ready: n(1)?,
                    delayed: n(2)?,
                    in_flight: n(3)?,
                    dead: n(4)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        })
        .map_err(|e| sql_error("queue stats", e))?;
    let mut merged: std::collections::BTreeMap<ListName, QueueStats> = Default::default();
    for s in rows {
        let e = merged.entry(s.list.clone()).or_insert(QueueStats {
            list: s.list.clone(),
            ready: 0,
            delayed: 0,
            in_flight: 0,
            dead: 0,
        });
        e.ready += s.ready;
        e.delayed += s.delayed;
        e.in_flight += s.in_flight;
        e.dead += s.dead;
    }
    Ok(merged.into_values().collect())
}

/// Dead letters of a list after id `after`.
pub(super) fn dlq_list(
    conn: &Connection,
    list: &ListName,
    after: i64,
    limit: u32,
) -> Result<Vec<DeadLetter>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {DEAD_COLUMNS} FROM dead_letters WHERE list = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
    ))
    .and_then(|mut s| {
        s.query_map(params![list.as_str(), after, limit], dead_letter_from_row)
            .and_then(|rows| rows.collect())
    })
    .map_err(|e| sql_error(format!("list dead letters of `{list}`"), e))
}

/// One dead letter.
pub(super) fn dlq_get(conn: &Connection, id: i64) -> Result<Option<DeadLetter>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {DEAD_COLUMNS} FROM dead_letters WHERE id = ?1"
    ))
    .and_then(|mut s| s.query_row([id], dead_letter_from_row).optional())
    .map_err(|e| sql_error(format!("get dead letter {id}"), e))
}

/// A chunk of rows to re-index, after row `after`.
pub(super) fn reindex_chunk(
    conn: &Connection,
    after: i64,
    limit: u32,
) -> Result<Vec<ReindexRow>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT id, etag, sort_ms, uuid, {BODY_COLUMNS} FROM vcons
         WHERE id > ?1 ORDER BY id LIMIT ?2"
    ))
    .and_then(|mut s| {
        s.query_map(params![after, limit], |r| {
            Ok(ReindexRow {
                id: r.get(0)?,
                etag: r.get(1)?,
                at_ms: r.get(2)?,
                uuid: uuid_at(r, 3)?,
                body: StoredBody::at(r, 4)?,
            })
        })
        .and_then(|rows| rows.collect())
    })
    .map_err(|e| sql_error("read vCons to re-index", e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backends::sqlite::{SqliteConfig, SqliteStore};
    use crate::search::Order;

    /// SQLite's plan for the page query of `q`, its steps joined by `; `.
    fn plan(conn: &Connection, q: &SearchQuery) -> String {
        let (sql, params, _) = page_sql(q, text_of(q).as_ref(), 51).unwrap();
        let steps: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .unwrap()
            .query_map(params_from_iter(params.iter()), |r| r.get(3))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        steps.join("; ")
    }

    #[test]
    fn a_created_order_listing_walks_the_order_index_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let config = SqliteConfig {
            dir: dir.path().to_owned(),
            ..SqliteConfig::default()
        };
        let store = SqliteStore::open(config.clone()).unwrap();
        let db = store.path().to_owned();
        let conn = super::super::schema::open_reader(
            &db,
            &super::super::index_db::index_path(&db),
            &config,
        )
        .unwrap();
        let uuid = crate::ids::VconUuid::parse("019f15a6-a752-8000-b9a2-000000000001").unwrap();
        for order in [Order::CreatedAsc, Order::CreatedDesc] {
            let cursor = Cursor::encode(&CursorKey {
                order,
                key: 1_700_000_000_000,
                uuid: uuid.clone(),
            });
            for cursor in [None, Some(cursor)] {
                let q = SearchQuery {
                    order,
                    cursor,
                    ..SearchQuery::default()
                };
                let plan = plan(&conn, &q);
                assert!(plan.contains("vcon_created_order"), "{order:?}: {plan}");
                assert!(!plan.contains("TEMP B-TREE"), "{order:?}: {plan}");
            }
        }
        // A date range in stored order reads the range from the order index.
        let q = SearchQuery {
            created_from: Some(crate::clock::to_datetime(1_700_000_000_000)),
            ..SearchQuery::default()
        };
        assert!(
            plan(&conn, &q).contains("vcon_created_order"),
            "{}",
            plan(&conn, &q)
        );
    }
}
