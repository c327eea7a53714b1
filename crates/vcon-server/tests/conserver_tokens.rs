//! The conserver's global tokens on a started server: read from
//! `CONSERVER_API_TOKEN_FILE` (one token per line, trimmed, as the
//! conserver reads it), valid on the conserver-compatible routes only,
//! and enforced even when native auth is off.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use axum::body::Body;
use axum::http::Request;
use support::*;
use vcon_server::auth::TokenSources;

/// `GET uri` with the conserver header set to `token` (none when `None`).
fn with_header(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut r = Request::get(uri);
    if let Some(t) = token {
        r = r.header(HEADER, t);
    }
    r.body(Body::empty()).unwrap()
}

fn bearer(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// A server whose conserver tokens come from a file holding `lines`.
async fn with_token_file(lines: &str, auth_enabled: bool) -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.txt");
    std::fs::write(&file, lines).unwrap();
    let tokens = TokenSources {
        admin_token: Some(ADMIN.into()),
        conserver_api_token: None,
        conserver_api_token_file: Some(file),
    };
    start_with_tokens(dir, tokens, |c| c.auth.enabled = auth_enabled).await
}

#[tokio::test]
async fn token_file_lines_open_the_conserver_routes() {
    let t = with_token_file("first-token\n\n  second-token  \n", true).await;
    let app = t.server.router();
    for token in ["first-token", "second-token", ADMIN] {
        let r = send(
            &app,
            with_header("/api/vcon/count?egress_list=out", Some(token)),
        )
        .await;
        assert_eq!(
            r.status,
            200,
            "{token}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let r = send(&app, with_header("/vcons", Some(token))).await;
        assert_eq!(r.status, 200, "{token}");
    }
    for token in [None, Some("wrong"), Some("  second-token  "), Some("")] {
        let p = send(&app, with_header("/api/vcon/count?egress_list=out", token))
            .await
            .problem(403);
        assert_eq!(p["detail"], "Invalid API Key", "{token:?}");
    }
}

#[tokio::test]
async fn a_conserver_token_does_not_open_the_native_api() {
    let t = with_token_file("first-token\n", true).await;
    let app = t.server.router();
    send(&app, bearer("/v1/vcons", "first-token"))
        .await
        .problem(401);
    assert_eq!(send(&app, bearer("/v1/vcons", ADMIN)).await.status, 200);
}

#[tokio::test]
async fn conserver_tokens_are_enforced_with_native_auth_off() {
    let t = with_token_file("first-token\n", false).await;
    let app = t.server.router();
    let ok = send(
        &app,
        with_header("/api/vcon/count?egress_list=out", Some("first-token")),
    )
    .await;
    assert_eq!(ok.status, 200);
    send(&app, with_header("/api/vcon/count?egress_list=out", None))
        .await
        .problem(403);
    // The admin token is not loaded with auth off: it opens nothing here.
    send(
        &app,
        with_header("/api/vcon/count?egress_list=out", Some(ADMIN)),
    )
    .await
    .problem(403);
    // The native API is open.
    let r = send(&app, Request::get("/v1/vcons").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn without_conserver_tokens_auth_off_opens_the_conserver_routes() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = TokenSources::default();
    let t = start_with_tokens(dir, tokens, |c| c.auth.enabled = false).await;
    let r = send(
        &t.server.router(),
        with_header("/api/vcon/count?egress_list=out", None),
    )
    .await;
    assert_eq!(r.status, 200);
}
