//! The conserver-compatible API, list and administration routes:
//! `/vcon/ingress`, `/vcon/egress`, `/vcon/count`, `/dlq`, `/dlq/reprocess`,
//! `/config`, `/index_vcons` and the public `/stats/queue`.
//!
//! The conserver's Redis lists are the store's durable queues: an ingress
//! list feeds a chain, an egress list is filled by one, and `DLQ:<list>`
//! names the dead letters of `<list>`.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vcon_store::{ListName, Queue, StoreError, VconUuid};

use super::conserver::MAX_COLLECT;
use super::extract::{Body, QueryPairs, path_uuid};
use crate::live::{self, ReloadError};
use crate::metrics;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The routes behind the conserver token.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_ingress))
        .routes(routes!(get_egress))
        .routes(routes!(get_count))
        .routes(routes!(get_dlq))
        .routes(routes!(post_dlq_reprocess))
        .routes(routes!(get_config, post_config))
        .routes(routes!(index_vcons))
}

/// The public route (monitoring and back-pressure, no token).
pub fn public_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(queue_stats))
}

fn list(query: &QueryPairs, key: &str) -> Result<ListName, ApiError> {
    Ok(ListName::new(query.required(key)?)?)
}

/// Adds stored vCons to an ingress list (uuids not stored are skipped);
/// the body is a JSON array of uuids.
#[utoipa::path(
    post, path = "/vcon/ingress", tag = "conserver",
    params(("ingress_list" = String, Query, description = "The list to add to")),
    request_body(content = Vec<String>, description = "vCon uuids", content_type = "application/json"),
    responses(
        (status = 204, description = "Added"),
        (status = 422, description = "Not a list of uuids", body = Problem, content_type = "application/problem+json"),
    ),
    security(("conserver_token" = []))
)]
pub async fn post_ingress(
    State(state): State<AppState>,
    query: QueryPairs,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let list = list(&query, "ingress_list")?;
    let texts: Vec<String> = serde_json::from_slice(&body).map_err(|e| {
        ApiError::Unprocessable(format!("the body must be a JSON array of uuids: {e}"))
    })?;
    let uuids = texts
        .iter()
        .map(|t| path_uuid(t))
        .collect::<Result<Vec<VconUuid>, _>>()?;
    let found = state.store.get_many(&uuids).await?;
    let present: Vec<VconUuid> = uuids
        .into_iter()
        .zip(found)
        .filter_map(|(u, f)| {
            if f.is_none() {
                tracing::warn!(uuid = %u, list = %list, "vCon not stored; not added to the list");
            }
            f.map(|_| u)
        })
        .collect();
    if !present.is_empty() {
        state.queue.enqueue(&list, &present).await?;
        metrics::enqueued(list.as_str(), "reingress", present.len() as u64);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Removes up to `limit` uuids from a list and returns them.
#[utoipa::path(
    get, path = "/vcon/egress", tag = "conserver",
    params(
        ("egress_list" = String, Query, description = "The list to pop from"),
        ("limit" = Option<usize>, Query, description = "Most uuids to remove (default 1)"),
    ),
    responses((status = 200, description = "The uuids removed", body = Vec<String>)),
    security(("conserver_token" = []))
)]
pub async fn get_egress(
    State(state): State<AppState>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let list = list(&query, "egress_list")?;
    let limit: i64 = query.parsed("limit", 1)?;
    let limit = usize::try_from(limit)
        .unwrap_or(0)
        .min(vcon_store::MAX_LEASE);
    let uuids = if limit == 0 {
        Vec::new()
    } else {
        state.queue.pop(&list, limit).await?
    };
    let out: Vec<String> = uuids.iter().map(ToString::to_string).collect();
    Ok(axum::Json(out).into_response())
}

/// Counts the items of a list.
#[utoipa::path(
    get, path = "/vcon/count", tag = "conserver",
    params(("egress_list" = String, Query, description = "The list to count")),
    responses((status = 200, description = "The count", body = u64)),
    security(("conserver_token" = []))
)]
pub async fn get_count(
    State(state): State<AppState>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let list = list(&query, "egress_list")?;
    let stats = state.queue.stats(&list).await?;
    Ok(axum::Json(stats.depth()).into_response())
}

/// The uuids in the dead-letter list of an ingress list, oldest first (at
/// most 1,000,000, as the other list answers; `GET /v1/queues/{list}/dead-letters`
/// pages through all of them, with their errors).
#[utoipa::path(
    get, path = "/dlq", tag = "conserver",
    params(("ingress_list" = String, Query, description = "The ingress list whose dead letters to list")),
    responses((status = 200, description = "Dead-lettered uuids", body = Vec<String>)),
    security(("conserver_token" = []))
)]
pub async fn get_dlq(
    State(state): State<AppState>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let list = list(&query, "ingress_list")?;
    let out = dead_letter_uuids(state.queue.as_ref(), &list, MAX_COLLECT).await?;
    if out.len() >= MAX_COLLECT {
        tracing::warn!(list = %list, limit = MAX_COLLECT, "GET /dlq: answer capped; page with GET /v1/queues/{{list}}/dead-letters");
    }
    Ok(axum::Json(out).into_response())
}

/// The uuids of the first `cap` dead letters of `list`, oldest first (the
/// answer of `GET /dlq`, which caps at 1,000,000).
pub async fn dead_letter_uuids(
    queue: &dyn Queue,
    list: &ListName,
    cap: usize,
) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    let mut after = 0i64;
    while out.len() < cap {
        let want = u32::try_from(cap - out.len())
            .unwrap_or(vcon_store::MAX_PAGE)
            .min(vcon_store::MAX_PAGE);
        let batch = queue.dlq_list(list, after, want).await?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        out.extend(batch.iter().map(|d| d.uuid.to_string()));
    }
    out.truncate(cap);
    Ok(out)
}

/// Moves up to `count` dead letters back to their ingress list; returns how
/// many moved (call again until 0 to drain a large dead-letter list).
#[utoipa::path(
    post, path = "/dlq/reprocess", tag = "conserver",
    params(
        ("ingress_list" = String, Query, description = "The ingress list to reprocess"),
        ("count" = Option<u32>, Query, description = "Most items to move, 1 to 100000 (default 1000)"),
    ),
    responses(
        (status = 200, description = "How many moved", body = u64),
        (status = 422, description = "count out of range", body = Problem, content_type = "application/problem+json"),
    ),
    security(("conserver_token" = []))
)]
pub async fn post_dlq_reprocess(
    State(state): State<AppState>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let list = list(&query, "ingress_list")?;
    let count: i64 = query.parsed("count", 1000)?;
    if !(1..=100_000).contains(&count) {
        return Err(ApiError::Unprocessable(
            "query parameter `count` must be 1 to 100000".into(),
        ));
    }
    let moved = state
        .queue
        .dlq_reprocess(&list, u32::try_from(count).unwrap_or(1000))
        .await?;
    metrics::enqueued(list.as_str(), "dlq_reprocess", moved);
    Ok(axum::Json(moved).into_response())
}

/// The conserver configuration (`config.yml` as JSON; without one, the
/// `[pipeline]` configuration in force).
#[utoipa::path(
    get, path = "/config", tag = "conserver",
    responses(
        (status = 200, description = "The configuration", body = Object),
        (status = 500, description = "Failed to read configuration", body = Problem, content_type = "application/problem+json"),
    ),
    security(("conserver_token" = []))
)]
pub async fn get_config(State(state): State<AppState>) -> Result<Response, ApiError> {
    let Some(path) = state.conserver_config_file.clone() else {
        return Ok(axum::Json(&*state.pipeline_config.load()).into_response());
    };
    let text = tokio::fs::read_to_string(&path).await.map_err(|e| {
        tracing::error!(path = %path.display(), error = %e, "reading the conserver config");
        ApiError::Internal("Failed to read configuration".into())
    })?;
    let value: serde_json::Value = serde_norway::from_str(&text).map_err(|e| {
        tracing::error!(path = %path.display(), error = %e, "parsing the conserver config");
        ApiError::Internal("Failed to read configuration".into())
    })?;
    Ok(axum::Json(value).into_response())
}

/// Replaces the conserver configuration file with the posted object (as
/// YAML) and applies it at once: the `ingress_auth` keys, and the chains,
/// whose workers restart on the new pipeline. A configuration whose
/// pipeline is invalid or fails its health check is refused (422) and
/// nothing is written or changed.
#[utoipa::path(
    post, path = "/config", tag = "conserver",
    request_body(content = Object, description = "The new configuration", content_type = "application/json"),
    responses(
        (status = 204, description = "Written and applied"),
        (status = 422, description = "Not a JSON object, or its pipeline is invalid or unhealthy; nothing written", body = Problem, content_type = "application/problem+json"),
        (status = 500, description = "Failed to update configuration", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The server is shutting down; nothing written", body = Problem, content_type = "application/problem+json"),
    ),
    security(("conserver_token" = []))
)]
pub async fn post_config(
    State(state): State<AppState>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let value: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&body)
        .map_err(|e| ApiError::Unprocessable(format!("the body must be a JSON object: {e}")))?;
    let outcome = live::reload(&state, value).await;
    metrics::config_reload(match &outcome {
        Ok(_) => "applied",
        Err(ReloadError::Invalid(_) | ReloadError::Unhealthy(_)) => "refused",
        Err(_) => "failed",
    });
    match outcome {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(e @ (ReloadError::Invalid(_) | ReloadError::Unhealthy(_))) => {
            tracing::warn!(error = %e, "POST /config refused; nothing written");
            Err(ApiError::Unprocessable(format!(
                "configuration not applied (nothing written): {e}"
            )))
        }
        Err(ReloadError::ShuttingDown) => Err(ApiError::Unavailable(
            "the server is shutting down; configuration not applied".into(),
        )),
        Err(e) => {
            tracing::error!(error = %e, "POST /config failed");
            Err(ApiError::Internal("Failed to update configuration".into()))
        }
    }
}

/// Rebuilds the search index from the stored vCons; returns how many.
#[utoipa::path(
    get, path = "/index_vcons", tag = "conserver",
    responses((status = 200, description = "vCons indexed", body = u64)),
    security(("conserver_token" = []))
)]
pub async fn index_vcons(State(state): State<AppState>) -> Result<Response, ApiError> {
    let n = state.store.reindex().await?;
    Ok(axum::Json(n).into_response())
}

/// The depth of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueDepth {
    /// The list asked about.
    pub list_name: String,
    /// Its items (for `DLQ:<list>`, the dead letters of `<list>`).
    pub depth: u64,
}

/// The number of items in a list (public, for monitoring and back-pressure).
#[utoipa::path(
    get, path = "/stats/queue", tag = "conserver",
    params(("list_name" = String, Query, description = "The list; DLQ:<list> for its dead letters")),
    responses((status = 200, description = "Its depth", body = QueueDepth))
)]
pub async fn queue_stats(
    State(state): State<AppState>,
    query: QueryPairs,
    _headers: HeaderMap,
) -> Result<Response, ApiError> {
    let name = query.required("list_name")?.to_owned();
    let depth = match name.strip_prefix("DLQ:") {
        Some(of) => state.queue.stats(&ListName::new(of)?).await?.dead,
        None => state
            .queue
            .stats(&ListName::new(name.as_str())?)
            .await?
            .depth(),
    };
    Ok(axum::Json(QueueDepth {
        list_name: name,
        depth,
    })
    .into_response())
}
