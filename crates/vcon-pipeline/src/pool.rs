//! [`WorkerPool`]: runs a [`Pipeline`] on the vcon-store queue.
//!
//! Each enabled chain processes up to `concurrency` vCons at once and keeps
//! up to eight per processing slot (at most 64) more leased ahead, so the
//! next vCons are leased and loaded while the links run. Its leaser takes as many items as
//! there are free lease slots from the chain's ingress lists (round robin) in
//! one queue call, and their vCons are loaded in one store read; each vCon
//! is then run through the links under the chain timeout and written to
//! every storage. Finished vCons are completed
//! in batches with [`vcon_store::Queue::complete`]: in one store transaction,
//! each changed vCon is written back (If-Match on the etag read), each item
//! acknowledged and its uuid pushed to the egress lists (and `tag_router`
//! routes); failed ones are nacked for a retry or dead-lettered in the same
//! call. A vCon whose write-back is refused (it was changed meanwhile) is
//! retried alone.
//!
//! Delivery is at least once: a crash between the storage writes and the
//! acknowledgement processes the vCon again, which idempotent storages
//! absorb. Failures are retried with exponential backoff (the item is
//! nacked with a delay, so no worker waits) up to `retry.max_attempts`
//! deliveries, then dead-lettered with the error. Permanent failures (an
//! invalid vCon, an unreadable one, a 4xx webhook) are dead-lettered at once.
//!
//! Shutdown ([`WorkerPool::shutdown`]) stops leasing, releases the vCons
//! leased ahead that were not started ([`vcon_store::Queue::release`]: ready
//! again at once, in their place, with no attempt spent), lets in-flight
//! vCons finish within the grace period, and nacks those that did not (with
//! no delay, so another process picks them up first; that attempt counts,
//! so a vCon that hangs its worker still ends in the dead letters).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use vcon_store::{Queue, RecordOptions, Store};

use crate::metrics as m;
use crate::pipeline::Pipeline;
use crate::worker::ChainRunner;

/// The phases of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    Running,
    Draining,
    Abort,
}

/// Counts since the pool started (all chains).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) stored: AtomicU64,
    pub(crate) stopped: AtomicU64,
    pub(crate) missing: AtomicU64,
    pub(crate) retried: AtomicU64,
    pub(crate) dead_lettered: AtomicU64,
    pub(crate) requeued: AtomicU64,
}

/// A snapshot of what a pool did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// vCons that went through every link, were stored and acknowledged.
    pub stored: u64,
    /// vCons a link stopped (filtered) and that were acknowledged.
    pub stopped: u64,
    /// Queue items whose vCon was no longer in the store (acknowledged).
    pub missing: u64,
    /// Failed attempts handed back for a retry.
    pub retried: u64,
    /// vCons moved to the dead-letter list.
    pub dead_lettered: u64,
    /// vCons handed back unfinished at shutdown, or unstarted (at shutdown,
    /// or after waiting for a processing slot past half their lease).
    pub requeued: u64,
}

impl Counters {
    fn snapshot(&self) -> PoolStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        PoolStats {
            stored: get(&self.stored),
            stopped: get(&self.stopped),
            missing: get(&self.missing),
            retried: get(&self.retried),
            dead_lettered: get(&self.dead_lettered),
            requeued: get(&self.requeued),
        }
    }
}

/// What [`WorkerPool::shutdown`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownReport {
    /// Whether every in-flight vCon finished within the grace period.
    pub drained: bool,
    /// Totals since start; `requeued` counts the vCons handed back.
    pub stats: PoolStats,
}

/// Whether a pool's chain runners are alive: cheap to clone and to ask
/// (`/ready` does, on every probe).
#[derive(Debug, Clone)]
pub struct PoolHealth {
    alive: Arc<AtomicUsize>,
    started: usize,
}

impl PoolHealth {
    /// Chain runners started (one per enabled chain).
    pub fn started(&self) -> usize {
        self.started
    }

    /// Chain runners still running. One that returned, panicked or was
    /// aborted is not; after a shutdown none is.
    pub fn alive(&self) -> usize {
        self.alive.load(Ordering::Acquire)
    }

    /// Whether every chain runner started is still running.
    pub fn all_alive(&self) -> bool {
        self.alive() == self.started
    }
}

/// Counts a chain runner as alive until it is dropped (returned, panicked
/// or aborted).
struct Alive(Arc<AtomicUsize>);

impl Alive {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(count))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The running workers of a pipeline.
///
/// Start it inside a tokio runtime; stop it with [`WorkerPool::shutdown`].
/// Dropping it without shutting down aborts the workers; their leases
/// expire and the items are delivered again.
#[derive(Debug)]
pub struct WorkerPool {
    phase: watch::Sender<Phase>,
    workers: JoinSet<()>,
    sampler: Option<tokio::task::JoinHandle<()>>,
    counters: Arc<Counters>,
    health: PoolHealth,
    grace: Duration,
}

impl WorkerPool {
    /// Starts `concurrency` workers for every enabled chain, and the queue
    /// depth sampler.
    pub fn start(pipeline: Arc<Pipeline>, store: Arc<dyn Store>, queue: Arc<dyn Queue>) -> Self {
        let settings = pipeline.settings();
        let (phase, _) = watch::channel(Phase::Running);
        let counters = Arc::new(Counters::default());
        let mut workers = JoinSet::new();
        let limits = RecordOptions::default().read_limits;
        let alive = Arc::new(AtomicUsize::new(0));
        for chain in pipeline.chains().iter().filter(|c| c.enabled) {
            let runner = ChainRunner {
                chain: Arc::clone(chain),
                store: Arc::clone(&store),
                queue: Arc::clone(&queue),
                settings,
                counters: Arc::clone(&counters),
                limits,
            };
            let phase = phase.subscribe();
            let alive = Alive::new(&alive);
            workers.spawn(async move {
                let _alive = alive;
                runner.run(phase).await;
            });
        }
        let health = PoolHealth {
            started: workers.len(),
            alive,
        };
        let sampler = settings
            .depth_interval
            .map(|every| tokio::spawn(sample_depths(Arc::clone(&queue), every, phase.subscribe())));
        tracing::info!(chains = workers.len(), "pipeline worker pool started");
        Self {
            phase,
            workers,
            sampler,
            counters,
            health,
            grace: settings.shutdown_grace,
        }
    }

    /// A handle telling whether the chain runners are alive.
    pub fn health(&self) -> PoolHealth {
        self.health.clone()
    }

    /// What the pool has done so far.
    pub fn stats(&self) -> PoolStats {
        self.counters.snapshot()
    }

    /// Stops leasing new vCons at once (in-flight ones go on); call
    /// [`WorkerPool::shutdown`] to wait for them. Useful to drop out of a
    /// load balancer before draining.
    pub fn stop_leasing(&self) {
        self.phase.send_if_modified(|p| {
            let was_running = *p == Phase::Running;
            if was_running {
                *p = Phase::Draining;
            }
            was_running
        });
    }

    /// Stops leasing, waits up to the grace period for in-flight vCons, then
    /// hands the unfinished ones back to the queue and waits for the workers.
    pub async fn shutdown(self) -> ShutdownReport {
        let grace = self.grace;
        self.shutdown_within(grace).await
    }

    /// [`WorkerPool::shutdown`] with another grace period.
    pub async fn shutdown_within(mut self, grace: Duration) -> ShutdownReport {
        self.stop_leasing();
        let drained = tokio::time::timeout(grace, async {
            while self.workers.join_next().await.is_some() {}
        })
        .await
        .is_ok();
        if !drained {
            self.phase.send_replace(Phase::Abort);
            while self.workers.join_next().await.is_some() {}
        }
        self.phase.send_replace(Phase::Abort);
        if let Some(sampler) = self.sampler.take() {
            let _ = sampler.await;
        }
        let stats = self.counters.snapshot();
        tracing::info!(
            drained,
            requeued = stats.requeued,
            "pipeline worker pool stopped"
        );
        ShutdownReport { drained, stats }
    }
}

/// Waits `wait`, or less if the phase changes.
pub(crate) async fn idle(phase: &mut watch::Receiver<Phase>, wait: Duration) {
    let _ = tokio::time::timeout(wait, phase.changed()).await;
}

/// Samples the depth of every list into gauges until the pool stops.
async fn sample_depths(queue: Arc<dyn Queue>, every: Duration, mut phase: watch::Receiver<Phase>) {
    loop {
        match queue.all_stats().await {
            Ok(all) => {
                for s in all {
                    let list = s.list.as_str().to_owned();
                    metrics::gauge!(m::QUEUE_DEPTH, "list" => list.clone()).set(s.depth() as f64);
                    metrics::gauge!(m::QUEUE_DEAD, "list" => list).set(s.dead as f64);
                }
            }
            Err(e) => tracing::warn!(error = %e, "sampling queue depths failed"),
        }
        let stop = tokio::time::timeout(every, phase.wait_for(|p| *p != Phase::Running)).await;
        if stop.is_ok() {
            return;
        }
    }
}
