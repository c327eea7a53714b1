//! `Queue::complete`: a batch of finished leases (write-backs with their
//! acknowledgements and pushes, retries, dead letters) in one call, each
//! item with its own outcome.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod support;

use std::time::Duration;

use support::*;
use vcon_store::{
    Completed, Completion, Queue, SearchQuery, Store, StoreError, TagFilter, WriteBack,
};

const VIS: Duration = Duration::from_secs(30);

/// vCon `n` with the tag `done:yes`, as the `tag` link would leave it.
fn tagged(n: u64) -> serde_json::Value {
    use vcon_core::tags::{Tagged, TagsAnchor};
    let mut v = vcon(n);
    let object = v.as_object_mut().unwrap();
    let anchor = TagsAnchor::for_vcon(object);
    object.add_tag("done", "yes", &anchor).unwrap();
    v
}

fn tag_query() -> SearchQuery {
    SearchQuery {
        tags: vec![TagFilter {
            name: "done".into(),
            value: Some("yes".into()),
        }],
        ..SearchQuery::default()
    }
}

#[tokio::test]
async fn a_batch_writes_back_acknowledges_and_forwards_each_item_on_its_own() {
    let t = open();
    let (ingress, egress, dead) = (list("in"), list("out"), list("in"));
    for n in 0..5 {
        t.store
            .put_and_enqueue(record_n(n), std::slice::from_ref(&ingress))
            .await
            .unwrap();
    }
    let leases = t.store.lease(&ingress, 10, VIS).await.unwrap();
    assert_eq!(leases.len(), 5);
    let etag = |n: u64| record_n(n).etag().clone();
    // Someone replaces vCon 2 between the worker's read and its write-back.
    let mut other = vcon(2);
    other["subject"] = "changed by someone else".into();
    t.store.replace(record(&other), None).await.unwrap();
    // vCon 4's lease is lost: it expired and the item was leased again.
    t.clock.advance(VIS + Duration::from_secs(1));
    let again = t.store.lease(&ingress, 10, VIS).await.unwrap();
    assert_eq!(again.len(), 5, "every unacknowledged lease expired");
    let current = |n: usize| again.iter().find(|l| l.uuid == leases[n].uuid).unwrap().id;
    let items = vec![
        // 0: written back and forwarded.
        Completion::Ack {
            lease: current(0),
            write_back: Some(WriteBack {
                record: record(&tagged(0)),
                if_match: etag(0),
            }),
            forward: vec![egress.clone()],
        },
        // 1: unchanged, forwarded.
        Completion::Ack {
            lease: current(1),
            write_back: None,
            forward: vec![egress.clone()],
        },
        // 2: refused write-back (the stored etag moved on).
        Completion::Ack {
            lease: current(2),
            write_back: Some(WriteBack {
                record: record(&tagged(2)),
                if_match: etag(2),
            }),
            forward: vec![egress.clone()],
        },
        // 3: retried later.
        Completion::Retry {
            lease: current(3),
            retry_in: Duration::from_secs(5),
            error: "webhook 503".into(),
        },
        // 4: the first, lost lease.
        Completion::DeadLetter {
            lease: leases[4].id,
            error: "never written".into(),
        },
    ];
    let results = t.store.complete(items).await.unwrap();
    assert!(matches!(results[0], Completed::Done), "{results:?}");
    assert!(matches!(results[1], Completed::Done), "{results:?}");
    assert!(
        matches!(
            results[2],
            Completed::Failed(StoreError::PreconditionFailed { .. })
        ),
        "{results:?}"
    );
    assert!(matches!(results[3], Completed::Done), "{results:?}");
    assert!(matches!(results[4], Completed::Lost), "{results:?}");

    // 0 is written back and found by its new tag; 2 kept the other writer's bytes.
    let got = t.store.get(&uuid(0)).await.unwrap().unwrap();
    assert_eq!(&got.bytes[..], &bytes(&tagged(0))[..]);
    assert_eq!(got.meta.revision, 2);
    let page = t.store.search(&tag_query()).await.unwrap();
    let found: Vec<_> = page.items.iter().map(|m| m.uuid.clone()).collect();
    assert_eq!(found, vec![uuid(0)]);
    let two = t.store.get(&uuid(2)).await.unwrap().unwrap();
    assert_eq!(&two.bytes[..], &bytes(&other)[..]);

    // 0 and 1 went on; 2 is still leased, 3 waits for its retry, 4 is still leased.
    let out = t.store.pop(&egress, 10).await.unwrap();
    assert_eq!(out, vec![uuid(0), uuid(1)]);
    let s = t.store.stats(&ingress).await.unwrap();
    assert_eq!((s.in_flight, s.delayed, s.ready, s.dead), (2, 1, 0, 0));
    assert!(t.store.dlq_list(&dead, 0, 10).await.unwrap().is_empty());

    // The refused one is then failed on its own; the still-held lease of 4 is dead-lettered.
    let results = t
        .store
        .complete(vec![
            Completion::Retry {
                lease: current(2),
                retry_in: Duration::ZERO,
                error: "write back refused".into(),
            },
            Completion::DeadLetter {
                lease: current(4),
                error: "bad".into(),
            },
        ])
        .await
        .unwrap();
    assert!(results.iter().all(|r| matches!(r, Completed::Done)));
    let dead_letters = t.store.dlq_list(&dead, 0, 10).await.unwrap();
    assert_eq!(dead_letters.len(), 1);
    assert_eq!(dead_letters[0].uuid, uuid(4));
    assert_eq!(dead_letters[0].error, "bad");
}

#[tokio::test]
async fn a_write_back_of_bytes_already_stored_is_done_without_a_new_revision() {
    let t = open();
    let ingress = list("in");
    t.store
        .put_and_enqueue(record_n(7), std::slice::from_ref(&ingress))
        .await
        .unwrap();
    let lease = t.store.lease(&ingress, 1, VIS).await.unwrap().remove(0);
    // An `embedded` storage, or an earlier delivery, already wrote the processed bytes.
    t.store.replace(record(&tagged(7)), None).await.unwrap();
    let results = t
        .store
        .complete(vec![Completion::Ack {
            lease: lease.id,
            write_back: Some(WriteBack {
                record: record(&tagged(7)),
                if_match: record_n(7).etag().clone(),
            }),
            forward: Vec::new(),
        }])
        .await
        .unwrap();
    assert!(matches!(results[0], Completed::Done), "{results:?}");
    let got = t.store.get(&uuid(7)).await.unwrap().unwrap();
    assert_eq!(got.meta.revision, 2);
    assert_eq!(t.store.stats(&ingress).await.unwrap().depth(), 0);
}

#[tokio::test]
async fn a_write_back_under_another_uuid_is_refused() {
    let t = open();
    let ingress = list("in");
    t.store
        .put_and_enqueue(record_n(1), std::slice::from_ref(&ingress))
        .await
        .unwrap();
    let lease = t.store.lease(&ingress, 1, VIS).await.unwrap().remove(0);
    let results = t
        .store
        .complete(vec![Completion::Ack {
            lease: lease.id,
            write_back: Some(WriteBack {
                record: record_n(2),
                if_match: record_n(1).etag().clone(),
            }),
            forward: Vec::new(),
        }])
        .await
        .unwrap();
    assert!(
        matches!(results[0], Completed::Failed(StoreError::Invalid { .. })),
        "{results:?}"
    );
    assert_eq!(t.store.stats(&ingress).await.unwrap().in_flight, 1);
}
