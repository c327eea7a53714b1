//! `--chain-drain`: after the ingest phase has queued vCons on an ingress
//! list, watch the list drain (and the egress list fill) through the
//! conserver's public `GET /stats/queue?list_name=L`, which both servers
//! answer. (Not `GET /vcon/count`: the conserver routes it to
//! `GET /vcon/{vcon_uuid}` first and answers 422.)
//!
//! The drain is over when the ingress list is empty and, with an egress
//! list, when it holds every queued vCon, or has stopped growing for
//! `settle` (a sampler or a filter drops some). The end time is the moment
//! the last change was seen, so the settling wait is not counted.
//! vcon serve counts leased (in-flight) items in the depth; the conserver's
//! `LLEN` does not, which the settling wait covers.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use indicatif::ProgressBar;

use super::client::{Target, encode_query_value};
use super::report::{DrainReport, is_success};
use super::wire::Conn;

/// What to watch and for how long.
pub struct Watch<'a> {
    /// The server.
    pub target: &'a Target,
    /// The ingress list the vCons were queued on.
    pub ingress: &'a str,
    /// The chain's egress list, if it has one, and its depth before the
    /// ingest phase (items left by earlier runs).
    pub egress: Option<(&'a str, u64)>,
    /// vCons queued.
    pub queued: u64,
    /// When the first request of the ingest phase was sent.
    pub started: Instant,
    /// When the last answer of the ingest phase came.
    pub ingest_done: Instant,
    /// Give up this long after `ingest_done`.
    pub timeout: Duration,
    /// How long nothing may change before the drain counts as over.
    pub settle: Duration,
    /// Time between two looks.
    pub poll: Duration,
}

/// Watches the drain; see the module documentation.
pub async fn watch(w: &Watch<'_>, progress: &ProgressBar) -> Result<DrainReport> {
    let mut conn = Conn::new(&w.target.authority);
    let depth_path = stats_path(w.ingress);
    let mut last: Option<(u64, Option<u64>)> = None;
    let mut last_change = w.ingest_done;
    let mut backlog = None;
    let (complete, left, egressed) = loop {
        let depth = depth_of(&mut conn, w.target, &depth_path).await?;
        let egressed = match w.egress {
            Some((list, before)) => Some(
                depth_of(&mut conn, w.target, &stats_path(list))
                    .await?
                    .saturating_sub(before),
            ),
            None => None,
        };
        let now = Instant::now();
        backlog.get_or_insert(depth);
        if last != Some((depth, egressed)) {
            last = Some((depth, egressed));
            last_change = now;
        }
        progress.set_position(w.queued.saturating_sub(depth));
        let all_out = egressed.is_some_and(|n| n >= w.queued);
        if depth == 0 && (all_out || now.duration_since(last_change) >= w.settle) {
            break (true, depth, egressed);
        }
        if now.duration_since(w.ingest_done) >= w.timeout {
            break (false, depth, egressed);
        }
        tokio::time::sleep(w.poll).await;
    };
    let dead_letters = depth_of(
        &mut conn,
        w.target,
        &stats_path(&format!("DLQ:{}", w.ingress)),
    )
    .await
    .ok();
    let end = if complete {
        last_change.max(w.ingest_done)
    } else {
        Instant::now()
    };
    let seconds = end.duration_since(w.started).as_secs_f64();
    let drain_seconds = end.duration_since(w.ingest_done).as_secs_f64();
    let backlog = backlog.unwrap_or(0);
    Ok(DrainReport {
        ingress: w.ingress.to_owned(),
        egress: w.egress.map(|(list, _)| list.to_owned()),
        queued: w.queued,
        egressed,
        left,
        dead_letters,
        seconds,
        drain_seconds,
        backlog,
        backlog_per_sec: if drain_seconds > 0.0 {
            backlog.saturating_sub(left) as f64 / drain_seconds
        } else {
            0.0
        },
        vcons_per_sec: if seconds > 0.0 {
            w.queued as f64 / seconds
        } else {
            0.0
        },
        complete,
    })
}

/// The depth of `list` now (`GET /stats/queue`).
pub async fn depth_now(target: &Target, list: &str) -> Result<u64> {
    depth_of(&mut Conn::new(&target.authority), target, &stats_path(list)).await
}

/// The path of `GET /stats/queue` for `list`.
fn stats_path(list: &str) -> String {
    format!("/stats/queue?list_name={}", encode_query_value(list))
}

/// `GET /stats/queue`: `{"list_name": ..., "depth": N}`.
async fn depth_of(conn: &mut Conn, target: &Target, path: &str) -> Result<u64> {
    let answer = conn.send(&target.get_list(path)).await?;
    if !is_success(answer.status) {
        bail!(
            "GET {path}: {} {}",
            answer.status,
            String::from_utf8_lossy(answer.body)
        );
    }
    let value: serde_json::Value =
        serde_json::from_slice(answer.body).with_context(|| format!("GET {path}: not JSON"))?;
    value
        .get("depth")
        .and_then(serde_json::Value::as_u64)
        .with_context(|| format!("GET {path}: no `depth` number in the answer"))
}
