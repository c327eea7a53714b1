//! The conserver-compatible API, driven by requests shaped as the
//! conserver's own tests send them (common/tests/test_api.py,
//! test_api_branches.py, test_external_ingress.py): same paths, query
//! parameters, headers and bodies, and the same observable results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::{Value, json};
use support::*;
use vcon_store::ListName;

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// In `lo..=hi`, as Python's `random.randint`.
    fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.next() % 10) as u8))
            .collect()
    }
    /// Like Faker's `iso8601()`: a naive date-time.
    fn iso8601(&mut self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.int(1971, 2024),
            self.int(1, 12),
            self.int(1, 28),
            self.int(0, 23),
            self.int(0, 59),
            self.int(0, 59)
        )
    }
    /// Like Faker's `phone_number()` (its en_US formats).
    fn phone(&mut self) -> String {
        let (a, b, c) = (self.digits(3), self.digits(3), self.digits(4));
        match self.int(0, 4) {
            0 => format!("({a}){b}-{c}"),
            1 => format!("{a}.{b}.{c}"),
            2 => format!("+1-{a}-{b}-{c}x{}", self.digits(3)),
            3 => format!("001-{a}-{b}-{c}"),
            _ => format!("{a}-{b}-{c}"),
        }
    }
}

/// The shape of the conserver's `generate_mock_vcon()`: a 0.0.1 vCon with
/// nulls, 2-5 parties, 1-5 recordings, 1-5 analyses (whose `dialog` may be
/// out of range), 0-5 attachments.
fn mock_vcon(rng: &mut Rng) -> Value {
    let names = ["Jane Doe", "John Roe", "Ann Lee", "Raj Patel", "Eva Kim"];
    let parties: Vec<Value> = (0..rng.int(2, 5))
        .map(|i| {
            json!({"tel": rng.phone(), "meta": {"role": rng.pick(&["agent", "customer"])},
                   "name": names[i as usize], "stir": null, "jcard": null, "gmlpos": null,
                   "mailto": format!("user{}@example.org", rng.digits(6)), "timezone": null,
                   "validation": null, "civicaddress": null})
        })
        .collect();
    let dialogs = rng.int(1, 5);
    let dialog: Vec<Value> = (0..dialogs)
        .map(|_| {
            json!({"alg": "SHA-512", "url": format!("https://www.example.com/{}", rng.digits(4)),
                   "body": null,
                   "meta": {"direction": rng.pick(&["in", "out"]),
                            "disposition": rng.pick(&["ANSWERED", "FAILED", "NO ANSWER", "BUSY"])},
                   "type": "recording", "start": rng.iso8601(), "parties": [0, 1],
                   "duration": rng.int(60, 600), "encoding": null, "filename": null,
                   "mimetype": "audio/x-wav", "signature": rng.digits(64)})
        })
        .collect();
    let analysis: Vec<Value> = (0..rng.int(1, 5))
        .map(|_| {
            let body = json!({"words": [], "confidence": 0.5, "paragraphs": {"paragraphs": []},
                              "transcript": "Hello there, how can I help?"});
            json!({"body": body.to_string(), "type": rng.pick(&["transcript", "summary"]),
                   "dialog": rng.int(0, dialogs), "vendor": rng.pick(&["ibm", "google", "amazon"]),
                   "encoding": "json"})
        })
        .collect();
    let attachments: Vec<Value> = (0..rng.int(0, 5))
        .map(|_| {
            json!({"alg": null, "url": null, "body": "Some dealer text.", "type": "strolid_dealer",
                   "party": null, "encoding": "none", "filename": null, "mimetype": null,
                   "signature": null})
        })
        .collect();
    json!({"uuid": new_uuid(), "vcon": "0.0.1", "group": [], "dialog": dialog, "parties": parties,
           "subject": null, "analysis": analysis, "appended": null, "redacted": {},
           "created_at": rng.iso8601(), "attachments": attachments})
}

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
#[ignore = "needs vcon-store to read a created_at without offset as UTC (reported to the lead)"]
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

mod external_ingress {
    use super::*;

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
}
