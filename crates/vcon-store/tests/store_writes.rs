//! Puts, replaces, deletes and reads: idempotence, conflicts, If-Match,
//! bytes kept exactly, concurrency, the size of the files.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod support;

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::Arc;

use support::*;
use vcon_core::Form;
use vcon_store::{Etag, PutStatus, RecordError, RecordOptions, Store, StoreError, VconRecord};

#[tokio::test]
async fn put_is_idempotent_and_get_returns_exact_bytes() {
    let t = open();
    // Odd spacing and member order must come back byte for byte.
    let raw = format!(
        "{{ \"parties\" : [ {{\"name\":\"Bob\"}} ],\n  \"uuid\":\"{}\" }}",
        uuid(1).as_str().to_uppercase()
    );
    let r = VconRecord::from_bytes(raw.clone().into_bytes(), &RecordOptions::default()).unwrap();
    let first = t.store.put(r.clone()).await.unwrap();
    assert_eq!(first.status, PutStatus::Created);
    assert_eq!(first.meta.revision, 1);
    assert_eq!(first.meta.etag, Etag::of(raw.as_bytes()));
    let again = t.store.put(r).await.unwrap();
    assert_eq!(again.status, PutStatus::AlreadyStored);
    assert_eq!(again.meta, first.meta);

    let got = t.store.get(&uuid(1)).await.unwrap().unwrap();
    assert_eq!(&got.bytes[..], raw.as_bytes());
    assert_eq!(got.meta, first.meta);
    assert_eq!(got.meta.form, Form::Unsigned);
    assert_eq!(got.meta.content_type(), "application/vcon+json");
    assert_eq!(got.meta.size, raw.len() as u64);
    assert!(t.store.get(&uuid(2)).await.unwrap().is_none());
}

#[tokio::test]
async fn same_uuid_other_bytes_is_a_conflict() {
    let t = open();
    t.store.put(record_n(1)).await.unwrap();
    let mut v = vcon(1);
    v["subject"] = "changed".into();
    let err = t.store.put(record(&v)).await.unwrap_err();
    match err {
        StoreError::Conflict {
            uuid: u,
            stored,
            offered,
        } => {
            assert_eq!(u, uuid(1));
            assert_eq!(stored, record_n(1).etag().clone());
            assert_eq!(offered, Etag::of(&bytes(&v)));
        }
        other => panic!("{other:?}"),
    }
    // The stored bytes are unchanged.
    let got = t.store.get(&uuid(1)).await.unwrap().unwrap();
    assert_eq!(&got.bytes[..], &bytes(&vcon(1))[..]);
}

#[tokio::test]
async fn replace_honours_if_match() {
    let t = open();
    let first = t.store.put(record_n(1)).await.unwrap();
    let mut v = vcon(1);
    v["subject"] = "second".into();
    let stale = Etag::of(b"something else");
    let err = t.store.replace(record(&v), Some(&stale)).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::PreconditionFailed { current: Some(c), .. } if *c == first.meta.etag),
        "{err:?}"
    );
    t.clock.advance(std::time::Duration::from_secs(5));
    let out = t
        .store
        .replace(record(&v), Some(&first.meta.etag))
        .await
        .unwrap();
    assert_eq!(out.status, PutStatus::Replaced);
    assert_eq!(out.meta.revision, 2);
    assert_eq!(out.meta.stored_at, first.meta.stored_at);
    assert!(out.meta.updated_at > first.meta.updated_at);
    let got = t.store.get(&uuid(1)).await.unwrap().unwrap();
    assert_eq!(got.meta, out.meta);
    assert_eq!(&got.bytes[..], &bytes(&v)[..]);
    // Replacing with the same bytes changes nothing.
    let same = t.store.replace(record(&v), None).await.unwrap();
    assert_eq!(same.status, PutStatus::AlreadyStored);
    // If-Match on an absent vCon fails; without If-Match, replace creates.
    let err = t
        .store
        .replace(record_n(2), Some(&stale))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        StoreError::PreconditionFailed { current: None, .. }
    ));
    let created = t.store.replace(record_n(2), None).await.unwrap();
    assert_eq!(created.status, PutStatus::Created);
}

#[tokio::test]
async fn delete_removes_vcon_and_index() {
    let t = open();
    let put = t.store.put(record_n(1)).await.unwrap();
    let err = t
        .store
        .delete(&uuid(1), Some(&Etag::of(b"x")))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::PreconditionFailed { .. }));
    assert!(
        t.store
            .delete(&uuid(1), Some(&put.meta.etag))
            .await
            .unwrap()
    );
    assert!(t.store.get(&uuid(1)).await.unwrap().is_none());
    assert!(!t.store.delete(&uuid(1), None).await.unwrap());
    let q = vcon_store::SearchQuery {
        name: Some("alice".into()),
        ..Default::default()
    };
    assert_eq!(t.store.count(&q).await.unwrap(), 0);
    // The uuid can be stored again, with other bytes.
    let mut v = vcon(1);
    v["subject"] = "new life".into();
    assert_eq!(
        t.store.put(record(&v)).await.unwrap().status,
        PutStatus::Created
    );
}

#[tokio::test]
async fn gzip_signed_and_encrypted_forms_are_stored_verbatim() {
    let t = open();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bytes(&vcon(1))).unwrap();
    let gz = gz.finish().unwrap();
    let r = VconRecord::from_bytes(gz.clone(), &RecordOptions::default()).unwrap();
    assert!(r.gzipped());
    t.store.put(r).await.unwrap();
    let got = t.store.get(&uuid(1)).await.unwrap().unwrap();
    assert_eq!(&got.bytes[..], &gz[..]);
    assert_eq!(got.meta.content_type(), "application/vcon+gzip");

    let s = bytes(&signed(&vcon(2)));
    t.store
        .put(VconRecord::from_bytes(s.clone(), &RecordOptions::default()).unwrap())
        .await
        .unwrap();
    let got = t.store.get(&uuid(2)).await.unwrap().unwrap();
    assert_eq!((got.meta.form, &got.bytes[..]), (Form::Signed, &s[..]));
    assert!(
        got.meta.created_at.is_some(),
        "created_at read from the payload"
    );

    let e = bytes(&encrypted(&uuid(3)));
    t.store
        .put(VconRecord::from_bytes(e.clone(), &RecordOptions::default()).unwrap())
        .await
        .unwrap();
    let got = t.store.get(&uuid(3)).await.unwrap().unwrap();
    assert_eq!((got.meta.form, &got.bytes[..]), (Form::Encrypted, &e[..]));
    assert_eq!(got.meta.created_at, None);
}

#[tokio::test]
async fn records_refuse_bad_input_with_the_place() {
    let opts = RecordOptions::default();
    let err = VconRecord::from_bytes(br#"{"parties":[]}"#.to_vec(), &opts).unwrap_err();
    assert!(
        matches!(
            err,
            RecordError::MissingUuid {
                pointer: "/uuid",
                ..
            }
        ),
        "{err}"
    );
    let err = VconRecord::from_bytes(br#"{"uuid":"x","parties":[]}"#.to_vec(), &opts).unwrap_err();
    assert!(
        err.to_string().starts_with("/uuid: `x` is not a UUID"),
        "{err}"
    );
    let err = VconRecord::from_bytes(br#"{"uuid":"x"}"#.to_vec(), &opts).unwrap_err();
    assert!(matches!(err, RecordError::NoForm), "{err}");
    let err = VconRecord::from_bytes(b"[1]".to_vec(), &opts).unwrap_err();
    assert!(matches!(err, RecordError::Read { .. }), "{err}");
    let small = RecordOptions {
        max_bytes: 10,
        ..RecordOptions::default()
    };
    let err = VconRecord::from_bytes(bytes(&vcon(1)), &small).unwrap_err();
    assert!(
        matches!(err, RecordError::TooLarge { limit: 10, .. }),
        "{err}"
    );
    // The uuid supplied (from a URL) must match the vCon's.
    let expect = RecordOptions {
        uuid: Some(uuid(9)),
        ..RecordOptions::default()
    };
    let err = VconRecord::from_bytes(bytes(&vcon(1)), &expect).unwrap_err();
    assert!(matches!(err, RecordError::UuidMismatch { .. }), "{err}");
    // An encrypted vCon without a uuid takes the one supplied.
    let mut e = encrypted(&uuid(4));
    e["unprotected"].as_object_mut().unwrap().remove("uuid");
    assert!(matches!(
        VconRecord::from_bytes(bytes(&e), &opts),
        Err(RecordError::MissingUuid {
            form: Form::Encrypted,
            ..
        })
    ));
    let given = RecordOptions {
        uuid: Some(uuid(4)),
        ..RecordOptions::default()
    };
    assert_eq!(
        VconRecord::from_bytes(bytes(&e), &given).unwrap().uuid(),
        &uuid(4)
    );
}

#[tokio::test]
async fn store_refuses_records_over_its_limit() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = vcon_store::SqliteConfig {
        max_vcon_bytes: 50,
        ..vcon_store::SqliteConfig::in_dir(dir.path())
    };
    let store = vcon_store::SqliteStore::open(cfg).unwrap();
    let err = store.put(record_n(1)).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Record(RecordError::TooLarge { limit: 50, .. })
        ),
        "{err}"
    );
    store.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_puts_are_all_stored_once() {
    let t = open();
    let store: Arc<dyn Store> = t.store.clone();
    let mut tasks = Vec::new();
    for task in 0..16u64 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            let mut created = 0;
            for i in 0..100u64 {
                // Every uuid is put by two tasks: exactly one creates it.
                let n = (task / 2) * 100 + i;
                if store.put(record_n(n)).await.unwrap().status == PutStatus::Created {
                    created += 1;
                }
            }
            created
        }));
    }
    let mut created = 0;
    for t in tasks {
        created += t.await.unwrap();
    }
    assert_eq!(created, 800);
    assert_eq!(store.count(&Default::default()).await.unwrap(), 800);
    let mut seen = HashSet::new();
    let mut cursor = None;
    loop {
        let page = store
            .list(vcon_store::Order::StoredAsc, cursor.as_ref(), 1000)
            .await
            .unwrap();
        for m in &page.items {
            assert!(seen.insert(m.uuid.clone()));
        }
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 800);
}

#[tokio::test]
async fn open_from_config_gives_one_store_seen_two_ways() {
    let dir = tempfile::tempdir().unwrap();
    let config: vcon_store::StoreConfig = serde_json::from_value(serde_json::json!({
        "backend": "sqlite", "dir": dir.path(), "durability": "process", "readers": 2
    }))
    .unwrap();
    let backend = vcon_store::open(config).unwrap();
    let ingress = list("default");
    backend
        .store
        .put_and_enqueue(record_n(1), std::slice::from_ref(&ingress))
        .await
        .unwrap();
    let leases = backend
        .queue
        .lease(&ingress, 1, std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(leases[0].uuid, uuid(1));
    backend.store.health().await.unwrap();
    backend.store.shutdown().await.unwrap();
}

#[tokio::test]
async fn head_get_many_and_tenants() {
    let t = open();
    let acme = RecordOptions {
        tenant: Some("acme".into()),
        ..RecordOptions::default()
    };
    let r1 = VconRecord::from_bytes(bytes(&vcon(1)), &acme).unwrap();
    assert_eq!(r1.tenant(), Some("acme"));
    t.store.put(r1).await.unwrap();
    t.store.put(record_n(2)).await.unwrap();
    let head = t.store.head(&uuid(1)).await.unwrap().unwrap();
    assert_eq!(head.tenant.as_deref(), Some("acme"));
    assert_eq!(head.size, bytes(&vcon(1)).len() as u64);
    let many = t
        .store
        .get_many(&[uuid(2), uuid(3), uuid(1)])
        .await
        .unwrap();
    let found: Vec<_> = many
        .iter()
        .map(|g| g.as_ref().map(|g| g.meta.uuid.clone()))
        .collect();
    assert_eq!(found, [Some(uuid(2)), None, Some(uuid(1))]);
    let q = vcon_store::SearchQuery {
        tenant: Some("acme".into()),
        ..Default::default()
    };
    let page = t.store.search(&q).await.unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].uuid, uuid(1));
    let bad = RecordOptions {
        tenant: Some(String::new()),
        ..RecordOptions::default()
    };
    assert!(matches!(
        VconRecord::from_bytes(bytes(&vcon(1)), &bad),
        Err(RecordError::Tenant { .. })
    ));
}

#[tokio::test]
async fn the_store_reports_the_bytes_its_files_take() {
    let t = open();
    let empty = t.store.disk_bytes().unwrap();
    assert!(empty > 0, "the schema's pages");
    for n in 0..200 {
        t.store.put(record_n(n)).await.unwrap();
    }
    let full = t.store.disk_bytes().unwrap();
    assert!(full > empty, "{empty} -> {full}");
    t.store.shutdown().await.unwrap();
}
