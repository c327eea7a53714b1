//! Deletes (both APIs) and retention reach the chains' storages: a
//! `directory` storage loses the vCon's file; a storage that fails is named
//! in `x-vcon-storage-delete-failed` and does not fail the delete; a
//! `webhook` storage is skipped (it cannot delete).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::body::Body;
use axum::http::Method;
use support::*;
use vcon_server::deletion::STORAGE_FAILED_HEADER;

/// A server whose chain `archive` (ingress `in`) writes to a `directory`
/// storage under `<dir>/archive` (and, with `expire`, tags the vCon to
/// expire at once); also a `webhook` storage nobody listens on, which must
/// be skipped on delete.
async fn server_with_archive(expire: bool) -> (TestServer, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let links = if expire { "[\"gone\"]" } else { "[]" };
    let pipeline = vcon_pipeline::PipelineConfig::from_toml(&format!(
        "idle_poll_ms = 10\n\
         [links.gone]\ntype = \"expire\"\noptions = {{ seconds = 0 }}\n\
         [storages.files]\ntype = \"directory\"\noptions = {{ path = {archive:?}, fsync = false }}\n\
         [chains.archive]\ningress = [\"in\"]\nlinks = {links}\nstorages = [\"files\"]\negress = [\"out\"]\n\
         [chains.spare]\ningress = [\"spare\"]\nstorages = [\"files\"]\nenabled = false\n",
    ))
    .unwrap();
    let t = start_in(dir, move |c| {
        c.pipeline = pipeline;
        c.retention.sweep_interval_secs = if expire { 0.05 } else { 0.0 };
    })
    .await;
    (t, archive)
}

/// The archive's file of `uuid` (created_at 2026-06-29 in [`strict_vcon`]).
fn file_of(archive: &Path, uuid: &str) -> PathBuf {
    archive.join(format!("2026/06/29/{uuid}.vcon"))
}

/// Posts a new vCon (created 2026-06-29, text "hello") to `uri`; its uuid.
async fn post_new(app: &axum::Router, uri: &str) -> String {
    let uuid = new_uuid();
    let post = native(Method::POST, uri)
        .header("content-type", "application/vcon")
        .body(Body::from(strict_vcon(&uuid, "+12345678901", "hello")))
        .unwrap();
    assert_eq!(send(app, post).await.status, 201);
    uuid
}

/// Posts a vCon to the chain and waits (bounded) until its file is written.
async fn post_and_archive(app: &axum::Router, archive: &Path) -> String {
    let uuid = post_new(app, "/v1/vcons?ingress=in").await;
    let file = file_of(archive, &uuid);
    for _ in 0..500 {
        if file.exists() {
            return uuid;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the chain did not write {}", file.display());
}

/// Waits (bounded) for the vCon to be acknowledged on `out`, so that no
/// worker is still writing it when the test deletes.
async fn wait_processed(app: &axum::Router) {
    for _ in 0..500 {
        let r = send(
            app,
            conserver(Method::GET, "/vcon/count?egress_list=out")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        if r.json() != 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the chain did not finish");
}

/// Sends a DELETE of `uri` through `api` (`native` or `conserver`).
async fn delete(
    app: &axum::Router,
    api: fn(Method, &str) -> axum::http::request::Builder,
    uri: &str,
) -> Reply {
    send(app, api(Method::DELETE, uri).body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn the_conserver_delete_removes_the_archived_file() {
    let (t, archive) = server_with_archive(false).await;
    let app = t.server.router();
    let uuid = post_and_archive(&app, &archive).await;
    wait_processed(&app).await;
    let r = delete(&app, conserver, &format!("/vcon/{uuid}")).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header(STORAGE_FAILED_HEADER), None);
    assert!(!file_of(&archive, &uuid).exists());
    let get = native(Method::GET, &format!("/v1/vcons/{uuid}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, get).await.status, 404);

    // A vCon only left in a storage (gone from the store) is deleted there too.
    let uuid = post_and_archive(&app, &archive).await;
    let store = t.server.state().store.clone();
    store.delete(&uuid.parse().unwrap(), None).await.unwrap();
    let r = delete(&app, conserver, &format!("/vcon/{uuid}")).await;
    assert_eq!(r.status, 204);
    assert!(!file_of(&archive, &uuid).exists());
}

#[tokio::test]
async fn the_native_delete_removes_the_archived_file() {
    let (t, archive) = server_with_archive(false).await;
    let app = t.server.router();
    let uuid = post_and_archive(&app, &archive).await;
    wait_processed(&app).await;
    let r = delete(&app, native, &format!("/v1/vcons/{uuid}")).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header(STORAGE_FAILED_HEADER), None);
    assert!(!file_of(&archive, &uuid).exists());

    // Not in the store: 404, and storages are not asked.
    delete(&app, native, &format!("/v1/vcons/{uuid}"))
        .await
        .problem(404);
}

#[tokio::test]
async fn a_failing_storage_is_named_and_does_not_fail_the_delete() {
    let (t, archive) = server_with_archive(false).await;
    let app = t.server.router();
    let uuid = post_and_archive(&app, &archive).await;
    wait_processed(&app).await;
    // Make the file undeletable: a non-empty directory in its place.
    let file = file_of(&archive, &uuid);
    std::fs::remove_file(&file).unwrap();
    std::fs::create_dir_all(file.join("inside")).unwrap();
    for (method, path) in [
        (Method::DELETE, format!("/v1/vcons/{uuid}")),
        (Method::DELETE, format!("/vcon/{uuid}")),
    ] {
        let request = native(method, &path)
            .header(HEADER, CONSERVER)
            .body(Body::empty())
            .unwrap();
        let r = send(&app, request).await;
        assert_eq!(
            r.status,
            204,
            "{path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(
            r.header(STORAGE_FAILED_HEADER).as_deref(),
            Some("files"),
            "{path}"
        );
    }
    // The store's delete stood.
    let get = native(Method::GET, &format!("/v1/vcons/{uuid}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&app, get).await.status, 404);
    // Counted.
    let metrics = send(
        &app,
        axum::http::Request::get("/metrics")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        text.lines().any(
            |l| l.starts_with("vcon_pipeline_storage_delete_failures_total")
                && l.contains("storage=\"files\"")
        ),
        "{text}"
    );
}

#[tokio::test]
async fn an_expired_vcon_is_erased_from_the_storages_too() {
    let (t, archive) = server_with_archive(true).await;
    let app = t.server.router();
    let uuid = post_new(&app, "/v1/vcons?ingress=in").await;
    // Bounded wait for the chain to archive and tag it and the sweep to erase
    // it: from the store first, then from the storages (the file may come and
    // go between two looks, so wait for the store, then for the file).
    let file = file_of(&archive, &uuid);
    let mut last = 0;
    for _ in 0..500 {
        let get = native(Method::GET, &format!("/v1/vcons/{uuid}"))
            .body(Body::empty())
            .unwrap();
        last = send(&app, get).await.status.as_u16();
        if last == 404 && !file.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(last, 404, "the sweep erased the vCon");
    assert!(
        file.parent().unwrap().is_dir(),
        "the chain archived it (its date directory was made)"
    );
    assert!(!file.exists(), "the sweep deleted {}", file.display());
}

#[tokio::test]
async fn a_webhook_storage_is_skipped_on_delete() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = vcon_pipeline::PipelineConfig::from_toml(
        "[storages.hook]\ntype = \"webhook\"\noptions = { urls = [\"http://127.0.0.1:9/\"], max_attempts = 1 }\n\
         [chains.main]\ningress = [\"in\"]\nstorages = [\"hook\"]\n",
    )
    .unwrap();
    let t = start_in(dir, move |c| c.pipeline = pipeline).await;
    assert_eq!(
        t.server.state().storages.load().names().collect::<Vec<_>>(),
        ["hook"]
    );
    let app = t.server.router();
    let uuid = post_new(&app, "/v1/vcons").await;
    let r = delete(&app, native, &format!("/v1/vcons/{uuid}")).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header(STORAGE_FAILED_HEADER), None, "skipped, not failed");
}

#[tokio::test]
async fn with_every_chain_disabled_deletes_still_reach_their_storages() {
    // No worker runs, but the storage may hold what it wrote before.
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let pipeline = vcon_pipeline::PipelineConfig::from_toml(&format!(
        "[storages.files]\ntype = \"directory\"\noptions = {{ path = {archive:?} }}\n\
         [chains.archive]\ningress = [\"in\"]\nstorages = [\"files\"]\nenabled = false\n",
    ))
    .unwrap();
    let t = start_in(dir, move |c| c.pipeline = pipeline).await;
    let app = t.server.router();
    let uuid = post_new(&app, "/v1/vcons").await;
    let file = file_of(&archive, &uuid);
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, b"{}").unwrap();

    let r = delete(&app, native, &format!("/v1/vcons/{uuid}")).await;
    assert_eq!(r.status, 204);
    assert_eq!(r.header(STORAGE_FAILED_HEADER), None);
    assert!(!file.exists(), "the disabled chain's storage kept the vCon");
}
