//! The webhook link and storage against a local HTTP server: body,
//! timestamped HMAC-SHA256 header, retries with backoff, permanent 4xx,
//! no duplicate posts to URLs that already accepted a vCon; and diet's
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
use vcon_pipeline::{DeleteRequest, Flow, Link, LinkError, SaveRequest, StorageError};

fn hex_hmac(key: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks the timestamp and signature headers of a received request the
/// way a receiver would: HMAC over `"<timestamp>.<body>"`, timestamp recent.
fn assert_signed(r: &support::http::Received, key: &[u8]) {
    let timestamp = &r.headers["x-vcon-timestamp"];
    let t: i64 = timestamp.parse().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!((now - 60..=now).contains(&t), "timestamp {t}, now {now}");
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(&r.body);
    assert_eq!(
        r.headers["x-hub-signature-256"],
        format!("sha256={}", hex_hmac(key, &signed))
    );
    // The body alone does not verify: the timestamp is covered.
    assert_ne!(
        r.headers["x-hub-signature-256"],
        format!("sha256={}", hex_hmac(key, &r.body))
    );
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

/// The `webhook` link `hook` with `options`.
fn webhook_link(options: &WebhookOptions) -> std::sync::Arc<dyn vcon_pipeline::Link> {
    build_link(
        "hook",
        "webhook",
        &serde_json::to_value(options).unwrap(),
        &BuildContext::new(None),
    )
    .unwrap()
}

/// The `webhook` storage `archive` with `options`.
fn webhook_storage(options: &WebhookOptions) -> std::sync::Arc<dyn vcon_pipeline::Storage> {
    build_storage(
        "archive",
        "webhook",
        &serde_json::to_value(options).unwrap(),
        &BuildContext::new(None),
    )
    .unwrap()
}

#[tokio::test]
async fn webhook_link_posts_the_vcon_with_a_verifiable_hmac_header() {
    let server = serve(vec![200], "{}").await;
    let link = webhook_link(&options(&server.url));
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
    // The receiver recomputes the HMAC over the timestamp and the exact body it got.
    assert_signed(r, b"s3cret");
    assert!(!d.is_changed());
}

#[tokio::test]
async fn webhook_retries_server_errors_then_succeeds() {
    let server = serve(vec![503, 500, 200], "{}").await;
    let link = webhook_link(&options(&server.url));
    assert_eq!(
        link.process(&mut doc(1), &ctx()).await.unwrap(),
        Flow::Continue
    );
    let got = server.received.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    // Every attempt carries the same body, signed with its own timestamp.
    assert!(got.windows(2).all(|w| w[0].body == w[1].body));
    for r in &got {
        assert_signed(r, b"s3cret");
    }
}

#[tokio::test]
async fn webhook_gives_up_retryably_after_max_attempts_and_permanently_on_4xx() {
    let server = serve(vec![503], "{}").await;
    let link = webhook_link(&options(&server.url));
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
    let link = webhook_link(&options(&server.url));
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
    let link = webhook_link(&o);
    let err = link.process(&mut doc(1), &ctx()).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
}

#[tokio::test]
async fn webhook_storage_posts_the_stored_bytes() {
    let server = serve(vec![200], "{}").await;
    let storage = webhook_storage(&options(&server.url));
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
    assert_signed(&got[0], b"s3cret");
}

#[tokio::test]
async fn webhook_storage_cannot_delete_and_sends_nothing() {
    let server = serve(vec![200], "{}").await;
    let storage = webhook_storage(&options(&server.url));
    let request = DeleteRequest {
        uuid: &support::uuid(4),
        created_at: None,
        tenant: None,
    };
    let err = storage.delete(&request).await.unwrap_err();
    assert!(matches!(err, StorageError::Unsupported { .. }), "{err}");
    assert!(server.received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unsigned_webhooks_carry_no_signature_or_timestamp() {
    let server = serve(vec![200], "{}").await;
    let mut o = options(&server.url);
    o.secret = None;
    let link = webhook_link(&o);
    link.process(&mut doc(2), &ctx()).await.unwrap();
    let got = server.received.lock().unwrap().clone();
    assert!(!got[0].headers.contains_key("x-hub-signature-256"));
    assert!(!got[0].headers.contains_key("x-vcon-timestamp"));
}

#[tokio::test]
async fn a_retry_posts_only_to_the_urls_that_have_not_accepted_the_vcon() {
    let first = serve(vec![200], "{}").await;
    let second = serve(vec![503, 200], "{}").await;
    let third = serve(vec![200], "{}").await;
    let mut o = options(&first.url);
    o.urls = vec![
        format!("{}/a", first.url),
        format!("{}/b", second.url),
        format!("{}/c", third.url),
    ];
    o.max_attempts = 1;
    let link = webhook_link(&o);
    let count = |s: &support::http::Server| s.received.lock().unwrap().len();

    // URL 2 fails: the delivery fails; URL 1 has it, URL 3 not yet.
    let err = link.process(&mut doc(5), &ctx()).await.unwrap_err();
    assert!(
        err.is_retryable() && err.to_string().contains("/b"),
        "{err}"
    );
    assert_eq!((count(&first), count(&second), count(&third)), (1, 1, 0));

    // The worker's retry of the same vCon: URL 1 is not posted to again.
    link.process(&mut doc(5), &ctx()).await.unwrap();
    assert_eq!((count(&first), count(&second), count(&third)), (1, 2, 1));

    // That delivery is finished: a later one (a reprocessed vCon) goes everywhere.
    link.process(&mut doc(5), &ctx()).await.unwrap();
    assert_eq!((count(&first), count(&second), count(&third)), (2, 3, 2));

    // Another vCon is another delivery.
    link.process(&mut doc(6), &ctx()).await.unwrap();
    assert_eq!((count(&first), count(&second), count(&third)), (3, 4, 3));
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
        (
            json!({"urls": ["http://x/"], "timestamp_header": "X-Vcon-Signature"}),
            "both",
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
