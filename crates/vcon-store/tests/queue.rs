//! Queues: lease, ack, nack, timeout redelivery, dead letters, reprocess,
//! egress pops, counts, and put_and_enqueue.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod support;

use std::time::Duration;

use support::*;
use vcon_store::{PutStatus, Queue, SqliteStore, Store, StoreError};

const VIS: Duration = Duration::from_secs(30);

#[tokio::test]
async fn put_and_enqueue_stores_and_queues_once() {
    let t = open();
    let (a, b) = (list("ingress-a"), list("ingress-b"));
    let out = t
        .store
        .put_and_enqueue(record_n(1), &[a.clone(), b.clone()])
        .await
        .unwrap();
    assert_eq!(out.status, PutStatus::Created);
    // A retried request with the same bytes is not queued again.
    let again = t
        .store
        .put_and_enqueue(record_n(1), std::slice::from_ref(&a))
        .await
        .unwrap();
    assert_eq!(again.status, PutStatus::AlreadyStored);
    assert_eq!(t.store.stats(&a).await.unwrap().ready, 1);
    assert_eq!(t.store.stats(&b).await.unwrap().ready, 1);
    // A conflicting put queues nothing.
    let mut v = vcon(1);
    v["subject"] = "other".into();
    assert!(
        t.store
            .put_and_enqueue(record(&v), std::slice::from_ref(&a))
            .await
            .is_err()
    );
    assert_eq!(t.store.stats(&a).await.unwrap().depth(), 1);
}

#[tokio::test]
async fn lease_ack_in_order_and_leases_hide_items() {
    let t = open();
    let q = list("default");
    let ids: Vec<_> = (0..5).map(uuid).collect();
    t.store.enqueue(&q, &ids).await.unwrap();
    let first = t.store.lease(&q, 3, VIS).await.unwrap();
    assert_eq!(
        first.iter().map(|l| l.uuid.clone()).collect::<Vec<_>>(),
        ids[..3]
    );
    assert!(
        first
            .iter()
            .all(|l| l.attempts == 1 && l.last_error.is_none())
    );
    let second = t.store.lease(&q, 10, VIS).await.unwrap();
    assert_eq!(second.len(), 2);
    assert!(t.store.lease(&q, 10, VIS).await.unwrap().is_empty());
    let s = t.store.stats(&q).await.unwrap();
    assert_eq!((s.ready, s.in_flight, s.delayed), (0, 5, 0));
    let all: Vec<_> = first.iter().chain(&second).map(|l| l.id).collect();
    let report = t.store.ack(&all).await.unwrap();
    assert_eq!((report.acked, report.lost.len()), (5, 0));
    assert_eq!(t.store.stats(&q).await.unwrap().depth(), 0);
    // Acknowledging twice: the leases are lost, nothing else happens.
    let report = t.store.ack(&all).await.unwrap();
    assert_eq!((report.acked, report.lost.len()), (0, 5));
}

#[tokio::test]
async fn unacked_lease_is_redelivered_after_timeout_and_old_lease_is_void() {
    let t = open();
    let q = list("default");
    t.store.enqueue(&q, &[uuid(1)]).await.unwrap();
    let l1 = t.store.lease(&q, 1, VIS).await.unwrap().remove(0);
    t.clock.advance(VIS - Duration::from_millis(1));
    assert!(t.store.lease(&q, 1, VIS).await.unwrap().is_empty());
    t.clock.advance(Duration::from_millis(1));
    let l2 = t.store.lease(&q, 1, VIS).await.unwrap().remove(0);
    assert_eq!((l2.uuid.clone(), l2.attempts), (uuid(1), 2));
    // The first worker's lease no longer counts.
    let r = t.store.ack(&[l1.id]).await.unwrap();
    assert_eq!(r.lost, [l1.id]);
    assert!(matches!(
        t.store.nack(&l1.id, Duration::ZERO, "x").await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        t.store.dead_letter(&l1.id, "x").await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert_eq!(t.store.ack(&[l2.id]).await.unwrap().acked, 1);
}

#[tokio::test]
async fn nack_delays_and_keeps_error_and_attempts() {
    let t = open();
    let q = list("default");
    t.store.enqueue(&q, &[uuid(1)]).await.unwrap();
    let l = t.store.lease(&q, 1, VIS).await.unwrap().remove(0);
    t.store
        .nack(&l.id, Duration::from_secs(10), "webhook returned 503")
        .await
        .unwrap();
    let s = t.store.stats(&q).await.unwrap();
    assert_eq!((s.ready, s.delayed, s.in_flight), (0, 1, 0));
    assert!(t.store.lease(&q, 1, VIS).await.unwrap().is_empty());
    t.clock.advance(Duration::from_secs(10));
    let l = t.store.lease(&q, 1, VIS).await.unwrap().remove(0);
    assert_eq!(l.attempts, 2);
    assert_eq!(l.last_error.as_deref(), Some("webhook returned 503"));
}

#[tokio::test]
async fn a_released_lease_is_a_delivery_but_no_attempt() {
    let t = open();
    let q = list("default");
    t.store
        .enqueue(&q, &[uuid(1), uuid(2), uuid(3)])
        .await
        .unwrap();
    // A first attempt fails and is retried: attempt 1, with its error.
    let l = t.store.lease(&q, 1, VIS).await.unwrap().remove(0);
    t.store
        .nack(&l.id, Duration::ZERO, "timeout")
        .await
        .unwrap();
    // Leased ahead with the next item, then handed back unstarted.
    let ahead = t.store.lease(&q, 2, VIS).await.unwrap();
    assert_eq!(
        ahead
            .iter()
            .map(|l| (l.uuid.clone(), l.attempts))
            .collect::<Vec<_>>(),
        [(uuid(1), 2), (uuid(2), 1)]
    );
    t.clock.advance(Duration::from_secs(1));
    for l in &ahead {
        t.store.release(&l.id).await.unwrap();
    }
    let s = t.store.stats(&q).await.unwrap();
    assert_eq!((s.ready, s.delayed, s.in_flight), (3, 0, 0));
    // Back in their places, with the attempts, and error, they had before.
    let again = t.store.lease(&q, 3, VIS).await.unwrap();
    let seen: Vec<_> = again
        .iter()
        .map(|l| (l.uuid.clone(), l.attempts, l.last_error.clone()))
        .collect();
    assert_eq!(
        seen,
        [
            (uuid(1), 2, Some("timeout".to_owned())),
            (uuid(2), 1, None),
            (uuid(3), 1, None),
        ]
    );
    // Each lease is a delivery of its own: the released ones are void.
    for old in &ahead {
        let new = again.iter().find(|l| l.uuid == old.uuid).unwrap();
        assert_ne!(new.id, old.id);
        assert!(matches!(
            t.store.release(&old.id).await,
            Err(StoreError::LeaseLost { .. })
        ));
    }
    assert!(t.store.ack(&[ahead[0].id]).await.unwrap().lost.len() == 1);
    // A dead letter records attempts, not deliveries.
    let first = again.iter().find(|l| l.uuid == uuid(1)).unwrap();
    t.store.dead_letter(&first.id, "gave up").await.unwrap();
    let dead = t.store.dlq_list(&q, 0, 10).await.unwrap();
    assert_eq!((dead[0].uuid.clone(), dead[0].attempts), (uuid(1), 2));
}

#[tokio::test]
async fn a_schema_4_queue_keeps_its_attempts_when_upgraded() {
    let t = open_uncompressed();
    let q = list("default");
    t.store.enqueue(&q, &[uuid(1), uuid(2)]).await.unwrap();
    let l = t.store.lease(&q, 1, VIS).await.unwrap().remove(0);
    t.store
        .nack(&l.id, Duration::ZERO, "timeout")
        .await
        .unwrap();
    t.store.shutdown().await.unwrap();
    // Schema 4 had one counter, `attempts`, for deliveries and attempts.
    let path = t.dir.path().join("vcon.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(INDEX_TO_SCHEMA_5).unwrap();
    conn.execute_batch(QUEUE_ITEMS_TO_SCHEMA_4).unwrap();
    conn.execute_batch("PRAGMA user_version = 4;").unwrap();
    drop(conn);
    let store = SqliteStore::open(config(t.dir.path(), &t.clock)).unwrap();
    let leases = store.lease(&q, 2, VIS).await.unwrap();
    assert_eq!(
        leases
            .iter()
            .map(|l| (l.uuid.clone(), l.attempts, l.id.delivery))
            .collect::<Vec<_>>(),
        [(uuid(1), 2, 2), (uuid(2), 1, 1)]
    );
    store.release(&leases[0].id).await.unwrap();
    let again = store.lease(&q, 1, VIS).await.unwrap().remove(0);
    assert_eq!((again.attempts, again.id.delivery), (2, 3));
    store.shutdown().await.unwrap();
}

#[tokio::test]
async fn dead_letters_can_be_listed_and_reprocessed() {
    let t = open();
    let q = list("default");
    t.store
        .enqueue(&q, &[uuid(1), uuid(2), uuid(3)])
        .await
        .unwrap();
    for l in t.store.lease(&q, 3, VIS).await.unwrap() {
        t.store
            .dead_letter(&l.id, &format!("link failed on {}", l.uuid))
            .await
            .unwrap();
    }
    let s = t.store.stats(&q).await.unwrap();
    assert_eq!((s.depth(), s.dead), (0, 3));
    let dead = t.store.dlq_list(&q, 0, 2).await.unwrap();
    assert_eq!(dead.len(), 2);
    assert_eq!(dead[0].uuid, uuid(1));
    assert_eq!(dead[0].attempts, 1);
    assert_eq!(dead[0].error, format!("link failed on {}", uuid(1)));
    let rest = t.store.dlq_list(&q, dead[1].id, 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|d| d.uuid.clone()).collect::<Vec<_>>(),
        [uuid(3)]
    );
    assert_eq!(
        t.store.dlq_get(dead[0].id).await.unwrap().as_ref(),
        Some(&dead[0])
    );
    // Other lists' dead letters are their own.
    assert!(
        t.store
            .dlq_list(&list("other"), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(t.store.dlq_reprocess(&q, 2).await.unwrap(), 2);
    let s = t.store.stats(&q).await.unwrap();
    assert_eq!((s.ready, s.dead), (2, 1));
    let again = t.store.lease(&q, 10, VIS).await.unwrap();
    assert_eq!(
        again
            .iter()
            .map(|l| (l.uuid.clone(), l.attempts))
            .collect::<Vec<_>>(),
        [(uuid(1), 1), (uuid(2), 1)]
    );
    assert_eq!(t.store.dlq_reprocess(&q, 100).await.unwrap(), 1);
    assert_eq!(t.store.dlq_reprocess(&q, 100).await.unwrap(), 0);
}

#[tokio::test]
async fn ack_and_forward_moves_along_a_chain_atomically() {
    let t = open();
    let (l1, l2, egress) = (list("link1"), list("link2"), list("egress"));
    t.store
        .put_and_enqueue(record_n(1), std::slice::from_ref(&l1))
        .await
        .unwrap();
    let a = t.store.lease(&l1, 1, VIS).await.unwrap();
    t.store
        .ack_and_forward(&[a[0].id], std::slice::from_ref(&l2))
        .await
        .unwrap();
    let b = t.store.lease(&l2, 1, VIS).await.unwrap();
    assert_eq!(b[0].uuid, uuid(1));
    // A lost lease forwards nothing.
    let r = t
        .store
        .ack_and_forward(&[a[0].id], std::slice::from_ref(&l2))
        .await
        .unwrap();
    assert_eq!(r.lost.len(), 1);
    assert_eq!(t.store.stats(&l2).await.unwrap().depth(), 1);
    t.store
        .ack_and_forward(&[b[0].id], std::slice::from_ref(&egress))
        .await
        .unwrap();
    // Egress lists are popped by clients, oldest first.
    assert_eq!(t.store.stats(&egress).await.unwrap().depth(), 1);
    assert_eq!(t.store.pop(&egress, 5).await.unwrap(), [uuid(1)]);
    assert!(t.store.pop(&egress, 5).await.unwrap().is_empty());
    let all = t.store.all_stats().await.unwrap();
    assert!(all.iter().all(|s| s.depth() == 0), "{all:?}");
}

#[tokio::test]
async fn limits_are_enforced() {
    let t = open();
    let q = list("default");
    assert!(matches!(
        t.store.lease(&q, vcon_store::MAX_LEASE + 1, VIS).await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(t.store.lease(&q, 0, VIS).await.unwrap().is_empty());
    t.store.enqueue(&q, &[uuid(1)]).await.unwrap();
    let l = t.store.lease(&q, 1, VIS).await.unwrap().remove(0);
    let long = "é".repeat(10_000);
    t.store.nack(&l.id, Duration::ZERO, &long).await.unwrap();
    let l = t.store.lease(&q, 1, VIS).await.unwrap().remove(0);
    assert!(l.last_error.unwrap().len() <= vcon_store::MAX_ERROR_BYTES);
}

#[tokio::test]
async fn ready_signal_moves_when_items_may_be_ready() {
    let t = open();
    let q = list("default");
    let mut ready = t.store.ready_signal().unwrap();
    ready.borrow_and_update();
    assert!(t.store.lease(&q, 1, VIS).await.unwrap().is_empty());
    assert!(
        !ready.has_changed().unwrap(),
        "an empty lease readies nothing"
    );
    t.store
        .put_and_enqueue(record_n(1), std::slice::from_ref(&q))
        .await
        .unwrap();
    assert!(ready.has_changed().unwrap());
    ready.borrow_and_update();
    let l = t.store.lease(&q, 1, VIS).await.unwrap().remove(0);
    assert!(!ready.has_changed().unwrap());
    t.store.nack(&l.id, Duration::ZERO, "again").await.unwrap();
    assert!(ready.has_changed().unwrap());
}
