//! What `vcon bench-server` measures and prints: requests, answers by
//! status, transport errors, throughput and latency percentiles
//! (HdrHistogram, microsecond resolution, three significant digits).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Longest latency recorded exactly (longer ones are clamped to it): 60 s.
const MAX_MICROS: u64 = 60_000_000;

/// Whether an HTTP status is a success (2xx).
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Counts and latencies of one client task, merged at the end.
#[derive(Debug, Clone)]
pub struct Stats {
    latency: Histogram<u64>,
    /// Answers by HTTP status.
    pub statuses: BTreeMap<u16, u64>,
    /// Transport errors (connect, reset, timeout) by message.
    pub transport: BTreeMap<String, u64>,
}

impl Stats {
    /// Empty statistics (1 µs to 60 s at 3 significant digits, about 25 KB).
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            latency: Histogram::new_with_bounds(1, MAX_MICROS, 3)?,
            statuses: BTreeMap::new(),
            transport: BTreeMap::new(),
        })
    }

    /// Records an answer with `status` after `elapsed`.
    pub fn answer(&mut self, status: u16, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros())
            .unwrap_or(MAX_MICROS)
            .clamp(1, MAX_MICROS);
        let _ = self.latency.record(micros);
        *self.statuses.entry(status).or_default() += 1;
    }

    /// Records a transport error.
    pub fn transport_error(&mut self, error: &anyhow::Error) {
        // The outermost context and the root cause: short, stable keys.
        let key = format!("{error}: {}", error.root_cause());
        *self.transport.entry(key).or_default() += 1;
    }

    /// Adds `other` to these.
    pub fn merge(&mut self, other: &Self) {
        let _ = self.latency.add(&other.latency);
        for (s, n) in &other.statuses {
            *self.statuses.entry(*s).or_default() += n;
        }
        for (e, n) in &other.transport {
            *self.transport.entry(e.clone()).or_default() += n;
        }
    }

    /// Requests answered (any status) plus transport errors.
    pub fn requests(&self) -> u64 {
        self.statuses.values().sum::<u64>() + self.transport.values().sum::<u64>()
    }

    /// Answers with a 2xx status.
    pub fn successes(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| is_success(**s))
            .map(|(_, n)| n)
            .sum()
    }

    /// The summary of a phase that took `elapsed`.
    pub fn summary(&self, name: &str, elapsed: Duration) -> PhaseReport {
        let ms = |q: f64| self.latency.value_at_quantile(q) as f64 / 1000.0;
        let secs = elapsed.as_secs_f64();
        let requests = self.requests();
        let successes = self.successes();
        PhaseReport {
            phase: name.to_owned(),
            requests,
            successes,
            errors: requests - successes,
            errors_by_status: self
                .statuses
                .iter()
                .filter(|(s, _)| !is_success(**s))
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
            statuses: self
                .statuses
                .iter()
                .map(|(s, n)| (s.to_string(), *n))
                .collect(),
            transport_errors: self.transport.clone(),
            seconds: secs,
            throughput: if secs > 0.0 {
                successes as f64 / secs
            } else {
                0.0
            },
            latency_ms: Latency {
                p50: ms(0.50),
                p90: ms(0.90),
                p99: ms(0.99),
                max: self.latency.max() as f64 / 1000.0,
                mean: self.latency.mean() / 1000.0,
            },
        }
    }
}

/// Latency percentiles, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Slowest request.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

/// One measured phase (`ingest`, `read`, `mixed`, `seed`).
#[derive(Debug, Clone, Serialize)]
pub struct PhaseReport {
    /// Its name.
    pub phase: String,
    /// Requests sent (answered or not).
    pub requests: u64,
    /// 2xx answers.
    pub successes: u64,
    /// Requests without a 2xx answer (other statuses and transport errors).
    pub errors: u64,
    /// Non-2xx answers by status.
    pub errors_by_status: BTreeMap<String, u64>,
    /// Every answer by status.
    pub statuses: BTreeMap<String, u64>,
    /// Requests that got no answer, by error.
    pub transport_errors: BTreeMap<String, u64>,
    /// Wall-clock time of the phase.
    pub seconds: f64,
    /// 2xx answers per second.
    pub throughput: f64,
    /// Latency of every answered request.
    pub latency_ms: Latency,
}

/// The chain measurement of `--chain-drain`.
#[derive(Debug, Clone, Serialize)]
pub struct DrainReport {
    /// The list the vCons were queued on.
    pub ingress: String,
    /// The egress list watched, when given.
    pub egress: Option<String>,
    /// vCons queued (2xx answers of the ingest phase).
    pub queued: u64,
    /// Items added to the egress list (its depth at the end less that before).
    pub egressed: Option<u64>,
    /// Items left on the ingress list at the end (0 unless timed out).
    pub left: u64,
    /// Dead letters of the ingress list at the end, when the server tells.
    pub dead_letters: Option<u64>,
    /// From the first request to the last vCon processed.
    pub seconds: f64,
    /// From the end of the ingest phase to the last vCon processed.
    pub drain_seconds: f64,
    /// Items on the ingress list when the last post was answered.
    pub backlog: u64,
    /// `backlog / drain_seconds`: the chain alone, with no ingest beside it.
    pub backlog_per_sec: f64,
    /// `queued / seconds`: vCons through the chain per second.
    pub vcons_per_sec: f64,
    /// Whether the drain ended before `--drain-timeout`.
    pub complete: bool,
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The base URL.
    pub url: String,
    /// `native` or `conserver`.
    pub api: String,
    /// `ingest`, `read` or `mixed`.
    pub mode: String,
    /// Client tasks (connections).
    pub concurrency: usize,
    /// Body templates (generated or from the corpus) and their mean size.
    pub templates: usize,
    /// Mean body size of the templates, in bytes.
    pub mean_body_bytes: usize,
    /// The phases, in order.
    pub phases: Vec<PhaseReport>,
    /// The chain measurement, with `--chain-drain`.
    pub drain: Option<DrainReport>,
}

impl RunReport {
    /// The report for people.
    pub fn text(&self) -> String {
        let mut out = format!(
            "vcon bench-server: {} ({} API), mode {}, {} connections, {} templates of {} B on average\n",
            self.url, self.api, self.mode, self.concurrency, self.templates, self.mean_body_bytes
        );
        for p in &self.phases {
            out.push_str(&format!(
                "\n{}: {} requests in {:.2} s, {} ok, {} errors\n  throughput  {:.0} req/s\n  latency ms  p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}  mean {:.2}\n",
                p.phase,
                p.requests,
                p.seconds,
                p.successes,
                p.errors,
                p.throughput,
                p.latency_ms.p50,
                p.latency_ms.p90,
                p.latency_ms.p99,
                p.latency_ms.max,
                p.latency_ms.mean,
            ));
            let statuses: Vec<String> = p
                .statuses
                .iter()
                .map(|(s, n)| format!("{s}: {n}"))
                .collect();
            out.push_str(&format!("  statuses    {}\n", statuses.join(", ")));
            for (e, n) in &p.transport_errors {
                out.push_str(&format!("  no answer   {n} × {e}\n"));
            }
        }
        if let Some(d) = &self.drain {
            out.push_str(&format!(
                "\nchain ({} → {}): {} vCons queued, processed in {:.2} s ({:.2} s after the last post){}\n  throughput  {:.0} vCons/s through the chain, first post to last processed\n  backlog     {} on the ingress list after the last post, drained at {:.0} vCons/s\n  left on the ingress list {}{}{}\n",
                d.ingress,
                d.egress.as_deref().unwrap_or("-"),
                d.queued,
                d.seconds,
                d.drain_seconds,
                if d.complete { "" } else { " — TIMED OUT" },
                d.vcons_per_sec,
                d.backlog,
                d.backlog_per_sec,
                d.left,
                d.egressed
                    .map(|n| format!(", on the egress list {n}"))
                    .unwrap_or_default(),
                d.dead_letters
                    .map(|n| format!(", dead letters {n}"))
                    .unwrap_or_default(),
            ));
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn merged_stats_count_statuses_and_percentiles() {
        let mut a = Stats::new().unwrap();
        let mut b = Stats::new().unwrap();
        for i in 1..=99u64 {
            a.answer(201, Duration::from_millis(i));
        }
        b.answer(500, Duration::from_millis(100));
        b.transport_error(&anyhow::anyhow!("reset").context("sending the request"));
        a.merge(&b);
        assert_eq!(a.requests(), 101);
        assert_eq!(a.successes(), 99);
        let s = a.summary("ingest", Duration::from_secs(1));
        assert_eq!(s.errors, 2);
        assert_eq!(s.errors_by_status.get("500"), Some(&1));
        assert!(
            (s.latency_ms.p50 - 50.0).abs() < 0.1,
            "{}",
            s.latency_ms.p50
        );
        assert!((s.latency_ms.max - 100.0).abs() < 0.1);
        assert!((s.throughput - 99.0).abs() < 1e-9);
        assert_eq!(s.transport_errors.values().sum::<u64>(), 1);
    }
}
