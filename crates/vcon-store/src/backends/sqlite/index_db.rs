//! The search index's own database file, `vcon-index.db` beside `vcon.db`
//! (WAL mode, its own `PRAGMA user_version`): the FTS5 `vcon_index`,
//! `vcon_terms`, `vcon_index_state`, `vcon_expiry` and the created order
//! `vcon_created` (see `index_rows`).
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

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, params};

use super::body_codec::{BODY_COLUMNS, StoredBody};
use super::config::SqliteConfig;
use super::index_rows::RowWriter;
use super::rows::uuid_at;
use super::schema::sql_error;
use crate::error::StoreError;
use crate::ids::{Etag, VconUuid};
use crate::index::{IndexFields, extract};
use crate::record::RecordOptions;

/// The index file's name inside the data directory.
pub(super) const INDEX_FILE: &str = "vcon-index.db";

/// The index file's schema version. 2: FTS5 `automerge` is
/// [`FTS5_AUTOMERGE`] (version 1 had FTS5's default, 4). 3: the created
/// order `vcon_created` is here (it was the main file's `vcons_by_created`
/// index). 4: FTS5 `crisismerge` is [`FTS5_CRISISMERGE`] (FTS5's default,
/// 16, before). [`open`] migrates older versions in place; the rows stay.
const INDEX_SCHEMA_VERSION: i64 = 4;

/// How many FTS5 segments of one level wait before they are merged into
/// one of the next level (FTS5's `automerge`; its default is 4).
///
/// The indexer writes a segment per transaction (up to 2,048 rows; 512
/// when this was measured), and every merge rewrites the rows of the
/// segments it takes: with 4, each row is rewritten about log4(n / 2048)
/// times over the life of a store of n vCons, with 16 half as often.
/// Merges were a quarter of the indexer's instructions at 20,000 vCons
/// (docs/BENCHMARKS.md, "Indexer round 3"). The price is more segments per
/// level (up to 15 instead of 3) for a search to look a term up in; at
/// 60,000 vCons the searches measured the same.
const FTS5_AUTOMERGE: u32 = 16;

/// How many segments of one level make FTS5 merge them all at once, in the
/// transaction at hand (FTS5's `crisismerge`; its default is 16).
///
/// At the default, equal to [`FTS5_AUTOMERGE`], the 16th segment of a level
/// made FTS5 merge the whole level at once instead of step by step, and a
/// level filling up the next one merged that too: at ~600,000 vCons one
/// index transaction took 1.7–2.6 s, and the writer, its queue to the
/// indexer full, held every acknowledgement that long (docs/BENCHMARKS.md,
/// "Eighth machine: no more all-at-once merges"). Above it, `automerge`
/// merges a level in steps, a share in each transaction (about as many
/// pages as the transaction wrote, per level); only a level that still
/// grows to this many segments is merged at once.
const FTS5_CRISISMERGE: u32 = 64;

/// How many marked rows one recovery transaction indexes.
const RECOVER_BATCH: usize = 1024;

/// The tokenizer of the FTS5 index (also splits a search's text into the
/// same tokens, see `text_query`).
pub(super) const TOKENIZE: &str = "unicode61 remove_diacritics 2";

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

/// The created order (index schema 3; see `index_rows`). Its column names
/// differ from every column of `vcons`, so the queries that join the two
/// (reads.rs) name `vcons`' columns unqualified.
const CREATED_ORDER_SCHEMA: &str = r"
-- vcon_row = vcons.id; at_ms = vcons.sort_ms (created_at, else when stored);
-- vcon = vcons.uuid, the tie-break of the order.
CREATE TABLE IF NOT EXISTS vcon_created (
    vcon_row INTEGER PRIMARY KEY,
    at_ms    INTEGER NOT NULL,
    vcon     TEXT    NOT NULL
);
CREATE INDEX IF NOT EXISTS vcon_created_order ON vcon_created (at_ms, vcon);
";

/// FTS5's persistent settings (kept in `vcon_index_config`; setting one
/// again replaces it), set at creation and by the migrations.
fn fts5_settings() -> String {
    format!(
        "INSERT INTO vcon_index (vcon_index, rank) VALUES ('automerge', {FTS5_AUTOMERGE});
         INSERT INTO vcon_index (vcon_index, rank) VALUES ('crisismerge', {FTS5_CRISISMERGE});"
    )
}

/// The index file of the store whose main database is `db`.
pub(super) fn index_path(db: &Path) -> PathBuf {
    db.with_file_name(INDEX_FILE)
}

/// What the index holds of one stored vCon: its search fields and its
/// place in the created order.
#[derive(Debug)]
pub(super) struct Indexed {
    /// The search fields.
    pub fields: IndexFields,
    /// Its `vcons.sort_ms`: `created_at`, else when it was stored (Unix ms).
    pub at_ms: i64,
    /// Its uuid, which breaks ties of `at_ms`.
    pub uuid: VconUuid,
}

/// What the index is to hold of one row (`None`: remove the vCon's rows),
/// as the indexer holds it until it is written.
#[derive(Debug)]
pub(super) struct Entry {
    /// The generation of the row's `index_pending` mark this clears.
    pub generation: i64,
    /// What to index; `None` when the vCon was deleted.
    pub indexed: Option<Indexed>,
    /// The row has no search rows (a vCon created since it was last indexed).
    pub new_row: bool,
}

/// Opens (creating if needed) the index file `path` for writing, of the
/// store whose main database is `main` (open, and migrated to its current
/// schema). Returns the connection and whether the file is new (or its
/// creation was cut short), in which case the caller marks every vCon
/// ([`mark_all`]), then calls [`seal`], then [`recover`].
pub(super) fn open(
    path: &Path,
    main: &Path,
    config: &SqliteConfig,
) -> Result<(Connection, bool), StoreError> {
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
        3 => {
            // Same tables and rows; FTS5's settings (crisismerge new in 4).
            migrate_in_place(&conn, "").map_err(err)?;
            Ok((conn, false))
        }
        1 | 2 => {
            // Same tables and rows, plus FTS5's merge settings (new in 2
            // and 4) and the created order (new in 3), read from the main
            // file, attached as `store` to read its rows.
            attach_as(&conn, main, "store", "the main database")?;
            let migrated = migrate_in_place(
                &conn,
                &format!(
                    "{CREATED_ORDER_SCHEMA}
                     INSERT INTO vcon_created (vcon_row, at_ms, vcon)
                         SELECT id, sort_ms, uuid FROM store.vcons;"
                ),
            );
            let detached = conn.execute_batch("DETACH DATABASE store");
            migrated.and(detached).map_err(err)?;
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
            let tables = if ours == 0 { INDEX_SCHEMA } else { "" };
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {tables} {CREATED_ORDER_SCHEMA} COMMIT;"
            ))
            .map_err(err)?;
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

/// Takes an older index file to this version in one transaction (rolled
/// back on failure): FTS5's settings, then `sql`, then the version.
fn migrate_in_place(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    let migrated = conn.execute_batch(&format!(
        "BEGIN IMMEDIATE; {} {sql} PRAGMA user_version = {INDEX_SCHEMA_VERSION}; COMMIT;",
        fts5_settings()
    ));
    if migrated.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    migrated
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
    attach_as(conn, path, "idx", "the search index")
}

/// Attaches the database file `path` to `conn` as schema `schema`; `what`
/// names the file in errors.
fn attach_as(
    conn: &Connection,
    path: &Path,
    schema: &'static str,
    what: &str,
) -> Result<(), StoreError> {
    let name = path.to_str().ok_or_else(|| StoreError::Backend {
        backend: "sqlite",
        op: format!("attach {what}"),
        message: format!("the path {} is not UTF-8", path.display()),
    })?;
    conn.execute(&format!("ATTACH DATABASE ?1 AS {schema}"), [name])
        .map_err(|e| sql_error(format!("attach {what} {}", path.display()), e))?;
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
            match &e.indexed {
                Some(indexed) => rows.write(*id, indexed, e.new_row)?,
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
    let options = stored_options();
    let mut after = i64::MIN;
    let mut total = 0;
    loop {
        type Marked = (i64, i64, Option<(StoredBody, i64, VconUuid)>);
        let rows: Vec<Marked> = main
            .prepare_cached(&format!(
                "SELECT p.id, p.gen, v.sort_ms, v.uuid, {BODY_COLUMNS}
                     FROM index_pending p LEFT JOIN vcons v ON v.id = p.id
                     WHERE p.id > ?1 ORDER BY p.id LIMIT ?2"
            ))
            .and_then(|mut s| {
                s.query_map(params![after, RECOVER_BATCH as i64], |r| {
                    // No vCon row (a LEFT JOIN's NULLs): it was deleted.
                    let row = if r.get_ref(4)? == ValueRef::Null {
                        None
                    } else {
                        Some((StoredBody::at(r, 4)?, r.get(2)?, uuid_at(r, 3)?))
                    };
                    Ok((r.get(0)?, r.get(1)?, row))
                })
                .and_then(|rows| rows.collect())
            })
            .map_err(|e| sql_error("read vCons left unindexed", e))?;
        let Some(&(last, _, _)) = rows.last() else {
            return Ok(total);
        };
        after = last;
        let mut entries = BTreeMap::new();
        for (id, generation, row) in rows {
            let indexed = row.map(|(body, at_ms, uuid)| Indexed {
                fields: search_fields(body, &options, &format_args!("vCon row {id}")),
                at_ms,
                uuid,
            });
            let new_row = fresh && indexed.is_some();
            entries.insert(
                id,
                Entry {
                    generation,
                    indexed,
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

/// Re-extracts the search fields of stored rows (CPU work, off the writer).
pub(super) fn reindex_fields(chunk: Vec<ReindexRow>) -> Vec<(i64, Etag, Indexed)> {
    let options = stored_options();
    chunk
        .into_iter()
        .map(|row| {
            let fields = search_fields(row.body, &options, &format_args!("vCon row {}", row.id));
            let indexed = Indexed {
                fields,
                at_ms: row.at_ms,
                uuid: row.uuid,
            };
            (row.id, Etag::from_stored(row.etag), indexed)
        })
        .collect()
}

/// The full text of a stored vCon's search fields, as the index was given
/// it (`text_query::holds_phrases` checks a search's phrases on it).
pub(super) fn indexed_text(body: StoredBody, uuid: &VconUuid) -> String {
    search_fields(body, &stored_options(), &format_args!("vCon {uuid}")).text
}

/// The options to read a stored vCon with: it was accepted once, so no
/// size limit applies again.
fn stored_options() -> RecordOptions {
    RecordOptions {
        max_bytes: usize::MAX,
        ..RecordOptions::default()
    }
}

/// The search fields of a stored body (`what` names it); none when it does
/// not decode or parse (a `get` of it then reports the damage).
fn search_fields(
    body: StoredBody,
    options: &RecordOptions,
    what: &dyn std::fmt::Display,
) -> IndexFields {
    body.unpack(what)
        .ok()
        .and_then(|bytes| extract(&bytes, options).ok())
        .map(|x| x.index)
        .unwrap_or_default()
}

/// A stored row to index again (`reads::reindex_chunk`).
pub(super) struct ReindexRow {
    /// The row id.
    pub id: i64,
    /// Its etag, which must still hold when the row is marked.
    pub etag: String,
    /// Its `sort_ms`.
    pub at_ms: i64,
    /// Its uuid.
    pub uuid: VconUuid,
    /// Its stored bytes.
    pub body: StoredBody,
}

#[cfg(test)]
mod tests {
    use rusqlite::OptionalExtension;

    use super::*;

    /// FTS5's merge settings as stored: (automerge, crisismerge).
    fn merge_settings(conn: &Connection) -> (Option<i64>, Option<i64>) {
        let setting = |k: &str| {
            conn.query_row("SELECT v FROM vcon_index_config WHERE k = ?1", [k], |r| {
                r.get(0)
            })
            .optional()
            .unwrap()
        };
        (setting("automerge"), setting("crisismerge"))
    }

    /// What this version sets.
    fn ours() -> (Option<i64>, Option<i64>) {
        (
            Some(i64::from(FTS5_AUTOMERGE)),
            Some(i64::from(FTS5_CRISISMERGE)),
        )
    }

    /// A new index file's path and its main file's, in a temporary
    /// directory, and the default configuration. The main file holds two
    /// vCon rows (only the columns the index reads).
    struct Files {
        _dir: tempfile::TempDir,
        index: PathBuf,
        main: PathBuf,
        config: SqliteConfig,
    }

    fn files() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let main = dir.path().join("vcon.db");
        Connection::open(&main)
            .unwrap()
            .execute_batch(
                "CREATE TABLE vcons (id INTEGER PRIMARY KEY, uuid TEXT, sort_ms INTEGER);
                 INSERT INTO vcons VALUES (1, 'b', 20), (2, 'a', 10);",
            )
            .unwrap();
        Files {
            index: dir.path().join(INDEX_FILE),
            main,
            config: SqliteConfig::default(),
            _dir: dir,
        }
    }

    impl Files {
        fn open(&self) -> (Connection, bool) {
            open(&self.index, &self.main, &self.config).unwrap()
        }
    }

    /// The created order's rows, in that order.
    fn created_order(conn: &Connection) -> Vec<(i64, i64, String)> {
        conn.prepare("SELECT vcon_row, at_ms, vcon FROM vcon_created ORDER BY at_ms, vcon")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn the_index_and_the_search_text_share_one_tokenizer() {
        assert!(INDEX_SCHEMA.contains(&format!("tokenize = '{TOKENIZE}'")));
    }

    #[test]
    fn a_new_index_has_the_merge_settings_and_older_files_are_migrated() {
        for old in [1, 2, 3] {
            let files = files();
            let (conn, fresh) = files.open();
            assert!(fresh);
            seal(&conn).unwrap();
            assert_eq!(merge_settings(&conn), ours());
            assert!(created_order(&conn).is_empty(), "filled by recovery");
            // What each version left: version 1 stored no setting (FTS5's
            // defaults), 2 and 3 only `automerge`; 1 and 2 had no created order.
            let settings = match old {
                1 => "DELETE FROM vcon_index_config WHERE k IN ('automerge', 'crisismerge');",
                _ => "DELETE FROM vcon_index_config WHERE k = 'crisismerge';",
            };
            let order = if old < 3 {
                "DROP TABLE vcon_created;"
            } else {
                ""
            };
            conn.execute_batch(&format!("{settings} {order} PRAGMA user_version = {old};"))
                .unwrap();
            assert_eq!(merge_settings(&conn).1, None);
            drop(conn);
            let (conn, fresh) = files.open();
            assert!(!fresh, "a version {old} index keeps its rows");
            assert_eq!(merge_settings(&conn), ours(), "version {old}");
            if old < 3 {
                assert_eq!(
                    created_order(&conn),
                    vec![(2, 10, "a".to_owned()), (1, 20, "b".to_owned())],
                    "the created order is read from the main file"
                );
            } else {
                assert!(created_order(&conn).is_empty(), "version 3 had it: kept");
            }
            let version: i64 = conn
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .unwrap();
            assert_eq!(version, INDEX_SCHEMA_VERSION);
            let attached: i64 = conn
                .query_row("SELECT count(*) FROM pragma_database_list", [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(attached, 1, "the main file is detached again");
        }
    }

    #[test]
    fn tables_a_version_1_creation_left_unsealed_get_the_settings() {
        let files = files();
        let (conn, _) = files.open();
        conn.execute_batch(
            "DELETE FROM vcon_index_config WHERE k IN ('automerge', 'crisismerge');
             DROP TABLE vcon_created;",
        )
        .unwrap();
        drop(conn);
        let (conn, fresh) = files.open();
        assert!(fresh, "never sealed: indexed again from the marks");
        assert_eq!(merge_settings(&conn), ours());
        assert!(created_order(&conn).is_empty(), "the table is made again");
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
