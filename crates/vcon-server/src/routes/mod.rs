//! The router: every route, its auth, the fallbacks and the middleware
//! stack, plus the OpenAPI document collected from the handlers.
//!
//! * [`native`], [`native_append`], [`native_queues`]: `/v1` (Bearer token).
//! * [`conserver`], [`conserver_lists`]: the conserver's paths, at the root
//!   and under `conserver.root_path` (its token header).
//! * [`ops`]: `/health`, `/version`, `/ready`, `/metrics`, `/openapi.json` (public).

pub mod conserver;
pub mod conserver_lists;
pub mod extract;
pub mod native;
pub mod native_append;
pub mod native_queues;
pub mod ops;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
use utoipa_axum::router::OpenApiRouter;

use crate::config::ServerConfig;
use crate::limits::Limiter;
use crate::metrics::HttpMetrics;
use crate::problem::ApiError;
use crate::state::AppState;

/// Builds the whole application for `state` and `config`, and records the
/// OpenAPI document in the state (served at `/openapi.json`).
pub fn build(state: AppState, config: &ServerConfig) -> Router {
    let native = native::router().route_layer(from_fn_with_state(state.clone(), require_bearer));
    let mut api = OpenApiRouter::with_openapi(crate::openapi::base(&config.conserver.header_name))
        .merge(ops::router())
        .merge(native);
    let mut prefixed: Option<Router<AppState>> = None;
    if config.conserver.enabled {
        api = api.merge(conserver_routes(&state));
        if !config.conserver.root_path.is_empty() {
            let (under_root, _) = conserver_routes(&state)
                .merge(ops::router())
                .split_for_parts();
            prefixed = Some(under_root);
        }
    }
    let (mut router, doc) = api.split_for_parts();
    if let Some(under_root) = prefixed {
        router = router.nest(&config.conserver.root_path, under_root);
    }
    match doc.to_json() {
        Ok(json) => {
            let _ = state.openapi.set(Bytes::from(json));
        }
        Err(e) => tracing::error!(error = %e, "rendering the OpenAPI document"),
    }
    let limiter = Limiter::new(
        config.limits.max_concurrent_requests,
        Duration::from_secs_f64(config.limits.request_timeout_secs),
    );
    let every = EveryRequest {
        limiter,
        metrics: Arc::new(HttpMetrics::default()),
    };
    let router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(config.limits.max_body_bytes))
        .layer(from_fn_with_state(every, every_request));
    // Outermost, so that preflight requests are answered before auth.
    match cors(&config.cors_allow_origins) {
        Some(layer) => router.layer(layer).with_state(state),
        None => router.with_state(state),
    }
}

/// The CORS layer for `origins` (`*` for any); `None` when empty.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow)
            .allow_methods(AllowMethods::mirror_request())
            .allow_headers(AllowHeaders::mirror_request())
            .expose_headers([
                axum::http::header::ETAG,
                axum::http::header::LOCATION,
                axum::http::header::RETRY_AFTER,
            ]),
    )
}

/// The conserver's routes: those behind its token, and the two that are not.
fn conserver_routes(state: &AppState) -> OpenApiRouter<AppState> {
    let guarded = conserver::router()
        .merge(conserver_lists::router())
        .route_layer(from_fn_with_state(state.clone(), require_conserver_token));
    guarded
        .merge(conserver::external_router())
        .merge(conserver_lists::public_router())
}

async fn require_bearer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.auth.check_bearer(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(e) => {
            let mut r = e.into_response();
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"vcon\""),
            );
            r
        }
    }
}

async fn require_conserver_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    match state.auth.check_conserver(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!("no route for {}", request.uri().path()))
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::MethodNotAllowed {
        method: request.method().to_string(),
    }
}

/// What the per-request middleware needs.
#[derive(Debug, Clone)]
struct EveryRequest {
    limiter: Limiter,
    metrics: Arc<HttpMetrics>,
}

/// The middleware of every request, one layer (each layer costs a boxed
/// future and a service clone per request): metrics around the
/// concurrency limit and timeout around the handler, then the version
/// headers on every answer (503s of the limiter included).
async fn every_request(
    State(every): State<EveryRequest>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = crate::metrics::track(&every.metrics, request, |request| {
        every.limiter.run(request, next)
    })
    .await;
    version_headers(response.headers_mut());
    response
}

static VERSION_HEADER: HeaderName = HeaderName::from_static("x-vcon-server-version");
static COMMIT_HEADER: HeaderName = HeaderName::from_static("x-vcon-server-commit");

/// Adds the conserver's version headers.
fn version_headers(h: &mut HeaderMap) {
    h.insert(
        VERSION_HEADER.clone(),
        HeaderValue::from_static(env!("CARGO_PKG_VERSION")),
    );
    h.insert(
        COMMIT_HEADER.clone(),
        HeaderValue::from_static(match option_env!("VCON_GIT_COMMIT") {
            Some(c) => c,
            None => "unknown",
        }),
    );
}
