//! The native API under `/v1`: vCons as resources with etags, cursor
//! paging and search. Bearer tokens, JSON, problem documents.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use vcon_store::{Cursor, Order, PutOutcome, PutStatus, SearchQuery, TagFilter, VconMeta};

use super::extract::{
    Body, IfMatch, Posted, QueryPairs, if_match, list_names, path_uuid, quoted, tel_param,
};
use crate::deletion::{FanOut, delete_everywhere, mark_failures};
use crate::ingest::{OnExisting, Origin, store_accepted};
use crate::metrics;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// The path of the vCons, before a uuid.
const VCONS_PATH: &str = "/v1/vcons/";

/// Room for a serialised [`VconInfo`] (about 340 bytes with `created_at`).
const INFO_BYTES: usize = 512;

/// The media type of stored vCons.
pub const VCON_MEDIA_TYPE: &str = "application/vcon";

/// What the server keeps about a stored vCon.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VconInfo {
    /// The uuid (canonical form).
    pub uuid: String,
    /// SHA-256 of the stored bytes (the `ETag`, unquoted).
    pub etag: String,
    /// `unsigned`, `signed` or `encrypted`.
    pub form: String,
    /// 1 when first stored, plus one per replace or append.
    pub revision: u64,
    /// `created_at` of the vCon, when readable (not for encrypted vCons).
    pub created_at: Option<String>,
    /// When the server first stored this uuid.
    pub stored_at: String,
    /// When the current bytes were stored.
    pub updated_at: String,
    /// Size of the stored bytes.
    pub size: u64,
    /// What this request did: `created`, `already_stored` or `replaced`
    /// (absent in listings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Link to the vCon.
    pub href: String,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl VconInfo {
    /// The listing form of stored metadata.
    pub fn from_meta(meta: &VconMeta) -> Self {
        let uuid = meta.uuid.as_str();
        let href = [VCONS_PATH, uuid].concat();
        Self {
            uuid: uuid.to_owned(),
            etag: meta.etag.as_str().to_owned(),
            form: meta.form.as_str().to_owned(),
            revision: meta.revision,
            created_at: meta.created_at.map(rfc3339),
            stored_at: rfc3339(meta.stored_at),
            updated_at: rfc3339(meta.updated_at),
            size: meta.size,
            status: None,
            href,
        }
    }
}

/// A write's [`VconInfo`], borrowed from its outcome: the same members in
/// the same order, serialised without copying the uuid, etag and form
/// (the one answer of the write routes, built on every ingest).
#[derive(Serialize)]
struct WriteInfo<'a> {
    uuid: &'a str,
    etag: &'a str,
    form: &'a str,
    revision: u64,
    created_at: Option<String>,
    stored_at: String,
    updated_at: String,
    size: u64,
    status: &'static str,
    href: &'a str,
}

impl<'a> WriteInfo<'a> {
    fn of(outcome: &'a PutOutcome, href: &'a str) -> Self {
        let meta = &outcome.meta;
        Self {
            uuid: meta.uuid.as_str(),
            etag: meta.etag.as_str(),
            form: meta.form.as_str(),
            revision: meta.revision,
            created_at: meta.created_at.map(rfc3339),
            stored_at: rfc3339(meta.stored_at),
            updated_at: rfc3339(meta.updated_at),
            size: meta.size,
            status: outcome.status.as_str(),
            href,
        }
    }
}

/// One page of a listing or search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VconPage {
    /// The vCons of this page.
    pub items: Vec<VconInfo>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next: Option<String>,
}

/// The routes, with their OpenAPI description.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_vcon, list_vcons))
        .routes(routes!(get_vcon, replace_vcon, delete_vcon))
        .routes(routes!(search_vcons))
        .routes(routes!(super::native_append::append_analysis))
        .routes(routes!(super::native_append::append_attachments))
        .routes(routes!(super::native_queues::list_dead_letters))
}

/// The response to a write: `changed` when it created or replaced
/// something, 200 when the bytes were already stored; with `Location`,
/// `ETag` and [`VconInfo`].
pub(crate) fn write_response(outcome: &PutOutcome, changed: StatusCode) -> Response {
    let status = match outcome.status {
        PutStatus::Created | PutStatus::Replaced => changed,
        PutStatus::AlreadyStored => StatusCode::OK,
    };
    let href = [VCONS_PATH, outcome.meta.uuid.as_str()].concat();
    // Serialised into a buffer of its size (axum's `Json` starts at 128
    // bytes and grows twice), as `Json` answers it.
    let mut body = Vec::with_capacity(INFO_BYTES);
    if let Err(e) = serde_json::to_writer(&mut body, &WriteInfo::of(outcome, &href)) {
        return ApiError::Internal(format!("serialising the answer: {e}")).into_response();
    }
    let json = HeaderValue::from_static("application/json");
    let mut response = (status, [(header::CONTENT_TYPE, json)], body).into_response();
    let headers = response.headers_mut();
    // Both values are moved into the headers, not copied.
    if let Ok(v) = HeaderValue::try_from(quoted(&outcome.meta.etag)) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::try_from(href) {
        headers.insert(header::LOCATION, v);
    }
    response
}

/// Stores a vCon.
///
/// Accepts `application/vcon` (also `application/vcon+json` and
/// `application/json`) and `application/vcon+gzip` (inflated within the
/// configured limit); unsigned, signed (JWS) or encrypted (JWE). JSON bodies
/// are stored byte for byte. Invalid vCons are refused with 422 and their
/// findings, and nothing is stored. Posting the same vCon again answers 200
/// with the same resource; other bytes under a stored uuid answer 409.
/// `?ingress=LIST` (repeatable) also queues the uuid on processing lists, in
/// the same transaction.
#[utoipa::path(
    post, path = "/v1/vcons", tag = "vcons",
    params(("ingress" = Option<Vec<String>>, Query, description = "Lists to queue the vCon on (repeatable)")),
    request_body(description = "A vCon in any form", content(
        ("application/vcon"), ("application/vcon+json"), ("application/json"), ("application/vcon+gzip"))),
    responses(
        (status = 201, description = "Stored", body = VconInfo),
        (status = 200, description = "Already stored with the same bytes", body = VconInfo),
        (status = 409, description = "Stored with other bytes", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Unsupported media type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid; nothing stored", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn create_vcon(
    State(state): State<AppState>,
    query: QueryPairs,
    posted: Posted,
) -> Result<Response, ApiError> {
    query.only(&["ingress"])?;
    let lists = list_names(query.all("ingress"))?;
    let accepted = state
        .ingestor
        .accept_posted(posted.gzip?, posted.body, &state.native_validation, None)
        .await?;
    let origin = Origin {
        api: "native",
        source: "new",
    };
    let outcome = store_accepted(&state, accepted.record, &lists, OnExisting::Keep, origin).await?;
    Ok(write_response(&outcome, StatusCode::CREATED))
}

/// Returns a vCon: the stored bytes, `Content-Type: application/vcon`,
/// with its `ETag` (`If-None-Match` answers 304).
#[utoipa::path(
    get, path = "/v1/vcons/{uuid}", tag = "vcons",
    params(("uuid" = String, Path, description = "The vCon's uuid")),
    responses(
        (status = 200, description = "The vCon, byte for byte", content(("application/vcon"))),
        (status = 304, description = "Not modified"),
        (status = 404, description = "Not stored", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn get_vcon(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let uuid = path_uuid(&uuid)?;
    let stored = state
        .store
        .get(&uuid)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("vCon {uuid} is not stored")))?;
    let etag = quoted(&stored.meta.etag);
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        stored.bytes.into_response()
    };
    let h = response.headers_mut();
    let media = if stored.meta.gzipped {
        "application/vcon+gzip"
    } else {
        VCON_MEDIA_TYPE
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(response)
}

/// Replaces a vCon. `If-Match` with the current etag is required (428
/// without it, 412 when it does not match; `*` matches any stored
/// version). The new vCon is validated like a new one and must keep the uuid.
#[utoipa::path(
    put, path = "/v1/vcons/{uuid}", tag = "vcons",
    params(
        ("uuid" = String, Path, description = "The vCon's uuid"),
        ("If-Match" = String, Header, description = "The etag of the version being replaced"),
        ("ingress" = Option<Vec<String>>, Query, description = "Lists to queue the new version on"),
    ),
    request_body(description = "The new vCon", content(("application/vcon"), ("application/json"), ("application/vcon+gzip"))),
    responses(
        (status = 200, description = "Replaced (or identical)", body = VconInfo),
        (status = 412, description = "If-Match does not hold", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid; nothing stored", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn replace_vcon(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    query: QueryPairs,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let uuid = path_uuid(&uuid)?;
    query.only(&["ingress"])?;
    let expected = match if_match(&headers)? {
        IfMatch::Absent => {
            return Err(ApiError::PreconditionRequired(
                "PUT needs If-Match with the etag of the version it replaces (or `*`)".into(),
            ));
        }
        IfMatch::Etag(e) => e,
        IfMatch::Any => {
            state
                .store
                .head(&uuid)
                .await?
                .ok_or_else(|| {
                    ApiError::PreconditionFailed(format!(
                        "If-Match: * but vCon {uuid} is not stored"
                    ))
                })?
                .etag
        }
    };
    let lists = list_names(query.all("ingress"))?;
    let accepted = state
        .ingestor
        .accept(&headers, body, &state.native_validation, Some(uuid))
        .await?;
    let outcome = state
        .store
        .replace_and_enqueue(accepted.record, Some(&expected), &lists)
        .await?;
    metrics::ingested("native", outcome.status);
    Ok(write_response(&outcome, StatusCode::OK))
}

/// Deletes a vCon (with `If-Match`, only that version), then deletes it
/// from every storage of the chains. Storages are best effort: those that
/// failed are named in `x-vcon-storage-delete-failed` (the store's delete
/// stands). A vCon not in the store answers 404 and no storage is asked.
#[utoipa::path(
    delete, path = "/v1/vcons/{uuid}", tag = "vcons",
    params(
        ("uuid" = String, Path, description = "The vCon's uuid"),
        ("If-Match" = Option<String>, Header, description = "Delete only this version"),
    ),
    responses(
        (status = 204, description = "Deleted", headers(
            ("x-vcon-storage-delete-failed" = String, description = "Storages the delete failed in, comma-separated (absent when none)"))),
        (status = 404, description = "Not stored", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not hold", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn delete_vcon(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let uuid = path_uuid(&uuid)?;
    let etag = match if_match(&headers)? {
        IfMatch::Etag(e) => Some(e),
        IfMatch::Absent | IfMatch::Any => None,
    };
    let deletion = delete_everywhere(
        state.store.as_ref(),
        &state.storages.load(),
        &uuid,
        etag.as_ref(),
        FanOut::IfDeleted,
    )
    .await?;
    if deletion.deleted {
        let mut response = StatusCode::NO_CONTENT.into_response();
        mark_failures(&mut response, &deletion.storages);
        Ok(response)
    } else {
        Err(ApiError::NotFound(format!("vCon {uuid} is not stored")))
    }
}

fn parse_order(q: &QueryPairs) -> Result<Order, ApiError> {
    match q.get("order").unwrap_or("stored_asc") {
        "stored_asc" => Ok(Order::StoredAsc),
        "stored_desc" => Ok(Order::StoredDesc),
        "created_asc" => Ok(Order::CreatedAsc),
        "created_desc" => Ok(Order::CreatedDesc),
        other => Err(ApiError::Unprocessable(format!(
            "query parameter `order`: `{other}` is not one of stored_asc, stored_desc, created_asc, created_desc"
        ))),
    }
}

/// `limit` of a native listing: 1 to [`vcon_store::MAX_PAGE`], default 50.
pub(crate) fn parse_limit(q: &QueryPairs) -> Result<u32, ApiError> {
    let limit = q.parsed("limit", 50u32)?;
    if limit == 0 || limit > vcon_store::MAX_PAGE {
        return Err(ApiError::Unprocessable(format!(
            "query parameter `limit` must be 1 to {}",
            vcon_store::MAX_PAGE
        )));
    }
    Ok(limit)
}

fn page_response(page: vcon_store::Page) -> Response {
    let body = VconPage {
        items: page.items.iter().map(VconInfo::from_meta).collect(),
        next: page.next.map(|c| c.as_str().to_owned()),
    };
    axum::Json(body).into_response()
}

/// Lists stored vCons, a page at a time (`next` is the cursor of the next page).
#[utoipa::path(
    get, path = "/v1/vcons", tag = "vcons",
    params(
        ("cursor" = Option<String>, Query, description = "From a previous page's `next`"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1000 (default 50)"),
        ("order" = Option<String>, Query, description = "stored_asc (default), stored_desc, created_asc or created_desc"),
    ),
    responses(
        (status = 200, description = "One page", body = VconPage),
        (status = 400, description = "Bad cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_vcons(
    State(state): State<AppState>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    query.only(&["order", "limit", "cursor"])?;
    let order = parse_order(&query)?;
    let limit = parse_limit(&query)?;
    let cursor = query.get("cursor").map(Cursor::from_text);
    let page = state.store.list(order, cursor.as_ref(), limit).await?;
    Ok(page_response(page))
}

fn parse_time(q: &QueryPairs, key: &str) -> Result<Option<DateTime<Utc>>, ApiError> {
    q.get(key)
        .map(|v| {
            DateTime::parse_from_rfc3339(v.trim())
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| {
                    // `+01:00` sent unencoded arrives as ` 01:00`.
                    let hint = if v.trim().contains(' ') {
                        "; a `+` in a URL query must be sent as %2B"
                    } else {
                        ""
                    };
                    ApiError::Unprocessable(format!(
                        "query parameter `{key}`: `{v}` is not an RFC 3339 date-time ({e}){hint}"
                    ))
                })
        })
        .transpose()
}

/// Searches stored vCons. Filters combine with AND: `created_at` range
/// (`from` inclusive, `to` exclusive), a party's `tel`, `mailto`, `name` or
/// `party_uuid`, tags (`tag=name` or `tag=name:value`, repeatable), a
/// dialog `type`, and words of the subject, text dialogs and transcripts (`q`).
#[utoipa::path(
    get, path = "/v1/search", tag = "vcons",
    params(
        ("from" = Option<String>, Query, description = "created_at at or after (RFC 3339)"),
        ("to" = Option<String>, Query, description = "created_at before (RFC 3339)"),
        ("tel" = Option<String>, Query, description = "A party's tel"),
        ("mailto" = Option<String>, Query, description = "A party's mailto"),
        ("name" = Option<String>, Query, description = "A party's name (whole, case-insensitive)"),
        ("party_uuid" = Option<String>, Query, description = "A party's uuid"),
        ("tag" = Option<Vec<String>>, Query, description = "name or name:value (repeatable)"),
        ("dialog_type" = Option<String>, Query, description = "A dialog type (recording, text, ...)"),
        ("q" = Option<String>, Query, description = "Words that must all occur (full text; `word*` a prefix; a word that punctuation splits, as `e-mail`, needs its parts side by side, in order; such a search checks up to 4,096 candidates per page, so a page may be short and still have a `next`)"),
        ("cursor" = Option<String>, Query, description = "From a previous page's `next`"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1000 (default 50)"),
        ("order" = Option<String>, Query, description = "stored_asc (default), stored_desc, created_asc or created_desc"),
    ),
    responses(
        (status = 200, description = "One page of matches", body = VconPage),
        (status = 422, description = "Bad parameter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn search_vcons(
    State(state): State<AppState>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    query.only(&[
        "from",
        "to",
        "tel",
        "mailto",
        "name",
        "party_uuid",
        "tag",
        "dialog_type",
        "q",
        "cursor",
        "limit",
        "order",
    ])?;
    let owned = |k: &str| query.get(k).map(str::to_owned);
    let search = SearchQuery {
        created_from: parse_time(&query, "from")?,
        created_to: parse_time(&query, "to")?,
        tel: query.get("tel").map(tel_param),
        mailto: owned("mailto"),
        name: owned("name"),
        party_uuid: owned("party_uuid"),
        tags: query.all("tag").into_iter().map(TagFilter::parse).collect(),
        dialog_type: owned("dialog_type"),
        text: owned("q"),
        order: parse_order(&query)?,
        limit: parse_limit(&query)?,
        cursor: query.get("cursor").map(Cursor::from_text),
        ..SearchQuery::default()
    };
    let page = state.store.search(&search).await?;
    Ok(page_response(page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vcon_store::{Etag, VconUuid};

    fn meta(created_at: Option<DateTime<Utc>>) -> VconMeta {
        let at = |ms| DateTime::<Utc>::from_timestamp_millis(ms).unwrap();
        VconMeta {
            uuid: VconUuid::parse("01a24fa8-b9e0-8024-bd86-fd16c095b680").unwrap(),
            form: vcon_core::Form::Unsigned,
            etag: Etag::of(b"{}"),
            revision: 3,
            created_at,
            stored_at: at(1_765_000_000_123),
            updated_at: at(1_765_000_001_000),
            size: 2175,
            gzipped: false,
            tenant: None,
        }
    }

    #[test]
    fn a_time_with_an_unencoded_plus_gets_a_hint() {
        let q = QueryPairs::parse("from=2026-01-01T00:00:00+01:00");
        let e = parse_time(&q, "from").unwrap_err().to_string();
        assert!(e.contains("%2B"), "{e}");
        let q = QueryPairs::parse("from=2026-01-01T00:00:00%2B01:00");
        assert!(parse_time(&q, "from").unwrap().is_some());
    }

    /// The write answer is the [`VconInfo`] of the outcome, member for
    /// member and byte for byte.
    #[test]
    fn the_write_answer_is_the_info_of_the_outcome() {
        let created = DateTime::<Utc>::from_timestamp_millis(1_750_000_000_559);
        for (status, name) in [
            (PutStatus::Created, "created"),
            (PutStatus::AlreadyStored, "already_stored"),
            (PutStatus::Replaced, "replaced"),
        ] {
            for created_at in [created, None] {
                let outcome = PutOutcome {
                    status,
                    meta: meta(created_at),
                };
                let href = [VCONS_PATH, outcome.meta.uuid.as_str()].concat();
                let info = VconInfo {
                    status: Some(name.to_owned()),
                    ..VconInfo::from_meta(&outcome.meta)
                };
                assert_eq!(
                    serde_json::to_string(&WriteInfo::of(&outcome, &href)).unwrap(),
                    serde_json::to_string(&info).unwrap()
                );
            }
        }
    }
}
