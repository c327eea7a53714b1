//! Shared helpers: vCon bytes in each form and stores in temporary directories.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use vcon_store::{ManualClock, RecordOptions, SqliteConfig, SqliteStore, VconRecord, VconUuid};

/// A deterministic UUID (version 8 layout) for test number `n`.
pub fn uuid(n: u64) -> VconUuid {
    VconUuid::parse(&format!("019f15a6-a752-8{:03x}-b9a2-{:012x}", n % 4096, n)).unwrap()
}

/// An unsigned vCon as a JSON value.
pub fn vcon(n: u64) -> Value {
    json!({
        "uuid": uuid(n).as_str(),
        "created_at": "2026-01-02T03:04:05Z",
        "parties": [{"tel": format!("+1555{n:07}"), "name": "Alice"}],
        "dialog": [{"type": "text", "start": "2026-01-02T03:04:05Z", "parties": [0],
                    "mediatype": "text/plain", "encoding": "none", "body": format!("hello {n}")}]
    })
}

pub fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).unwrap()
}

pub fn record(v: &Value) -> VconRecord {
    VconRecord::from_bytes(bytes(v), &RecordOptions::default()).unwrap()
}

pub fn record_n(n: u64) -> VconRecord {
    record(&vcon(n))
}

/// A signed vCon (JWS General JSON) whose payload is `inner`; the signature is fake.
pub fn signed(inner: &Value) -> Value {
    json!({
        "payload": URL_SAFE_NO_PAD.encode(bytes(inner)),
        "signatures": [{"protected": "eyJhbGciOiJSUzI1NiJ9",
                        "header": {"alg": "RS256", "x5c": ["MII"], "uuid": inner["uuid"]},
                        "signature": "c2ln"}]
    })
}

/// An encrypted vCon (JWE General JSON) with `unprotected.uuid`.
pub fn encrypted(uuid: &VconUuid) -> Value {
    json!({
        "unprotected": {"cty": "application/vcon", "enc": "A256CBC-HS512", "uuid": uuid.as_str()},
        "recipients": [{"header": {"alg": "RSA-OAEP"}, "encrypted_key": "a2V5"}],
        "iv": "aXY", "ciphertext": "Y2lwaGVy", "tag": "dGFn"
    })
}

/// A store in a fresh temporary directory with a manual clock.
pub struct TestStore {
    pub store: Arc<SqliteStore>,
    pub clock: ManualClock,
    pub dir: tempfile::TempDir,
}

pub fn config(dir: &std::path::Path, clock: &ManualClock) -> SqliteConfig {
    SqliteConfig {
        clock: Arc::new(clock.clone()),
        ..SqliteConfig::in_dir(dir)
    }
}

pub fn open() -> TestStore {
    open_with(true)
}

/// A store that keeps its bodies as they came, as every store did before
/// schema 8: for the upgrade tests, whose SQL takes the `codec` column away.
pub fn open_uncompressed() -> TestStore {
    open_with(false)
}

fn open_with(compress_bodies: bool) -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::new(1_800_000_000_000);
    let config = SqliteConfig {
        compress_bodies,
        ..config(dir.path(), &clock)
    };
    let store = SqliteStore::open(config).unwrap();
    TestStore { store, clock, dir }
}

/// Opens the store in `dir` once a store dropped without a shutdown (as a
/// crashed process leaves it) has let the directory go: its threads stop
/// on their own after the drop and release the lock as they end. Any other
/// error, or a lock held for 10 s, fails the test.
pub fn open_after_drop(dir: &std::path::Path, clock: &ManualClock) -> Arc<SqliteStore> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match SqliteStore::open(config(dir, clock)) {
            Err(vcon_store::StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            other => return other.unwrap(),
        }
    }
}

/// Runs `sql` on the database file `path` (a closed store's).
pub fn sql(path: &std::path::Path, sql: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

/// The one integer `sql` answers on the database file `path`.
pub fn count(path: &std::path::Path, sql: &str) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

pub fn list(name: &str) -> vcon_store::ListName {
    vcon_store::ListName::new(name).unwrap()
}

/// SQL that turns the main file of the current schema back into schema
/// 7's: bodies without a `codec` (the store must have kept them
/// uncompressed: [`open_uncompressed`]). For upgrade tests, on a closed
/// store's `vcon.db`.
pub const CODEC_TO_SCHEMA_7: &str = "
    ALTER TABLE vcons DROP COLUMN codec;
    PRAGMA user_version = 7;";

/// SQL that turns the main file of the current schema back into schema
/// 6's: the created order as an index of `vcons`, no `codec` (as in
/// [`CODEC_TO_SCHEMA_7`]). For upgrade tests, on a closed store's `vcon.db`.
pub const CREATED_ORDER_TO_SCHEMA_6: &str = "
    ALTER TABLE vcons DROP COLUMN codec;
    CREATE INDEX vcons_by_created ON vcons (sort_ms, uuid);
    PRAGMA user_version = 6;";

/// SQL that turns the main file of the current schema back into schema
/// 5's: the created order as an index of `vcons`, the search index inside
/// it (empty here) and marks without a generation, no `codec` (as in
/// [`CODEC_TO_SCHEMA_7`]). For upgrade tests, on a closed store's `vcon.db`.
pub const INDEX_TO_SCHEMA_5: &str = "
    ALTER TABLE vcons DROP COLUMN codec;
    CREATE INDEX vcons_by_created ON vcons (sort_ms, uuid);
    CREATE VIRTUAL TABLE vcon_index USING fts5 (
        text, keys,
        content = '', contentless_delete = 1, detail = column,
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TABLE vcon_expiry (id INTEGER PRIMARY KEY, expires_ms INTEGER NOT NULL);
    CREATE INDEX vcon_expiry_by_time ON vcon_expiry (expires_ms);
    CREATE TABLE vcon_terms (
        term INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (term, id)
    ) WITHOUT ROWID;
    CREATE TABLE vcon_index_state (
        id INTEGER PRIMARY KEY, text_hash INTEGER, terms BLOB NOT NULL
    );
    DROP TABLE index_pending;
    CREATE TABLE index_pending (id INTEGER PRIMARY KEY);
    PRAGMA user_version = 5;";

/// SQL that turns the queue items of the current schema back into schema
/// 4's: one `attempts` counter for deliveries and attempts (before
/// `handed_back`). For upgrade tests, on a closed store's `vcon.db`.
pub const QUEUE_ITEMS_TO_SCHEMA_4: &str = "ALTER TABLE queue_items DROP COLUMN handed_back;
     ALTER TABLE queue_items RENAME COLUMN deliveries TO attempts;";

/// A full-text search for `words` (up to 1,000 hits).
pub fn text(words: &str) -> vcon_store::SearchQuery {
    vcon_store::SearchQuery {
        text: Some(words.into()),
        limit: 1000,
        ..vcon_store::SearchQuery::default()
    }
}

/// A search for party tel `+1555` + `n` in 7 digits.
pub fn tel(n: u64) -> vcon_store::SearchQuery {
    vcon_store::SearchQuery {
        tel: Some(format!("+1555{n:07}")),
        ..vcon_store::SearchQuery::default()
    }
}

/// The uuids a search finds, in its order.
pub async fn found(store: &dyn vcon_store::Store, q: vcon_store::SearchQuery) -> Vec<VconUuid> {
    let page = store.search(&q).await.unwrap();
    page.items.into_iter().map(|m| m.uuid).collect()
}
