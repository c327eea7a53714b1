//! Retention: the tag `expires_at:<RFC 3339>` makes a vCon expire; the store
//! lists what has expired (with etags for a conditional delete).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod support;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use support::*;
use vcon_store::Store;

fn tagged(n: u64, tags: &[&str]) -> Value {
    let mut v = vcon(n);
    v["attachments"] = json!([{"purpose": "tags", "encoding": "json", "body": tags}]);
    v
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[tokio::test]
async fn vcons_past_their_expiry_are_listed_oldest_first_with_their_etag() {
    let t = open();
    let soon = record(&tagged(1, &["expires_at:2026-01-01T00:00:00Z"]));
    let sooner = record(&tagged(2, &["x:y", "expires_at:2025-06-01T12:00:00+02:00"]));
    let later = record(&tagged(3, &["expires_at:2030-01-01T00:00:00Z"]));
    let never = record_n(4);
    let unreadable = record(&tagged(5, &["expires_at:next tuesday"]));
    for r in [&soon, &sooner, &later, &never, &unreadable] {
        t.store.put(r.clone()).await.unwrap();
    }

    let found = t
        .store
        .expired(at("2027-01-01T00:00:00Z"), 10)
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![
            (uuid(2), sooner.etag().clone()),
            (uuid(1), soon.etag().clone())
        ]
    );
    let limited = t
        .store
        .expired(at("2027-01-01T00:00:00Z"), 1)
        .await
        .unwrap();
    assert_eq!(limited, vec![(uuid(2), sooner.etag().clone())]);
    assert!(
        t.store
            .expired(at("2024-01-01T00:00:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Erased with its etag, it is gone from the list too.
    assert!(t.store.delete(&uuid(2), Some(sooner.etag())).await.unwrap());
    let found = t
        .store
        .expired(at("2027-01-01T00:00:00Z"), 10)
        .await
        .unwrap();
    assert_eq!(found, vec![(uuid(1), soon.etag().clone())]);
}

#[tokio::test]
async fn a_replace_moves_or_drops_the_expiry() {
    let t = open();
    let first = record(&tagged(1, &["expires_at:2026-01-01T00:00:00Z"]));
    t.store.put(first.clone()).await.unwrap();
    let now = at("2027-01-01T00:00:00Z");
    assert_eq!(t.store.expired(now, 10).await.unwrap().len(), 1);

    let moved = record(&tagged(1, &["expires_at:2031-01-01T00:00:00Z"]));
    t.store
        .replace(moved.clone(), Some(first.etag()))
        .await
        .unwrap();
    assert!(t.store.expired(now, 10).await.unwrap().is_empty());
    assert_eq!(
        t.store
            .expired(at("2032-01-01T00:00:00Z"), 10)
            .await
            .unwrap(),
        vec![(uuid(1), moved.etag().clone())]
    );

    let untagged = record(&tagged(1, &["kept:forever"]));
    t.store.replace(untagged, Some(moved.etag())).await.unwrap();
    assert!(
        t.store
            .expired(at("2032-01-01T00:00:00Z"), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_stale_etag_keeps_a_vcon_replaced_after_it_was_found() {
    let t = open();
    let first = record(&tagged(1, &["expires_at:2026-01-01T00:00:00Z"]));
    t.store.put(first.clone()).await.unwrap();
    let found = t
        .store
        .expired(at("2027-01-01T00:00:00Z"), 10)
        .await
        .unwrap();
    let replaced = record(&tagged(1, &["expires_at:2031-01-01T00:00:00Z"]));
    t.store.replace(replaced, Some(first.etag())).await.unwrap();
    let (uuid, etag) = &found[0];
    assert!(t.store.delete(uuid, Some(etag)).await.is_err());
    assert!(t.store.get(uuid).await.unwrap().is_some());
}
