//! HTTP delivery shared by the `webhook` link and the `webhook` storage:
//! POST a JSON body to each URL, with an optional HMAC-SHA256 signature
//! header, and retries with exponential backoff.
//!
//! ## Signature
//!
//! With a secret, every request carries two headers:
//!
//! * `X-Vcon-Timestamp` ([`WebhookOptions::timestamp_header`]): the time of
//!   this request, in whole seconds since the Unix epoch;
//! * `X-Vcon-Signature` ([`WebhookOptions::signature_header`]):
//!   `sha256=<lower-case hex of HMAC-SHA256(secret, timestamp + "." + body)>`.
//!
//! The signed text is the timestamp header's value, a `.`, then the exact
//! body bytes (as Stripe and Slack sign theirs). A receiver recomputes the
//! HMAC over what it got, compares in constant time, and refuses a
//! timestamp too far from its own clock (five minutes is usual): a captured
//! request then cannot be replayed later. Each attempt is signed afresh.
//!
//! ## Several URLs
//!
//! Every URL must accept the body (2xx), in order. When one fails after its
//! retries, the delivery fails; the URLs that had accepted this body are
//! remembered (by the body's SHA-256, in memory, for the last
//! [`MAX_PENDING_DELIVERIES`] unfinished deliveries), so the worker's retry
//! of the same vCon posts only to those that have not. A restart forgets
//! them: delivery stays at least once.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The signature header written when none is configured.
pub const DEFAULT_SIGNATURE_HEADER: &str = "X-Vcon-Signature";

/// The timestamp header written with a signature when none is configured.
pub const DEFAULT_TIMESTAMP_HEADER: &str = "X-Vcon-Timestamp";

/// Unfinished deliveries (to several URLs) whose accepted URLs are
/// remembered for the retry; the oldest is forgotten beyond this.
pub const MAX_PENDING_DELIVERIES: usize = 4096;

/// Options of a webhook (link or storage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookOptions {
    /// The URLs the vCon is POSTed to, in order (conserver `webhook-urls`).
    /// Every one must accept it (2xx) for the delivery to succeed.
    pub urls: Vec<String>,
    /// Extra request headers (an `Authorization`, the conserver's
    /// `x-conserver-api-token`).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// HMAC-SHA256 key. When set (here or through `secret_env`), each request
    /// carries `<timestamp_header>: <unix seconds>` and
    /// `<signature_header>: sha256=<hex HMAC of "<timestamp>.<body>">`.
    #[serde(default)]
    pub secret: Option<String>,
    /// Name of an environment variable holding the HMAC key (read at start-up),
    /// to keep the key out of the file.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// The signature header's name.
    #[serde(default = "default_signature_header")]
    pub signature_header: String,
    /// The name of the header carrying the signed timestamp.
    #[serde(default = "default_timestamp_header")]
    pub timestamp_header: String,
    /// Tries per URL before the delivery fails (1 = no retry).
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Wait before the first retry, in milliseconds; doubled after each.
    #[serde(default = "default_backoff")]
    pub initial_backoff_ms: u64,
    /// Per-request timeout, in seconds.
    #[serde(default = "default_request_timeout")]
    pub timeout_secs: f64,
}

fn default_signature_header() -> String {
    DEFAULT_SIGNATURE_HEADER.to_owned()
}
fn default_timestamp_header() -> String {
    DEFAULT_TIMESTAMP_HEADER.to_owned()
}
fn default_attempts() -> u32 {
    3
}
fn default_backoff() -> u64 {
    500
}
fn default_request_timeout() -> f64 {
    10.0
}

impl WebhookOptions {
    /// Options for these URLs, everything else default.
    pub fn new(urls: Vec<String>) -> Self {
        Self {
            urls,
            headers: BTreeMap::new(),
            secret: None,
            secret_env: None,
            signature_header: default_signature_header(),
            timestamp_header: default_timestamp_header(),
            max_attempts: default_attempts(),
            initial_backoff_ms: default_backoff(),
            timeout_secs: default_request_timeout(),
        }
    }
}

/// A webhook ready to deliver: headers parsed, secret read.
#[derive(Clone)]
pub struct Webhook {
    urls: Vec<reqwest::Url>,
    headers: HeaderMap,
    key: Option<Vec<u8>>,
    signature_header: HeaderName,
    timestamp_header: HeaderName,
    max_attempts: u32,
    initial_backoff: Duration,
    timeout: Duration,
    client: reqwest::Client,
    accepted: Arc<Mutex<Accepted>>,
}

/// The URLs (by index) that accepted a body whose delivery has not yet
/// succeeded everywhere, by the body's SHA-256; the oldest are forgotten
/// beyond [`MAX_PENDING_DELIVERIES`].
#[derive(Debug, Default)]
struct Accepted {
    by_body: HashMap<[u8; 32], Vec<bool>>,
    order: VecDeque<[u8; 32]>,
}

impl Accepted {
    /// Which URLs already accepted `body` (all false when none or forgotten).
    fn of(&self, body: &[u8; 32], urls: usize) -> Vec<bool> {
        self.by_body
            .get(body)
            .cloned()
            .unwrap_or_else(|| vec![false; urls])
    }

    /// Records that URL `index` of `urls` accepted `body`.
    fn record(&mut self, body: [u8; 32], index: usize, urls: usize) {
        let entry = self.by_body.entry(body).or_insert_with(|| {
            self.order.push_back(body);
            vec![false; urls]
        });
        if let Some(slot) = entry.get_mut(index) {
            *slot = true;
        }
        while self.order.len() > MAX_PENDING_DELIVERIES {
            if let Some(old) = self.order.pop_front() {
                self.by_body.remove(&old);
            }
        }
    }

    /// Forgets `body`: every URL accepted it.
    fn finish(&mut self, body: &[u8; 32]) {
        if self.by_body.remove(body).is_some() {
            self.order.retain(|b| b != body);
        }
    }

    fn len(&self) -> usize {
        self.by_body.len()
    }
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("urls", &self.urls)
            .field("signed", &self.key.is_some())
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// A failed delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("POST {url}: {reason}")]
pub struct DeliveryError {
    /// The URL that failed.
    pub url: String,
    /// The last status or transport error.
    pub reason: String,
    /// Whether a later attempt may succeed (transport errors, 408, 429, 5xx).
    pub retryable: bool,
}

impl Webhook {
    /// Checks the options and reads the secret; the error says which option is wrong.
    pub fn new(options: &WebhookOptions, client: reqwest::Client) -> Result<Self, String> {
        if options.urls.is_empty() {
            return Err("urls is empty".into());
        }
        let urls = options
            .urls
            .iter()
            .map(|u| {
                let url = reqwest::Url::parse(u).map_err(|e| format!("url `{u}`: {e}"))?;
                match url.scheme() {
                    "http" | "https" => Ok(url),
                    other => Err(format!("url `{u}`: scheme `{other}` is not http or https")),
                }
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut headers = HeaderMap::new();
        for (name, value) in &options.headers {
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("headers: `{name}`: {e}"))?;
            let v = HeaderValue::from_str(value)
                .map_err(|e| format!("headers: value of `{name}`: {e}"))?;
            headers.insert(n, v);
        }
        let signature_header = HeaderName::from_bytes(options.signature_header.as_bytes())
            .map_err(|e| format!("signature_header `{}`: {e}", options.signature_header))?;
        let timestamp_header = HeaderName::from_bytes(options.timestamp_header.as_bytes())
            .map_err(|e| format!("timestamp_header `{}`: {e}", options.timestamp_header))?;
        if timestamp_header == signature_header {
            return Err(format!(
                "timestamp_header and signature_header are both `{}`",
                options.signature_header
            ));
        }
        let key = match (&options.secret, &options.secret_env) {
            (Some(_), Some(_)) => return Err("set secret or secret_env, not both".into()),
            (Some(s), None) => Some(s.as_bytes().to_vec()),
            (None, Some(var)) => Some(
                std::env::var(var)
                    .map_err(|_| format!("secret_env: environment variable `{var}` is not set"))?
                    .into_bytes(),
            ),
            (None, None) => None,
        };
        if key.as_ref().is_some_and(Vec::is_empty) {
            return Err("the HMAC secret is empty".into());
        }
        if options.max_attempts == 0 {
            return Err("max_attempts must be at least 1".into());
        }
        let timeout = Duration::try_from_secs_f64(options.timeout_secs)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or("timeout_secs must be a positive number")?;
        Ok(Self {
            urls,
            headers,
            key,
            signature_header,
            timestamp_header,
            max_attempts: options.max_attempts,
            initial_backoff: Duration::from_millis(options.initial_backoff_ms),
            timeout,
            client,
            accepted: Arc::default(),
        })
    }

    /// The signature header value for `body` sent at `timestamp` (Unix
    /// seconds): `sha256=<lower-case hex>` of the HMAC over
    /// `"<timestamp>.<body>"`, or `None` without a secret.
    pub fn signature(&self, timestamp: i64, body: &[u8]) -> Option<String> {
        self.key
            .as_deref()
            .map(|key| sign_timestamped(key, timestamp, body))
    }

    /// POSTs `body` (JSON) to every URL in order, retrying each as
    /// configured. URLs that accepted this same body in an earlier call
    /// whose delivery failed further on are skipped (see the module docs).
    pub async fn deliver(&self, body: bytes::Bytes) -> Result<(), DeliveryError> {
        if self.urls.len() == 1 {
            return match self.urls.first() {
                Some(url) => self.deliver_one(url, &body).await,
                None => Ok(()),
            };
        }
        let key: [u8; 32] = Sha256::digest(&body).into();
        let done = self.lock_accepted().of(&key, self.urls.len());
        for (index, url) in self.urls.iter().enumerate() {
            if done.get(index).copied().unwrap_or(false) {
                tracing::debug!(url = %url, "webhook: this body was already accepted here; not posted again");
                continue;
            }
            self.deliver_one(url, &body).await?;
            self.lock_accepted().record(key, index, self.urls.len());
        }
        self.lock_accepted().finish(&key);
        Ok(())
    }

    /// How many unfinished deliveries have URLs remembered (tests).
    pub fn pending_deliveries(&self) -> usize {
        self.lock_accepted().len()
    }

    fn lock_accepted(&self) -> std::sync::MutexGuard<'_, Accepted> {
        // The map is consistent after any panic (each update is one call).
        self.accepted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn deliver_one(
        &self,
        url: &reqwest::Url,
        body: &bytes::Bytes,
    ) -> Result<(), DeliveryError> {
        let mut wait = self.initial_backoff;
        let mut attempt = 1;
        loop {
            let mut request = self
                .client
                .post(url.clone())
                .timeout(self.timeout)
                .headers(self.headers.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
            let timestamp = chrono::Utc::now().timestamp();
            if let Some(sig) = self.signature(timestamp, body) {
                request = request
                    .header(self.timestamp_header.clone(), timestamp.to_string())
                    .header(self.signature_header.clone(), sig);
            }
            let failure = match request.send().await {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) => {
                    let status = response.status();
                    DeliveryError {
                        url: url.to_string(),
                        reason: format!("HTTP {status}"),
                        retryable: status.is_server_error()
                            || status.as_u16() == 408
                            || status.as_u16() == 429,
                    }
                }
                Err(e) => DeliveryError {
                    url: url.to_string(),
                    reason: transport_reason(&e),
                    retryable: true,
                },
            };
            if !failure.retryable || attempt >= self.max_attempts {
                return Err(DeliveryError {
                    reason: format!("{} (after {attempt} attempt(s))", failure.reason),
                    ..failure
                });
            }
            tracing::debug!(url = %url, attempt, reason = %failure.reason, "webhook delivery failed, retrying");
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
            attempt += 1;
        }
    }
}

fn transport_reason(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// `sha256=<hex of HMAC-SHA256(key, body)>`.
///
/// ```
/// // RFC 4231 test case 2.
/// let sig = vcon_pipeline::delivery::sign(b"Jefe", b"what do ya want for nothing?");
/// assert_eq!(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
/// ```
pub fn sign(key: &[u8], body: &[u8]) -> String {
    hmac_hex(key, &[body])
}

/// The webhook signature: `sha256=<hex of HMAC-SHA256(key, "<timestamp>." + body)>`,
/// what a receiver recomputes from the timestamp header and the body.
///
/// ```
/// use vcon_pipeline::delivery::{sign, sign_timestamped};
/// let body = br#"{"uuid":"x"}"#;
/// assert_eq!(
///     sign_timestamped(b"k", 1_767_225_600, body),
///     sign(b"k", br#"1767225600.{"uuid":"x"}"#)
/// );
/// ```
pub fn sign_timestamped(key: &[u8], timestamp: i64, body: &[u8]) -> String {
    let timestamp = timestamp.to_string();
    hmac_hex(key, &[timestamp.as_bytes(), b".", body])
}

/// `sha256=<hex>` of the HMAC-SHA256 of the parts, concatenated.
fn hmac_hex(key: &[u8], parts: &[&[u8]]) -> String {
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    for part in parts {
        mac.update(part);
    }
    let tag = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in tag {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_urls_are_remembered_until_the_delivery_finishes() {
        let mut a = Accepted::default();
        let body = [7u8; 32];
        assert_eq!(a.of(&body, 3), vec![false; 3]);
        a.record(body, 0, 3);
        a.record(body, 1, 3);
        assert_eq!(a.of(&body, 3), vec![true, true, false]);
        a.finish(&body);
        assert_eq!(a.of(&body, 3), vec![false; 3]);
        assert_eq!(a.len(), 0);
        assert!(a.order.is_empty());
    }

    #[test]
    fn the_oldest_unfinished_delivery_is_forgotten_beyond_the_bound() {
        let mut a = Accepted::default();
        for i in 0..=MAX_PENDING_DELIVERIES {
            let mut body = [0u8; 32];
            body[..8].copy_from_slice(&(i as u64).to_le_bytes());
            a.record(body, 0, 2);
        }
        assert_eq!(a.len(), MAX_PENDING_DELIVERIES);
        assert_eq!(
            a.of(&[0u8; 32], 2),
            vec![false, false],
            "the first was forgotten"
        );
    }
}
