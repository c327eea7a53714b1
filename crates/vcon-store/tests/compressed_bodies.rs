//! Bodies stored LZ4-compressed (schema 8, `SqliteConfig::compress_bodies`):
//! reads give back the bytes that were put, replaces and write-backs too,
//! the index is rebuilt from compressed rows, a schema-7 store keeps its
//! raw rows beside new compressed ones, and the switch turns it off.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod support;

use std::path::Path;

use serde_json::Value;
use support::*;
use vcon_store::{SqliteConfig, SqliteStore, Store};

/// vCon `n` with a transcript-like dialog: JSON that compresses well.
fn talkative(n: u64, words: &str) -> Value {
    let mut v = vcon(n);
    v["dialog"][0]["body"] = format!("{words} ").repeat(40).into();
    v
}

/// (codec, stored length, size) of vCon `n`'s row.
fn row(dir: &Path, n: u64) -> (i64, i64, i64) {
    rusqlite::Connection::open(dir.join("vcon.db"))
        .unwrap()
        .query_row(
            "SELECT codec, length(body), size FROM vcons WHERE uuid = ?1",
            [uuid(n).as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
}

async fn stored_bytes(store: &dyn Store, n: u64) -> Vec<u8> {
    store.get(&uuid(n)).await.unwrap().unwrap().bytes.to_vec()
}

#[tokio::test]
async fn compressed_bodies_read_back_byte_for_byte() {
    let t = open();
    let v = talkative(1, "the customer asked about the invoice");
    t.store.put(record(&v)).await.unwrap();
    // A replace with other words, and a body too small to gain anything.
    let w = talkative(2, "first words");
    t.store.put(record(&w)).await.unwrap();
    let w2 = talkative(2, "the agent offered a refund");
    t.store.replace(record(&w2), None).await.unwrap();
    let tiny = serde_json::json!({"uuid": uuid(3).as_str(), "parties": []});
    t.store.put(record(&tiny)).await.unwrap();

    assert_eq!(stored_bytes(&*t.store, 1).await, bytes(&v));
    assert_eq!(stored_bytes(&*t.store, 2).await, bytes(&w2));
    assert_eq!(stored_bytes(&*t.store, 3).await, bytes(&tiny));
    let meta = t.store.head(&uuid(1)).await.unwrap().unwrap();
    assert_eq!(meta.size, bytes(&v).len() as u64, "the size is the vCon's");
    t.store.shutdown().await.unwrap();

    for n in [1, 2] {
        let (codec, stored, size) = row(t.dir.path(), n);
        assert_eq!(codec, 1, "vCon {n} is compressed");
        assert!(stored * 4 < size, "vCon {n}: {stored} of {size} bytes");
    }
    assert_eq!(row(t.dir.path(), 3).0, 0, "nothing to gain: kept raw");
}

#[tokio::test]
async fn the_index_is_rebuilt_from_compressed_rows() {
    let t = open();
    for n in 0..20 {
        t.store
            .put(record(&talkative(n, &format!("word{n}"))))
            .await
            .unwrap();
    }
    t.store.shutdown().await.unwrap();
    assert_eq!(row(t.dir.path(), 7).0, 1);
    for name in ["vcon-index.db", "vcon-index.db-wal", "vcon-index.db-shm"] {
        let _ = std::fs::remove_file(t.dir.path().join(name));
    }
    let store = SqliteStore::open(config(t.dir.path(), &t.clock)).unwrap();
    assert_eq!(found(&*store, text("word7")).await, vec![uuid(7)]);
    assert_eq!(found(&*store, tel(12)).await, vec![uuid(12)]);
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_schema_7_store_keeps_its_raw_rows_beside_compressed_ones() {
    let t = open_uncompressed();
    let old = talkative(1, "written before compression");
    t.store.put(record(&old)).await.unwrap();
    t.store.shutdown().await.unwrap();
    sql(&t.dir.path().join("vcon.db"), CODEC_TO_SCHEMA_7);

    let store = SqliteStore::open(config(t.dir.path(), &t.clock)).unwrap();
    let new = talkative(2, "written after the upgrade");
    store.put(record(&new)).await.unwrap();
    assert_eq!(stored_bytes(&*store, 1).await, bytes(&old));
    assert_eq!(stored_bytes(&*store, 2).await, bytes(&new));
    assert_eq!(found(&*store, text("before")).await, vec![uuid(1)]);
    store.shutdown().await.unwrap();
    assert_eq!(row(t.dir.path(), 1).0, 0, "the old row as it was");
    assert_eq!(row(t.dir.path(), 2).0, 1);
}

#[tokio::test]
async fn compression_can_be_switched_off() {
    let t = open_uncompressed();
    let v = talkative(1, "kept as it came");
    t.store.put(record(&v)).await.unwrap();
    t.store.shutdown().await.unwrap();
    let (codec, stored, size) = row(t.dir.path(), 1);
    assert_eq!((codec, stored), (0, size));
    // The default is on, and the setting is read from configuration.
    assert!(SqliteConfig::default().compress_bodies);
    let off: SqliteConfig = serde_json::from_str(r#"{"compress_bodies": false}"#).unwrap();
    assert!(!off.compress_bodies);
}

#[tokio::test]
async fn a_damaged_compressed_body_is_an_error_naming_the_vcon() {
    let t = open();
    t.store
        .put(record(&talkative(1, "soon damaged")))
        .await
        .unwrap();
    t.store.shutdown().await.unwrap();
    sql(
        &t.dir.path().join("vcon.db"),
        "UPDATE vcons SET body = substr(body, 1, 10)",
    );
    let store = SqliteStore::open(config(t.dir.path(), &t.clock)).unwrap();
    let err = store.get(&uuid(1)).await.unwrap_err().to_string();
    assert!(err.contains(uuid(1).as_str()), "{err}");
    assert!(err.contains("LZ4"), "{err}");
    store.shutdown().await.unwrap();
}
