//! The search index's own database file, `vcon-index.db` beside `vcon.db`
//! (WAL mode, its own `PRAGMA user_version`): the FTS5 `vcon_index`,
//! `vcon_terms`, `vcon_index_state` and `vcon_expiry` (see `index_rows`).
//!
//! It is derived data. The main database keeps the durable truth of what is
//! not indexed yet (`index_pending`, one mark per row, written by the put's
//! own transaction), so the file can be deleted at any time the store is
//! closed: the next open finds it missing, marks every vCon and indexes
//! them all again from their stored bytes ([`recover`]).
//!
//! Only the indexer thread (`indexer`) writes it; the read connections
//! attach it as `idx` ([`attach`]) for the queries that join `vcons` with
//! the index tables.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, params};

use super::config::SqliteConfig;
use super::index_rows::RowWriter;
use super::schema::sql_error;
use crate::error::StoreError;
use crate::ids::Etag;
use crate::index::{IndexFields, extract};
use crate::record::RecordOptions;

/// The index file's name inside the data directory.
pub(super) const INDEX_FILE: &str = "vcon-index.db";

/// The index file's schema version. 2: FTS5 `automerge` is
/// [`FTS5_AUTOMERGE`] (version 1 had FTS5's default, 4; [`open`] migrates
/// it in place, the rows stay as they are).
const INDEX_SCHEMA_VERSION: i64 = 2;

/// How many FTS5 segments of one level wait before they are merged into
/// one of the next level (FTS5's `automerge`; its default is 4).
///
/// The indexer writes a segment per transaction (up to 512 rows), and
/// every merge rewrites the rows of the segments it takes: with 4, each row
/// is rewritten about log4(n / 512) times over the life of a store of n
/// vCons, with 16 half as often. Merges were a quarter of the indexer's
/// instructions at 20,000 vCons (docs/BENCHMARKS.md, "Indexer round 3").
/// The price is more segments per level (up to 15 instead of 3) for a
/// search to look a term up in; at 60,000 vCons the searches measured
/// the same.
const FTS5_AUTOMERGE: u32 = 16;

/// How many marked rows one recovery transaction indexes.
const RECOVER_BATCH: usize = 1024;

const INDEX_SCHEMA: &str = r"
-- rowid = vcons.id. `text`: subject, text dialogs and transcripts. `keys`:
-- one token per party term (tel, mailto, name, uuid), `k` + 16 hex digits of
-- SHA-256(kind code, value). Contentless, detail=column (see index_rows.rs).
CREATE VIRTUAL TABLE vcon_index USING fts5 (
    text, keys,
    content = '', contentless_delete = 1, detail = column,
    tokenize = 'unicode61 remove_diacritics 2'
);
-- Tags, tag names and dialog types (see index_rows.rs).
CREATE TABLE vcon_terms (
    term INTEGER NOT NULL,                -- first 8 bytes of SHA-256(kind code, value)
    id   INTEGER NOT NULL,                -- vcons.id
    PRIMARY KEY (term, id)
) WITHOUT ROWID;
-- What each vCon's search rows hold, so a rewrite changes only what changed.
CREATE TABLE vcon_index_state (
    id        INTEGER PRIMARY KEY,        -- vcons.id
    text_hash INTEGER,                    -- hash of the FTS5 row's content, NULL: no row
    terms     BLOB    NOT NULL            -- its vcon_terms terms, 8 bytes each
);
-- When vCons expire (see expiry.rs); id = vcons.id.
CREATE TABLE vcon_expiry (id INTEGER PRIMARY KEY, expires_ms INTEGER NOT NULL);
CREATE INDEX vcon_expiry_by_time ON vcon_expiry (expires_ms);
";

/// FTS5's persistent settings (kept in `vcon_index_config`; setting one
/// again replaces it), set at creation and by the migration from version 1.
fn fts5_settings() -> String {
    format!("INSERT INTO vcon_index (vcon_index, rank) VALUES ('automerge', {FTS5_AUTOMERGE});")
}

/// The index file of the store whose main database is `db`.
pub(super) fn index_path(db: &Path) -> PathBuf {
    db.with_file_name(INDEX_FILE)
}

/// The search fields (`None`: remove the vCon's search rows) of one row,
/// as the indexer holds them until they are written.
#[derive(Debug)]
pub(super) struct Entry {
    /// The generation of the row's `index_pending` mark these fields clear.
    pub generation: i64,
    /// The fields to index; `None` when the vCon was deleted.
    pub fields: Option<IndexFields>,
    /// The row has no search rows (a vCon created since it was last indexed).
    pub new_row: bool,
}

/// Opens (creating if needed) the index file `path` for writing.
/// Returns the connection and whether the file is new (or its creation was
/// cut short), in which case the caller marks every vCon ([`mark_all`]),
/// then calls [`seal`], then [`recover`].
pub(super) fn open(path: &Path, config: &SqliteConfig) -> Result<(Connection, bool), StoreError> {
    let err = |e: rusqlite::Error| StoreError::Backend {
        backend: "sqlite",
        op: format!("open the search index {}", path.display()),
        message: format!("{e} (the file is derived data: delete it and it is rebuilt on open)"),
    };
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    conn.busy_timeout(config.busy_timeout).map_err(err)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("cannot switch the search index to WAL mode (got `{mode}`)"),
        });
    }
    // FULL: an index commit is durable when it returns, before the marks
    // it clears are removed from the main database.
    conn.execute_batch(&format!(
        "PRAGMA synchronous = FULL;
         PRAGMA cache_size = -{};
         PRAGMA temp_store = MEMORY;
         PRAGMA journal_size_limit = 67108864;",
        config.cache_kib
    ))
    .map_err(err)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    match version {
        INDEX_SCHEMA_VERSION => Ok((conn, false)),
        1 => {
            // Same tables and rows; only FTS5's merge setting is new.
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {} PRAGMA user_version = {INDEX_SCHEMA_VERSION}; COMMIT;",
                fts5_settings()
            ))
            .map_err(err)?;
            Ok((conn, false))
        }
        0 => {
            // Tables of ours without a version: a creation cut short before
            // `seal`, so nothing was indexed in them yet.
            let (tables, ours): (i64, i64) = conn
                .query_row(
                    "SELECT count(*), count(*) FILTER (WHERE name = 'vcon_index_state')
                     FROM sqlite_master",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .map_err(err)?;
            if tables > 0 && ours == 0 {
                return Err(StoreError::Corrupt {
                    path: path.to_owned(),
                    reason: "not a vconkit search index (tables, no schema version); \
                             delete it and it is rebuilt on open"
                        .to_owned(),
                });
            }
            if ours == 0 {
                conn.execute_batch(&format!("BEGIN IMMEDIATE; {INDEX_SCHEMA}; COMMIT;"))
                    .map_err(err)?;
            }
            // Also for tables a version 1 program created (no settings).
            conn.execute_batch(&fts5_settings()).map_err(err)?;
            Ok((conn, true))
        }
        other => Err(StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!(
                "search index schema version {other} is not this program's \
                 {INDEX_SCHEMA_VERSION}; delete the file and it is rebuilt on open"
            ),
        }),
    }
}

/// Gives a new index file its schema version, once every vCon is marked
/// for indexing in the main database ([`mark_all`]): a file cut short
/// before this is taken as new again at the next open.
pub(super) fn seal(index: &Connection) -> Result<(), StoreError> {
    index
        .execute_batch(&format!("PRAGMA user_version = {INDEX_SCHEMA_VERSION}"))
        .map_err(|e| sql_error("set the search index's schema version", e))
}

/// Attaches the index file to a read connection as `idx`.
pub(super) fn attach(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let name = path.to_str().ok_or_else(|| StoreError::Backend {
        backend: "sqlite",
        op: "attach the search index".to_owned(),
        message: format!("the path {} is not UTF-8", path.display()),
    })?;
    conn.execute("ATTACH DATABASE ?1 AS idx", [name])
        .map_err(|e| sql_error(format!("attach the search index {}", path.display()), e))?;
    Ok(())
}

/// Marks every vCon of the main database for indexing (the index file is
/// new: nothing is in it). Marks already there keep their generation.
pub(super) fn mark_all(main: &Connection) -> Result<(), StoreError> {
    main.execute(
        "INSERT INTO index_pending (id, gen) SELECT id, 0 FROM vcons WHERE true
         ON CONFLICT (id) DO NOTHING",
        [],
    )
    .map_err(|e| sql_error("mark every vCon for indexing", e))?;
    Ok(())
}

/// Writes `entries` into the index in one transaction (durable when it
/// returns). On error nothing is written.
pub(super) fn write_entries(
    index: &mut Connection,
    entries: &BTreeMap<i64, Entry>,
) -> Result<(), StoreError> {
    let tx = index
        .transaction()
        .map_err(|e| sql_error("begin an index transaction", e))?;
    {
        let mut rows = RowWriter::new(&tx)?;
        for (id, e) in entries {
            match &e.fields {
                Some(fields) => rows.write(*id, fields, e.new_row)?,
                None => rows.remove(*id)?,
            }
        }
    }
    tx.commit().map_err(|e| sql_error("commit the index", e))
}

/// Clears the marks `(id, generation)` in the main database, each only if it
/// still has that generation (a newer put of the row keeps its mark).
pub(super) fn clear_marks(main: &Connection, marks: &[(i64, i64)]) -> Result<(), StoreError> {
    let mut stmt = main
        .prepare_cached("DELETE FROM index_pending WHERE id = ?1 AND gen = ?2")
        .map_err(|e| sql_error("clear index marks", e))?;
    for (id, generation) in marks {
        stmt.execute(params![id, generation])
            .map_err(|e| sql_error(format!("clear the index mark of vCon row {id}"), e))?;
    }
    Ok(())
}

/// Indexes every marked row from its stored bytes ([`RECOVER_BATCH`] at a
/// time, so memory stays bounded) and clears the marks: what the previous
/// process left unindexed, or everything after a migration or a deleted
/// index file. A mark whose vCon row is gone removes the row's search rows.
/// `fresh`: the index is empty, so no row has search rows to read first.
/// Returns how many marks it cleared.
pub(super) fn recover(
    main: &mut Connection,
    index: &mut Connection,
    fresh: bool,
) -> Result<u64, StoreError> {
    let options = RecordOptions {
        max_bytes: usize::MAX,
        ..RecordOptions::default()
    };
    let mut after = i64::MIN;
    let mut total = 0;
    loop {
        type Marked = (i64, i64, Option<Vec<u8>>);
        let rows: Vec<Marked> = main
            .prepare_cached(
                "SELECT p.id, p.gen, v.body FROM index_pending p LEFT JOIN vcons v ON v.id = p.id
                 WHERE p.id > ?1 ORDER BY p.id LIMIT ?2",
            )
            .and_then(|mut s| {
                s.query_map(params![after, RECOVER_BATCH as i64], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .and_then(|rows| rows.collect())
            })
            .map_err(|e| sql_error("read vCons left unindexed", e))?;
        let Some(&(last, _, _)) = rows.last() else {
            return Ok(total);
        };
        after = last;
        let mut entries = BTreeMap::new();
        for (id, generation, body) in rows {
            let fields = body.map(|b| extract(&b, &options).map(|x| x.index).unwrap_or_default());
            let new_row = fresh && fields.is_some();
            entries.insert(
                id,
                Entry {
                    generation,
                    fields,
                    new_row,
                },
            );
        }
        write_entries(index, &entries)?;
        let marks: Vec<(i64, i64)> = entries.iter().map(|(id, e)| (*id, e.generation)).collect();
        let tx = main
            .transaction()
            .map_err(|e| sql_error("begin clearing index marks", e))?;
        clear_marks(&tx, &marks)?;
        tx.commit()
            .map_err(|e| sql_error("commit cleared index marks", e))?;
        total += marks.len() as u64;
    }
}

/// Re-extracts the search fields of stored bytes (CPU work, off the writer).
pub(super) fn reindex_fields(chunk: Vec<(i64, String, Vec<u8>)>) -> Vec<(i64, Etag, IndexFields)> {
    let options = RecordOptions {
        max_bytes: usize::MAX,
        ..RecordOptions::default()
    };
    chunk
        .into_iter()
        .map(|(id, etag, body)| {
            let fields = extract(&body, &options)
                .map(|x| x.index)
                .unwrap_or_default();
            (id, Etag::from_stored(etag), fields)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use rusqlite::OptionalExtension;

    use super::*;

    fn automerge(conn: &Connection) -> Option<i64> {
        conn.query_row(
            "SELECT v FROM vcon_index_config WHERE k = 'automerge'",
            [],
            |r| r.get(0),
        )
        .optional()
        .unwrap()
    }

    /// Where a new index file goes (in a temporary directory), and the
    /// default configuration.
    fn index_file() -> (tempfile::TempDir, PathBuf, SqliteConfig) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(INDEX_FILE);
        (dir, path, SqliteConfig::default())
    }

    #[test]
    fn a_new_index_merges_sixteen_segments_and_a_version_1_file_is_migrated() {
        let (_dir, path, config) = index_file();
        let (conn, fresh) = open(&path, &config).unwrap();
        assert!(fresh);
        seal(&conn).unwrap();
        assert_eq!(automerge(&conn), Some(i64::from(FTS5_AUTOMERGE)));
        // What version 1 left: FTS5's default, no setting stored.
        conn.execute_batch(
            "DELETE FROM vcon_index_config WHERE k = 'automerge'; PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(conn);
        let (conn, fresh) = open(&path, &config).unwrap();
        assert!(!fresh, "a version 1 index keeps its rows");
        assert_eq!(automerge(&conn), Some(i64::from(FTS5_AUTOMERGE)));
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, INDEX_SCHEMA_VERSION);
    }

    #[test]
    fn tables_a_version_1_creation_left_unsealed_get_the_settings() {
        let (_dir, path, config) = index_file();
        let (conn, _) = open(&path, &config).unwrap();
        conn.execute_batch("DELETE FROM vcon_index_config WHERE k = 'automerge'")
            .unwrap();
        drop(conn);
        let (conn, fresh) = open(&path, &config).unwrap();
        assert!(fresh, "never sealed: indexed again from the marks");
        assert_eq!(automerge(&conn), Some(i64::from(FTS5_AUTOMERGE)));
    }

    #[test]
    fn clearing_a_mark_spares_a_newer_generation_of_it() {
        let main = Connection::open_in_memory().unwrap();
        main.execute_batch(
            "CREATE TABLE index_pending (id INTEGER PRIMARY KEY, gen INTEGER NOT NULL);
             INSERT INTO index_pending VALUES (1, 5), (2, 3);",
        )
        .unwrap();
        // Row 1 was replaced (generation 5) after generation 4 was indexed.
        clear_marks(&main, &[(1, 4), (2, 3)]).unwrap();
        let left: Vec<(i64, i64)> = main
            .prepare("SELECT id, gen FROM index_pending")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(left, vec![(1, 5)]);
    }
}
