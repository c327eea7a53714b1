//! The search index after write-backs (schema 4): tags and dialog types in
//! `vcon_terms`, the FTS5 row rewritten only when its text or parties
//! change, deletes that leave nothing behind, and the upgrade of a schema-3
//! data directory on open (the index now lives in `vcon-index.db`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod support;

use std::time::Duration;

use serde_json::Value;
use support::*;
use vcon_store::{Completion, Queue, SearchQuery, SqliteStore, Store, TagFilter, WriteBack};

const VIS: Duration = Duration::from_secs(30);

fn with_tag(mut v: Value, name: &str, value: &str) -> Value {
    use vcon_core::tags::{Tagged, TagsAnchor};
    let object = v.as_object_mut().unwrap();
    let anchor = TagsAnchor::for_vcon(object);
    object.add_tag(name, value, &anchor).unwrap();
    v
}

fn tag(name: &str, value: Option<&str>) -> SearchQuery {
    SearchQuery {
        tags: vec![TagFilter {
            name: name.into(),
            value: value.map(Into::into),
        }],
        ..SearchQuery::default()
    }
}

/// Stores vCons `0..count` as `make` makes them, queued on `list`.
async fn queue_all(
    t: &TestStore,
    list: &vcon_store::ListName,
    count: u64,
    make: impl Fn(u64) -> Value,
) {
    for n in 0..count {
        t.store
            .put_and_enqueue(record(&make(n)), std::slice::from_ref(list))
            .await
            .unwrap();
    }
}

/// Leases everything on `list` and completes each lease with the
/// write-back `change` makes of its stored vCon (as a chain's link would).
async fn chain_step(
    t: &TestStore,
    list: &vcon_store::ListName,
    change: impl Fn(u64, Value) -> Value,
) {
    let leases = t.store.lease(list, 100, VIS).await.unwrap();
    let mut items = Vec::new();
    for l in leases {
        let n = (0..100u64).find(|n| uuid(*n) == l.uuid).unwrap();
        let current = t.store.get(&l.uuid).await.unwrap().unwrap();
        let v: Value = serde_json::from_slice(&current.bytes).unwrap();
        items.push(Completion::Ack {
            lease: l.id,
            write_back: Some(WriteBack {
                record: record(&change(n, v)),
                if_match: current.meta.etag.clone(),
            }),
            forward: vec![],
        });
    }
    t.store.complete(items).await.unwrap();
}

/// Every block of the FTS5 index, to tell whether a write touched it.
fn fts_blocks(t: &TestStore) -> Vec<(i64, Vec<u8>)> {
    let conn = rusqlite::Connection::open_with_flags(
        t.dir.path().join("vcon-index.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut s = conn
        .prepare("SELECT id, block FROM vcon_index_data ORDER BY id")
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[tokio::test]
async fn a_chain_that_tags_vcons_makes_them_findable_by_tag_without_touching_fts() {
    let t = open();
    let ingress = list("in");
    queue_all(&t, &ingress, 10, |n| with_tag(vcon(n), "source", "web")).await;
    // Index what was put, then remember the FTS5 index.
    assert_eq!(found(&*t.store, tag("source", Some("web"))).await.len(), 10);
    let before = fts_blocks(&t);

    chain_step(&t, &ingress, |_, v| with_tag(v, "bench", "")).await;

    assert_eq!(found(&*t.store, tag("bench", None)).await.len(), 10);
    assert_eq!(found(&*t.store, tag("source", Some("web"))).await.len(), 10);
    assert_eq!(found(&*t.store, tag("source", Some("mail"))).await.len(), 0);
    assert_eq!(found(&*t.store, tel(3)).await, vec![uuid(3)]);
    assert_eq!(found(&*t.store, text("hello 7")).await, vec![uuid(7)]);
    assert_eq!(
        before,
        fts_blocks(&t),
        "a tag-only write-back must leave the FTS5 index as it was"
    );
    // Tags and parties together: the B-tree and FTS5 parts of one query.
    let mut both = tag("bench", None);
    both.tel = Some("+15550000004".into());
    assert_eq!(found(&*t.store, both).await, vec![uuid(4)]);
}

#[tokio::test]
async fn a_write_back_that_changes_text_parties_and_tags_is_searched_by_its_new_content() {
    let t = open();
    let ingress = list("in");
    queue_all(&t, &ingress, 4, |n| with_tag(vcon(n), "stage", "new")).await;
    assert_eq!(found(&*t.store, text("hello")).await.len(), 4);
    chain_step(&t, &ingress, |n, _| {
        let mut changed = vcon(n);
        if n % 2 == 0 {
            changed["dialog"][0]["body"] = format!("goodbye {n}").into();
            changed["parties"][0]["tel"] = format!("+1666{n:07}").into();
        }
        with_tag(changed, "stage", "done")
    })
    .await;

    let mut goodbye = found(&*t.store, text("goodbye")).await;
    goodbye.sort();
    assert_eq!(goodbye, vec![uuid(0), uuid(2)]);
    let mut hello = found(&*t.store, text("hello")).await;
    hello.sort();
    assert_eq!(hello, vec![uuid(1), uuid(3)]);
    assert!(found(&*t.store, tel(2)).await.is_empty());
    let moved = SearchQuery {
        tel: Some("+16660000002".into()),
        ..SearchQuery::default()
    };
    assert_eq!(found(&*t.store, moved).await, vec![uuid(2)]);
    assert_eq!(found(&*t.store, tel(3)).await, vec![uuid(3)]);
    assert!(found(&*t.store, tag("stage", Some("new"))).await.is_empty());
    assert_eq!(found(&*t.store, tag("stage", Some("done"))).await.len(), 4);
    assert_eq!(found(&*t.store, tag("stage", None)).await.len(), 4);

    // A second step that only tags, on top of a text change.
    for n in 0..4 {
        t.store.enqueue(&ingress, &[uuid(n)]).await.unwrap();
    }
    chain_step(&t, &ingress, |_, v| with_tag(v, "reviewed", "yes")).await;
    let mut q = tag("reviewed", Some("yes"));
    q.text = Some("goodbye".into());
    let mut hits = found(&*t.store, q).await;
    hits.sort();
    assert_eq!(hits, vec![uuid(0), uuid(2)]);
}

#[tokio::test]
async fn deleting_a_tagged_vcon_removes_it_from_every_search() {
    let t = open();
    let ingress = list("in");
    queue_all(&t, &ingress, 3, vcon).await;
    chain_step(&t, &ingress, |_, v| with_tag(v, "bench", "")).await;
    assert_eq!(found(&*t.store, tag("bench", None)).await.len(), 3);
    assert!(t.store.delete(&uuid(1), None).await.unwrap());
    let mut left = found(&*t.store, tag("bench", None)).await;
    left.sort();
    assert_eq!(left, vec![uuid(0), uuid(2)]);
    assert!(found(&*t.store, tel(1)).await.is_empty());
    assert!(found(&*t.store, text("hello 1")).await.is_empty());
    // Stored again under the same uuid, without the tag: found by its new content only.
    t.store.put(record_n(1)).await.unwrap();
    assert_eq!(found(&*t.store, tel(1)).await, vec![uuid(1)]);
    assert_eq!(found(&*t.store, tag("bench", None)).await.len(), 2);
    // Re-indexing everything changes nothing.
    assert_eq!(t.store.reindex().await.unwrap(), 3);
    assert_eq!(found(&*t.store, tag("bench", None)).await.len(), 2);
    assert_eq!(found(&*t.store, tel(1)).await, vec![uuid(1)]);
}

#[tokio::test]
async fn a_schema_3_data_directory_is_upgraded_and_indexed_again_on_open() {
    let t = open_uncompressed();
    for n in 0..300 {
        let r = record(&with_tag(vcon(n), "batch", &format!("{}", n % 3)));
        t.store.put(r).await.unwrap();
    }
    t.store.shutdown().await.unwrap();
    // What schema 3 left: no vcon_terms, no state, tags as FTS5 keys (here
    // a stale row that must not survive), expiries as they were, and the
    // queue items of schema 4 too (one `attempts` counter).
    let path = t.dir.path().join("vcon.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(INDEX_TO_SCHEMA_5).unwrap();
    conn.execute_batch(QUEUE_ITEMS_TO_SCHEMA_4).unwrap();
    conn.execute_batch(
        "DROP TABLE vcon_terms; DROP TABLE vcon_index_state;
         INSERT INTO vcon_index (vcon_index) VALUES ('delete-all');
         INSERT INTO vcon_index (rowid, text, keys) VALUES (1, 'stale words', 'kstale');
         PRAGMA user_version = 3;",
    )
    .unwrap();
    drop(conn);

    let store = SqliteStore::open(config(t.dir.path(), &t.clock)).unwrap();
    let mut q = tag("batch", Some("1"));
    q.limit = 1000;
    assert_eq!(found(&*store, q).await.len(), 100);
    assert_eq!(found(&*store, tel(250)).await, vec![uuid(250)]);
    assert_eq!(found(&*store, text("hello 42")).await, vec![uuid(42)]);
    assert!(found(&*store, text("stale")).await.is_empty());
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 8, "upgraded to the current schema");
    store.shutdown().await.unwrap();
}
