//! Appending analysis and attachments to a stored unsigned vCon
//! (`POST /v1/vcons/{uuid}/analysis`, `/attachments`).
//!
//! The new version is the stored object with the entries appended to the
//! array, validated like any posted vCon, and stored in place of the version
//! it was made from (compare-and-swap on the etag, retried when another
//! append won the race). Signed and encrypted vCons cannot change without
//! breaking their envelope: 409.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};
use vcon_core::Form;
use vcon_store::{RecordOptions, StoreError, VconRecord, VconUuid};

use super::extract::{Body, IfMatch, QueryPairs, if_match, list_names, path_uuid};
use super::native::{VconInfo, write_response};
use crate::ingest::Validation;
use crate::metrics;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// Attempts before a contended append gives up with 409.
const ATTEMPTS: usize = 5;

/// Appends analysis entries (one object, or an array of objects).
#[utoipa::path(
    post, path = "/v1/vcons/{uuid}/analysis", tag = "vcons",
    params(
        ("uuid" = String, Path, description = "The vCon's uuid"),
        ("If-Match" = Option<String>, Header, description = "Append only to this version"),
        ("ingress" = Option<Vec<String>>, Query, description = "Lists to queue the new version on"),
    ),
    request_body(description = "An analysis object or an array of them", content(("application/json"))),
    responses(
        (status = 201, description = "Appended; the new version", body = VconInfo),
        (status = 404, description = "Not stored", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Signed or encrypted vCon", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The result would be invalid; nothing stored", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn append_analysis(
    state: State<AppState>,
    uuid: Path<String>,
    query: QueryPairs,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    append(state, uuid, query, headers, body, "analysis").await
}

/// Appends attachments (one object, or an array of objects).
#[utoipa::path(
    post, path = "/v1/vcons/{uuid}/attachments", tag = "vcons",
    params(
        ("uuid" = String, Path, description = "The vCon's uuid"),
        ("If-Match" = Option<String>, Header, description = "Append only to this version"),
        ("ingress" = Option<Vec<String>>, Query, description = "Lists to queue the new version on"),
    ),
    request_body(description = "An attachment object or an array of them", content(("application/json"))),
    responses(
        (status = 201, description = "Appended; the new version", body = VconInfo),
        (status = 404, description = "Not stored", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Signed or encrypted vCon", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The result would be invalid; nothing stored", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn append_attachments(
    state: State<AppState>,
    uuid: Path<String>,
    query: QueryPairs,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    append(state, uuid, query, headers, body, "attachments").await
}

async fn append(
    State(state): State<AppState>,
    Path(uuid): Path<String>,
    query: QueryPairs,
    headers: HeaderMap,
    Body(body): Body,
    member: &'static str,
) -> Result<Response, ApiError> {
    let uuid = path_uuid(&uuid)?;
    query.only(&["ingress"])?;
    let lists = list_names(query.all("ingress"))?;
    let required = match if_match(&headers)? {
        IfMatch::Etag(e) => Some(e),
        IfMatch::Absent | IfMatch::Any => None,
    };
    let entries = parse_entries(&body, member)?;
    for attempt in 1..=ATTEMPTS {
        let stored = state
            .store
            .get(&uuid)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("vCon {uuid} is not stored")))?;
        if let Some(required) = &required
            && *required != stored.meta.etag
        {
            return Err(ApiError::PreconditionFailed(format!(
                "If-Match {required} does not hold; vCon {uuid} is at etag {}",
                stored.meta.etag
            )));
        }
        if stored.meta.form != Form::Unsigned {
            return Err(ApiError::Conflict(format!(
                "vCon {uuid} is {}: changing it would break its envelope; amend it instead \
                 (a new vCon that references this one)",
                stored.meta.form
            )));
        }
        let record = appended(&state, &uuid, &stored.bytes, &entries, member)?;
        match state
            .store
            .replace_and_enqueue(record, Some(&stored.meta.etag), &lists)
            .await
        {
            Ok(outcome) => {
                metrics::ingested("native", outcome.status);
                return Ok(write_response(&outcome, StatusCode::CREATED));
            }
            Err(StoreError::PreconditionFailed { .. })
                if required.is_none() && attempt < ATTEMPTS =>
            {
                tracing::debug!(%uuid, attempt, "append lost a race; retrying");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::Conflict(format!(
        "vCon {uuid} kept changing during the append; retry"
    )))
}

/// The body as a list of objects: one object or an array of objects.
fn parse_entries(body: &[u8], member: &str) -> Result<Vec<Value>, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::BadRequest(format!("the body is not JSON: {e}")))?;
    let entries = match value {
        Value::Object(_) => vec![value],
        Value::Array(items) if !items.is_empty() && items.iter().all(Value::is_object) => items,
        _ => {
            return Err(ApiError::Unprocessable(format!(
                "the body must be one {member} object or a non-empty array of them"
            )));
        }
    };
    Ok(entries)
}

/// The stored vCon with `entries` appended to `member`, validated, as a record.
fn appended(
    state: &AppState,
    uuid: &VconUuid,
    stored: &[u8],
    entries: &[Value],
    member: &str,
) -> Result<VconRecord, ApiError> {
    let limits = state.ingestor.limits;
    let doc = vcon_core::read(stored, &limits)
        .map_err(|e| ApiError::Internal(format!("stored vCon {uuid} is unreadable: {e}")))?;
    let mut object: Map<String, Value> = doc.object;
    match object
        .entry(member.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(items) => items.extend(entries.iter().cloned()),
        other => {
            return Err(ApiError::Conflict(format!(
                "stored vCon {uuid} has a `{member}` that is {}, not an array",
                vcon_core::read::json_type(other)
            )));
        }
    }
    if let Validation::Core(options) = &state.native_validation {
        let report = vcon_core::validate_object(&object, options);
        if !report.is_valid() {
            return Err(ApiError::invalid(&report.findings));
        }
    }
    let bytes = serde_json::to_vec(&object)
        .map_err(|e| ApiError::Internal(format!("serializing vCon {uuid}: {e}")))?;
    let options = RecordOptions {
        max_bytes: limits.max_inflated_bytes.max(limits.max_bytes),
        read_limits: limits,
        uuid: Some(uuid.clone()),
        tenant: None,
        max_text_bytes: state.ingestor.max_text_bytes,
    };
    Ok(VconRecord::from_bytes(bytes, &options)?)
}
