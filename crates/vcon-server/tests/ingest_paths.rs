//! The one write path of the create routes (`ingest::store_accepted`): the
//! native API keeps a stored uuid's bytes, the conserver routes overwrite
//! them and queue every post; what is stored is searchable afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::Body;
use axum::http::Method;
use support::*;

fn post_native(body: &str) -> axum::http::Request<Body> {
    native(Method::POST, "/v1/vcons")
        .header("content-type", "application/vcon")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn post_conserver(body: &str) -> axum::http::Request<Body> {
    conserver(Method::POST, "/vcon?ingress_lists=paths_in")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

fn bare(method: Method, uri: &str) -> axum::http::Request<Body> {
    conserver(method, uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn native_keeps_stored_bytes_conserver_overwrites_and_requeues() {
    let t = start(|_| {}).await;
    let app = t.server.router();
    let uuid = new_uuid();
    let first = strict_vcon(&uuid, "+15551230001", "first words");
    let second = strict_vcon(&uuid, "+15551230001", "second words");

    // Native: created, then the same bytes are 200, other bytes 409.
    assert_eq!(send(&app, post_native(&first)).await.status, 201);
    let again = send(&app, post_native(&first)).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["status"], "already_stored");
    assert_eq!(send(&app, post_native(&second)).await.status, 409);

    // Conserver (its own request model): other bytes overwrite, the same
    // bytes are queued again.
    let mut vcon = mock::mock_vcon(&mut mock::Rng(7));
    let uuid = vcon["uuid"].as_str().unwrap().to_owned();
    vcon["subject"] = "first words".into();
    let first = vcon.to_string();
    vcon["subject"] = "second words".into();
    let second = vcon.to_string();
    assert_eq!(send(&app, post_conserver(&first)).await.status, 201);
    assert_eq!(send(&app, post_conserver(&second)).await.status, 201);
    assert_eq!(send(&app, post_conserver(&second)).await.status, 201);
    let got = send(&app, bare(Method::GET, &format!("/vcon/{uuid}"))).await;
    assert_eq!(got.status, 200);
    assert_eq!(String::from_utf8(got.body.to_vec()).unwrap(), second);
    let popped = send(
        &app,
        bare(Method::GET, "/vcon/egress?egress_list=paths_in&limit=10"),
    )
    .await;
    assert_eq!(
        popped.json(),
        serde_json::json!([uuid, uuid, uuid]),
        "one per post"
    );

    // What is stored is what search finds (the index is built from the same parse).
    let search = |q: &str| {
        native(Method::GET, &format!("/v1/search?q={q}"))
            .body(Body::empty())
            .unwrap()
    };
    let found = send(&app, search("second")).await;
    assert_eq!(found.status, 200);
    let items = found.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["uuid"], uuid.as_str());
    let old = send(&app, search("first")).await;
    let old_items = old.json()["items"].as_array().unwrap().clone();
    assert!(
        old_items.iter().all(|i| i["uuid"] != uuid.as_str()),
        "{old_items:?}"
    );
}
