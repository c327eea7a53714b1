//! From request bytes to a storable, validated [`VconRecord`]: media type,
//! bounded gzip inflation, one parse, validation, record.
//!
//! The hot path is: check the media type, parse once with vcon-core's
//! bounded reader, validate the parsed object, build the record from that
//! same parse (no second parse, no copy of the bytes: [`Bytes`] is
//! reference-counted). Large bodies are handled on the blocking pool so a
//! 64 MiB vCon never stalls the runtime. [`store_accepted`] is the one write
//! path of both APIs' create routes.

use axum::http::{HeaderMap, header};
use bytes::Bytes;
use vcon_core::{Options, ReadError, ReadLimits};
use vcon_store::{ListName, PutOutcome, PutStatus, RecordOptions, VconRecord, VconUuid};

use crate::conserver_rules;
use crate::metrics;
use crate::problem::{ApiError, FindingDoc};
use crate::state::AppState;

/// Bodies above this size are parsed and validated off the async workers.
const INLINE_LIMIT: usize = 256 * 1024;

/// How a posted vCon is judged.
#[derive(Debug, Clone)]
pub enum Validation {
    /// vcon-core's validator with these options (profile, extensions).
    Core(Box<Options>),
    /// The conserver's request model ([`conserver_rules`]); unsigned only.
    Conserver,
}

/// Everything needed to turn bodies into records; shared by the routes.
#[derive(Debug, Clone)]
pub struct Ingestor {
    /// Limits for reading bodies (size, inflation, depth).
    pub limits: ReadLimits,
    /// Largest text kept for full-text search per vCon.
    pub max_text_bytes: usize,
}

/// A validated vCon ready for the store.
#[derive(Debug)]
pub struct Accepted {
    /// The record to store.
    pub record: VconRecord,
    /// Warnings and infos of the validator (never errors).
    pub warnings: usize,
}

impl Ingestor {
    /// Checks, inflates, parses and validates `body`; builds the record.
    /// `expected` is the uuid of the URL, when there is one.
    pub async fn accept(
        &self,
        headers: &HeaderMap,
        body: Bytes,
        validation: &Validation,
        expected: Option<VconUuid>,
    ) -> Result<Accepted, ApiError> {
        let gzip_declared = media_type(headers)?;
        if body.len() <= INLINE_LIMIT {
            return self.accept_now(body, gzip_declared, validation, expected);
        }
        let this = self.clone();
        let validation = validation.clone();
        tokio::task::spawn_blocking(move || {
            this.accept_now(body, gzip_declared, &validation, expected)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("validation task failed: {e}")))?
    }

    fn accept_now(
        &self,
        body: Bytes,
        gzip_declared: bool,
        validation: &Validation,
        expected: Option<VconUuid>,
    ) -> Result<Accepted, ApiError> {
        let bytes = if gzip_declared || vcon_core::read::is_gzip(&body) {
            Bytes::from(
                vcon_core::read::inflate(&body, self.limits.max_inflated_bytes)
                    .map_err(read_error)?,
            )
        } else {
            body
        };
        if let Validation::Core(options) = validation
            && let Some(accepted) = self.accept_tree(&bytes, options, expected.clone())
        {
            return accepted;
        }
        let doc = vcon_core::read(&bytes, &self.limits).map_err(read_error)?;
        let warnings = match validation {
            Validation::Core(options) => {
                let report = vcon_core::validate_object(&doc.object, options);
                if !report.is_valid() {
                    return Err(ApiError::invalid(&report.findings));
                }
                report.findings.len()
            }
            Validation::Conserver => {
                let findings = conserver_rules::check(&doc.object);
                if !findings.is_empty() {
                    return Err(conserver_invalid(findings));
                }
                0
            }
        };
        let options = self.record_options(expected);
        let record = VconRecord::from_document(bytes, doc, &options)?;
        Ok(Accepted { record, warnings })
    }

    /// The fast path of [`Ingestor::accept`] for an unsigned vCon: one
    /// parse into vcon-core's borrowed tree (strings not copied, members not
    /// hashed), validated and indexed in place. `None` when the bytes are
    /// not for it (over the size limit, not taken by the fast parser, or not
    /// unsigned): the bounded reader then decides, with its own errors. For
    /// the bytes it takes, the tree and so the findings and the record are
    /// the reader's (vcon-core holds its two parsers to that).
    fn accept_tree(
        &self,
        bytes: &Bytes,
        options: &vcon_core::Options,
        expected: Option<VconUuid>,
    ) -> Option<Result<Accepted, ApiError>> {
        if bytes.len() > self.limits.max_bytes {
            return None;
        }
        let root = vcon_core::tree::parse(bytes, self.limits.max_depth).ok()?;
        let report = vcon_core::validate_tree(&root, options)?;
        if !report.is_valid() {
            return Some(Err(ApiError::invalid(&report.findings)));
        }
        let record = VconRecord::from_tree(bytes.clone(), &root, &self.record_options(expected));
        Some(record.map_err(ApiError::from).map(|record| Accepted {
            record,
            warnings: report.findings.len(),
        }))
    }

    /// How records are made from bodies this ingestor accepted.
    pub fn record_options(&self, expected: Option<VconUuid>) -> RecordOptions {
        RecordOptions {
            max_bytes: self.limits.max_bytes.max(self.limits.max_inflated_bytes),
            read_limits: self.limits,
            uuid: expected,
            tenant: None,
            max_text_bytes: self.max_text_bytes,
        }
    }
}

/// What a create route does when the uuid is already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExisting {
    /// The native API: identical bytes are [`PutStatus::AlreadyStored`] and
    /// queue nothing; other bytes are a conflict (409).
    Keep,
    /// The conserver's POST: other bytes overwrite the stored ones, and the
    /// uuid is queued on every list even when the bytes were already stored.
    Overwrite,
}

/// Which API stored a vCon, and why it was queued (metric labels).
#[derive(Debug, Clone, Copy)]
pub struct Origin {
    /// `native` or `conserver`.
    pub api: &'static str,
    /// `new` or `external`.
    pub source: &'static str,
}

/// Stores an accepted record and queues it on `lists` in the same
/// transaction (as `on_existing` says for a stored uuid), and counts it.
/// The one write path of `POST /v1/vcons`, the conserver's `POST /vcon`
/// and `/vcon/external-ingress`.
pub async fn store_accepted(
    state: &AppState,
    record: VconRecord,
    lists: &[ListName],
    on_existing: OnExisting,
    origin: Origin,
) -> Result<PutOutcome, ApiError> {
    let outcome = match on_existing {
        OnExisting::Keep => state.store.put_and_enqueue(record, lists).await?,
        OnExisting::Overwrite => {
            let uuid = record.uuid().clone();
            let outcome = state.store.replace_and_enqueue(record, None, lists).await?;
            if outcome.status == PutStatus::AlreadyStored {
                // The conserver queues every post, a repeated one too.
                for list in lists {
                    state
                        .queue
                        .enqueue(list, std::slice::from_ref(&uuid))
                        .await?;
                }
            }
            outcome
        }
    };
    metrics::ingested(origin.api, outcome.status);
    if outcome.status == PutStatus::Created || on_existing == OnExisting::Overwrite {
        for list in lists {
            metrics::enqueued(list.as_str(), origin.source, 1);
        }
    }
    Ok(outcome)
}

fn conserver_invalid(findings: Vec<FindingDoc>) -> ApiError {
    let first = findings
        .first()
        .map(|f| format!("; first: {}: {}", f.pointer, f.message))
        .unwrap_or_default();
    ApiError::InvalidVcon {
        detail: format!(
            "the vCon is invalid ({} errors){first}; nothing was stored",
            findings.len()
        ),
        findings,
    }
}

/// A read failure as a problem: 413 for size, 422 with one finding otherwise.
fn read_error(e: ReadError) -> ApiError {
    match e {
        ReadError::TooLarge { .. } | ReadError::InflationLimit { .. } => {
            ApiError::PayloadTooLarge(e.to_string())
        }
        other => ApiError::InvalidVcon {
            detail: format!("the body is not a readable vCon: {other}; nothing was stored"),
            findings: vec![FindingDoc {
                rule: other.rule().to_owned(),
                severity: "error".to_owned(),
                pointer: String::new(),
                message: other.to_string(),
            }],
        },
    }
}

/// Checks `Content-Type` (and `Content-Encoding`); returns whether the body
/// is declared gzip. Accepted: `application/vcon`, `application/vcon+json`,
/// `application/json`, `application/vcon+gzip`, `application/gzip`, and no
/// type at all (the bytes decide).
pub fn media_type(headers: &HeaderMap) -> Result<bool, ApiError> {
    let encoding_gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(encoding_gzip);
    };
    let essence = value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match essence.as_str() {
        "application/vcon" | "application/vcon+json" | "application/json" => Ok(encoding_gzip),
        "application/vcon+gzip" | "application/gzip" => Ok(true),
        other => Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type `{other}` is not accepted; send application/vcon, application/vcon+json, \
             application/json or application/vcon+gzip"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_type(t: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_str(t).unwrap());
        h
    }

    #[test]
    fn media_types() {
        assert!(!media_type(&HeaderMap::new()).unwrap());
        assert!(!media_type(&with_type("application/vcon")).unwrap());
        assert!(!media_type(&with_type("application/json; charset=utf-8")).unwrap());
        assert!(media_type(&with_type("application/vcon+gzip")).unwrap());
        let e = media_type(&with_type("text/plain")).unwrap_err();
        assert_eq!(e.status().as_u16(), 415);
    }
}
