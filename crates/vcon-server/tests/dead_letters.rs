//! `GET /v1/queues/{list}/dead-letters`: the dead letters of a list with
//! their errors, paged; the conserver's `GET /dlq` keeps its uuid list.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::Method;
use serde_json::json;
use support::*;
use vcon_server::routes::conserver_lists::dead_letter_uuids;
use vcon_store::{ListName, VconUuid};

fn get(uri: &str) -> axum::http::Request<Body> {
    native(Method::GET, uri).body(Body::empty()).unwrap()
}

/// Dead-letters `n` new uuids on `list`, each with error `boom <i>`.
async fn dead_letter(t: &TestServer, list: &str, n: usize) -> Vec<VconUuid> {
    let queue = t.server.state().queue.clone();
    let list = ListName::new(list).unwrap();
    let uuids: Vec<VconUuid> = (0..n).map(|_| new_uuid().parse().unwrap()).collect();
    queue.enqueue(&list, &uuids).await.unwrap();
    let leases = queue
        .lease(&list, n, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(leases.len(), n);
    for (i, lease) in leases.iter().enumerate() {
        queue
            .dead_letter(&lease.id, &format!("boom {i}"))
            .await
            .unwrap();
    }
    uuids
}

#[tokio::test]
async fn dead_letters_are_listed_with_their_errors_and_paged() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuids = dead_letter(&t, "calls", 5).await;
    dead_letter(&t, "other", 1).await;

    let r = send(&app, get("/v1/queues/calls/dead-letters?limit=2")).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let page = r.json();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["uuid"], uuids[0].to_string());
    assert_eq!(items[0]["list"], "calls");
    assert_eq!(items[0]["error"], "boom 0");
    assert_eq!(items[0]["attempts"], 1);
    assert_eq!(items[0]["href"], format!("/v1/vcons/{}", uuids[0]));
    let at = items[0]["dead_lettered_at"].as_str().unwrap();
    let at = chrono::DateTime::parse_from_rfc3339(at).unwrap();
    assert!(
        (chrono::Utc::now() - at.to_utc()).num_seconds() < 600,
        "{at}"
    );

    // Follow the cursors to the end: every dead letter once, in order.
    let mut seen: Vec<String> = items
        .iter()
        .map(|i| i["uuid"].as_str().unwrap().to_owned())
        .collect();
    let mut next = page["next"].as_str().map(str::to_owned);
    while let Some(cursor) = next {
        let page = send(
            &app,
            get(&format!(
                "/v1/queues/calls/dead-letters?limit=2&cursor={cursor}"
            )),
        )
        .await
        .json();
        // A cursor is given only when another dead letter follows.
        assert!(!page["items"].as_array().unwrap().is_empty(), "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["uuid"].as_str().unwrap().to_owned()),
        );
        next = page["next"].as_str().map(str::to_owned);
    }
    let expected: Vec<String> = uuids.iter().map(ToString::to_string).collect();
    assert_eq!(seen, expected);

    // A list without dead letters: an empty last page.
    let r = send(&app, get("/v1/queues/never-used/dead-letters")).await;
    assert_eq!(r.json(), json!({"items": [], "next": null}));
}

#[tokio::test]
async fn dead_letters_need_the_bearer_token_and_good_parameters() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let bare = axum::http::Request::get("/v1/queues/calls/dead-letters")
        .body(Body::empty())
        .unwrap();
    send(&app, bare).await.problem(401);
    let p = send(&app, get("/v1/queues/calls/dead-letters?cursor=abc"))
        .await
        .problem(400);
    assert!(p["detail"].as_str().unwrap().contains("cursor"), "{p}");
    let p = send(&app, get("/v1/queues/calls/dead-letters?limit=0"))
        .await
        .problem(422);
    assert!(p["detail"].as_str().unwrap().contains("limit"), "{p}");
    let p = send(&app, get("/v1/queues/calls/dead-letters?after=3"))
        .await
        .problem(422);
    assert!(p["detail"].as_str().unwrap().contains("after"), "{p}");
}

#[tokio::test]
async fn a_chain_failure_is_inspectable_with_its_error() {
    let pipeline = vcon_pipeline::PipelineConfig::from_toml(
        "idle_poll_ms = 10\n\
         [links.explode]\ntype = \"jq\"\noptions = { filter = 'error(\"no such field\")' }\n\
         [chains.main]\ningress = [\"bad\"]\nlinks = [\"explode\"]\n\
         retry = { max_attempts = 1, initial_backoff_ms = 1 }\n",
    )
    .unwrap();
    let t = start(move |c| c.pipeline = pipeline).await;
    let app = t.server.router();
    let uuid = new_uuid();
    let post = native(Method::POST, "/v1/vcons?ingress=bad")
        .header("content-type", "application/vcon")
        .body(Body::from(strict_vcon(&uuid, "+12345678901", "hi")))
        .unwrap();
    assert_eq!(send(&app, post).await.status, 201);
    // Bounded wait for the worker to dead-letter it.
    let mut items = json!([]);
    for _ in 0..500 {
        items = send(&app, get("/v1/queues/bad/dead-letters")).await.json()["items"].clone();
        if !items.as_array().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(items[0]["uuid"], uuid);
    let error = items[0]["error"].as_str().unwrap();
    assert!(
        error.contains("explode") && error.contains("no such field"),
        "{error}"
    );
}

#[tokio::test]
async fn the_conserver_dlq_answer_is_capped() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuids = dead_letter(&t, "capped", 4).await;
    let queue = t.server.state().queue.clone();
    let list = ListName::new("capped").unwrap();
    let first3 = dead_letter_uuids(queue.as_ref(), &list, 3).await.unwrap();
    let expected: Vec<String> = uuids.iter().take(3).map(ToString::to_string).collect();
    assert_eq!(first3, expected);
    // Below the cap, GET /dlq still answers every uuid, in the conserver's shape.
    let r = send(
        &app,
        conserver(Method::GET, "/dlq?ingress_list=capped")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let all: Vec<String> = uuids.iter().map(ToString::to_string).collect();
    assert_eq!(r.json(), json!(all));
}
