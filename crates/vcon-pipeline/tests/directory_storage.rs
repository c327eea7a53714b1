//! The directory storage: date partitions, gzip, atomic idempotent writes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Read;

use vcon_pipeline::storages::directory::{DirectoryOptions, DirectoryStorage};
use vcon_pipeline::{DeleteRequest, SaveRequest, Storage, StorageError, VconDoc};

fn request<'a>(doc: &'a VconDoc, bytes: &'a [u8]) -> SaveRequest<'a> {
    SaveRequest {
        uuid: doc.uuid(),
        bytes,
        object: doc.object(),
        form: doc.form(),
        created_at: doc.created_at(),
        tenant: None,
        chain: "c",
    }
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test]
async fn writes_date_partitioned_files_and_replaces_on_a_second_save() {
    let dir = tempfile::tempdir().unwrap();
    let storage = DirectoryStorage::new(DirectoryOptions::new(dir.path())).unwrap();
    storage.healthcheck().await.unwrap();
    let doc = support::doc(1);
    let bytes = doc.to_bytes();
    storage.save(&request(&doc, &bytes)).await.unwrap();
    // Same uuid again (a redelivery), with other bytes: replaced, still one file.
    let other = b"{\"uuid\":\"x\"}".to_vec();
    storage.save(&request(&doc, &other)).await.unwrap();
    let name = format!("2026/03/04/{}.vcon", support::uuid(1));
    assert_eq!(
        files_under(dir.path()),
        vec![name.clone()],
        "no temporary file is left behind"
    );
    assert_eq!(std::fs::read(dir.path().join(&name)).unwrap(), other);
}

#[tokio::test]
async fn gzip_and_flat_layout_and_envelopes_without_a_date() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = DirectoryOptions::new(dir.path());
    options.gzip = true;
    options.date_partition = false;
    options.extension = "json".into();
    let storage = DirectoryStorage::new(options).unwrap();
    let doc = support::doc(2);
    let bytes = doc.to_bytes();
    storage.save(&request(&doc, &bytes)).await.unwrap();
    let path = dir.path().join(format!("{}.json.gz", support::uuid(2)));
    let mut inflated = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_end(&mut inflated)
        .unwrap();
    assert_eq!(inflated, bytes);

    // A signed vCon has no readable created_at: it goes under the base directory.
    let dated = tempfile::tempdir().unwrap();
    let storage = DirectoryStorage::new(DirectoryOptions::new(dated.path())).unwrap();
    let signed = support::doc_of(
        serde_json::json!({"payload": "e30", "signatures": [{"header": {"uuid": support::uuid(3)}}]}),
    );
    let bytes = signed.to_bytes();
    storage.save(&request(&signed, &bytes)).await.unwrap();
    assert_eq!(
        files_under(dated.path()),
        vec![format!("{}.vcon", support::uuid(3))]
    );
}

#[tokio::test]
async fn oversized_vcons_and_unsafe_uuids_fail_permanently() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = DirectoryOptions::new(dir.path());
    options.max_file_size = 10;
    let storage = DirectoryStorage::new(options).unwrap();
    let doc = support::doc(1);
    let bytes = doc.to_bytes();
    let err = storage.save(&request(&doc, &bytes)).await.unwrap_err();
    assert!(
        matches!(err, StorageError::TooLarge { .. }) && !err.is_retryable(),
        "{err}"
    );
    let sneaky = support::doc_of(serde_json::json!({"uuid": "../../etc/passwd", "parties": []}));
    let bytes = sneaky.to_bytes();
    let err = DirectoryStorage::new(DirectoryOptions::new(dir.path()))
        .unwrap()
        .save(&request(&sneaky, &bytes))
        .await
        .unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(files_under(dir.path()).is_empty());
}

#[tokio::test]
async fn an_unwritable_directory_fails_the_healthcheck_and_the_write_retryably() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, b"x").unwrap();
    let storage = DirectoryStorage::new(DirectoryOptions::new(&file)).unwrap();
    let err = storage.healthcheck().await.unwrap_err();
    assert!(err.to_string().contains("not-a-dir"), "{err}");
    let doc = support::doc(1);
    let bytes = doc.to_bytes();
    let err = storage.save(&request(&doc, &bytes)).await.unwrap_err();
    assert!(
        matches!(err, StorageError::Io { .. }) && err.is_retryable(),
        "{err}"
    );
}

fn delete_request(
    uuid: &str,
    created_at: Option<chrono::DateTime<chrono::Utc>>,
) -> DeleteRequest<'_> {
    DeleteRequest {
        uuid,
        created_at,
        tenant: None,
    }
}

#[tokio::test]
async fn delete_removes_the_dated_file_and_then_finds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let storage = DirectoryStorage::new(DirectoryOptions::new(dir.path())).unwrap();
    let (a, b) = (support::doc(1), support::doc(2));
    for d in [&a, &b] {
        storage.save(&request(d, &d.to_bytes())).await.unwrap();
    }
    assert!(
        storage
            .delete(&delete_request(a.uuid(), a.created_at()))
            .await
            .unwrap()
    );
    assert_eq!(
        files_under(dir.path()),
        vec![format!("2026/03/04/{}.vcon", support::uuid(2))],
        "only the other vCon's file is left"
    );
    // Again: nothing there, not an error.
    assert!(
        !storage
            .delete(&delete_request(a.uuid(), a.created_at()))
            .await
            .unwrap()
    );
    // A uuid that cannot be a file name was never saved.
    assert!(
        !storage
            .delete(&delete_request("../etc/passwd", None))
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn delete_without_the_right_date_looks_through_the_date_directories() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = DirectoryOptions::new(dir.path());
    options.gzip = true;
    let storage = DirectoryStorage::new(options).unwrap();
    let doc = support::doc(3);
    storage.save(&request(&doc, &doc.to_bytes())).await.unwrap();
    // Unknown date (e.g. a signed vCon in the working store), then a wrong one.
    assert!(
        storage
            .delete(&delete_request(doc.uuid(), None))
            .await
            .unwrap()
    );
    assert!(files_under(dir.path()).is_empty());
    storage.save(&request(&doc, &doc.to_bytes())).await.unwrap();
    let wrong = chrono::DateTime::parse_from_rfc3339("2020-01-01T00:00:00Z")
        .unwrap()
        .to_utc();
    assert!(
        storage
            .delete(&delete_request(doc.uuid(), Some(wrong)))
            .await
            .unwrap()
    );
    assert!(files_under(dir.path()).is_empty());

    // Written before gzip was turned on: the plain file is found too.
    let plain = DirectoryStorage::new(DirectoryOptions::new(dir.path())).unwrap();
    plain.save(&request(&doc, &doc.to_bytes())).await.unwrap();
    assert!(
        storage
            .delete(&delete_request(doc.uuid(), doc.created_at()))
            .await
            .unwrap()
    );
    assert!(files_under(dir.path()).is_empty());
}

#[tokio::test]
async fn delete_finds_flat_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut options = DirectoryOptions::new(dir.path());
    options.date_partition = false;
    options.extension = "json".into();
    let storage = DirectoryStorage::new(options).unwrap();
    let doc = support::doc(4);
    storage.save(&request(&doc, &doc.to_bytes())).await.unwrap();
    assert_eq!(
        files_under(dir.path()),
        vec![format!("{}.json", support::uuid(4))]
    );
    assert!(
        storage
            .delete(&delete_request(doc.uuid(), doc.created_at()))
            .await
            .unwrap()
    );
    assert!(files_under(dir.path()).is_empty());
}
