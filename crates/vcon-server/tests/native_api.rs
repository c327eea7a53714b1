//! The native API under /v1: create, get, replace, delete, list, search,
//! append, validation, idempotency, media types, forms and auth.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write as _;

use axum::body::Body;
use axum::http::Method;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use support::*;

fn post(body: impl Into<Body>, content_type: &str) -> axum::http::Request<Body> {
    native(Method::POST, "/v1/vcons")
        .header("content-type", content_type)
        .body(body.into())
        .unwrap()
}

/// The uuids of a page of results (a listing or a search), asserting a 200.
fn uuids(r: Reply) -> Vec<String> {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["uuid"].as_str().unwrap().to_owned())
        .collect()
}

fn get(uri: &str) -> axum::http::Request<Body> {
    native(Method::GET, uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn create_get_and_idempotent_repost() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuid = new_uuid();
    let vcon = strict_vcon(&uuid, "+12345678901", "I want my money back");

    let r = send(&app, post(vcon.clone(), "application/vcon")).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let info = r.json();
    assert_eq!(info["uuid"], uuid);
    assert_eq!(info["status"], "created");
    assert_eq!(info["revision"], 1);
    assert_eq!(r.header("location").unwrap(), format!("/v1/vcons/{uuid}"));
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(info["href"], format!("/v1/vcons/{uuid}"));
    assert_eq!(info["form"], "unsigned");
    assert_eq!(info["size"], vcon.len());
    for member in ["created_at", "stored_at", "updated_at"] {
        assert!(info[member].as_str().unwrap().ends_with('Z'), "{info}");
    }
    let etag = r.header("etag").unwrap();
    assert_eq!(etag, format!("\"{}\"", info["etag"].as_str().unwrap()));

    let g = send(&app, get(&format!("/v1/vcons/{uuid}"))).await;
    assert_eq!(g.status, 200);
    assert_eq!(
        g.header("content-type").as_deref(),
        Some("application/vcon")
    );
    assert_eq!(g.header("etag").as_deref(), Some(etag.as_str()));
    assert_eq!(&g.body[..], vcon.as_bytes(), "stored byte for byte");

    let not_modified = send(
        &app,
        native(Method::GET, &format!("/v1/vcons/{uuid}"))
            .header("if-none-match", etag.as_str())
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(not_modified.status, 304);

    // The same vCon again: 200, the same resource.
    let again = send(&app, post(vcon.clone(), "application/json")).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["status"], "already_stored");
    assert_eq!(again.header("etag").as_deref(), Some(etag.as_str()));

    // Other bytes under the same uuid: 409, nothing changed.
    let other = strict_vcon(&uuid, "+12345678901", "something else");
    let conflict = send(&app, post(other, "application/vcon")).await;
    let p = conflict.problem(409);
    assert!(p["detail"].as_str().unwrap().contains(&uuid));
    let g = send(&app, get(&format!("/v1/vcons/{uuid}"))).await;
    assert_eq!(&g.body[..], vcon.as_bytes());
}

#[tokio::test]
async fn invalid_vcon_is_422_with_findings_and_nothing_is_stored() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuid = new_uuid();
    let mut v: serde_json::Value =
        serde_json::from_str(&strict_vcon(&uuid, "+12345678901", "hi")).unwrap();
    v["dialog"][0]["parties"] = serde_json::json!([0, 7]);
    let r = send(&app, post(v.to_string(), "application/vcon")).await;
    let p = r.problem(422);
    assert_eq!(p["type"], "urn:vconkit:problem:invalid-vcon");
    let findings = p["findings"].as_array().unwrap();
    assert!(
        findings.iter().any(|f| f["severity"] == "error"
            && f["pointer"]
                .as_str()
                .unwrap()
                .starts_with("/dialog/0/parties")),
        "{p}"
    );
    assert!(
        findings
            .iter()
            .all(|f| f["rule"].is_string() && f["message"].is_string())
    );

    send(&app, get(&format!("/v1/vcons/{uuid}")))
        .await
        .problem(404);
    let list = send(&app, get("/v1/vcons")).await;
    assert_eq!(list.json()["items"], serde_json::json!([]));

    // Not JSON at all: 422 with the reader's finding.
    let r = send(&app, post("{not json", "application/vcon")).await;
    let p = r.problem(422);
    assert!(p["findings"][0]["rule"] == "R-45", "{p}");

    // Wrong media type: 415.
    send(&app, post("{}", "text/plain")).await.problem(415);
    // A bad ingress list name is answered before the media type.
    let bad_list = native(Method::POST, "/v1/vcons?ingress=%01")
        .header("content-type", "text/plain")
        .body(Body::from("{}"))
        .unwrap();
    let status = send(&app, bad_list).await.status;
    assert!(status == 400 || status == 422, "{status}");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[tokio::test]
async fn gzip_is_inflated_within_the_limit() {
    let t = start(|c| c.limits.max_inflated_bytes = 64 * 1024).await;
    let app = t.server.router();
    let uuid = new_uuid();
    let vcon = strict_vcon(&uuid, "+12345678901", "compressed");
    let r = send(&app, post(gzip(vcon.as_bytes()), "application/vcon+gzip")).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let g = send(&app, get(&format!("/v1/vcons/{uuid}"))).await;
    assert_eq!(
        g.header("content-type").as_deref(),
        Some("application/vcon")
    );
    assert_eq!(&g.body[..], vcon.as_bytes());

    // A small body that inflates past the limit: 413, nothing stored.
    let bomb_uuid = new_uuid();
    let huge = strict_vcon(&bomb_uuid, "+12345678901", &"a".repeat(200 * 1024));
    let bomb = gzip(huge.as_bytes());
    assert!(bomb.len() < 4096);
    send(&app, post(bomb, "application/vcon+gzip"))
        .await
        .problem(413);
    send(&app, get(&format!("/v1/vcons/{bomb_uuid}")))
        .await
        .problem(404);
}

#[tokio::test]
async fn body_over_the_size_limit_is_413() {
    let t = start(|c| c.limits.max_body_bytes = 1024).await;
    let app = t.server.router();
    let vcon = strict_vcon(&new_uuid(), "+12345678901", &"x".repeat(2048));
    send(&app, post(vcon, "application/vcon"))
        .await
        .problem(413);
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn signed_and_encrypted_forms_are_stored_byte_for_byte() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuid = new_uuid();
    let payload = strict_vcon(&uuid, "+12345678901", "signed words");
    // Member order and spacing of the envelope must survive untouched.
    let signed = format!(
        "{{ \"signatures\": [{{\"protected\": \"{}\", \"header\": {{\"uuid\": \"{uuid}\"}}, \"signature\": \"{}\"}}],\n  \"payload\": \"{}\" }}",
        b64(br#"{"alg":"RS256","x5c":["MIIB"]}"#),
        b64(&[1u8; 256]),
        b64(payload.as_bytes()),
    );
    let r = send(&app, post(signed.clone(), "application/vcon")).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["form"], "signed");
    let g = send(&app, get(&format!("/v1/vcons/{uuid}"))).await;
    assert_eq!(&g.body[..], signed.as_bytes());

    // The signed payload is searchable.
    let s = send(&app, get("/v1/search?q=signed")).await;
    assert_eq!(s.json()["items"][0]["uuid"], uuid);

    // Appending would break the signature: 409.
    let a = send(
        &app,
        native(Method::POST, &format!("/v1/vcons/{uuid}/analysis"))
            .header("content-type", "application/json")
            .body(Body::from(
                r#"{"type":"summary","vendor":"x","encoding":"none","body":"s"}"#,
            ))
            .unwrap(),
    )
    .await;
    a.problem(409);

    let enc_uuid = new_uuid();
    let encrypted = serde_json::json!({
        "unprotected": {"cty": "application/vcon", "enc": "A256CBC-HS512", "uuid": enc_uuid},
        "recipients": [{"header": {"alg": "RSA-OAEP"}, "encrypted_key": b64(&[2u8; 256])}],
        "iv": b64(&[3u8; 16]), "ciphertext": b64(&[4u8; 64]), "tag": b64(&[5u8; 32])
    })
    .to_string();
    let r = send(&app, post(encrypted.clone(), "application/vcon")).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["form"], "encrypted");
    let g = send(&app, get(&format!("/v1/vcons/{enc_uuid}"))).await;
    assert_eq!(&g.body[..], encrypted.as_bytes());
}

#[tokio::test]
async fn replace_needs_if_match() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuid = new_uuid();
    let first = strict_vcon(&uuid, "+12345678901", "first");
    let etag = send(&app, post(first, "application/vcon"))
        .await
        .header("etag")
        .unwrap();
    let second = strict_vcon(&uuid, "+12345678901", "second");
    let put = |if_match: Option<&str>, body: String| {
        let mut b = native(Method::PUT, &format!("/v1/vcons/{uuid}"))
            .header("content-type", "application/vcon");
        if let Some(m) = if_match {
            b = b.header("if-match", m);
        }
        b.body(Body::from(body)).unwrap()
    };
    send(&app, put(None, second.clone())).await.problem(428);
    let wrong = format!("\"{}\"", "0".repeat(64));
    send(&app, put(Some(&wrong), second.clone()))
        .await
        .problem(412);

    let r = send(&app, put(Some(&etag), second.clone())).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["status"], "replaced");
    assert_eq!(r.json()["revision"], 2);
    assert_ne!(r.header("etag").unwrap(), etag);
    let g = send(&app, get(&format!("/v1/vcons/{uuid}"))).await;
    assert_eq!(&g.body[..], second.as_bytes());

    // The old etag no longer holds.
    send(
        &app,
        put(Some(&etag), strict_vcon(&uuid, "+12345678901", "third")),
    )
    .await
    .problem(412);
    // A body with another uuid than the URL: refused.
    let other = strict_vcon(&new_uuid(), "+12345678901", "x");
    let r = send(&app, put(Some("*"), other)).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    // Invalid replacement: 422, the stored version stays.
    let r = send(
        &app,
        put(Some("*"), "{\"uuid\": 5, \"parties\": []}".into()),
    )
    .await;
    r.problem(422);
    let g = send(&app, get(&format!("/v1/vcons/{uuid}"))).await;
    assert_eq!(&g.body[..], second.as_bytes());
}

#[tokio::test]
async fn delete_then_gone() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuid = new_uuid();
    send(
        &app,
        post(strict_vcon(&uuid, "+12345678901", "x"), "application/vcon"),
    )
    .await;
    let del = || {
        native(Method::DELETE, &format!("/v1/vcons/{uuid}"))
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&app, del()).await.status, 204);
    send(&app, get(&format!("/v1/vcons/{uuid}")))
        .await
        .problem(404);
    send(&app, del()).await.problem(404);
    send(&app, get("/v1/vcons/not-a-uuid")).await.problem(422);
}

#[tokio::test]
async fn list_pages_with_a_cursor() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let mut created = Vec::new();
    for i in 0..5 {
        let uuid = new_uuid();
        send(
            &app,
            post(
                strict_vcon(&uuid, "+12345678901", &format!("n{i}")),
                "application/vcon",
            ),
        )
        .await;
        created.push(uuid);
    }
    let mut seen = Vec::new();
    let mut uri = "/v1/vcons?limit=2".to_owned();
    let mut pages = 0;
    loop {
        let page = send(&app, get(&uri)).await.json();
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["uuid"].as_str().unwrap().to_owned());
        }
        match page["next"].as_str() {
            Some(next) => uri = format!("/v1/vcons?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created, "oldest stored first, each once");
    send(&app, get("/v1/vcons?cursor=garbage"))
        .await
        .problem(400);
    send(&app, get("/v1/vcons?limit=0")).await.problem(422);
}

#[tokio::test]
async fn search_by_party_text_type_and_time() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let a = new_uuid();
    let b = new_uuid();
    send(
        &app,
        post(
            strict_vcon(&a, "+15551230001", "refund my order"),
            "application/vcon",
        ),
    )
    .await;
    send(
        &app,
        post(
            strict_vcon(&b, "+15551230002", "thanks for the help"),
            "application/vcon",
        ),
    )
    .await;
    assert_eq!(
        uuids(send(&app, get("/v1/search?tel=%2B15551230001")).await),
        vec![a.clone()]
    );
    // The `+` typed into a URL unencoded (a form-decoded space).
    assert_eq!(
        uuids(send(&app, get("/v1/search?tel=+15551230001")).await),
        vec![a.clone()]
    );
    assert_eq!(
        uuids(send(&app, get("/v1/search?q=order")).await),
        vec![a.clone()]
    );
    assert_eq!(
        uuids(send(&app, get("/v1/search?mailto=bob%40example.com&q=help")).await),
        vec![b.clone()]
    );
    assert_eq!(
        uuids(send(&app, get("/v1/search?name=alice&dialog_type=text")).await).len(),
        2
    );
    assert!(uuids(send(&app, get("/v1/search?dialog_type=recording")).await).is_empty());
    assert_eq!(
        uuids(
            send(
                &app,
                get("/v1/search?from=2026-06-29T00:00:00Z&to=2026-06-30T00:00:00Z")
            )
            .await
        )
        .len(),
        2
    );
    assert!(uuids(send(&app, get("/v1/search?from=2027-01-01T00:00:00Z")).await).is_empty());
    send(&app, get("/v1/search?from=yesterday"))
        .await
        .problem(422);
}

#[tokio::test]
async fn an_unknown_query_parameter_is_refused_not_ignored() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    send(
        &app,
        post(
            strict_vcon(&new_uuid(), "+12345678901", "hello"),
            "application/vcon",
        ),
    )
    .await;
    // `text=` for `q=`: ignored, it would have listed every vCon as a match.
    let p = send(&app, get("/v1/search?text=nothing-matches"))
        .await
        .problem(422);
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("`text`") && detail.contains(" q,"),
        "{detail}"
    );
    send(&app, get("/v1/vcons?limit=5&sort=desc"))
        .await
        .problem(422);
    // A post with an unknown parameter stores nothing.
    let misspelt = native(Method::POST, "/v1/vcons?ingres=default")
        .header("content-type", "application/vcon")
        .body(Body::from(strict_vcon(&new_uuid(), "+12345678902", "hi")))
        .unwrap();
    send(&app, misspelt).await.problem(422);
    let r = send(
        &app,
        post(
            strict_vcon(&new_uuid(), "+12345678903", "hi"),
            "application/vcon",
        ),
    )
    .await;
    assert_eq!(r.status, 201);
    // The known ones still work, repeated ones included.
    assert_eq!(
        uuids(send(&app, get("/v1/search?q=nothing-matches")).await).len(),
        0
    );
    assert_eq!(
        uuids(send(&app, get("/v1/search?tag=a&tag=b&limit=5")).await).len(),
        0
    );
    assert_eq!(
        uuids(send(&app, get("/v1/vcons?limit=5&order=stored_desc")).await).len(),
        2
    );
}

#[tokio::test]
async fn append_analysis_and_attachments() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuid = new_uuid();
    send(
        &app,
        post(
            strict_vcon(&uuid, "+12345678901", "hello"),
            "application/vcon",
        ),
    )
    .await;
    let append = |what: &str, body: &str| {
        native(Method::POST, &format!("/v1/vcons/{uuid}/{what}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap()
    };
    let r = send(
        &app,
        append("analysis", r#"{"type":"summary","dialog":0,"vendor":"acme","encoding":"none","body":"A greeting."}"#),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["revision"], 2);
    let r = send(
        &app,
        append("attachments", r#"[{"purpose":"note","party":0,"start":"2026-06-29T23:11:19Z","dialog":0,"mediatype":"text/plain","encoding":"none","body":"n"}]"#),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["revision"], 3);
    let stored = send(&app, get(&format!("/v1/vcons/{uuid}"))).await.json();
    assert_eq!(stored["analysis"][0]["body"], "A greeting.");
    assert_eq!(stored["attachments"][0]["purpose"], "note");

    // An entry that makes the vCon invalid: 422, nothing stored.
    let r = send(
        &app,
        append(
            "analysis",
            r#"{"type":"summary","dialog":9,"vendor":"x","encoding":"none","body":"b"}"#,
        ),
    )
    .await;
    assert!(!r.problem(422)["findings"].as_array().unwrap().is_empty());
    let again = send(&app, get(&format!("/v1/vcons/{uuid}"))).await.json();
    assert_eq!(again["analysis"].as_array().unwrap().len(), 1);
    send(&app, append("analysis", "[1, 2]")).await.problem(422);
    let missing = native(Method::POST, &format!("/v1/vcons/{}/analysis", new_uuid()))
        .body(Body::from("{}"))
        .unwrap();
    send(&app, missing).await.problem(404);
}

#[tokio::test]
async fn ingress_query_queues_the_vcon() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuid = new_uuid();
    let r = send(
        &app,
        native(Method::POST, "/v1/vcons?ingress=main&ingress=audit")
            .header("content-type", "application/vcon")
            .body(Body::from(strict_vcon(&uuid, "+12345678901", "q")))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 201);
    for list in ["main", "audit"] {
        let popped = send(
            &app,
            conserver(
                Method::GET,
                &format!("/vcon/egress?egress_list={list}&limit=5"),
            )
            .body(Body::empty())
            .unwrap(),
        )
        .await;
        assert_eq!(popped.json(), serde_json::json!([uuid]));
    }
}

#[tokio::test]
async fn auth_is_required() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let bare = axum::http::Request::get("/v1/vcons")
        .body(Body::empty())
        .unwrap();
    let r = send(&app, bare).await;
    r.problem(401);
    assert_eq!(
        r.header("www-authenticate").as_deref(),
        Some("Bearer realm=\"vcon\"")
    );
    let wrong = axum::http::Request::get("/v1/vcons")
        .header("authorization", "Bearer nope")
        .body(Body::empty())
        .unwrap();
    send(&app, wrong).await.problem(401);
    // A conserver token opens the conserver API only.
    let conserver_bearer = axum::http::Request::get("/v1/vcons")
        .header("authorization", format!("Bearer {CONSERVER}"))
        .body(Body::empty())
        .unwrap();
    send(&app, conserver_bearer).await.problem(401);
}

#[tokio::test]
async fn auth_can_be_turned_off() {
    let t = start(|c| c.auth.enabled = false).await;
    let bare = axum::http::Request::get("/v1/vcons")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&t.server.router(), bare).await.status, 200);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    send(&app, get("/v2/nothing")).await.problem(404);
    let patch = native(Method::PATCH, "/v1/vcons")
        .body(Body::empty())
        .unwrap();
    send(&app, patch).await.problem(405);
}
