//! Prometheus metrics: the exporter (installed once per process as the
//! global `metrics` recorder, so the pipeline's metrics land there too), the
//! per-request middleware and the names the server records.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `vcon_http_requests_total` | counter | `method`, `route`, `status` |
//! | `vcon_http_request_duration_seconds` | histogram | `method`, `route`, `status` |
//! | `vcon_http_requests_in_flight` | gauge | |
//! | `vcon_ingested_total` | counter | `api` (`native`/`conserver`), `outcome` (`created`/`already_stored`/`replaced`) |
//! | `vcon_api_enqueued_total` | counter | `ingress_list`, `source` (`new`/`external`/`reingress`/`dlq_reprocess`) |
//! | `vcon_pipeline_queue_depth`, `vcon_pipeline_queue_dead` | gauge | `list` (sampled at each scrape) |
//! | `vcon_store_index_backlog` | gauge | (sampled at each scrape; vCons written, not yet in the search index) |
//!
//! The pipeline's own names are listed in `vcon_pipeline::metrics`.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Requests served.
pub const HTTP_REQUESTS: &str = "vcon_http_requests_total";
/// Time to answer a request.
pub const HTTP_DURATION: &str = "vcon_http_request_duration_seconds";
/// Requests being served now.
pub const HTTP_IN_FLIGHT: &str = "vcon_http_requests_in_flight";
/// vCons accepted by the store.
pub const INGESTED: &str = "vcon_ingested_total";
/// vCon uuids the API pushed onto ingress lists (the conserver's
/// `conserver.api.count_vcons_enqueued`).
pub const ENQUEUED: &str = "vcon_api_enqueued_total";
/// Items in a list, sampled at scrape time.
pub const QUEUE_DEPTH: &str = "vcon_pipeline_queue_depth";
/// Dead letters of a list, sampled at scrape time.
pub const QUEUE_DEAD: &str = "vcon_pipeline_queue_dead";
/// vCons written whose search rows are not written yet, sampled at scrape time.
pub const INDEX_BACKLOG: &str = "vcon_store_index_backlog";

/// Latency buckets, in seconds: fine below 20 ms, where the ingest target is.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder as the process's `metrics` recorder
/// (once; later calls return the same handle). `None` when another recorder
/// was installed first.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets(BUCKETS).ok()?;
            let handle = builder.install_recorder().ok()?;
            describe();
            Some(handle)
        })
        .clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request."
    );
    describe_gauge!(HTTP_IN_FLIGHT, "HTTP requests being answered now.");
    describe_counter!(INGESTED, "vCons accepted by the store, by API and outcome.");
    describe_counter!(ENQUEUED, "vCon uuids pushed onto ingress lists by the API.");
    describe_gauge!(
        INDEX_BACKLOG,
        "vCons written whose search rows the indexer has not written yet."
    );
}

/// The middleware: counts every request and its latency by method, matched
/// route (never the raw path, which would explode cardinality) and status.
pub async fn track(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let in_flight = metrics::gauge!(HTTP_IN_FLIGHT);
    in_flight.increment(1.0);
    let response = next.run(request).await;
    in_flight.decrement(1.0);
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    tracing::debug!(
        method = method.as_str(),
        route,
        status,
        micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(elapsed.as_secs_f64());
    response
}

/// Counts a vCon accepted by the store.
pub fn ingested(api: &'static str, outcome: vcon_store::PutStatus) {
    let outcome = match outcome {
        vcon_store::PutStatus::Created => "created",
        vcon_store::PutStatus::AlreadyStored => "already_stored",
        vcon_store::PutStatus::Replaced => "replaced",
    };
    metrics::counter!(INGESTED, "api" => api, "outcome" => outcome).increment(1);
}

/// Counts uuids pushed onto an ingress list by the API.
pub fn enqueued(list: &str, source: &'static str, count: u64) {
    if count > 0 {
        metrics::counter!(ENQUEUED, "ingress_list" => list.to_owned(), "source" => source)
            .increment(count);
    }
}
