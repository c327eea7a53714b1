//! From request bytes to a storable, validated [`VconRecord`]: media type,
//! bounded gzip inflation, one parse, validation, record.
//!
//! The hot path is: check the media type, parse once into vcon-core's
//! borrowed tree, validate it (vcon-core's validator or the conserver's
//! rules), build the record from that same parse (no second parse, no copy
//! of the bytes: [`Bytes`] is reference-counted); what that parser does not
//! take goes through the bounded reader, whose errors are the answers.
//! Large bodies are handled on the blocking pool so a 64 MiB vCon never
//! stalls the runtime. [`store_accepted`] is the one write path of both
//! APIs' create routes.

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
        self.accept_posted(media_type(headers)?, body, validation, expected)
            .await
    }

    /// [`Ingestor::accept`] for a body whose media type is already judged:
    /// `gzip_declared` is what [`media_type`] said of its headers.
    pub async fn accept_posted(
        &self,
        gzip_declared: bool,
        body: Bytes,
        validation: &Validation,
        expected: Option<VconUuid>,
    ) -> Result<Accepted, ApiError> {
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
        if let Some(accepted) = self.accept_tree(&bytes, validation, expected.clone()) {
            return accepted;
        }
        self.accept_read(bytes, validation, expected)
    }

    /// The bounded reader's path of [`Ingestor::accept`]: every form, and
    /// the errors of the reader as the answers.
    fn accept_read(
        &self,
        bytes: Bytes,
        validation: &Validation,
        expected: Option<VconUuid>,
    ) -> Result<Accepted, ApiError> {
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

    /// The fast path of [`Ingestor::accept`]: one parse into vcon-core's
    /// borrowed tree (strings not copied, members not hashed), validated
    /// and indexed in place. vcon-core's validator takes unsigned vCons
    /// only; the conserver's rules take any object, as on the reader's
    /// path. `None` when the bytes are not for it (over the size limit, not
    /// taken by the fast parser, or not unsigned for vcon-core): the bounded
    /// reader then decides, with its own errors. For the bytes it takes,
    /// the tree and so the findings and the record are the reader's
    /// (vcon-core holds its two parsers to that).
    fn accept_tree(
        &self,
        bytes: &Bytes,
        validation: &Validation,
        expected: Option<VconUuid>,
    ) -> Option<Result<Accepted, ApiError>> {
        if bytes.len() > self.limits.max_bytes {
            return None;
        }
        let root = vcon_core::tree::parse(bytes, self.limits.max_depth).ok()?;
        let warnings = match validation {
            Validation::Core(options) => {
                let report = vcon_core::validate_tree(&root, options)?;
                if !report.is_valid() {
                    return Some(Err(ApiError::invalid(&report.findings)));
                }
                report.findings.len()
            }
            Validation::Conserver => {
                let findings = conserver_rules::check(&root);
                if !findings.is_empty() {
                    return Some(Err(conserver_invalid(findings)));
                }
                0
            }
        };
        let record = VconRecord::from_tree(bytes.clone(), &root, &self.record_options(expected));
        Some(
            record
                .map_err(ApiError::from)
                .map(|record| Accepted { record, warnings }),
        )
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
        .map_or("", str::trim);
    // Compared without a lowercased copy; the copy only for the refusal.
    let is = |name: &str| essence.eq_ignore_ascii_case(name);
    if is("application/vcon") || is("application/vcon+json") || is("application/json") {
        Ok(encoding_gzip)
    } else if is("application/vcon+gzip") || is("application/gzip") {
        Ok(true)
    } else {
        Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type `{}` is not accepted; send application/vcon, application/vcon+json, \
             application/json or application/vcon+gzip",
            essence.to_ascii_lowercase()
        )))
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
        assert!(!media_type(&with_type(" Application/VCON+Json ;q=1")).unwrap());
        assert!(media_type(&with_type("APPLICATION/GZIP")).unwrap());
        let e = media_type(&with_type("text/plain")).unwrap_err();
        assert_eq!(e.status().as_u16(), 415);
        let e = media_type(&with_type("Text/Plain; charset=utf-8")).unwrap_err();
        assert!(
            format!("{e:?}").contains("`text/plain` is not accepted"),
            "{e:?}"
        );
    }

    /// The tree path (with its fall-back) and the reader's path give the
    /// same record, or the same error, for both kinds of validation.
    #[test]
    fn the_tree_and_the_reader_answer_alike() {
        let ingestor = Ingestor {
            limits: ReadLimits::default(),
            max_text_bytes: 4096,
        };
        // The conserver API tests' base vCon (common/tests/test_api.py).
        let base = r#"{"uuid": "11111111-1111-1111-1111-111111111111", "vcon": "0.0.1",
            "created_at": "2024-01-01T00:00:00", "subject": null, "redacted": {}, "appended": null,
            "group": [], "parties": [{"name": "Agent", "tel": "+15550001111"},
                                     {"name": "Customer", "tel": "+15550002222", "jcard": null}],
            "dialog": [{"type": "recording", "start": "2024-01-01T00:00:00", "duration": 120,
                        "parties": [0, 1], "mimetype": "audio/x-wav",
                        "url": "s3://bucket/recording.wav", "alg": "SHA-512", "signature": "abc123",
                        "encoding": null}],
            "analysis": [{"dialog": 7, "type": "summary", "vendor": "v", "body": "text"}],
            "attachments": [], "meta": {"foo": "bar"}}"#;
        let mut inputs: Vec<String> = vec![base.to_owned()];
        for (from, to) in [
            (r#""parties": [0, 1]"#, r#""parties": [0, 99]"#),
            (r#""duration": 120"#, r#""duration": -30"#),
            (r#""duration": 120"#, r#""duration": " 12.5 ""#),
            (r#""duration": 120"#, r#""duration": "soon""#),
            (
                r#""parties": [0, 1]"#,
                r#""parties": ["1", 1.0, 0.5, null, -1]"#,
            ),
            (r#""parties": [0, 1]"#, r#""parties": "0""#),
            (
                r#""url": "s3://bucket/recording.wav""#,
                r#""url": "not-a-url""#,
            ),
            (
                r#""mimetype": "audio/x-wav""#,
                r#""mimetype": "not a valid mimetype!""#,
            ),
            (r#""alg": "SHA-512""#, r#""alg": "MD5""#),
            (
                r#""tel": "+15550001111""#,
                r#""tel": "\u002b1555\u00300001111""#,
            ),
            (r#""tel": "+15550001111""#, r#""tel": "12""#),
            (r#""redacted": {}"#, r#""redacted": null"#),
            (r#""appended": null"#, r#""appended": []"#),
            (r#""group": []"#, r#""group": [1, {}]"#),
            (r#""attachments": []"#, r#""attachments": {}"#),
            (
                r#""created_at": "2024-01-01T00:00:00""#,
                r#""created_at": 1700000000"#,
            ),
            (
                r#""created_at": "2024-01-01T00:00:00""#,
                r#""created_at": "yesterday""#,
            ),
            (
                r#""uuid": "11111111-1111-1111-1111-111111111111""#,
                r#""uuid": "nope""#,
            ),
            (r#""vcon": "0.0.1""#, r#""vcon": 1"#),
            (r#""subject": null"#, r#""subject": 7"#),
            (
                r#""meta": {"foo": "bar"}"#,
                r#""payload": "e30", "signatures": []"#,
            ),
            (
                r#""meta": {"foo": "bar"}"#,
                r#""meta": {"foo": "bar"}, "meta": 1"#,
            ),
        ] {
            assert!(base.contains(from), "{from}");
            inputs.push(base.replacen(from, to, 1));
        }
        inputs.extend(
            [
                r#"{"invalid": "data"}"#,
                r#"{"vcon": "0.4.0", "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
                   "created_at": "2024-01-01T00:00:00Z", "parties": [{"name": "A"}]}"#,
                r#"[1, 2]"#,
                r#"{"vcon": "0.0.1""#,
                "\u{feff}{}",
            ]
            .map(str::to_owned),
        );
        let validations = [Validation::Conserver, Validation::Core(Box::default())];
        for input in &inputs {
            for validation in &validations {
                let bytes = Bytes::from(input.clone());
                let tree = ingestor.accept_now(bytes.clone(), false, validation, None);
                let reader = ingestor.accept_read(bytes, validation, None);
                match (tree, reader) {
                    (Ok(a), Ok(b)) => {
                        assert_eq!(a.record, b.record, "{input}");
                        assert_eq!(a.warnings, b.warnings, "{input}");
                    }
                    (Err(a), Err(b)) => assert_eq!(format!("{a:?}"), format!("{b:?}"), "{input}"),
                    (a, b) => panic!("{input}: tree {a:?}, reader {b:?}"),
                }
            }
        }
    }
}
