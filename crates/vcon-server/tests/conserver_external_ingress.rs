//! `POST /vcon/external-ingress` with per-list keys, driven as the
//! conserver's test_external_ingress.py drives it: same path, query,
//! header and bodies; same statuses and `detail` messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{Value, json};
use support::mock::{Rng, mock_vcon};
use support::*;

fn bare(method: Method, uri: &str) -> Request<Body> {
    conserver(method, uri).body(Body::empty()).unwrap()
}

const LIST: &str = "test_external_ingress";
const KEY: &str = "external-partner-key-123";

fn ingress(list: Option<&str>, key: Option<&str>, body: &Value) -> Request<Body> {
    let uri = match list {
        Some(l) => format!("/vcon/external-ingress?ingress_list={l}"),
        None => "/vcon/external-ingress".to_owned(),
    };
    let mut b = Request::post(uri).header("content-type", "application/json");
    if let Some(k) = key {
        b = b.header(HEADER, k);
    }
    b.body(Body::from(body.to_string())).unwrap()
}

/// A server whose conserver config.yml has these `ingress_auth` keys
/// (the file lives in the server's own temporary directory).
async fn with_keys(keys: Value) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    std::fs::write(
        &file,
        serde_norway::to_string(&json!({"ingress_auth": keys})).unwrap(),
    )
    .unwrap();
    start_in(dir, move |c| c.conserver.config_file = Some(file)).await
}

#[tokio::test]
async fn single_key_stores_queues_and_answers_204() {
    let t = with_keys(json!({LIST: KEY})).await;
    let app = t.server.router();
    let vcon = mock_vcon(&mut Rng(10));
    let r = send(&app, ingress(Some(LIST), Some(KEY), &vcon)).await;
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert!(r.body.is_empty());
    let popped = send(
        &app,
        bare(Method::GET, &format!("/vcon/egress?egress_list={LIST}")),
    )
    .await;
    assert_eq!(popped.json(), json!([vcon["uuid"]]));
    let g = send(
        &app,
        bare(
            Method::GET,
            &format!("/vcon/{}", vcon["uuid"].as_str().unwrap()),
        ),
    )
    .await;
    assert_eq!(g.json(), vcon);
}

#[tokio::test]
async fn one_of_several_keys() {
    let t = with_keys(json!({LIST: ["partner-1-key", KEY, "partner-3-key"]})).await;
    let r = send(
        &t.server.router(),
        ingress(Some(LIST), Some(KEY), &mock_vcon(&mut Rng(11))),
    )
    .await;
    assert_eq!(r.status, 204);
}

#[tokio::test]
async fn refusals_say_why() {
    let vcon = mock_vcon(&mut Rng(12));
    let detail = |r: Reply| r.problem(403)["detail"].as_str().unwrap().to_owned();

    let t = with_keys(json!({LIST: KEY})).await;
    let app = t.server.router();
    assert!(
        detail(send(&app, ingress(Some(LIST), Some("invalid-key"), &vcon)).await)
            .contains("Invalid API Key")
    );
    let missing = detail(send(&app, ingress(Some(LIST), None, &vcon)).await);
    assert!(missing.contains("Invalid API Key") || missing.contains("API Key required"));

    let t = with_keys(json!({LIST: ["key1", "key2", "key3"]})).await;
    assert!(
        detail(
            send(
                &t.server.router(),
                ingress(Some(LIST), Some("invalid-key"), &vcon)
            )
            .await
        )
        .contains("Invalid API Key")
    );

    let t = with_keys(json!({"authorized_ingress": KEY, "other_ingress": "other-key"})).await;
    let d = detail(
        send(
            &t.server.router(),
            ingress(Some("unauthorized_ingress"), Some(KEY), &vcon),
        )
        .await,
    );
    assert!(d.contains("not configured"), "{d}");

    let t = with_keys(json!({})).await;
    let d = detail(send(&t.server.router(), ingress(Some(LIST), Some(KEY), &vcon)).await);
    assert!(d.contains("No ingress authentication configured"), "{d}");

    let t = with_keys(json!({LIST: {"invalid": "format"}})).await;
    let d = detail(send(&t.server.router(), ingress(Some(LIST), Some(KEY), &vcon)).await);
    assert!(d.contains("Invalid configuration"), "{d}");
}

#[tokio::test]
async fn keys_are_isolated_between_lists() {
    let t = with_keys(json!({
        "partner_a_ingress": "partner-a-key",
        "partner_b_ingress": ["partner-b-key-1", "partner-b-key-2"],
        "shared_ingress": ["partner-a-key", "partner-b-key-1", "shared-key"],
    }))
    .await;
    let app = t.server.router();
    let vcon = mock_vcon(&mut Rng(13));
    assert_eq!(
        send(
            &app,
            ingress(Some("partner_a_ingress"), Some("partner-a-key"), &vcon)
        )
        .await
        .status,
        204
    );
    assert_eq!(
        send(
            &app,
            ingress(Some("partner_b_ingress"), Some("partner-a-key"), &vcon)
        )
        .await
        .status,
        403
    );
    assert_eq!(
        send(
            &app,
            ingress(Some("shared_ingress"), Some("partner-b-key-1"), &vcon)
        )
        .await
        .status,
        204
    );
}

#[tokio::test]
async fn missing_list_or_invalid_vcon_is_422() {
    let t = with_keys(json!({LIST: KEY})).await;
    let app = t.server.router();
    let r = send(&app, ingress(None, Some(KEY), &mock_vcon(&mut Rng(14)))).await;
    assert_eq!(r.status, 422);
    assert!(
        String::from_utf8_lossy(&r.body)
            .to_lowercase()
            .contains("field required")
    );
    let r = send(
        &app,
        ingress(Some(LIST), Some(KEY), &json!({"invalid": "data"})),
    )
    .await;
    assert_eq!(r.status, 422);
}
