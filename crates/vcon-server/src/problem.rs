//! Errors of the HTTP API: [`ApiError`], answered as RFC 9457 problem
//! documents ([`Problem`], media type `application/problem+json`).
//!
//! Every error response of the server, native or conserver-compatible, is a
//! problem document. The conserver's clients read `response.json()["detail"]`,
//! which a problem document has too, so one shape serves both.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use vcon_store::{NameError, RecordError, StoreError};

/// The media type of problem documents (RFC 9457 §3).
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One finding of the validator, as reported in a problem document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FindingDoc {
    /// Rule id from the implementers' digest §12 (such as `R-20`), or
    /// `conserver` for the conserver's own acceptance rules.
    pub rule: String,
    /// `error`, `warning` or `info`.
    pub severity: String,
    /// JSON pointer (RFC 6901) to the offending value; `""` is the whole document.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

impl From<&vcon_core::Finding> for FindingDoc {
    fn from(f: &vcon_core::Finding) -> Self {
        Self {
            rule: f.rule.to_owned(),
            severity: f.severity.to_string(),
            pointer: f.pointer.clone(),
            message: f.message.clone(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:vconkit:problem:<slug>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong on this request.
    pub detail: String,
    /// The validator's findings, when a vCon was refused as invalid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<FindingDoc>>,
}

/// Everything a handler can fail with. Each variant maps to one status and
/// one problem type.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials, or credentials that match no token (401).
    #[error("{0}")]
    Unauthorized(String),
    /// Credentials that are refused for this resource (403; the conserver's
    /// answer to a bad `x-conserver-api-token`).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource or route (404).
    #[error("{0}")]
    NotFound(String),
    /// The route exists, not with this method (405).
    #[error("method {method} is not allowed here")]
    MethodNotAllowed {
        /// The method used.
        method: String,
    },
    /// A malformed request: a bad parameter, header or body (400).
    #[error("{0}")]
    BadRequest(String),
    /// A parameter or body that is well-formed but unusable (422), such as a
    /// missing required query parameter.
    #[error("{0}")]
    Unprocessable(String),
    /// The vCon is invalid; nothing was stored (422, with findings).
    #[error("{detail}")]
    InvalidVcon {
        /// Summary.
        detail: String,
        /// What the validator found.
        findings: Vec<FindingDoc>,
    },
    /// The request conflicts with what is stored (409).
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` does not hold (412).
    #[error("{0}")]
    PreconditionFailed(String),
    /// `If-Match` is required and absent (428).
    #[error("{0}")]
    PreconditionRequired(String),
    /// The body is larger than allowed (413).
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The body's media type is not accepted (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The request took longer than the configured timeout (503).
    #[error("the request did not finish within {secs} s")]
    Timeout {
        /// The timeout.
        secs: f64,
    },
    /// The server is overloaded or shutting down (503).
    #[error("{0}")]
    Unavailable(String),
    /// The store failed (500, or the status of the store error's kind).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Anything else (500); the detail is logged, not sent.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The status, problem slug and title of this error.
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        use StatusCode as S;
        match self {
            Self::Unauthorized(_) => (S::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Self::Forbidden(_) => (S::FORBIDDEN, "forbidden", "Forbidden"),
            Self::NotFound(_) => (S::NOT_FOUND, "not-found", "Not found"),
            Self::MethodNotAllowed { .. } => (
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
            ),
            Self::BadRequest(_) => (S::BAD_REQUEST, "bad-request", "Bad request"),
            Self::Unprocessable(_) => (
                S::UNPROCESSABLE_ENTITY,
                "unprocessable",
                "Unprocessable request",
            ),
            Self::InvalidVcon { .. } => (S::UNPROCESSABLE_ENTITY, "invalid-vcon", "Invalid vCon"),
            Self::Conflict(_) => (S::CONFLICT, "conflict", "Conflict"),
            Self::PreconditionFailed(_) => (
                S::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
            ),
            Self::PreconditionRequired(_) => (
                S::PRECONDITION_REQUIRED,
                "precondition-required",
                "Precondition required",
            ),
            Self::PayloadTooLarge(_) => (
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            Self::UnsupportedMediaType(_) => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
            ),
            Self::Timeout { .. } => (S::SERVICE_UNAVAILABLE, "timeout", "Request timed out"),
            Self::Unavailable(_) => (S::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable"),
            Self::Store(e) => store_parts(e),
            Self::Internal(_) => (
                S::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            ),
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    /// The problem document of this error.
    pub fn to_problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        let detail = match self {
            // Store and internal failures are logged; clients get no internals.
            Self::Internal(_) => "the server failed; see its log".to_owned(),
            Self::Store(e) if status.is_server_error() => {
                format!("the store failed: {}", store_summary(e))
            }
            other => other.to_string(),
        };
        let findings = match self {
            Self::InvalidVcon { findings, .. } => Some(findings.clone()),
            _ => None,
        };
        Problem {
            kind: format!("urn:vconkit:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            findings,
        }
    }

    /// An invalid-vCon error from validator findings (only errors are
    /// listed first; warnings follow so that clients see the whole report).
    pub fn invalid(findings: &[vcon_core::Finding]) -> Self {
        let errors = findings
            .iter()
            .filter(|f| f.severity == vcon_core::Severity::Error)
            .count();
        let first = findings
            .iter()
            .find(|f| f.severity == vcon_core::Severity::Error)
            .map(|f| format!("; first: {} {}: {}", f.rule, f.pointer, f.message))
            .unwrap_or_default();
        Self::InvalidVcon {
            detail: format!("the vCon is invalid ({errors} errors){first}; nothing was stored"),
            findings: findings.iter().map(FindingDoc::from).collect(),
        }
    }
}

fn store_parts(e: &StoreError) -> (StatusCode, &'static str, &'static str) {
    use StatusCode as S;
    match e {
        StoreError::Conflict { .. } => (S::CONFLICT, "conflict", "Conflict"),
        StoreError::NotFound { .. } => (S::NOT_FOUND, "not-found", "Not found"),
        StoreError::PreconditionFailed { .. } => (
            S::PRECONDITION_FAILED,
            "precondition-failed",
            "Precondition failed",
        ),
        StoreError::Name(_) | StoreError::Invalid { .. } => {
            (S::BAD_REQUEST, "bad-request", "Bad request")
        }
        StoreError::Record(RecordError::TooLarge { .. }) => (
            S::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
        ),
        StoreError::Record(_) => (S::UNPROCESSABLE_ENTITY, "invalid-vcon", "Invalid vCon"),
        StoreError::Closed { .. } => (S::SERVICE_UNAVAILABLE, "unavailable", "Service unavailable"),
        _ => (S::INTERNAL_SERVER_ERROR, "store-failed", "Store failed"),
    }
}

/// A short description of a server-side store failure, without paths.
fn store_summary(e: &StoreError) -> &'static str {
    match e {
        StoreError::Closed { .. } => "the store is closed (shutting down?)",
        StoreError::Locked { .. } => "the data directory is locked",
        StoreError::Io { .. } => "an I/O error",
        StoreError::Corrupt { .. } => "the database is corrupt",
        _ => "a backend error",
    }
}

impl From<RecordError> for ApiError {
    fn from(e: RecordError) -> Self {
        match e {
            RecordError::TooLarge { .. } => Self::PayloadTooLarge(e.to_string()),
            other => Self::InvalidVcon {
                detail: format!("the vCon cannot be stored: {other}; nothing was stored"),
                findings: Vec::new(),
            },
        }
    }
}

impl From<NameError> for ApiError {
    fn from(e: NameError) -> Self {
        Self::BadRequest(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), error = %self, "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), error = %self, "request refused");
        }
        let problem = self.to_problem();
        problem_response(status, &problem)
    }
}

/// Serializes a problem document into a response with `status`.
pub fn problem_response(status: StatusCode, problem: &Problem) -> Response {
    let body = serde_json::to_vec(problem).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_vcon_is_422_with_findings() {
        let report =
            vcon_core::validate_bytes(br#"{"uuid":"nope","parties":[]}"#, &Default::default());
        let e = ApiError::invalid(&report.findings);
        let p = e.to_problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.kind, "urn:vconkit:problem:invalid-vcon");
        let findings = p.findings.unwrap_or_default();
        assert!(
            findings
                .iter()
                .any(|f| f.rule == "R-2" && f.pointer == "/uuid")
        );
        assert!(p.detail.contains("nothing was stored"));
    }

    #[test]
    fn internal_errors_do_not_leak_their_detail() {
        let p = ApiError::Internal("secret path /etc/x".into()).to_problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.contains("/etc/x"));
    }

    #[test]
    fn store_conflict_maps_to_409() {
        let uuid = vcon_store::VconUuid::parse("019f15a6-a752-826f-b9a2-279e0d16bc46").unwrap();
        let e = ApiError::from(StoreError::Conflict {
            uuid,
            stored: vcon_store::Etag::of(b"a"),
            offered: vcon_store::Etag::of(b"b"),
        });
        assert_eq!(e.status(), StatusCode::CONFLICT);
        assert!(e.to_problem().detail.contains("different bytes"));
    }
}
