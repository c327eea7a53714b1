//! Operations: the OpenAPI document, /metrics, /health and /ready, the
//! admin token at first start, and serving on a real socket with graceful
//! shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request};
use support::*;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use vcon_server::Server;
use vcon_server::auth::{TokenHash, TokenSources};
use vcon_server::config::ServerConfig;

fn public(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn openapi_document_lists_every_route() {
    let t = start(|_| {}).await;
    let r = send(&t.server.router(), public("/openapi.json")).await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                found.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let expected: BTreeSet<String> = [
        "POST /v1/vcons",
        "GET /v1/vcons",
        "GET /v1/vcons/{uuid}",
        "PUT /v1/vcons/{uuid}",
        "DELETE /v1/vcons/{uuid}",
        "GET /v1/search",
        "POST /v1/vcons/{uuid}/analysis",
        "POST /v1/vcons/{uuid}/attachments",
        "GET /v1/queues/{list}/dead-letters",
        "GET /vcon",
        "POST /vcon",
        "GET /vcon/{vcon_uuid}",
        "DELETE /vcon/{vcon_uuid}",
        "GET /vcons",
        "GET /vcons/search",
        "POST /vcon/ingress",
        "GET /vcon/egress",
        "GET /vcon/count",
        "POST /vcon/external-ingress",
        "GET /dlq",
        "POST /dlq/reprocess",
        "GET /config",
        "POST /config",
        "GET /index_vcons",
        "GET /stats/queue",
        "GET /health",
        "GET /version",
        "GET /ready",
        "GET /metrics",
        "GET /openapi.json",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(found, expected);
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["conserver_token"]["name"], HEADER);
    assert!(doc["components"]["schemas"]["Problem"].is_object());

    // Every documented route answers (not with a routing 404/405).
    let app = t.server.router();
    for route in &expected {
        let (method, path) = route.split_once(' ').unwrap();
        let path = path
            .replace("{uuid}", &new_uuid())
            .replace("{vcon_uuid}", &new_uuid())
            .replace("{list}", "default");
        let request = native(method.parse::<Method>().unwrap(), &path)
            .header(HEADER, CONSERVER)
            .body(Body::empty())
            .unwrap();
        let r = send(&app, request).await;
        if r.status == 404 || r.status == 405 {
            let p = r.json();
            assert_ne!(
                p["type"], "urn:vconkit:problem:method-not-allowed",
                "{route}"
            );
            assert!(
                !p["detail"].as_str().unwrap().starts_with("no route"),
                "{route}: {p}"
            );
        }
    }
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuid = new_uuid();
    let post = native(Method::POST, "/v1/vcons?ingress=metrics_list")
        .header("content-type", "application/vcon")
        .body(Body::from(strict_vcon(&uuid, "+12345678901", "m")))
        .unwrap();
    assert_eq!(send(&app, post).await.status, 201);
    let r = send(&app, public("/metrics")).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    let text = String::from_utf8(r.body.to_vec()).unwrap();
    let has = |needle: &str| text.lines().any(|l| l.contains(needle));
    assert!(
        has("vcon_http_requests_total{method=\"POST\",route=\"/v1/vcons\",status=\"201\"}"),
        "{text}"
    );
    assert!(
        has(
            "vcon_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/vcons\",status=\"201\",le=\"0.02\"}"
        ),
        "{text}"
    );
    assert!(
        has("vcon_ingested_total{api=\"native\",outcome=\"created\"}"),
        "{text}"
    );
    assert!(
        has("vcon_pipeline_queue_depth{list=\"metrics_list\"} 1"),
        "{text}"
    );
    assert!(has("vcon_http_requests_in_flight"), "{text}");
    // The store's files: at least the database's first pages.
    let disk: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("vcon_store_disk_bytes "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no vcon_store_disk_bytes in {text}"));
    assert!(disk >= 4096.0, "{disk}");
    // A light load never waits for the index; the counter is there at 0.
    assert!(has("vcon_store_index_held_microseconds_total 0"), "{text}");
}

/// The line of `/metrics` for `name` whose labels include every pair of
/// `labels` (the exporter's label order is its own), without the value.
fn metric_value(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let (labelset, value) = rest.rsplit_once(' ')?;
        let all = labels
            .iter()
            .all(|(k, v)| labelset.contains(&format!("{k}=\"{v}\"")));
        all.then(|| value.parse().ok()).flatten()
    })
}

#[tokio::test]
async fn pipeline_metrics_count_links_failures_and_dead_letters() {
    // One vCon passes both links; the other makes the jq filter fail, which
    // is permanent: it is dead-lettered at once.
    let pipeline = vcon_pipeline::PipelineConfig::from_toml(
        "idle_poll_ms = 10\n\
         [links.tagger]\ntype = \"tag\"\noptions = { tags = [\"m\"] }\n\
         [links.check]\ntype = \"jq\"\n\
         options = { filter = 'if .dialog[0].body == \"fail me\" then error(\"boom\") else true end' }\n\
         [chains.metrics_chain]\ningress = [\"metrics_in\"]\nlinks = [\"tagger\", \"check\"]\n\
         egress = [\"metrics_out\"]\nretry = { max_attempts = 1 }\n",
    )
    .unwrap();
    let t = start(move |c| c.pipeline = pipeline).await;
    let app = t.server.router();
    for text in ["pass me", "fail me"] {
        let post = native(Method::POST, "/v1/vcons?ingress=metrics_in")
            .header("content-type", "application/vcon")
            .body(Body::from(strict_vcon(&new_uuid(), "+12345678901", text)))
            .unwrap();
        assert_eq!(send(&app, post).await.status, 201);
    }
    let chain = ("chain", "metrics_chain");
    let mut text = String::new();
    for _ in 0..500 {
        text = String::from_utf8(send(&app, public("/metrics")).await.body.to_vec()).unwrap();
        let dead = metric_value(&text, "vcon_pipeline_dead_letters_total", &[chain]);
        let stored = metric_value(
            &text,
            "vcon_pipeline_processed_total",
            &[chain, ("outcome", "stored")],
        );
        // The counters move before the queue's rows are written: wait for both.
        let idle = metric_value(&text, "vcon_pipeline_in_flight", &[chain]);
        let list = [("list", "metrics_in")];
        let kept = metric_value(&text, "vcon_pipeline_queue_dead", &list);
        let left = metric_value(&text, "vcon_pipeline_queue_depth", &list);
        if (dead, stored, idle, kept, left)
            == (Some(1.0), Some(1.0), Some(0.0), Some(1.0), Some(0.0))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let value = |name: &str, labels: &[(&str, &str)]| {
        metric_value(&text, name, labels)
            .unwrap_or_else(|| panic!("no {name} {labels:?} in {text}"))
    };
    assert_eq!(value("vcon_pipeline_dead_letters_total", &[chain]), 1.0);
    assert_eq!(
        value(
            "vcon_pipeline_processed_total",
            &[chain, ("outcome", "stored")]
        ),
        1.0
    );
    // Both vCons ran the tag link; only the one that passed finished the jq link.
    assert_eq!(
        value(
            "vcon_pipeline_link_duration_seconds_count",
            &[chain, ("link", "tagger")]
        ),
        2.0
    );
    assert_eq!(
        value(
            "vcon_pipeline_link_failures_total",
            &[chain, ("link", "check"), ("class", "permanent")]
        ),
        1.0
    );
    assert_eq!(value("vcon_pipeline_in_flight", &[chain]), 0.0);
    assert_eq!(
        value("vcon_pipeline_queue_dead", &[("list", "metrics_in")]),
        1.0
    );
    assert_eq!(
        value("vcon_pipeline_queue_depth", &[("list", "metrics_in")]),
        0.0
    );
}

#[tokio::test]
async fn health_and_ready() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let h = send(&app, public("/health")).await;
    assert_eq!(h.json()["status"], "healthy");
    let r = send(&app, public("/ready")).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["store"], true);
    t.server.state().set_draining();
    send(&app, public("/ready")).await.problem(503);
}

#[tokio::test]
async fn first_start_prints_a_token_once_and_keeps_only_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        data_dir: dir.path().join("data"),
        ..ServerConfig::default()
    };
    let first = Server::start(config.clone(), TokenSources::default())
        .await
        .unwrap();
    let token = first.generated_admin_token().unwrap().to_owned();
    let stored = std::fs::read_to_string(config.admin_token_hash_path()).unwrap();
    assert_eq!(stored.trim(), TokenHash::of(&token).to_text());
    assert!(!stored.contains(&token));
    let list = |t: &str| {
        Request::get("/v1/vcons")
            .header("authorization", format!("Bearer {t}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&first.router(), list(&token)).await.status, 200);
    first.state().store.shutdown().await.unwrap();
    drop(first);

    let second = Server::start(config, TokenSources::default())
        .await
        .unwrap();
    assert_eq!(second.generated_admin_token(), None, "printed once only");
    assert_eq!(send(&second.router(), list(&token)).await.status, 200);
    send(&second.router(), list("guess")).await.problem(401);
}

async fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn serves_on_a_socket_and_shuts_down_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let tokens = TokenSources {
        admin_token: Some(ADMIN.into()),
        ..TokenSources::default()
    };
    let server = Server::start(config.clone(), tokens.clone()).await.unwrap();
    let listener = server.bind().await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(listener, async {
        let _ = stopped.await;
    }));
    let reply = http_get(addr, "/health").await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("\"healthy\""));

    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
    // The store was closed: its directory lock is free for the next start.
    let again = Server::start(config, tokens).await.unwrap();
    again.state().store.shutdown().await.unwrap();
}

#[tokio::test]
async fn chains_process_what_the_api_queues() {
    let pipeline = vcon_pipeline::PipelineConfig::from_toml(
        "idle_poll_ms = 10\n\
         [links.support]\ntype = \"tag\"\noptions = { tags = [\"support\"] }\n\
         [chains.main]\ningress = [\"default\"]\nlinks = [\"support\"]\negress = [\"processed\"]\n",
    )
    .unwrap();
    let t = start(move |c| c.pipeline = pipeline).await;
    let app = t.server.router();
    let ready = send(&app, public("/ready")).await;
    assert_eq!(ready.json()["workers"], true);

    let uuid = new_uuid();
    let post = native(Method::POST, "/v1/vcons?ingress=default")
        .header("content-type", "application/vcon")
        .body(Body::from(strict_vcon(
            &uuid,
            "+12345678901",
            "please tag me",
        )))
        .unwrap();
    assert_eq!(send(&app, post).await.status, 201);

    // Wait (bounded) until the chain has pushed the uuid to its egress list.
    let mut popped = serde_json::json!([]);
    for _ in 0..500 {
        let r = send(
            &app,
            conserver(Method::GET, "/vcon/egress?egress_list=processed")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        popped = r.json();
        if popped != serde_json::json!([]) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(popped, serde_json::json!([uuid]));
    let tagged = send(
        &app,
        native(Method::GET, "/v1/search?tag=support")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(tagged.json()["items"][0]["uuid"], uuid);
    assert_eq!(
        tagged.json()["items"][0]["revision"],
        2,
        "the link's change was stored"
    );
}

#[tokio::test]
async fn shutdown_drains_a_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let config = ServerConfig {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let tokens = TokenSources {
        admin_token: Some(ADMIN.into()),
        ..TokenSources::default()
    };
    let server = Server::start(config.clone(), tokens.clone()).await.unwrap();
    let listener = server.bind().await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(listener, async {
        let _ = stopped.await;
    }));

    // A POST whose body is only half sent when shutdown begins.
    let uuid = new_uuid();
    let body = strict_vcon(&uuid, "+12345678901", "in flight");
    let (first, second) = body.as_bytes().split_at(body.len() / 2);
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/vcons HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/vcon\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(first).await.unwrap();
    s.flush().await.unwrap();
    // Wait (bounded) until the server has the request, then ask it to stop.
    let state_probe = http_get(addr, "/ready").await;
    assert!(state_probe.starts_with("HTTP/1.1 200"), "{state_probe}");
    stop.send(()).unwrap();
    tokio::task::yield_now().await;
    s.write_all(second).await.unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).await.unwrap();
    assert!(
        reply.starts_with("HTTP/1.1 201"),
        "the request in flight finished: {reply}"
    );
    serving.await.unwrap().unwrap();

    // It is on disk: a new server on the same directory has it.
    let again = Server::start(config, tokens).await.unwrap();
    let get = native(Method::GET, &format!("/v1/vcons/{uuid}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&again.router(), get).await.status, 200);
    again.state().store.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_request_that_cannot_finish_in_time_is_503() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig {
        data_dir: dir.path().join("data"),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    config.limits.max_concurrent_requests = 1;
    config.limits.request_timeout_secs = 0.3;
    let tokens = TokenSources {
        admin_token: Some(ADMIN.into()),
        ..TokenSources::default()
    };
    let server = Server::start(config, tokens).await.unwrap();
    let listener = server.bind().await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.serve(listener, async {
        let _ = stopped.await;
    }));
    // A POST that never sends its body holds the only slot until its timeout.
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /v1/vcons HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {ADMIN}\r\n\
         Content-Type: application/vcon\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{{"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 503"), "{reply}");
    assert!(reply.contains("urn:vconkit:problem:timeout"), "{reply}");
    stop.send(()).unwrap();
    serving.await.unwrap().unwrap();
}

#[tokio::test]
async fn cors_is_off_by_default_and_answers_preflights_when_configured() {
    let t = start(|_| {}).await;
    let r = send(
        &t.server.router(),
        Request::get("/health")
            .header("origin", "https://ui.example")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert!(r.header("access-control-allow-origin").is_none());

    let t = start(|c| c.cors_allow_origins = vec!["https://ui.example".into()]).await;
    let app = t.server.router();
    let preflight = Request::builder()
        .method(Method::OPTIONS)
        .uri("/v1/vcons")
        .header("origin", "https://ui.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .body(Body::empty())
        .unwrap();
    let r = send(&app, preflight).await;
    assert!(r.status.is_success(), "{:?}", r.status);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("https://ui.example")
    );
    let get = native(Method::GET, "/v1/vcons")
        .header("origin", "https://ui.example")
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&app, get)
            .await
            .header("access-control-allow-origin")
            .as_deref(),
        Some("https://ui.example")
    );
    let other = Request::get("/health")
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .unwrap();
    assert!(
        send(&app, other)
            .await
            .header("access-control-allow-origin")
            .is_none()
    );
}
