//! The database schema, its versioned migrations (`PRAGMA user_version`),
//! connection settings and the mapping of SQLite errors.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags};

use super::config::{Durability, SqliteConfig};
use crate::error::StoreError;

/// The schema version this code writes and reads.
pub(super) const SCHEMA_VERSION: i64 = 8;

/// Migrations, in order: `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    r"
-- One row per vCon; id order is arrival order. `body` is last so that
-- listing reads no overflow pages.
CREATE TABLE vcons (
    id          INTEGER PRIMARY KEY,
    uuid        TEXT    NOT NULL UNIQUE,
    form        TEXT    NOT NULL,            -- unsigned | signed | encrypted
    etag        TEXT    NOT NULL,            -- hex SHA-256 of body
    revision    INTEGER NOT NULL,
    created_ms  INTEGER,                     -- vCon created_at, NULL when unreadable
    sort_ms     INTEGER NOT NULL,            -- created_ms, else stored_ms: the created order
    stored_ms   INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL,
    size        INTEGER NOT NULL,
    gzipped     INTEGER NOT NULL,
    tenant      TEXT,
    body        BLOB    NOT NULL
);
CREATE INDEX vcons_by_created ON vcons (sort_ms, uuid);

-- The search index, rowid = vcons.id. `text`: subject, text dialogs and
-- transcripts. `keys`: one token per exact-match term (party tel, mailto,
-- name, uuid; tags; dialog types), `k` + 16 hex digits of SHA-256(kind code,
-- value). FTS5 writes are log-structured, so a put touches a few pages
-- rather than one B-tree leaf per term. Contentless: nothing is stored
-- twice; rows can still be deleted. detail=column: token and column queries, no phrases.
CREATE VIRTUAL TABLE vcon_index USING fts5 (
    text, keys,
    content = '', contentless_delete = 1, detail = column,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Queue items. leased = 1: in flight until visible_ms; leased = 0: ready from visible_ms.
CREATE TABLE queue_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    list        TEXT    NOT NULL,
    uuid        TEXT    NOT NULL,
    enqueued_ms INTEGER NOT NULL,
    visible_ms  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    leased      INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
);
CREATE INDEX queue_by_visible ON queue_items (list, visible_ms, id);

CREATE TABLE dead_letters (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    list      TEXT    NOT NULL,
    uuid      TEXT    NOT NULL,
    attempts  INTEGER NOT NULL,
    error     TEXT    NOT NULL,
    failed_ms INTEGER NOT NULL
);
CREATE INDEX dead_by_list ON dead_letters (list, id);
",
    r"
-- Rows whose search row is not written yet (see index_writer.rs).
CREATE TABLE index_pending (id INTEGER PRIMARY KEY);
",
    r"
-- When vCons expire (their tag expires_at:<RFC 3339>), see expiry.rs. Written
-- and removed with the search row; id = vcons.id.
CREATE TABLE vcon_expiry (id INTEGER PRIMARY KEY, expires_ms INTEGER NOT NULL);
CREATE INDEX vcon_expiry_by_time ON vcon_expiry (expires_ms);
",
    r"
-- Tags and dialog types leave the FTS5 keys column for a B-tree, so a
-- write-back that only adds tags touches no FTS5 row; vcon_index_state says
-- what each vCon's search rows hold (see index_rows.rs).
CREATE TABLE vcon_terms (
    term INTEGER NOT NULL,                -- first 8 bytes of SHA-256(kind code, value)
    id   INTEGER NOT NULL,                -- vcons.id
    PRIMARY KEY (term, id)
) WITHOUT ROWID;
CREATE TABLE vcon_index_state (
    id        INTEGER PRIMARY KEY,        -- vcons.id
    text_hash INTEGER,                    -- hash of the FTS5 row's content, NULL: no row
    terms     BLOB    NOT NULL            -- its vcon_terms terms, 8 bytes each
);
-- Search rows written under schema 3 hold tags in FTS5: drop them all and
-- index every vCon again when the store opens (index_writer.rs, recover).
INSERT INTO vcon_index (vcon_index) VALUES ('delete-all');
DELETE FROM vcon_expiry;
INSERT OR IGNORE INTO index_pending (id) SELECT id FROM vcons;
",
    r"
-- Deliveries apart from attempts (see queue_writes.rs): every lease is a
-- delivery, and (id, deliveries) names the lease; a lease handed back
-- unstarted (Queue::release) is counted in handed_back and is no attempt.
-- Attempts = deliveries - handed_back. Both changes only touch the schema.
ALTER TABLE queue_items RENAME COLUMN attempts TO deliveries;
ALTER TABLE queue_items ADD COLUMN handed_back INTEGER NOT NULL DEFAULT 0;
",
    r"
-- The search index moves to its own file, vcon-index.db (see index_db.rs),
-- written by the indexer thread. The main file keeps one mark per row not
-- yet indexed, with the generation of the commit that set it (see
-- indexer.rs). Every row is marked: the next open indexes them all into
-- the new file.
DROP TABLE vcon_index;
DROP TABLE vcon_terms;
DROP TABLE vcon_index_state;
DROP TABLE vcon_expiry;
DROP TABLE index_pending;
CREATE TABLE index_pending (id INTEGER PRIMARY KEY, gen INTEGER NOT NULL);
INSERT INTO index_pending (id, gen) SELECT id, 0 FROM vcons;
",
    r"
-- The created order moves to the index file (vcon_created, see
-- index_rows.rs), written by the indexer: the index cost the writer a leaf
-- page per put. The index file's own migration fills it from sort_ms.
DROP INDEX vcons_by_created;
",
    r"
-- Bodies may be stored compressed (see body_codec.rs): 0 = as they came,
-- 1 = an LZ4 block of `size` bytes. Rows written before stay as they are.
ALTER TABLE vcons ADD COLUMN codec INTEGER NOT NULL DEFAULT 0;
",
];

/// `<db><suffix>`: a file SQLite keeps beside database `db` (`-wal`,
/// `-shm`); the database itself for an empty suffix.
pub(super) fn beside(db: &Path, suffix: &str) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Maps a SQLite error to a store error naming the operation.
pub(super) fn sql_error(op: impl std::fmt::Display, e: rusqlite::Error) -> StoreError {
    StoreError::Backend {
        backend: "sqlite",
        op: op.to_string(),
        message: e.to_string(),
    }
}

/// Maps an error met while opening `path`: corruption and foreign files get
/// their own variant.
fn open_error(path: &Path, e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("not a readable SQLite database: {e}"),
        },
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Locked {
            path: path.to_owned(),
        },
        _ => StoreError::Backend {
            backend: "sqlite",
            op: format!("open {}", path.display()),
            message: e.to_string(),
        },
    }
}

/// Prepared statements the writer's connection keeps.
const WRITER_STATEMENTS: usize = 64;

/// Opens the writer connection, sets WAL mode and migrates the schema.
pub(super) fn open_writer(path: &Path, config: &SqliteConfig) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(path, e))?;
    conn.busy_timeout(config.busy_timeout)
        .map_err(|e| open_error(path, e))?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(|e| open_error(path, e))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("cannot switch to WAL journal mode (got `{mode}`)"),
        });
    }
    let sync = match config.durability {
        Durability::Full => "FULL",
        Durability::Process => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA synchronous = {sync};
         PRAGMA foreign_keys = OFF;
         PRAGMA cache_size = -{};
         PRAGMA temp_store = MEMORY;
         PRAGMA journal_size_limit = {};
         PRAGMA wal_autocheckpoint = 0;",
        config.cache_kib,
        super::wal_bound::WAL_RESTART_BYTES,
    ))
    .map_err(|e| open_error(path, e))?;
    migrate(&conn, path)?;
    // Every statement of the writer is prepared once and kept: about 30
    // distinct ones (puts, queue operations, savepoints, transaction
    // control), more than rusqlite's default cache of 16 holds.
    conn.set_prepared_statement_cache_capacity(WRITER_STATEMENTS);
    Ok(conn)
}

/// Opens one read-only connection, with the search index attached as `idx`.
pub(super) fn open_reader(
    path: &Path,
    index: &Path,
    config: &SqliteConfig,
) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| open_error(path, e))?;
    conn.busy_timeout(config.busy_timeout)
        .map_err(|e| open_error(path, e))?;
    super::index_db::attach(&conn, index)?;
    conn.execute_batch(&format!(
        "PRAGMA cache_size = -{}; PRAGMA query_only = ON;",
        config.cache_kib
    ))
    .map_err(|e| open_error(path, e))?;
    Ok(conn)
}

/// Brings the schema to [`SCHEMA_VERSION`]; refuses a newer one.
fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| open_error(path, e))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!(
                "schema version {version} is newer than this program's {SCHEMA_VERSION}; \
                 use a newer vconkit"
            ),
        });
    }
    if version < 0 {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            reason: format!("schema version {version} is not one of this store's"),
        });
    }
    if version == 0 {
        // A version-0 file that already has tables was made by something else.
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(|e| open_error(path, e))?;
        if tables > 0 {
            return Err(StoreError::Corrupt {
                path: path.to_owned(),
                reason:
                    "the file is a SQLite database of another program (tables, no schema version)"
                        .to_owned(),
            });
        }
    }
    for (from, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        let to = from + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {to}; COMMIT;"
        ))
        .map_err(|e| {
            let _ = conn.execute_batch("ROLLBACK");
            StoreError::Backend {
                backend: "sqlite",
                op: format!("migrate {} from schema {from} to {to}", path.display()),
                message: e.to_string(),
            }
        })?;
    }
    Ok(())
}
