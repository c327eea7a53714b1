//! Operations routes, public: `/health` (liveness, the conserver's shape),
//! `/version`, `/ready` (store writable and workers running), `/metrics`
//! (Prometheus text) and `/openapi.json`.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::metrics::{DISK_BYTES, INDEX_BACKLOG, INDEX_HELD, QUEUE_DEAD, QUEUE_DEPTH};
use crate::problem::{ApiError, Problem};
use crate::state::{AppState, VersionInfo};

/// The routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(health))
        .routes(routes!(version))
        .routes(routes!(ready))
        .routes(routes!(metrics))
        .routes(routes!(openapi_json))
}

/// Liveness: the process answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `healthy`.
    pub status: &'static str,
    /// The server's version.
    pub version: VersionInfo,
}

/// Liveness (the conserver's `/health`): answers while the process runs.
#[utoipa::path(get, path = "/health", tag = "ops",
    responses((status = 200, description = "Alive", body = Health)))]
pub async fn health(State(state): State<AppState>) -> Response {
    axum::Json(Health {
        status: "healthy",
        version: state.version.clone(),
    })
    .into_response()
}

/// The server's version (the conserver's `/version`).
#[utoipa::path(get, path = "/version", tag = "ops",
    responses((status = 200, description = "Version", body = VersionInfo)))]
pub async fn version(State(state): State<AppState>) -> Response {
    axum::Json(state.version.clone()).into_response()
}

/// What `/ready` checked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`.
    pub status: &'static str,
    /// The store accepts reads and its writer runs.
    pub store: bool,
    /// The processing workers run (`null` when no chain is configured).
    pub workers: Option<bool>,
}

/// Readiness: the store is writable and the workers run; 503 while
/// starting, draining for shutdown, or when either fails.
#[utoipa::path(get, path = "/ready", tag = "ops",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn ready(State(state): State<AppState>) -> Result<Response, ApiError> {
    if state.is_draining() {
        return Err(ApiError::Unavailable("the server is shutting down".into()));
    }
    if let Err(e) = state.store.health().await {
        return Err(ApiError::Unavailable(format!(
            "the store is not healthy: {e}"
        )));
    }
    let workers = state.workers.load();
    if let Some(w) = workers.as_ref().as_ref().filter(|w| !w.running()) {
        return Err(ApiError::Unavailable(w.why_not()));
    }
    let workers = workers.as_ref().as_ref().map(|_| true);
    Ok(axum::Json(Readiness {
        status: "ready",
        store: true,
        workers,
    })
    .into_response())
}

/// Metrics in the Prometheus text format (queue depths sampled now).
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text exposition", content(("text/plain")))))]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Some(handle) = &state.metrics else {
        return Err(ApiError::NotFound(
            "no metrics recorder is installed".into(),
        ));
    };
    match state.queue.all_stats().await {
        Ok(all) => {
            for s in all {
                let list = s.list.to_string();
                metrics::gauge!(QUEUE_DEPTH, "list" => list.clone()).set(s.depth() as f64);
                metrics::gauge!(QUEUE_DEAD, "list" => list).set(s.dead as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "sampling queue depths for /metrics"),
    }
    if let Some(backlog) = state.store.index_backlog() {
        metrics::gauge!(INDEX_BACKLOG).set(backlog as f64);
    }
    if let Some(held) = state.store.index_held() {
        let micros = u64::try_from(held.as_micros()).unwrap_or(u64::MAX);
        metrics::counter!(INDEX_HELD).absolute(micros);
    }
    if let Some(bytes) = state.store.disk_bytes() {
        metrics::gauge!(DISK_BYTES).set(bytes as f64);
    }
    handle.run_upkeep();
    let mut response = handle.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(response)
}

/// The OpenAPI 3.1 description of this server, generated from its code.
#[utoipa::path(get, path = "/openapi.json", tag = "ops",
    responses((status = 200, description = "OpenAPI 3.1 document", content(("application/json")))))]
pub async fn openapi_json(State(state): State<AppState>) -> Response {
    match state.openapi.get() {
        Some(doc) => {
            let mut r = (StatusCode::OK, doc.clone()).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        None => {
            ApiError::Unavailable("the OpenAPI document is not built yet".into()).into_response()
        }
    }
}
