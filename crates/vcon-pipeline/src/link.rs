//! The [`Link`] trait: one processing step of a chain.

use std::fmt;

use async_trait::async_trait;
use vcon_core::Form;
use vcon_core::validate::Finding;

use crate::document::VconDoc;

/// What a link decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// Go on to the next link with the vCon as the link left it.
    Continue,
    /// Stop the chain here: the vCon is filtered out (sampler, jq,
    /// tag_router without `forward_original`). It is acknowledged and
    /// neither stored by the chain's storages nor pushed to its egress lists.
    Stop {
        /// Why, for logs and metrics (`"sampled out"`, `"jq: no match"`).
        reason: String,
    },
}

impl Flow {
    /// A [`Flow::Stop`] with the given reason.
    pub fn stop(reason: impl Into<String>) -> Self {
        Self::Stop {
            reason: reason.into(),
        }
    }
}

/// Where a link runs: passed to [`Link::process`].
#[derive(Debug, Clone, Copy)]
pub struct LinkContext<'a> {
    /// The chain's name.
    pub chain: &'a str,
    /// The link's name in the configuration.
    pub link: &'a str,
    /// Which attempt at this vCon this is (1 for the first; deliveries
    /// handed back unstarted do not count).
    pub attempt: u32,
}

/// One step of a chain.
///
/// A link gets the vCon by mutable reference and edits it in place
/// ([`VconDoc::object_mut`]); returning [`Flow::Continue`] hands the edited
/// vCon to the next link. That keeps large vCons from being copied between
/// links, and lets a link that stops the chain still leave requests in
/// [`VconDoc::effects`].
///
/// Links that cannot work on a signed or encrypted vCon (most of them: the
/// content sits in a payload or ciphertext) leave [`Link::handles`] at its
/// default; the chain then passes such vCons by untouched.
///
/// Errors are [`LinkError`]s; [`LinkError::is_retryable`] decides between a
/// retry with backoff and the dead-letter list.
///
/// The trait is object-safe (`Arc<dyn Link>`), through `async_trait`.
#[async_trait]
pub trait Link: Send + Sync + fmt::Debug {
    /// Whether the link works on vCons of this form. The default accepts
    /// only unsigned vCons.
    fn handles(&self, form: Form) -> bool {
        form == Form::Unsigned
    }

    /// Processes one vCon.
    async fn process(&self, doc: &mut VconDoc, ctx: &LinkContext<'_>) -> Result<Flow, LinkError>;

    /// Checks at start-up that the link can work (a key loads, a URL
    /// parses). The default has nothing to check.
    async fn healthcheck(&self) -> Result<(), LinkError> {
        Ok(())
    }
}

/// Why a link failed. [`LinkError::is_retryable`] tells the worker whether
/// to try again later or dead-letter the vCon at once.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// Validation found errors (permanent: the same vCon fails again).
    #[error("the vCon is invalid: {}", summary(.findings))]
    Invalid {
        /// Every finding, errors and warnings, with rule ids and pointers.
        findings: Vec<Finding>,
    },
    /// The tags attachment is malformed (permanent).
    #[error("tags: {0}")]
    Tags(#[from] vcon_core::tags::TagError),
    /// A jq program failed at run time or produced something unusable (permanent).
    #[error("jq `{filter}`: {message}")]
    Jq {
        /// The program.
        filter: String,
        /// What went wrong.
        message: String,
    },
    /// An HTTP delivery failed. Connection errors, timeouts, 408, 429 and 5xx
    /// are retryable; other statuses are not.
    #[error("POST {url}: {reason}")]
    Http {
        /// The target URL.
        url: String,
        /// Status or transport error, after the link's own retries.
        reason: String,
        /// Whether a later attempt may succeed.
        retryable: bool,
    },
    /// Signing failed (permanent: the key or the vCon is at fault).
    #[error("signing: {0}")]
    Sign(String),
    /// The vCon cannot be processed by this link (permanent).
    #[error("{0}")]
    Unprocessable(String),
}

impl LinkError {
    /// Whether retrying later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Http {
                retryable: true,
                ..
            }
        )
    }
}

fn summary(findings: &[Finding]) -> String {
    let at = |severity| {
        findings
            .iter()
            .filter(move |f| f.severity == severity)
            .map(|f| {
                format!(
                    "{} {} at {:?}: {}",
                    f.severity, f.rule, f.pointer, f.message
                )
            })
            .collect::<Vec<_>>()
    };
    let mut listed = at(vcon_core::Severity::Error);
    if listed.is_empty() {
        listed = at(vcon_core::Severity::Warning);
    }
    match listed.len() {
        0 => "no findings".to_owned(),
        n if n <= 3 => listed.join("; "),
        n => format!("{}; and {} more", listed[..3].join("; "), n - 3),
    }
}
