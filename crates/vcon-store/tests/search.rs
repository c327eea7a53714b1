//! Listing and search: cursor paging, each filter, full text, signed and
//! encrypted forms, re-indexing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod support;

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use support::*;
use vcon_core::Form;
use vcon_store::{
    Cursor, NameError, Order, RecordOptions, SearchQuery, Store, StoreError, TagFilter, VconRecord,
    VconUuid,
};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn uuids(store: &dyn Store, q: SearchQuery) -> Vec<VconUuid> {
    store
        .search(&q)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|m| m.uuid)
        .collect()
}

#[tokio::test]
async fn paging_over_1000_items_has_no_gaps_or_duplicates() {
    let t = open();
    for n in 0..1000u64 {
        let mut v = vcon(n);
        // created_at goes backwards while stored_at goes forwards, with ties.
        v["created_at"] = format!("2026-01-01T00:{:02}:{:02}Z", 59 - (n % 60), n % 7).into();
        t.store.put(record(&v)).await.unwrap();
        if n % 3 == 0 {
            t.clock.advance(Duration::from_millis(1));
        }
    }
    for order in [
        Order::StoredAsc,
        Order::StoredDesc,
        Order::CreatedAsc,
        Order::CreatedDesc,
    ] {
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        let mut cursor: Option<Cursor> = None;
        let mut pages = 0;
        loop {
            let page = t.store.list(order, cursor.as_ref(), 37).await.unwrap();
            pages += 1;
            for m in &page.items {
                assert!(seen.insert(m.uuid.clone()), "{order:?}: {} twice", m.uuid);
                let k = if order.by_created() {
                    m.created_at.unwrap()
                } else {
                    m.stored_at
                };
                keys.push((k, m.uuid.clone()));
            }
            match page.next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 1000, "{order:?}");
        assert_eq!(pages, 1000 / 37 + 1);
        let mut sorted = keys.clone();
        sorted.sort();
        if order.descending() {
            sorted.reverse();
        }
        assert_eq!(keys, sorted, "{order:?} is not in order");
    }
}

#[tokio::test]
async fn cursors_are_checked() {
    let t = open();
    for n in 0..3 {
        t.store.put(record_n(n)).await.unwrap();
    }
    let page = t.store.list(Order::StoredAsc, None, 1).await.unwrap();
    let c = page.next.unwrap();
    let err = t
        .store
        .list(Order::CreatedDesc, Some(&c), 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Name(NameError::Cursor { .. })),
        "{err}"
    );
    let err = t
        .store
        .list(Order::StoredAsc, Some(&Cursor::from_text("%%%")), 1)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not base64url"), "{err}");
}

fn rich(n: u64, created: &str, party: serde_json::Value, extra: serde_json::Value) -> VconRecord {
    let mut v = json!({
        "uuid": uuid(n).as_str(),
        "created_at": created,
        "parties": [party, {"name": "Agent Smith", "mailto": "agent@example.com"}],
        "dialog": [{"type": "recording", "start": created, "parties": [0, 1],
                    "url": "https://example.com/a.wav", "content_hash": "sha512-x"}]
    });
    for (k, val) in extra.as_object().unwrap() {
        v[k] = val.clone();
    }
    record(&v)
}

#[tokio::test]
async fn every_filter_finds_what_it_should() {
    let t = open();
    let s: &dyn Store = t.store.as_ref();
    s.put(rich(1, "2026-03-01T10:00:00Z", json!({"tel": "tel:+1-555-000-0001", "name": "Alice Ng"}),
        json!({"subject": "Refund for order 42",
               "attachments": [{"purpose": "tags", "encoding": "json", "body": ["category:billing", "priority:high"]}]})))
        .await.unwrap();
    s.put(rich(2, "2026-03-05T10:00:00Z", json!({"mailto": "mailto:Bob@Example.com", "uuid": "P-77"}),
        json!({"analysis": [{"type": "transcript", "dialog": 0, "encoding": "json", "vendor": "x",
                             "body": "{\"transcript\": \"the delivery arrived broken\"}"}],
               "attachments": [{"purpose": "tags", "encoding": "json", "body": "[\"category:support\"]"}]})))
        .await.unwrap();
    s.put(rich(
        3,
        "2026-03-09T10:00:00Z",
        json!({"tel": "+15550000003", "name": "alice ng"}),
        json!({"dialog": [{"type": "text", "start": "2026-03-09T10:00:00Z", "parties": [0],
                           "encoding": "base64url", "body": "d2hlcmUgaXMgbXkgcmVmdW5k"}]}),
    ))
    .await
    .unwrap();

    let q = |f: fn(&mut SearchQuery)| {
        let mut q = SearchQuery {
            order: Order::CreatedAsc,
            ..Default::default()
        };
        f(&mut q);
        q
    };
    assert_eq!(
        uuids(s, q(|q| q.tel = Some("+15550000001".into()))).await,
        [uuid(1)]
    );
    assert_eq!(
        uuids(s, q(|q| q.tel = Some("tel:+1 (555) 000-0003".into()))).await,
        [uuid(3)]
    );
    assert_eq!(
        uuids(s, q(|q| q.mailto = Some("bob@example.com".into()))).await,
        [uuid(2)]
    );
    assert_eq!(
        uuids(s, q(|q| q.mailto = Some("agent@example.com".into()))).await,
        [uuid(1), uuid(2), uuid(3)]
    );
    assert_eq!(
        uuids(s, q(|q| q.name = Some("ALICE NG".into()))).await,
        [uuid(1), uuid(3)]
    );
    assert_eq!(
        uuids(s, q(|q| q.party_uuid = Some("p-77".into()))).await,
        [uuid(2)]
    );
    assert_eq!(
        uuids(s, q(|q| q.tags = vec![TagFilter::parse("category")])).await,
        [uuid(1), uuid(2)]
    );
    assert_eq!(
        uuids(
            s,
            q(|q| q.tags = vec![TagFilter::parse("category:support")])
        )
        .await,
        [uuid(2)]
    );
    assert_eq!(
        uuids(
            s,
            q(|q| q.tags = vec![
                TagFilter::parse("category:billing"),
                TagFilter::parse("priority:high")
            ])
        )
        .await,
        [uuid(1)]
    );
    assert_eq!(
        uuids(s, q(|q| q.dialog_type = Some("text".into()))).await,
        [uuid(3)]
    );
    // vCon 3 has only its text dialog (its `dialog` replaced the recording).
    assert_eq!(
        uuids(s, q(|q| q.dialog_type = Some("recording".into()))).await,
        [uuid(1), uuid(2)]
    );
    // Date range: [from, to).
    let mut dr = q(|_| {});
    dr.created_from = Some(at("2026-03-05T10:00:00Z"));
    dr.created_to = Some(at("2026-03-09T10:00:00Z"));
    assert_eq!(uuids(s, dr).await, [uuid(2)]);
    // Full text: subject, text dialog (base64url decoded), transcript; words ANDed; prefix.
    assert_eq!(
        uuids(s, q(|q| q.text = Some("refund".into()))).await,
        [uuid(1), uuid(3)]
    );
    assert_eq!(
        uuids(s, q(|q| q.text = Some("refund order".into()))).await,
        [uuid(1)]
    );
    assert_eq!(
        uuids(s, q(|q| q.text = Some("deliv*".into()))).await,
        [uuid(2)]
    );
    assert_eq!(
        uuids(s, q(|q| q.text = Some("BROKEN".into()))).await,
        [uuid(2)]
    );
    // FTS syntax in input is taken literally, never an error.
    assert!(
        uuids(s, q(|q| q.text = Some("\"unbalanced AND (".into())))
            .await
            .is_empty()
    );
    // Filters combine with AND.
    let both = q(|q| {
        q.name = Some("alice ng".into());
        q.text = Some("refund".into());
        q.tags = vec![TagFilter::parse("priority")];
    });
    assert_eq!(uuids(s, both.clone()).await, [uuid(1)]);
    assert_eq!(s.count(&both).await.unwrap(), 1);
    assert_eq!(s.count(&SearchQuery::default()).await.unwrap(), 3);
    assert_eq!(
        s.count(&q(|q| q.form = Some(Form::Signed))).await.unwrap(),
        0
    );
}

#[tokio::test]
async fn signed_vcons_are_indexed_from_their_payload_encrypted_not_at_all() {
    let t = open();
    let mut inner = vcon(1);
    inner["subject"] = "payload subject".into();
    let s = bytes(&signed(&inner));
    t.store
        .put(VconRecord::from_bytes(s, &RecordOptions::default()).unwrap())
        .await
        .unwrap();
    t.store
        .put(
            VconRecord::from_bytes(bytes(&encrypted(&uuid(2))), &RecordOptions::default()).unwrap(),
        )
        .await
        .unwrap();
    let by_tel = SearchQuery {
        tel: Some("+15550000001".into()),
        ..Default::default()
    };
    assert_eq!(uuids(t.store.as_ref(), by_tel).await, [uuid(1)]);
    let by_text = SearchQuery {
        text: Some("payload".into()),
        ..Default::default()
    };
    assert_eq!(uuids(t.store.as_ref(), by_text).await, [uuid(1)]);
    let enc = SearchQuery {
        form: Some(Form::Encrypted),
        ..Default::default()
    };
    let page = t.store.search(&enc).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].uuid, uuid(2));
    // A date filter never matches a vCon without a readable created_at.
    let dated = SearchQuery {
        created_from: Some(at("1970-01-01T00:00:00Z")),
        ..Default::default()
    };
    assert_eq!(uuids(t.store.as_ref(), dated).await, [uuid(1)]);
}

#[tokio::test]
async fn reindex_rebuilds_every_entry() {
    let t = open();
    for n in 0..300 {
        t.store.put(record_n(n)).await.unwrap();
    }
    assert_eq!(t.store.reindex().await.unwrap(), 300);
    let q = SearchQuery {
        text: Some("hello".into()),
        ..Default::default()
    };
    assert_eq!(t.store.count(&q).await.unwrap(), 300);
    let q = SearchQuery {
        tel: Some("+15550000299".into()),
        ..Default::default()
    };
    assert_eq!(uuids(t.store.as_ref(), q).await, [uuid(299)]);
}

#[tokio::test]
async fn oversized_queries_are_refused() {
    let t = open();
    let long = SearchQuery {
        text: Some("a".repeat(vcon_store::MAX_QUERY_TEXT_BYTES + 1)),
        ..Default::default()
    };
    assert!(matches!(
        t.store.search(&long).await,
        Err(StoreError::Invalid { .. })
    ));
    let many = SearchQuery {
        tags: vec![TagFilter::parse("a"); vcon_store::MAX_TAG_FILTERS + 1],
        ..Default::default()
    };
    assert!(matches!(
        t.store.count(&many).await,
        Err(StoreError::Invalid { .. })
    ));
}

#[tokio::test]
async fn text_with_punctuation_finds_its_tokens_instead_of_failing() {
    let t = open();
    let mut one = vcon(1);
    one["subject"] = "Follow-up: e-mail the customer, don't wait (order #42)".into();
    let mut two = vcon(2);
    two["subject"] = "mail about an order".into();
    // Every token of `e-mail` and `don't`, but not side by side.
    let mut three = vcon(3);
    three["subject"] = "mail: e, t don".into();
    for v in [&one, &two, &three] {
        t.store
            .put(VconRecord::from_bytes(bytes(v), &RecordOptions::default()).unwrap())
            .await
            .unwrap();
    }
    let text = |q: &str| SearchQuery {
        text: Some(q.into()),
        ..Default::default()
    };
    // A word of several tokens needs them side by side, in order.
    for q in [
        "e-mail",
        "follow-up",
        "don't",
        "#42",
        "E-Mail order#42",
        "e-ma*",
    ] {
        assert_eq!(uuids(t.store.as_ref(), text(q)).await, [uuid(1)], "{q}");
    }
    assert_eq!(uuids(t.store.as_ref(), text("mail order")).await.len(), 2);
    assert_eq!(uuids(t.store.as_ref(), text("mail e")).await.len(), 2);
    assert_eq!(t.store.count(&text("e-mail")).await.unwrap(), 1);
    assert_eq!(t.store.count(&text("mail")).await.unwrap(), 3);
    // Nothing but separators: no vCon holds such a token.
    assert!(uuids(t.store.as_ref(), text("- !!")).await.is_empty());
    // An empty text is no filter.
    assert_eq!(uuids(t.store.as_ref(), text("  ")).await.len(), 3);
}

#[tokio::test]
async fn pages_of_a_phrase_search_skip_the_vcons_holding_its_tokens_apart() {
    let t = open();
    // 33 vCons hold `e-mail`, the others `e` and `mail` apart: 3 early on,
    // then 4,520 apart, more than a page checks (4,096), so that page comes
    // back short with a cursor that goes on; then 30.
    let mut expected = HashSet::new();
    for n in 0..5000u64 {
        let mut v = vcon(n);
        v["subject"] = if (n < 450 && n % 150 == 149) || n >= 4970 {
            expected.insert(uuid(n));
            "please e-mail me".into()
        } else {
            "mail for e".into()
        };
        t.store.put(record(&v)).await.unwrap();
    }
    assert_eq!(expected.len(), 33);
    let mut q = SearchQuery {
        text: Some("E-Mail".into()),
        limit: 4,
        ..Default::default()
    };
    let mut seen = HashSet::new();
    let mut pages = 0;
    let mut short = 0;
    loop {
        let page = t.store.search(&q).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 4);
        if page.items.len() < 4 && page.next.is_some() {
            short += 1;
        }
        for m in page.items {
            assert!(
                expected.contains(&m.uuid),
                "{} holds the tokens apart",
                m.uuid
            );
            assert!(seen.insert(m.uuid), "twice");
        }
        match page.next {
            Some(c) => q.cursor = Some(c),
            None => break,
        }
        assert!(pages < 100, "paging does not end");
    }
    assert_eq!(seen, expected);
    assert_eq!(short, 1, "the page that stopped after 4,096 candidates");
    assert_eq!(t.store.count(&q).await.unwrap(), 33);
}
