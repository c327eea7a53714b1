//! The webhook link and storage against a local HTTP server: body,
//! HMAC-SHA256 header, retries with backoff, permanent 4xx; and diet's
//! media post.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use support::http::serve;
use support::{ctx, doc};
use vcon_pipeline::delivery::WebhookOptions;
use vcon_pipeline::links::diet::{DietLink, DietOptions};
use vcon_pipeline::registry::{BuildContext, build_link, build_storage};
use vcon_pipeline::{Flow, Link, LinkError, SaveRequest};

fn hex_hmac(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn options(url: &str) -> WebhookOptions {
    let mut o = WebhookOptions::new(vec![format!("{url}/hook")]);
    o.secret = Some("s3cret".into());
    o.signature_header = "X-Hub-Signature-256".into();
    o.headers
        .insert("x-conserver-api-token".into(), "tok".into());
    o.initial_backoff_ms = 1;
    o
}

#[tokio::test]
async fn webhook_link_posts_the_vcon_with_a_verifiable_hmac_header() {
    let server = serve(vec![200], "{}").await;
    let link = build_link(
        "hook",
        "webhook",
        &serde_json::to_value(options(&server.url)).unwrap(),
        &BuildContext::new(None),
    )
    .unwrap();
    let mut d = doc(3);
    assert_eq!(link.process(&mut d, &ctx()).await.unwrap(), Flow::Continue);
    let got = server.received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.path, "/hook");
    let sent: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(sent["uuid"], support::uuid(3));
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(r.headers["x-conserver-api-token"], "tok");
    // The receiver recomputes the HMAC over the exact body it got.
    assert_eq!(
        r.headers["x-hub-signature-256"],
        format!("sha256={}", hex_hmac(b"s3cret", &r.body))
    );
    assert!(!d.is_changed());
}

#[tokio::test]
async fn webhook_retries_server_errors_then_succeeds() {
    let server = serve(vec![503, 500, 200], "{}").await;
    let link = build_link(
        "hook",
        "webhook",
        &serde_json::to_value(options(&server.url)).unwrap(),
        &BuildContext::new(None),
    )
    .unwrap();
    assert_eq!(
        link.process(&mut doc(1), &ctx()).await.unwrap(),
        Flow::Continue
    );
    let got = server.received.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    // Every attempt carries the same body and signature.
    assert!(got.windows(2).all(|w| w[0].body == w[1].body
        && w[0].headers["x-hub-signature-256"] == w[1].headers["x-hub-signature-256"]));
}

#[tokio::test]
async fn webhook_gives_up_retryably_after_max_attempts_and_permanently_on_4xx() {
    let server = serve(vec![503], "{}").await;
    let link = build_link(
        "hook",
        "webhook",
        &serde_json::to_value(options(&server.url)).unwrap(),
        &BuildContext::new(None),
    )
    .unwrap();
    let err = link.process(&mut doc(1), &ctx()).await.unwrap_err();
    assert!(
        matches!(
            err,
            LinkError::Http {
                retryable: true,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string().contains("503") && err.to_string().contains("3 attempt"),
        "{err}"
    );
    assert_eq!(server.received.lock().unwrap().len(), 3);

    let server = serve(vec![400], "{}").await;
    let link = build_link(
        "hook",
        "webhook",
        &serde_json::to_value(options(&server.url)).unwrap(),
        &BuildContext::new(None),
    )
    .unwrap();
    let err = link.process(&mut doc(1), &ctx()).await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert_eq!(
        server.received.lock().unwrap().len(),
        1,
        "a 4xx is not retried"
    );
}

#[tokio::test]
async fn webhook_transport_errors_are_retryable() {
    // Nothing listens on this port once the listener is dropped.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut o = options(&url);
    o.max_attempts = 2;
    let link = build_link(
        "hook",
        "webhook",
        &serde_json::to_value(o).unwrap(),
        &BuildContext::new(None),
    )
    .unwrap();
    let err = link.process(&mut doc(1), &ctx()).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
}

#[tokio::test]
async fn webhook_storage_posts_the_stored_bytes() {
    let server = serve(vec![200], "{}").await;
    let storage = build_storage(
        "archive",
        "webhook",
        &serde_json::to_value(options(&server.url)).unwrap(),
        &BuildContext::new(None),
    )
    .unwrap();
    let d = doc(4);
    let bytes = d.to_bytes();
    let request = SaveRequest {
        uuid: d.uuid(),
        bytes: &bytes,
        object: d.object(),
        form: d.form(),
        created_at: d.created_at(),
        tenant: None,
        chain: "main",
    };
    storage.save(&request).await.unwrap();
    let got = server.received.lock().unwrap().clone();
    assert_eq!(got[0].body, bytes);
    assert_eq!(
        got[0].headers["x-hub-signature-256"],
        format!("sha256={}", hex_hmac(b"s3cret", &bytes))
    );
}

#[test]
fn webhook_options_are_checked_at_build() {
    let ctx = BuildContext::new(None);
    for (options, needle) in [
        (json!({"urls": []}), "urls is empty"),
        (json!({"urls": ["notreal.com"]}), "notreal.com"),
        (json!({"urls": ["ftp://x/"]}), "scheme"),
        (
            json!({"urls": ["http://x/"], "secret": "a", "secret_env": "B"}),
            "not both",
        ),
        (
            json!({"urls": ["http://x/"], "headers": {"bad header": "v"}}),
            "bad header",
        ),
        (
            json!({"urls": ["http://x/"], "webhook-urls": []}),
            "webhook-urls",
        ),
    ] {
        let err = build_link("hook", "webhook", &options, &ctx)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("links.hook (webhook)") && err.contains(needle),
            "{err}"
        );
    }
}

#[tokio::test]
async fn diet_posts_bodies_to_the_media_service_and_keeps_a_reference() {
    let server = serve(vec![200], r#"{"url": "https://media.example.com/b/1"}"#).await;
    let link = DietLink::new(
        DietOptions {
            remove_dialog_body: true,
            post_media_to_url: Some(format!("{}/media", server.url)),
            ..DietOptions::default()
        },
        reqwest::Client::new(),
    )
    .unwrap();
    let mut d = doc(9);
    link.process(&mut d, &ctx()).await.unwrap();
    let dialog = &d.object()["dialog"][0];
    assert_eq!(dialog["url"], "https://media.example.com/b/1");
    assert!(dialog.get("body").is_none() && dialog.get("encoding").is_none());
    let got = server.received.lock().unwrap().clone();
    let sent: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(sent["content"], "hello 9");
    assert_eq!(sent["vcon_uuid"], support::uuid(9));

    // A failing media service empties the body, as the conserver does.
    let failing = serve(vec![500], "{}").await;
    let link = DietLink::new(
        DietOptions {
            remove_dialog_body: true,
            post_media_to_url: Some(failing.url.clone()),
            ..DietOptions::default()
        },
        reqwest::Client::new(),
    )
    .unwrap();
    let mut d = doc(9);
    link.process(&mut d, &ctx()).await.unwrap();
    assert_eq!(d.object()["dialog"][0]["body"], "");
}
