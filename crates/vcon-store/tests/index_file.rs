//! The search index in its own file (`vcon-index.db`), written by the
//! indexer thread: searches see every acknowledged write, replaces and
//! deletes while indexing, the file rebuilt when deleted, the created
//! order, the schema-5 and schema-6 upgrades, and marks left by a crash
//! indexed again on open.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod support;

use std::path::Path;

use serde_json::Value;
use support::*;
use vcon_store::{Order, SqliteStore, Store, VconUuid};

/// vCon `n` whose only dialog says `words`.
fn saying(n: u64, words: &str) -> Value {
    let mut v = vcon(n);
    v["dialog"][0]["body"] = words.into();
    v
}

/// vCon `n` created at minute `minute` of a day.
fn created(n: u64, minute: u64) -> Value {
    let mut v = vcon(n);
    v["created_at"] = format!("2026-01-02T{:02}:{:02}:00Z", minute / 60, minute % 60).into();
    v
}

/// Every vCon in created order, oldest first (one page).
async fn by_created(store: &dyn Store) -> Vec<VconUuid> {
    let page = store.list(Order::CreatedAsc, None, 1000).await.unwrap();
    page.items.into_iter().map(|m| m.uuid).collect()
}

fn remove_index_file(dir: &Path) {
    for name in ["vcon-index.db", "vcon-index.db-wal", "vcon-index.db-shm"] {
        let _ = std::fs::remove_file(dir.join(name));
    }
}

#[tokio::test]
async fn a_search_right_after_each_put_finds_it() {
    let t = open();
    for n in 0..50 {
        t.store.put(record_n(n)).await.unwrap();
        assert_eq!(found(&*t.store, tel(n)).await, vec![uuid(n)], "vCon {n}");
    }
    assert_eq!(t.store.index_backlog(), 0);
    t.store.shutdown().await.unwrap();
    let main = t.dir.path().join("vcon.db");
    assert_eq!(count(&main, "SELECT count(*) FROM index_pending"), 0);
}

#[tokio::test]
async fn replacing_while_the_indexer_works_keeps_the_newest_content() {
    let t = open();
    for n in 0..300 {
        t.store
            .put(record(&saying(n, "first words")))
            .await
            .unwrap();
        t.store
            .replace(record(&saying(n, "second words")), None)
            .await
            .unwrap();
    }
    for n in (0..300).step_by(2) {
        t.store
            .replace(record(&saying(n, "third words")), None)
            .await
            .unwrap();
    }
    assert!(found(&*t.store, text("first")).await.is_empty());
    assert_eq!(found(&*t.store, text("second")).await.len(), 150);
    assert_eq!(found(&*t.store, text("third")).await.len(), 150);
    t.store.shutdown().await.unwrap();
    // Every mark was cleared, and the newest content survives a reopen.
    let main = t.dir.path().join("vcon.db");
    assert_eq!(count(&main, "SELECT count(*) FROM index_pending"), 0);
    let store = SqliteStore::open(config(t.dir.path(), &t.clock)).unwrap();
    assert_eq!(found(&*store, text("third")).await.len(), 150);
    assert!(found(&*store, text("first")).await.is_empty());
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_deleted_vcon_leaves_search_even_when_its_row_id_is_reused() {
    let t = open();
    for n in 0..3 {
        t.store.put(record(&saying(n, "kept words"))).await.unwrap();
    }
    t.store
        .put(record(&saying(9, "doomed words")))
        .await
        .unwrap();
    assert_eq!(found(&*t.store, text("doomed")).await, vec![uuid(9)]);
    // The last row goes, so the next insert takes its row id again.
    assert!(t.store.delete(&uuid(9), None).await.unwrap());
    t.store
        .put(record(&saying(8, "fresh words")))
        .await
        .unwrap();
    assert!(found(&*t.store, text("doomed")).await.is_empty());
    assert_eq!(found(&*t.store, text("fresh")).await, vec![uuid(8)]);
    assert_eq!(found(&*t.store, text("words")).await.len(), 4);
    // Delete and re-create in one go, before the indexer could run.
    assert!(t.store.delete(&uuid(8), None).await.unwrap());
    t.store
        .put(record(&saying(7, "newest words")))
        .await
        .unwrap();
    assert!(found(&*t.store, text("fresh")).await.is_empty());
    assert_eq!(found(&*t.store, text("newest")).await, vec![uuid(7)]);
    t.store.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_deleted_index_file_is_rebuilt_on_open() {
    let t = open();
    for n in 0..40 {
        t.store.put(record_n(n)).await.unwrap();
    }
    assert_eq!(found(&*t.store, tel(7)).await, vec![uuid(7)]);
    t.store.shutdown().await.unwrap();
    remove_index_file(t.dir.path());

    let store = SqliteStore::open(config(t.dir.path(), &t.clock)).unwrap();
    assert!(t.dir.path().join("vcon-index.db").exists());
    for n in [0, 7, 39] {
        assert_eq!(found(&*store, tel(n)).await, vec![uuid(n)]);
    }
    assert_eq!(found(&*store, text("hello")).await.len(), 40);
    assert_eq!(by_created(&*store).await.len(), 40, "the created order too");
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_created_order_follows_puts_replaces_and_deletes_at_once() {
    let t = open();
    // Created in the order 2, 0, 1 (minutes 20, 30, 10 reversed below).
    for (n, minute) in [(0, 30), (1, 40), (2, 20)] {
        t.store.put(record(&created(n, minute))).await.unwrap();
    }
    assert_eq!(by_created(&*t.store).await, vec![uuid(2), uuid(0), uuid(1)]);
    // A replace that moves vCon 1 to the front; no wait between the write
    // and the listing: the listing waits for the indexer.
    t.store.replace(record(&created(1, 5)), None).await.unwrap();
    assert_eq!(by_created(&*t.store).await, vec![uuid(1), uuid(2), uuid(0)]);
    assert!(t.store.delete(&uuid(2), None).await.unwrap());
    assert_eq!(by_created(&*t.store).await, vec![uuid(1), uuid(0)]);
    let newest = t.store.list(Order::CreatedDesc, None, 1).await.unwrap();
    assert_eq!(newest.items[0].uuid, uuid(0));
    t.store.shutdown().await.unwrap();
    let index = t.dir.path().join("vcon-index.db");
    assert_eq!(count(&index, "SELECT count(*) FROM vcon_created"), 2);
}

#[tokio::test]
async fn a_schema_6_store_moves_its_created_order_to_the_index_file() {
    let t = open_uncompressed();
    for n in 0..30 {
        t.store.put(record(&created(n, 100 - n))).await.unwrap();
    }
    t.store.shutdown().await.unwrap();
    // Schema 6: the order as an index of `vcons`; index file version 2,
    // without `vcon_created`.
    let main = t.dir.path().join("vcon.db");
    let index = t.dir.path().join("vcon-index.db");
    sql(&main, CREATED_ORDER_TO_SCHEMA_6);
    sql(&index, "DROP TABLE vcon_created; PRAGMA user_version = 2;");

    let store = SqliteStore::open(config(t.dir.path(), &t.clock)).unwrap();
    let expected: Vec<VconUuid> = (0..30).rev().map(uuid).collect();
    assert_eq!(by_created(&*store).await, expected);
    assert_eq!(found(&*store, tel(12)).await, vec![uuid(12)]);
    store.shutdown().await.unwrap();
    assert_eq!(count(&main, "PRAGMA user_version"), 8);
    assert_eq!(
        count(
            &main,
            "SELECT count(*) FROM sqlite_master WHERE name = 'vcons_by_created'"
        ),
        0,
        "the order index left the main file"
    );
    assert_eq!(count(&index, "PRAGMA user_version"), 4);
    assert_eq!(count(&index, "SELECT count(*) FROM vcon_created"), 30);
}

#[tokio::test]
async fn a_schema_5_store_moves_its_index_to_the_index_file() {
    let t = open_uncompressed();
    for n in 0..30 {
        t.store.put(record_n(n)).await.unwrap();
    }
    t.store.shutdown().await.unwrap();
    // Schema 5: the index inside vcon.db (here one stale row), a mark
    // without a generation, no index file.
    let main = t.dir.path().join("vcon.db");
    sql(&main, INDEX_TO_SCHEMA_5);
    sql(
        &main,
        "INSERT INTO vcon_index (rowid, text, keys) VALUES (1, 'stale words', 'kstale');
         INSERT INTO index_pending (id) VALUES (3);",
    );
    remove_index_file(t.dir.path());

    let store = SqliteStore::open(config(t.dir.path(), &t.clock)).unwrap();
    assert_eq!(found(&*store, tel(12)).await, vec![uuid(12)]);
    assert_eq!(found(&*store, text("hello")).await.len(), 30);
    assert!(found(&*store, text("stale")).await.is_empty());
    store.shutdown().await.unwrap();
    assert_eq!(count(&main, "PRAGMA user_version"), 8);
    assert_eq!(
        count(
            &main,
            "SELECT count(*) FROM sqlite_master WHERE name LIKE 'vcon_index%'
             OR name IN ('vcon_terms', 'vcon_expiry')"
        ),
        0,
        "the index tables left the main file"
    );
    assert_eq!(count(&main, "SELECT count(*) FROM index_pending"), 0);
}

#[tokio::test]
async fn marks_left_by_a_crash_are_indexed_again_on_open() {
    let t = open();
    for n in 0..20 {
        t.store.put(record_n(n)).await.unwrap();
    }
    assert_eq!(found(&*t.store, tel(5)).await, vec![uuid(5)]);
    // Dropped without a shutdown, as a crashed process would be.
    let dir = t.dir;
    drop(t.store);
    // The dropped store's threads still end on their own: wait for the
    // directory before writing what a crash leaves.
    open_after_drop(dir.path(), &t.clock)
        .shutdown()
        .await
        .unwrap();
    // What a crash between a commit and its index transaction leaves:
    // marks in the main file, no search rows in the index file.
    let index = dir.path().join("vcon-index.db");
    sql(
        &index,
        "INSERT INTO vcon_index (vcon_index) VALUES ('delete-all');
         DELETE FROM vcon_terms; DELETE FROM vcon_index_state; DELETE FROM vcon_expiry;",
    );
    sql(
        &dir.path().join("vcon.db"),
        "INSERT INTO index_pending (id, gen) SELECT id, 1 FROM vcons WHERE true
         ON CONFLICT (id) DO NOTHING;",
    );

    let store = SqliteStore::open(config(dir.path(), &t.clock)).unwrap();
    for n in [0, 5, 19] {
        assert_eq!(found(&*store, tel(n)).await, vec![uuid(n)]);
    }
    assert_eq!(found(&*store, text("hello")).await.len(), 20);
    store.shutdown().await.unwrap();
}
