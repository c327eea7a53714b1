//! # vcon-server
//!
//! The HTTP server behind `vcon serve`: one process, no set-up, replacing
//! the Python conserver.
//!
//! * The native API under `/v1`: vCons as resources with etags, cursor
//!   paging, search, appends; Bearer tokens; invalid vCons refused with 422
//!   and the validator's findings ([`routes::native`]).
//! * The conserver's API, same paths, parameters, status codes and shapes,
//!   at the root and under `/api`, with its `x-conserver-api-token` header,
//!   `CONSERVER_API_TOKEN(_FILE)` and per-list ingress keys ([`routes::conserver`]).
//! * Operations: `/health`, `/ready`, `/metrics` (Prometheus), `/openapi.json`
//!   (OpenAPI 3.1 generated from the handlers), request limits, graceful shutdown.
//! * Every error is an RFC 9457 problem document ([`problem`]).
//! * Configuration: TOML with defaults for everything, environment
//!   overrides; errors about a key of the file give its line and column,
//!   those about an environment value its variable ([`config`]).
//!
//! The vCons live in the embedded store of `vcon-store` (SQLite in
//! `./vcon-data`); a 2xx on a write means it is on disk.
//!
//! ```
//! use tower::ServiceExt as _;
//! use axum::body::Body;
//! use axum::http::{Request, StatusCode};
//! use vcon_server::{Server, auth::TokenSources, config::ServerConfig};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let dir = tempfile::tempdir().unwrap();
//! let config = ServerConfig { data_dir: dir.path().to_owned(), ..ServerConfig::default() };
//! let tokens = TokenSources { admin_token: Some("t0ken".into()), ..TokenSources::default() };
//! let server = Server::start(config, tokens).await.unwrap();
//!
//! let vcon = r#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","created_at":"2026-06-29T23:11:19Z",
//!   "parties":[{"tel":"+12345678901","name":"Alice","validation":"none"}]}"#;
//! let post = Request::post("/v1/vcons")
//!     .header("authorization", "Bearer t0ken")
//!     .header("content-type", "application/vcon")
//!     .body(Body::from(vcon)).unwrap();
//! let response = server.router().oneshot(post).await.unwrap();
//! assert_eq!(response.status(), StatusCode::CREATED);
//!
//! let get = Request::get("/v1/vcons/019f15a6-a752-826f-b9a2-279e0d16bc46")
//!     .header("authorization", "Bearer t0ken").body(Body::empty()).unwrap();
//! let response = server.router().oneshot(get).await.unwrap();
//! let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
//! assert_eq!(&bytes[..], vcon.as_bytes()); // byte for byte
//! # });
//! ```

pub mod auth;
pub mod config;
pub mod conserver_rules;
pub mod deletion;
pub mod ingest;
pub mod limits;
pub mod live;
pub mod logging;
pub mod metrics;
pub mod openapi;
pub mod pipeline_setup;
pub mod problem;
pub mod retention;
pub mod routes;
pub mod server;
pub mod state;

pub use config::ServerConfig;
pub use problem::{ApiError, Problem};
pub use server::{ServeError, Server, run, shutdown_signal};
