//! Shared test helpers: a server on a temporary data directory, requests
//! through `tower::ServiceExt::oneshot`, and vCon builders.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod mock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use bytes::Bytes;
use tempfile::TempDir;
use tower::ServiceExt as _;
use vcon_server::Server;
use vcon_server::auth::TokenSources;
use vcon_server::config::ServerConfig;

/// The admin token of test servers.
pub const ADMIN: &str = "test-admin-token";
/// The conserver token of test servers (`CONSERVER_API_TOKEN`).
pub const CONSERVER: &str = "default_token";
/// The conserver's token header.
pub const HEADER: &str = "x-conserver-api-token";

/// A running (not listening) server and its data directory.
pub struct TestServer {
    pub dir: TempDir,
    pub server: Server,
}

/// Starts a server on a fresh directory, with `tweak` applied to the config.
pub async fn start(tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
    start_in(tempfile::tempdir().unwrap(), tweak).await
}

/// [`start`] in `dir`, which the test may have filled first; the store
/// goes in `dir/data`.
pub async fn start_in(dir: TempDir, tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
    let tokens = TokenSources {
        admin_token: Some(ADMIN.into()),
        conserver_api_token: Some(CONSERVER.into()),
        conserver_api_token_file: None,
    };
    start_with_tokens(dir, tokens, tweak).await
}

/// [`start_in`] with the given token sources instead of [`ADMIN`] and
/// [`CONSERVER`].
pub async fn start_with_tokens(
    dir: TempDir,
    tokens: TokenSources,
    tweak: impl FnOnce(&mut ServerConfig),
) -> TestServer {
    let mut config = ServerConfig {
        data_dir: dir.path().join("data"),
        ..ServerConfig::default()
    };
    tweak(&mut config);
    let server = Server::start(config, tokens).await.unwrap();
    TestServer { dir, server }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    /// Asserts a problem document with `status` and returns it.
    pub fn problem(&self, status: u16) -> serde_json::Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        let p = self.json();
        assert_eq!(p["status"], status);
        assert!(
            p["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:vconkit:problem:"),
            "{p}"
        );
        assert!(p["title"].is_string() && p["detail"].is_string(), "{p}");
        p
    }
}

/// Sends one request.
pub async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

/// A request builder with the admin Bearer token.
pub fn native(method: Method, uri: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {ADMIN}"))
}

/// A request builder with the conserver token header.
pub fn conserver(method: Method, uri: &str) -> axum::http::request::Builder {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(HEADER, CONSERVER)
}

/// A new random uuid (v4).
pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A vCon valid under the strict profile, with a text dialog saying `text`.
pub fn strict_vcon(uuid: &str, tel: &str, text: &str) -> String {
    serde_json::json!({
        "uuid": uuid,
        "created_at": "2026-06-29T23:11:19Z",
        "subject": "Refund request",
        "parties": [
            {"tel": tel, "name": "Alice", "validation": "none"},
            {"mailto": "bob@example.com", "name": "Bob", "validation": "none"}
        ],
        "dialog": [{"type": "text", "start": "2026-06-29T23:11:19Z", "parties": [0, 1],
                    "mediatype": "text/plain", "encoding": "none", "body": text}]
    })
    .to_string()
}
