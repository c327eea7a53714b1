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
//! | `vcon_store_index_held_microseconds_total` | counter | (sampled at each scrape; how long writes waited for the search index to catch up) |
//! | `vcon_store_disk_bytes` | gauge | (sampled at each scrape; the store's files on disk, index and WAL included) |
//! | `vcon_config_reloads_total` | counter | `outcome` (`applied`/`refused`/`failed`): `POST /config` |
//!
//! The pipeline's own names are listed in `vcon_pipeline::metrics`.

use std::sync::{OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::Method;
use axum::response::Response;
use metrics::{Counter, Gauge, Histogram};
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
/// How long writes have waited for the search index to catch up, in
/// microseconds, sampled at scrape time: indexing holding ingest back.
pub const INDEX_HELD: &str = "vcon_store_index_held_microseconds_total";
/// Bytes of the store's files on disk, sampled at scrape time.
pub const DISK_BYTES: &str = "vcon_store_disk_bytes";

/// `POST /config` reloads, by outcome (`applied`, `refused` when the
/// configuration is invalid or unhealthy, `failed` otherwise).
pub const CONFIG_RELOADS: &str = "vcon_config_reloads_total";

/// Counts one `POST /config` by its outcome.
pub fn config_reload(outcome: &'static str) {
    metrics::counter!(CONFIG_RELOADS, "outcome" => outcome).increment(1);
}

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
    describe_counter!(
        CONFIG_RELOADS,
        "POST /config reloads of the conserver configuration, by outcome."
    );
    describe_gauge!(
        INDEX_BACKLOG,
        "vCons written whose search rows the indexer has not written yet."
    );
    describe_gauge!(
        DISK_BYTES,
        Unit::Bytes,
        "Bytes of the store's files on disk (database, search index, their WAL files)."
    );
}

/// Most (method, route, status) series whose handles [`HttpMetrics`] keeps;
/// further ones (odd methods, say) are recorded through the recorder each time.
const MAX_KEPT_SERIES: usize = 128;

/// The handles of the per-request metrics, asked of the recorder once per
/// (method, route, status) and kept: a request then costs a scan of a
/// short list instead of building label sets and looking them up in the
/// recorder's registry. Handles are taken at first use, so build it before
/// or after [`install`]; it records into whatever recorder is installed at
/// a series' first request.
#[derive(Default)]
pub struct HttpMetrics {
    in_flight: OnceLock<Gauge>,
    series: RwLock<Vec<Series>>,
}

impl std::fmt::Debug for HttpMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpMetrics").finish_non_exhaustive()
    }
}

/// The kept handles of one (method, route, status).
struct Series {
    method: Method,
    route: Box<str>,
    status: u16,
    requests: Counter,
    duration: Histogram,
}

impl Series {
    fn is(&self, method: &Method, route: &str, status: u16) -> bool {
        self.status == status && self.method == *method && &*self.route == route
    }
}

impl HttpMetrics {
    fn in_flight(&self) -> &Gauge {
        self.in_flight
            .get_or_init(|| metrics::gauge!(HTTP_IN_FLIGHT))
    }

    /// Counts one answered request and its latency.
    fn record(&self, method: &Method, route: &str, status: u16, seconds: f64) {
        if let Ok(series) = self.series.read()
            && let Some(s) = series.iter().find(|s| s.is(method, route, status))
        {
            s.requests.increment(1);
            s.duration.record(seconds);
            return;
        }
        let labels = [
            ("method", method.as_str().to_owned()),
            ("route", route.to_owned()),
            ("status", status.to_string()),
        ];
        let requests = metrics::counter!(HTTP_REQUESTS, &labels);
        let duration = metrics::histogram!(HTTP_DURATION, &labels);
        requests.increment(1);
        duration.record(seconds);
        if let Ok(mut series) = self.series.write()
            && series.len() < MAX_KEPT_SERIES
            && !series.iter().any(|s| s.is(method, route, status))
        {
            series.push(Series {
                method: method.clone(),
                route: route.into(),
                status,
                requests,
                duration,
            });
        }
    }
}

/// Counts `request` and its latency by method, matched route (never the
/// raw path, which would explode cardinality) and status, around `run`
/// (the rest of the server's per-request middleware and the handler).
pub async fn track<F>(
    metrics: &HttpMetrics,
    request: Request,
    run: impl FnOnce(Request) -> F,
) -> Response
where
    F: Future<Output = Response>,
{
    let start = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().cloned();
    let in_flight = metrics.in_flight();
    in_flight.increment(1.0);
    let response = run(request).await;
    in_flight.decrement(1.0);
    let elapsed = start.elapsed();
    let status = response.status().as_u16();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    tracing::debug!(
        method = method.as_str(),
        route,
        status,
        micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    metrics.record(&method, route, status, elapsed.as_secs_f64());
    response
}

/// The `api` labels of [`INGESTED`] whose handles are kept.
const INGEST_APIS: [&str; 2] = ["native", "conserver"];

/// The [`INGESTED`] handles for the (api, outcome) pairs of [`INGEST_APIS`]
/// × the three [`vcon_store::PutStatus`] values, each asked of the recorder
/// at its first vCon (a series appears in `/metrics` once counted, as
/// before).
static INGESTED_KEPT: [OnceLock<Counter>; 6] = [const { OnceLock::new() }; 6];

/// Counts a vCon accepted by the store. Once this module's recorder is
/// [`install`]ed (it is then the process's recorder for good), the handles
/// are kept instead of being looked up in its registry per vCon.
pub fn ingested(api: &'static str, outcome: vcon_store::PutStatus) {
    let o = match outcome {
        vcon_store::PutStatus::Created => 0,
        vcon_store::PutStatus::AlreadyStored => 1,
        vcon_store::PutStatus::Replaced => 2,
    };
    let installed = matches!(HANDLE.get(), Some(Some(_)));
    if installed && let Some(a) = INGEST_APIS.iter().position(|k| *k == api) {
        INGESTED_KEPT[a * 3 + o]
            .get_or_init(|| {
                metrics::counter!(INGESTED, "api" => INGEST_APIS[a], "outcome" => outcome.as_str())
            })
            .increment(1);
        return;
    }
    metrics::counter!(INGESTED, "api" => api, "outcome" => outcome.as_str()).increment(1);
}

/// Counts uuids pushed onto an ingress list by the API.
pub fn enqueued(list: &str, source: &'static str, count: u64) {
    if count > 0 {
        metrics::counter!(ENQUEUED, "ingress_list" => list.to_owned(), "source" => source)
            .increment(count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_handles_count_every_request_of_their_series() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let http = HttpMetrics::default();
        metrics::with_local_recorder(&recorder, || {
            for _ in 0..3 {
                http.record(&Method::POST, "/v1/vcons", 201, 0.001);
            }
            http.record(&Method::GET, "/v1/vcons/{uuid}", 404, 0.001);
            // Past the kept series, requests are still counted.
            for status in 0..(MAX_KEPT_SERIES as u16 + 5) {
                http.record(&Method::PUT, "/x", 300 + status, 0.5);
                http.record(&Method::PUT, "/x", 300 + status, 0.5);
            }
        });
        let text = handle.render();
        let value = |series: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(series))
                .map(str::trim)
                .unwrap_or_else(|| panic!("{series} missing in {text}"))
                .to_owned()
        };
        let requests = |labels: &str| value(&format!("{HTTP_REQUESTS}{{{labels}}}"));
        assert_eq!(
            requests(r#"method="POST",route="/v1/vcons",status="201""#),
            "3"
        );
        assert_eq!(
            requests(r#"method="GET",route="/v1/vcons/{uuid}",status="404""#),
            "1"
        );
        let last = 300 + MAX_KEPT_SERIES as u16 + 4;
        assert_eq!(
            requests(&format!(r#"method="PUT",route="/x",status="{last}""#)),
            "2"
        );
        assert_eq!(
            value(&format!(
                r#"{HTTP_DURATION}_count{{method="POST",route="/v1/vcons",status="201"}}"#
            )),
            "3"
        );
        assert_eq!(http.series.read().unwrap().len(), MAX_KEPT_SERIES);
    }
}
