//! HTTP delivery shared by the `webhook` link and the `webhook` storage:
//! POST a JSON body to each URL, with an optional HMAC-SHA256 signature
//! header over the exact body, and retries with exponential backoff.

use std::collections::BTreeMap;
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The signature header written when none is configured.
pub const DEFAULT_SIGNATURE_HEADER: &str = "X-Vcon-Signature";

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
    /// carries `<signature_header>: sha256=<hex HMAC of the body>`.
    #[serde(default)]
    pub secret: Option<String>,
    /// Name of an environment variable holding the HMAC key (read at start-up),
    /// to keep the key out of the file.
    #[serde(default)]
    pub secret_env: Option<String>,
    /// The signature header's name.
    #[serde(default = "default_signature_header")]
    pub signature_header: String,
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
    max_attempts: u32,
    initial_backoff: Duration,
    timeout: Duration,
    client: reqwest::Client,
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
            max_attempts: options.max_attempts,
            initial_backoff: Duration::from_millis(options.initial_backoff_ms),
            timeout,
            client,
        })
    }

    /// The signature header value for `body`: `sha256=<lower-case hex>`, or
    /// `None` without a secret.
    pub fn signature(&self, body: &[u8]) -> Option<String> {
        self.key.as_deref().map(|key| sign(key, body))
    }

    /// POSTs `body` (JSON) to every URL, retrying each as configured.
    pub async fn deliver(&self, body: bytes::Bytes) -> Result<(), DeliveryError> {
        let signature = self.signature(&body);
        for url in &self.urls {
            self.deliver_one(url, body.clone(), signature.as_deref())
                .await?;
        }
        Ok(())
    }

    async fn deliver_one(
        &self,
        url: &reqwest::Url,
        body: bytes::Bytes,
        signature: Option<&str>,
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
            if let Some(sig) = signature {
                request = request.header(self.signature_header.clone(), sig);
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
    // HMAC accepts keys of any length, so this never fails.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in tag {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}
