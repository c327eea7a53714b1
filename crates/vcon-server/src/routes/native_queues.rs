//! The native view of the processing lists: `GET /v1/queues/{list}/dead-letters`,
//! the dead letters of a list with why each vCon was set aside (the
//! conserver's `GET /dlq` has only the uuids).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use serde::Serialize;
use utoipa::ToSchema;
use vcon_store::{DeadLetter, ListName};

use super::extract::QueryPairs;
use crate::problem::{ApiError, Problem};
use crate::state::AppState;

/// One dead letter: a vCon that failed on a list and was set aside.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadLetterInfo {
    /// Identifies the dead letter (increasing in the order they were set aside).
    pub id: i64,
    /// The vCon's uuid.
    pub uuid: String,
    /// The list it failed on (its ingress list; `POST /dlq/reprocess` puts it back there).
    pub list: String,
    /// Why it failed: the last error recorded (cut to 4096 bytes).
    pub error: String,
    /// Attempts it had (deliveries handed back unstarted not counted).
    pub attempts: u32,
    /// When it was set aside (RFC 3339, UTC).
    pub dead_lettered_at: String,
    /// Link to the vCon (it may have been deleted since).
    pub href: String,
}

impl DeadLetterInfo {
    /// The answer's form of a stored dead letter.
    pub fn from_dead_letter(d: &DeadLetter) -> Self {
        Self {
            id: d.id,
            uuid: d.uuid.to_string(),
            list: d.list.as_str().to_owned(),
            error: d.error.clone(),
            attempts: d.attempts,
            dead_lettered_at: d.failed_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            href: format!("/v1/vcons/{}", d.uuid),
        }
    }
}

/// One page of dead letters.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadLetterPage {
    /// The dead letters of this page, oldest first.
    pub items: Vec<DeadLetterInfo>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next: Option<String>,
}

/// The dead letter id a cursor stands for (400 when it is not one of ours).
fn parse_cursor(text: Option<&str>) -> Result<i64, ApiError> {
    let Some(text) = text else { return Ok(0) };
    text.strip_prefix("dl")
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "query parameter `cursor`: `{}` is not a cursor of this listing (pass a page's `next`)",
                text.chars().take(64).collect::<String>()
            ))
        })
}

fn cursor_of(id: i64) -> String {
    format!("dl{id}")
}

/// Lists the dead letters of a list, oldest first, a page at a time, with
/// the error that set each aside (`next` is the cursor of the next page).
/// A list without dead letters (or never used) answers an empty page.
#[utoipa::path(
    get, path = "/v1/queues/{list}/dead-letters", tag = "vcons",
    params(
        ("list" = String, Path, description = "The ingress list whose dead letters to list"),
        ("cursor" = Option<String>, Query, description = "From a previous page's `next`"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 1000 (default 50)"),
    ),
    responses(
        (status = 200, description = "One page", body = DeadLetterPage),
        (status = 400, description = "Bad cursor or list name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad limit or unknown parameter", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
pub async fn list_dead_letters(
    State(state): State<AppState>,
    Path(list): Path<String>,
    query: QueryPairs,
) -> Result<Response, ApiError> {
    query.only(&["limit", "cursor"])?;
    let list = ListName::new(list.as_str())?;
    let limit = super::native::parse_limit(&query)?;
    let after = parse_cursor(query.get("cursor"))?;
    // One more than the page, to know whether a next page exists.
    let mut found = state.queue.dlq_list(&list, after, limit + 1).await?;
    let more = found.len() > limit as usize;
    found.truncate(limit as usize);
    let next = found.last().filter(|_| more).map(|last| cursor_of(last.id));
    let page = DeadLetterPage {
        items: found.iter().map(DeadLetterInfo::from_dead_letter).collect(),
        next,
    };
    Ok(axum::Json(page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        assert_eq!(parse_cursor(None).unwrap(), 0);
        assert_eq!(parse_cursor(Some(&cursor_of(42))).unwrap(), 42);
        for bad in ["42", "dl-1", "dlx", "c3RvcmVk"] {
            let e = parse_cursor(Some(bad)).unwrap_err().to_string();
            assert!(e.contains("cursor") && e.contains(bad), "{e}");
        }
    }
}
