//! Retention end to end: the `expire` link tags a vCon, the sweep erases it
//! once the time has passed; a vCon without the tag stays.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::Method;
use support::*;
use vcon_server::retention::{SweepReport, sweep};

async fn post(app: &axum::Router, uuid: &str, ingress: &str) {
    let post = native(Method::POST, &format!("/v1/vcons?ingress={ingress}"))
        .header("content-type", "application/vcon")
        .body(Body::from(strict_vcon(uuid, "+12345678901", "hello")))
        .unwrap();
    assert_eq!(send(app, post).await.status, 201);
}

async fn status(app: &axum::Router, uuid: &str) -> u16 {
    let get = native(Method::GET, &format!("/v1/vcons/{uuid}"))
        .body(Body::empty())
        .unwrap();
    send(app, get).await.status.as_u16()
}

#[tokio::test]
async fn expired_vcons_are_erased_and_others_kept() {
    let pipeline = vcon_pipeline::PipelineConfig::from_toml(
        "idle_poll_ms = 10\n\
         [links.gone]\ntype = \"expire\"\noptions = { seconds = 0 }\n\
         [links.later]\ntype = \"expire\"\noptions = { seconds = 86400 }\n\
         [chains.now]\ningress = [\"now\"]\nlinks = [\"gone\"]\negress = [\"now_out\"]\n\
         [chains.later]\ningress = [\"later\"]\nlinks = [\"later\"]\negress = [\"later_out\"]\n",
    )
    .unwrap();
    let t = start(move |c| {
        c.pipeline = pipeline;
        c.retention.sweep_interval_secs = 0.05;
    })
    .await;
    let app = t.server.router();
    let (expiring, later, untagged) = (new_uuid(), new_uuid(), new_uuid());
    post(&app, &expiring, "now").await;
    post(&app, &later, "later").await;
    post(&app, &untagged, "untouched").await;

    // Bounded wait for the chain to tag it and a sweep to erase it.
    let mut last = 0;
    for _ in 0..500 {
        last = status(&app, &expiring).await;
        if last == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(last, 404, "the expired vCon was erased");

    // The one expiring tomorrow was tagged (its chain ran) and is kept.
    for _ in 0..500 {
        let search = native(Method::GET, "/v1/search?tag=expires_at")
            .body(Body::empty())
            .unwrap();
        if send(&app, search).await.json()["items"][0]["uuid"] == later.as_str() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status(&app, &later).await, 200);
    assert_eq!(status(&app, &untagged).await, 200);
}

#[tokio::test]
async fn sweep_erases_in_batches_and_reports() {
    let t = start(|c| c.retention.sweep_interval_secs = 0.0).await;
    let store = std::sync::Arc::clone(&t.server.state().store);
    let app = t.server.router();
    let mut uuids = Vec::new();
    for _ in 0..5 {
        let uuid = new_uuid();
        let mut v: serde_json::Value =
            serde_json::from_str(&strict_vcon(&uuid, "+12345678901", "x")).unwrap();
        v["attachments"] = serde_json::json!([{
            "purpose": "tags", "encoding": "json",
            "start": "2026-06-29T23:11:19Z", "party": 0, "dialog": 0,
            "body": ["expires_at:2026-01-01T00:00:00Z"]
        }]);
        let post = native(Method::POST, "/v1/vcons")
            .header("content-type", "application/vcon")
            .body(Body::from(v.to_string()))
            .unwrap();
        let r = send(&app, post).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        uuids.push(uuid);
    }
    let no_storages = vcon_pipeline::StorageEraser::default();
    let before = chrono::DateTime::parse_from_rfc3339("2025-12-31T00:00:00Z")
        .unwrap()
        .to_utc();
    assert_eq!(
        sweep(store.as_ref(), &no_storages, before, 2)
            .await
            .unwrap(),
        SweepReport::default()
    );
    let after = chrono::DateTime::parse_from_rfc3339("2026-01-02T00:00:00Z")
        .unwrap()
        .to_utc();
    let report = sweep(store.as_ref(), &no_storages, after, 2).await.unwrap();
    assert_eq!(
        report,
        SweepReport {
            erased: 5,
            changed: 0,
            storage_failures: 0,
        }
    );
    for uuid in &uuids {
        assert_eq!(status(&app, uuid).await, 404);
    }
}
