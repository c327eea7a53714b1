//! Request limits: a concurrency limit (requests beyond it wait for a slot)
//! and a timeout covering the wait and the handling, both answered with
//! problem documents; applied by the server's per-request middleware. The
//! body size limit is axum's [`axum::extract::DefaultBodyLimit`], applied
//! in [`crate::routes`].

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;
use tokio::time::{Instant, timeout_at};

use crate::problem::ApiError;

/// The concurrency limit and timeout of every request.
#[derive(Debug, Clone)]
pub struct Limiter {
    slots: Arc<Semaphore>,
    timeout: Duration,
}

impl Limiter {
    /// At most `max_concurrent` requests at once, each within `timeout`
    /// (waiting for a slot included).
    pub fn new(max_concurrent: usize, timeout: Duration) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(
                max_concurrent.clamp(1, Semaphore::MAX_PERMITS),
            )),
            timeout,
        }
    }

    /// Runs `request` through `next` within the limits: waits for a slot,
    /// runs the request, answers 503 with a `timeout` or `unavailable`
    /// problem when the deadline passes first. Part of the server's one
    /// per-request middleware ([`crate::routes`]).
    pub async fn run(&self, request: Request, next: Next) -> Response {
        let deadline = Instant::now() + self.timeout;
        let slot = match Arc::clone(&self.slots).try_acquire_owned() {
            // The common case: a slot is free, no timer needed to wait for it.
            Ok(permit) => Ok(Ok(permit)),
            Err(_) => timeout_at(deadline, Arc::clone(&self.slots).acquire_owned()).await,
        };
        let permit = match slot {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => {
                return ApiError::Unavailable("the server is stopping".into()).into_response();
            }
            Err(_) => {
                let mut r =
                    ApiError::Unavailable("too many requests in progress; retry later".into())
                        .into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return r;
            }
        };
        let response = match timeout_at(deadline, next.run(request)).await {
            Ok(response) => response,
            Err(_) => ApiError::Timeout {
                secs: self.timeout.as_secs_f64(),
            }
            .into_response(),
        };
        drop(permit);
        response
    }
}
