//! The load: `concurrency` client tasks, each on its own keep-alive
//! connection, sending requests back to back (a closed loop) until a
//! request count or a deadline is reached, and recording every latency.
//! Requests are prepared bytes ([`Bodies`], [`Phase::reads`]); the loop
//! copies one into a buffer it keeps, formats nothing and allocates
//! nothing per request (a uuid's text is kept only with `keep_uuids`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use indicatif::ProgressBar;

use super::client::Target;
use super::corpus::Bodies;
use super::report::{Stats, is_success};
use super::wire::Conn;

/// When a phase ends.
#[derive(Debug, Clone, Copy)]
pub enum Stop {
    /// After this many requests in all.
    Requests(u64),
    /// After this long.
    After(Duration),
}

/// What each request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// POST a new vCon.
    Ingest,
    /// GET a stored vCon.
    Read,
    /// GET with this probability in percent, else POST.
    Mixed(u8),
}

/// A phase to run.
pub struct Phase {
    /// The server.
    pub target: Target,
    /// The writes (whole requests, a fresh uuid each).
    pub bodies: Arc<Bodies>,
    /// GETs of stored vCons (whole requests), for reads.
    pub reads: Arc<Vec<Vec<u8>>>,
    /// What requests do.
    pub mix: Mix,
    /// When it ends.
    pub stop: Stop,
    /// Client tasks.
    pub concurrency: usize,
    /// Keep the uuids of vCons written with a 2xx answer.
    pub keep_uuids: bool,
}

/// What a phase measured.
pub struct Outcome {
    /// Counts and latencies.
    pub stats: Stats,
    /// From the first request sent to the last answer.
    pub elapsed: Duration,
    /// When the phase began.
    pub started: Instant,
    /// The uuids written with a 2xx answer (with `keep_uuids`).
    pub uuids: Vec<String>,
}

struct Shared {
    phase: Phase,
    issued: AtomicU64,
    deadline: Option<Instant>,
}

impl Shared {
    /// Claims the next request, or `None` when the phase is over.
    fn claim(&self) -> Option<u64> {
        if let Some(d) = self.deadline
            && Instant::now() >= d
        {
            return None;
        }
        let n = self.issued.fetch_add(1, Ordering::Relaxed);
        match self.phase.stop {
            Stop::Requests(total) if n >= total => None,
            _ => Some(n),
        }
    }
}

/// Runs `phase`, advancing `progress` (by requests, or by seconds for a
/// timed phase).
pub async fn run(phase: Phase, progress: &ProgressBar) -> Result<Outcome> {
    let concurrency = phase.concurrency.max(1);
    let started = Instant::now();
    let deadline = match phase.stop {
        Stop::After(d) => Some(started + d),
        Stop::Requests(_) => None,
    };
    let timed = deadline.is_some();
    let shared = Arc::new(Shared {
        phase,
        issued: AtomicU64::new(0),
        deadline,
    });
    let mut tasks = Vec::with_capacity(concurrency);
    for index in 0..concurrency {
        tasks.push(tokio::spawn(client(Arc::clone(&shared), index as u64)));
    }
    let ticker = {
        let shared = Arc::clone(&shared);
        let progress = progress.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(100)).await;
                if timed {
                    progress.set_position(started.elapsed().as_secs());
                } else {
                    progress.set_position(shared.issued.load(Ordering::Relaxed));
                }
            }
        })
    };
    let mut stats = Stats::new()?;
    let mut uuids = Vec::new();
    let mut failure = None;
    for task in tasks {
        match task.await.context("a client task failed") {
            Ok(Ok((s, u))) => {
                stats.merge(&s);
                uuids.extend(u);
            }
            Ok(Err(e)) | Err(e) => failure = Some(e),
        }
    }
    let elapsed = started.elapsed();
    ticker.abort();
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Outcome {
        stats,
        elapsed,
        started,
        uuids,
    })
}

/// One client task: one connection, requests back to back.
async fn client(shared: Arc<Shared>, index: u64) -> Result<(Stats, Vec<String>)> {
    let phase = &shared.phase;
    let mut conn = Conn::new(&phase.target.authority);
    let mut stats = Stats::new()?;
    let mut uuids = Vec::new();
    let mut rng = index.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut consecutive_failures = 0u32;
    let mut write = Vec::new();
    while let Some(n) = shared.claim() {
        let read = match phase.mix {
            Mix::Ingest => false,
            Mix::Read => true,
            Mix::Mixed(percent) => xorshift(&mut rng) % 100 < u64::from(percent),
        };
        let (request, uuid): (&[u8], _) = if read && !phase.reads.is_empty() {
            let i = usize::try_from(xorshift(&mut rng) % phase.reads.len() as u64).unwrap_or(0);
            (phase.reads.get(i).map_or(&[], Vec::as_slice), None)
        } else {
            let uuid = phase.bodies.next_into(&mut write);
            (&write, uuid)
        };
        let sent = Instant::now();
        match conn.send(request).await {
            Ok(answer) => {
                let elapsed = sent.elapsed();
                consecutive_failures = 0;
                stats.answer(answer.status, elapsed);
                if phase.keep_uuids
                    && is_success(answer.status)
                    && let Some(u) = uuid
                {
                    uuids.push(String::from_utf8_lossy(&u).into_owned());
                }
            }
            Err(e) => {
                stats.transport_error(&e);
                consecutive_failures += 1;
                // A server that is down: do not spin; give up after a while.
                if consecutive_failures >= 50 {
                    return Err(e.context(format!(
                        "client {index}: 50 requests in a row got no answer (last at request {n})"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    Ok((stats, uuids))
}

fn xorshift(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    x
}
