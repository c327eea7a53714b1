//! The conserver-compatible API, driven by requests shaped as the
//! conserver's own tests send them (common/tests/test_api.py,
//! test_api_branches.py, test_external_ingress.py): same paths, query
//! parameters, headers and bodies, and the same observable results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{Value, json};
use support::mock::{Rng, mock_vcon};
use support::*;
use vcon_store::ListName;

fn json_body(method: Method, uri: &str, body: &Value) -> Request<Body> {
    conserver(method, uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn bare(method: Method, uri: &str) -> Request<Body> {
    conserver(method, uri).body(Body::empty()).unwrap()
}

async fn post_vcon(app: &axum::Router, vcon: &Value) {
    let r = send(app, json_body(Method::POST, "/vcon", vcon)).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

#[tokio::test]
async fn api_vcon_lifecycle() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let mut rng = Rng(1);
    let vcon = mock_vcon(&mut rng);
    let r = send(&app, json_body(Method::POST, "/vcon", &vcon)).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json(), vcon, "the response is the vCon");
    let uuid = vcon["uuid"].as_str().unwrap();

    let g = send(&app, bare(Method::GET, &format!("/vcon/{uuid}"))).await;
    assert_eq!(g.status, 200);
    assert_eq!(
        g.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(g.json(), vcon);

    let d = send(&app, bare(Method::DELETE, &format!("/vcon/{uuid}"))).await;
    assert_eq!(d.status, 204);
    assert!(d.body.is_empty());

    let g = send(&app, bare(Method::GET, &format!("/vcon/{uuid}"))).await;
    assert_eq!(g.problem(404)["detail"], "vCon not found");
}

#[tokio::test]
async fn get_vcons_since_and_delete_them() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let mut rng = Rng(2);
    let since = chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%dT%H:%M:%S%.6f")
        .to_string();
    let mut created = Vec::new();
    for i in 0..12 {
        let mut vcon = mock_vcon(&mut rng);
        if i % 3 == 0 {
            // Some created after `since`, so that the filter has something to return.
            vcon["created_at"] = json!("2099-01-01T00:00:00+00:00");
        }
        post_vcon(&app, &vcon).await;
        created.push(vcon["uuid"].as_str().unwrap().to_owned());
    }
    let r = send(&app, bare(Method::GET, &format!("/vcon?since={since}"))).await;
    assert_eq!(r.status, 200);
    let listed: Vec<String> = serde_json::from_value(r.json()).unwrap();
    assert_eq!(listed.len(), 4, "only those created since");
    for id in &listed {
        assert!(created.contains(id));
        assert_eq!(
            send(&app, bare(Method::DELETE, &format!("/vcon/{id}")))
                .await
                .status,
            204
        );
    }
    // Without a filter: newest created_at first, paged.
    let all: Vec<String> =
        serde_json::from_value(send(&app, bare(Method::GET, "/vcon?size=50")).await.json())
            .unwrap();
    assert_eq!(all.len(), 8);
    let page2: Vec<String> = serde_json::from_value(
        send(&app, bare(Method::GET, "/vcon?page=2&size=3"))
            .await
            .json(),
    )
    .unwrap();
    assert_eq!(page2, all[3..6].to_vec());
}

/// The conserver's clients send `created_at` without an offset (Faker's
/// `iso8601()`); `since`/`until` must see those too.
#[tokio::test]
async fn since_filter_sees_created_at_without_offset() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let mut vcon = mock_vcon(&mut Rng(8));
    vcon["created_at"] = json!("2099-01-01T00:00:00");
    post_vcon(&app, &vcon).await;
    let r = send(&app, bare(Method::GET, "/vcon?since=2098-12-31T00:00:00")).await;
    assert_eq!(r.json(), json!([vcon["uuid"]]));
}

#[tokio::test]
async fn extra_attributes_are_kept() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let mut vcon = mock_vcon(&mut Rng(3));
    vcon["meta"] = json!({"foo": "bar"});
    post_vcon(&app, &vcon).await;
    let g = send(
        &app,
        bare(
            Method::GET,
            &format!("/vcon/{}", vcon["uuid"].as_str().unwrap()),
        ),
    )
    .await;
    assert_eq!(g.json()["meta"], json!({"foo": "bar"}));
}

#[tokio::test]
async fn invalid_vcons_are_422_and_not_stored() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let base = json!({"uuid": "11111111-1111-1111-1111-111111111111", "vcon": "0.0.1",
        "created_at": "2024-01-01T00:00:00", "subject": null, "redacted": {}, "appended": null,
        "group": [], "parties": [{"name": "Agent", "tel": "+15550001111"},
                                 {"name": "Customer", "tel": "+15550002222"}],
        "dialog": [{"type": "recording", "start": "2024-01-01T00:00:00", "duration": 120,
                    "parties": [0, 1], "mimetype": "audio/x-wav",
                    "url": "s3://bucket/recording.wav", "alg": "SHA-512", "signature": "abc123"}],
        "analysis": [], "attachments": []});
    post_vcon(&app, &base).await;
    send(
        &app,
        bare(Method::DELETE, "/vcon/11111111-1111-1111-1111-111111111111"),
    )
    .await;
    for (key, bad) in [
        ("parties", json!([0, 99])),
        ("duration", json!(-30)),
        ("url", json!("not-a-url")),
        ("mimetype", json!("not a valid mimetype!")),
    ] {
        let mut v = base.clone();
        v["dialog"][0][key] = bad;
        let r = send(&app, json_body(Method::POST, "/vcon", &v)).await;
        let p = r.problem(422);
        assert!(!p["findings"].as_array().unwrap().is_empty(), "{key}: {p}");
        let g = send(
            &app,
            bare(Method::GET, "/vcon/11111111-1111-1111-1111-111111111111"),
        )
        .await;
        assert_eq!(g.status, 404, "{key}: nothing stored");
    }
}

#[tokio::test]
async fn post_with_ingress_list_then_egress_pops_it() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let vcon = mock_vcon(&mut Rng(4));
    let r = send(
        &app,
        json_body(Method::POST, "/vcon?ingress_lists=test_ingress_list", &vcon),
    )
    .await;
    assert_eq!(r.status, 201);
    let r = send(
        &app,
        bare(
            Method::GET,
            "/vcon/egress?egress_list=test_ingress_list&limit=1",
        ),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(r.json().as_array().unwrap().contains(&vcon["uuid"]));
    let r = send(
        &app,
        bare(
            Method::GET,
            "/vcon/egress?egress_list=test_ingress_list&limit=1",
        ),
    )
    .await;
    assert_eq!(r.json(), json!([]), "popped once");

    // The enqueue counter (the conserver's count_vcons_enqueued, source=new).
    let metrics = String::from_utf8(
        send(&app, bare(Method::GET, "/metrics"))
            .await
            .body
            .to_vec(),
    )
    .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("vcon_api_enqueued_total")
                && l.contains("ingress_list=\"test_ingress_list\"")
                && l.contains("source=\"new\"")
                && l.ends_with(" 1")),
        "{metrics}"
    );
}

#[tokio::test]
async fn reingress_only_stored_vcons() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let vcon = mock_vcon(&mut Rng(5));
    post_vcon(&app, &vcon).await;
    let body = json!([vcon["uuid"], new_uuid()]);
    let r = send(
        &app,
        json_body(
            Method::POST,
            "/vcon/ingress?ingress_list=test_ingress_bulk",
            &body,
        ),
    )
    .await;
    assert_eq!(r.status, 204);
    let count = send(
        &app,
        bare(Method::GET, "/vcon/count?egress_list=test_ingress_bulk"),
    )
    .await;
    assert_eq!(count.json(), json!(1));
    let stats = axum::http::Request::get("/stats/queue?list_name=test_ingress_bulk")
        .body(Body::empty())
        .unwrap();
    let stats = send(&app, stats).await;
    assert_eq!(
        stats.json(),
        json!({"list_name": "test_ingress_bulk", "depth": 1}),
        "public route"
    );
    send(
        &app,
        json_body(
            Method::POST,
            "/vcon/ingress?ingress_list=x",
            &json!(["nope"]),
        ),
    )
    .await
    .problem(422);
}

#[tokio::test]
async fn dlq_list_and_reprocess() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let queue = t.server.state().queue.clone();
    let list = ListName::new("test_dlq_counter").unwrap();
    let uuids = vec![new_uuid().parse().unwrap(), new_uuid().parse().unwrap()];
    queue.enqueue(&list, &uuids).await.unwrap();
    for lease in queue
        .lease(&list, 10, std::time::Duration::from_secs(30))
        .await
        .unwrap()
    {
        queue.dead_letter(&lease.id, "boom").await.unwrap();
    }
    let dlq = send(
        &app,
        bare(Method::GET, "/dlq?ingress_list=test_dlq_counter"),
    )
    .await;
    assert_eq!(
        dlq.json(),
        json!([uuids[0].to_string(), uuids[1].to_string()])
    );
    let r = send(
        &app,
        bare(Method::POST, "/dlq/reprocess?ingress_list=test_dlq_counter"),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!(2));
    let r = send(
        &app,
        bare(Method::POST, "/dlq/reprocess?ingress_list=test_dlq_counter"),
    )
    .await;
    assert_eq!(r.json(), json!(0), "empty DLQ moves nothing");
    let count = send(
        &app,
        bare(Method::GET, "/vcon/count?egress_list=test_dlq_counter"),
    )
    .await;
    assert_eq!(count.json(), json!(2));
    send(
        &app,
        bare(Method::POST, "/dlq/reprocess?ingress_list=a&count=0"),
    )
    .await
    .problem(422);
}

#[tokio::test]
async fn multi_get_and_search() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let mut rng = Rng(6);
    let a = mock_vcon(&mut rng);
    let b = mock_vcon(&mut rng);
    post_vcon(&app, &a).await;
    post_vcon(&app, &b).await;
    let missing = new_uuid();
    let uri = format!(
        "/vcons?vcon_uuids={}&vcon_uuids={missing}&vcon_uuids={}",
        a["uuid"].as_str().unwrap(),
        b["uuid"].as_str().unwrap()
    );
    let r = send(&app, bare(Method::GET, &uri)).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!([a, null, b]));

    let tel = a["parties"][0]["tel"].as_str().unwrap();
    let uri = format!("/vcons/search?tel={}", urlencode(tel));
    assert_eq!(
        send(&app, bare(Method::GET, &uri)).await.json(),
        json!([a["uuid"]])
    );
    let name = a["parties"][1]["name"].as_str().unwrap();
    let uri = format!(
        "/vcons/search?tel={}&name={}",
        urlencode(tel),
        urlencode(name)
    );
    assert_eq!(
        send(&app, bare(Method::GET, &uri)).await.json(),
        json!([a["uuid"]])
    );
    let mailto = b["parties"][0]["mailto"].as_str().unwrap();
    let uri = format!("/vcons/search?mailto={}", urlencode(mailto));
    assert_eq!(
        send(&app, bare(Method::GET, &uri)).await.json(),
        json!([b["uuid"]])
    );
    let r = send(&app, bare(Method::GET, "/vcons/search")).await;
    assert_eq!(
        r.problem(400)["detail"],
        "At least one search parameter must be provided"
    );
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn token_header_and_public_routes() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let no_token = Request::get("/vcon").body(Body::empty()).unwrap();
    assert_eq!(
        send(&app, no_token).await.problem(403)["detail"],
        "Invalid API Key"
    );
    let wrong = Request::get("/vcon")
        .header(HEADER, "nope")
        .body(Body::empty())
        .unwrap();
    send(&app, wrong).await.problem(403);
    let admin = Request::get("/vcon")
        .header(HEADER, ADMIN)
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&app, admin).await.status,
        200,
        "the admin token works too"
    );
    for path in ["/health", "/version", "/api/health", "/api/version"] {
        let r = send(&app, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(r.status, 200, "{path}");
        assert!(r.header("x-vcon-server-version").is_some());
    }
    let health = send(&app, Request::get("/health").body(Body::empty()).unwrap())
        .await
        .json();
    assert_eq!(health["status"], "healthy");
    assert!(
        health["version"]["version"].is_string() && health["version"]["git_commit"].is_string()
    );
}

#[tokio::test]
async fn routes_answer_under_the_root_path_too() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let vcon = mock_vcon(&mut Rng(7));
    let r = send(&app, json_body(Method::POST, "/api/vcon", &vcon)).await;
    assert_eq!(r.status, 201);
    let g = send(
        &app,
        bare(
            Method::GET,
            &format!("/api/vcon/{}", vcon["uuid"].as_str().unwrap()),
        ),
    )
    .await;
    assert_eq!(g.json(), vcon);
    let idx = send(&app, bare(Method::GET, "/api/index_vcons")).await;
    assert_eq!(idx.json(), json!(1));
}

#[tokio::test]
async fn config_is_read_and_written_as_yaml() {
    let t = start(|c| c.conserver.config_file = None).await;
    let app = t.server.router();
    let effective = send(&app, bare(Method::GET, "/config")).await.json();
    assert_eq!(effective["chains"], json!({}), "the [pipeline] in force");
    let r = send(&app, json_body(Method::POST, "/config", &json!({"a": 1}))).await;
    assert_eq!(r.problem(500)["detail"], "the server failed; see its log");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yml");
    std::fs::write(&file, "chains:\n  main:\n    links: [tag]\n").unwrap();
    let f = file.clone();
    let t = start_in(dir, move |c| c.conserver.config_file = Some(f)).await;
    let app = t.server.router();
    assert_eq!(
        send(&app, bare(Method::GET, "/config")).await.json(),
        json!({"chains": {"main": {"links": ["tag"]}}})
    );
    let new = json!({"ingress_auth": {"p": "k"}, "chains": {}});
    assert_eq!(
        send(&app, json_body(Method::POST, "/config", &new))
            .await
            .status,
        204
    );
    let written: Value = serde_norway::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written, new);
}
