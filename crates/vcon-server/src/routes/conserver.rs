//! The conserver-compatible API, vCon routes: `/vcon`, `/vcon/{uuid}`,
//! `/vcons`, `/vcons/search`, `/vcon/external-ingress`. Same paths, query
//! parameters, status codes and JSON shapes as the conserver's `api.py`;
//! served at the root and under `conserver.root_path` (`/api`), as FastAPI's
//! `root_path` makes the conserver answer on both.
//!
//! Differences, all on the side of keeping data: vCons are kept byte for
//! byte (the conserver re-serializes its request model), and stored without
//! expiry. List routes are in [`super::conserver_lists`].

use std::collections::BTreeSet;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vcon_store::{Order, SearchQuery, VconUuid};

use super::extract::{Body, Posted, QueryPairs, list_names, path_uuid, tel_param};
use crate::conserver_rules::parse_datetime;
use crate::deletion::{FanOut, delete_everywhere, mark_failures};
use crate::ingest::{OnExisting, Origin, store_accepted};
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The routes behind the conserver token, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_uuids, post_vcon))
        .routes(routes!(get_vcon, delete_vcon))
        .routes(routes!(get_vcons))
        .routes(routes!(search_vcons))
}

/// The route with its own per-list keys (no conserver token).
pub fn external_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(external_ingress))
}

fn json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut r = (status, body.into()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// A new vCon posted on the conserver routes (metric labels).
const NEW: Origin = Origin {
    api: "conserver",
    source: "new",
};

/// Most uuids a list or search answer collects, to bound memory.
pub(crate) const MAX_COLLECT: usize = 1_000_000;

/// Gets a list of vCon UUIDs, newest `created_at` first; `since`/`until`
/// filter on `created_at` (to the second, both ends included), `page`
/// (1-based) and `size` page through them.
#[utoipa::path(
    get, path = "/vcon", tag = "conserver",
    params(
        ("page" = Option<i64>, Query, description = "Page number (1-based, default 1)"),
        ("size" = Option<i64>, Query, description = "Items per page (default 50)"),
        ("since" = Option<String>, Query, description = "created_at at or after this date-time"),
        ("until" = Option<String>, Query, description = "created_at at or before this date-time"),
    ),
    responses((status = 200, description = "vCon uuids", body = Vec<String>)),
    security(("conserver_token" = []))
)]
pub async fn list_uuids(
    State(state): State<AppState>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let page: i64 = query.parsed("page", 1)?;
    let size: i64 = query.parsed("size", 50)?;
    let time = |key: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, ApiError> {
        query
            .get(key)
            .map(|v| {
                parse_datetime(v).ok_or_else(|| {
                    ApiError::Unprocessable(format!(
                        "query parameter `{key}`: `{v}` is not a date-time"
                    ))
                })
            })
            .transpose()
    };
    let since = time("since")?.map(floor_second);
    let until = time("until")?.map(|t| floor_second(t) + chrono::Duration::seconds(1));
    if page < 1 || size < 1 {
        return Ok(axum::Json(Vec::<String>::new()).into_response());
    }
    let offset = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let size = usize::try_from(size).unwrap_or(usize::MAX).min(MAX_COLLECT);
    let mut search = SearchQuery {
        created_from: since,
        created_to: until,
        order: Order::CreatedDesc,
        ..SearchQuery::default()
    };
    let mut skipped = 0usize;
    let mut out: Vec<String> = Vec::new();
    loop {
        let want = if skipped < offset {
            offset - skipped
        } else {
            size - out.len()
        };
        search.limit =
            u32::try_from(want.min(vcon_store::MAX_PAGE as usize)).unwrap_or(vcon_store::MAX_PAGE);
        let page = state.store.search(&search).await?;
        for meta in &page.items {
            if skipped < offset {
                skipped += 1;
            } else if out.len() < size {
                out.push(meta.uuid.to_string());
            }
        }
        match page.next {
            Some(next) if out.len() < size => search.cursor = Some(next),
            _ => break,
        }
    }
    Ok(axum::Json(out).into_response())
}

fn floor_second(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// Gets a vCon by UUID (the stored JSON).
#[utoipa::path(
    get, path = "/vcon/{vcon_uuid}", tag = "conserver",
    params(("vcon_uuid" = String, Path, description = "The vCon's uuid")),
    responses(
        (status = 200, description = "The vCon", content(("application/json"))),
        (status = 404, description = "vCon not found", body = Problem, content_type = "application/problem+json"),
    ),
    security(("conserver_token" = []))
)]
pub async fn get_vcon(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> Result<Response, ApiError> {
    let uuid = path_uuid(&uuid)?;
    let stored = state
        .store
        .get(&uuid)
        .await?
        .ok_or_else(|| ApiError::NotFound("vCon not found".into()))?;
    Ok(json_response(
        StatusCode::OK,
        json_bytes(&state, stored.bytes, stored.meta.gzipped)?,
    ))
}

/// Stored bytes as JSON (inflated when the store holds gzip).
fn json_bytes(state: &AppState, bytes: Bytes, gzipped: bool) -> Result<Bytes, ApiError> {
    if !gzipped {
        return Ok(bytes);
    }
    vcon_core::read::inflate(&bytes, state.ingestor.limits.max_inflated_bytes)
        .map(Bytes::from)
        .map_err(|e| ApiError::Internal(format!("stored gzip is unreadable: {e}")))
}

/// Creates a new vCon (201 with the vCon); `ingress_lists` (repeatable)
/// queues it for processing.
#[utoipa::path(
    post, path = "/vcon", tag = "conserver",
    params(("ingress_lists" = Option<Vec<String>>, Query, description = "Ingress lists to add the vCon to")),
    request_body(description = "A vCon", content(("application/json"))),
    responses(
        (status = 201, description = "Stored; the vCon", content(("application/json"))),
        (status = 422, description = "Invalid vCon", body = Problem, content_type = "application/problem+json"),
    ),
    security(("conserver_token" = []))
)]
pub async fn post_vcon(
    State(state): State<AppState>,
    query: QueryPairs,
    posted: Posted,
) -> Result<Response, ApiError> {
    let lists = list_names(query.all("ingress_lists"))?;
    let accepted = state
        .ingestor
        .accept_posted(posted.gzip?, posted.body, &state.conserver_validation, None)
        .await?;
    let bytes = accepted.record.bytes().clone();
    store_accepted(&state, accepted.record, &lists, OnExisting::Overwrite, NEW).await?;
    Ok(json_response(StatusCode::CREATED, bytes))
}

/// Submits a vCon from a partner system to one ingress list, with a key
/// valid for that list (`ingress_auth`): 204, no content.
#[utoipa::path(
    post, path = "/vcon/external-ingress", tag = "conserver",
    params(("ingress_list" = String, Query, description = "The ingress list the key is for")),
    request_body(description = "A vCon", content(("application/json"))),
    responses(
        (status = 204, description = "Stored and queued"),
        (status = 403, description = "Key missing or not valid for this list", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid vCon or missing ingress_list", body = Problem, content_type = "application/problem+json"),
    ),
    security(("conserver_token" = []))
)]
pub async fn external_ingress(
    State(state): State<AppState>,
    query: QueryPairs,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    // The conserver's order: parameters and body first (422), then the key (403).
    let list = query.required("ingress_list")?.to_owned();
    let lists = list_names([list.as_str()])?;
    let accepted = state
        .ingestor
        .accept(&headers, body, &state.conserver_validation, None)
        .await?;
    state.auth.check_ingress(&list, &headers)?;
    let origin = Origin {
        api: "conserver",
        source: "external",
    };
    store_accepted(
        &state,
        accepted.record,
        &lists,
        OnExisting::Overwrite,
        origin,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Removes a vCon from the store and from every storage of the chains
/// (204, also when it was not stored, as the conserver). Storages are best
/// effort: those that failed are named in `x-vcon-storage-delete-failed`.
#[utoipa::path(
    delete, path = "/vcon/{vcon_uuid}", tag = "conserver",
    params(("vcon_uuid" = String, Path, description = "The vCon's uuid")),
    responses((status = 204, description = "Deleted (or absent)", headers(
        ("x-vcon-storage-delete-failed" = String, description = "Storages the delete failed in, comma-separated (absent when none)")))),
    security(("conserver_token" = []))
)]
pub async fn delete_vcon(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
) -> Result<Response, ApiError> {
    let uuid = path_uuid(&uuid)?;
    let deletion = delete_everywhere(
        state.store.as_ref(),
        &state.storages.load(),
        &uuid,
        None,
        FanOut::Always,
    )
    .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    mark_failures(&mut response, &deletion.storages);
    Ok(response)
}

/// Gets several vCons by `vcon_uuids` (repeatable): a JSON array in the
/// order asked, `null` for those not stored.
#[utoipa::path(
    get, path = "/vcons", tag = "conserver",
    params(("vcon_uuids" = Vec<String>, Query, description = "The uuids (repeatable)")),
    responses((status = 200, description = "The vCons, null where absent", content(("application/json")))),
    security(("conserver_token" = []))
)]
pub async fn get_vcons(
    State(state): State<AppState>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let uuids = query
        .all("vcon_uuids")
        .into_iter()
        .map(path_uuid)
        .collect::<Result<Vec<VconUuid>, _>>()?;
    let found = state.store.get_many(&uuids).await?;
    let mut out = Vec::with_capacity(
        found
            .iter()
            .flatten()
            .map(|s| s.bytes.len() + 1)
            .sum::<usize>()
            + 2,
    );
    out.push(b'[');
    for (i, v) in found.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        match v {
            Some(s) => out.extend_from_slice(&json_bytes(&state, s.bytes, s.meta.gzipped)?),
            None => out.extend_from_slice(b"null"),
        }
    }
    out.push(b']');
    Ok(json_response(StatusCode::OK, out))
}

/// Searches by a party's `tel`, `mailto` or `name`; with several, the
/// uuids matching all of those that match anything (the conserver's rule).
#[utoipa::path(
    get, path = "/vcons/search", tag = "conserver",
    params(
        ("tel" = Option<String>, Query, description = "Phone number"),
        ("mailto" = Option<String>, Query, description = "Email address"),
        ("name" = Option<String>, Query, description = "Party name"),
    ),
    responses(
        (status = 200, description = "Matching uuids", body = Vec<String>),
        (status = 400, description = "No search parameter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("conserver_token" = []))
)]
pub async fn search_vcons(
    State(state): State<AppState>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    let terms: Vec<SearchQuery> = ["tel", "mailto", "name"]
        .into_iter()
        .filter_map(|key| {
            let value = query.get(key)?.to_owned();
            let mut q = SearchQuery::default();
            match key {
                "tel" => q.tel = Some(tel_param(&value)),
                "mailto" => q.mailto = Some(value),
                _ => q.name = Some(value),
            }
            Some(q)
        })
        .collect();
    if terms.is_empty() {
        return Err(ApiError::BadRequest(
            "At least one search parameter must be provided".into(),
        ));
    }
    let mut sets = Vec::with_capacity(terms.len());
    for q in terms {
        sets.push(collect_uuids(&state, q).await?);
    }
    let mut non_empty = sets.into_iter().filter(|s| !s.is_empty());
    let result = match non_empty.next() {
        None => BTreeSet::new(),
        Some(first) => non_empty.fold(first, |acc, s| acc.intersection(&s).cloned().collect()),
    };
    Ok(axum::Json(result.into_iter().collect::<Vec<_>>()).into_response())
}

async fn collect_uuids(state: &AppState, mut q: SearchQuery) -> Result<BTreeSet<String>, ApiError> {
    q.limit = vcon_store::MAX_PAGE;
    let mut out = BTreeSet::new();
    loop {
        let page = state.store.search(&q).await?;
        out.extend(page.items.iter().map(|m| m.uuid.to_string()));
        match page.next {
            Some(next) if out.len() < MAX_COLLECT => q.cursor = Some(next),
            _ => return Ok(out),
        }
    }
}
