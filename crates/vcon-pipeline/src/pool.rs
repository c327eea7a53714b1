//! [`WorkerPool`]: runs a [`Pipeline`] on the vcon-store queue.
//!
//! Each enabled chain gets `concurrency` workers. A worker leases one item
//! at a time from the chain's ingress lists (round robin), loads the vCon
//! from the store, runs the links under the chain timeout, writes a changed
//! vCon back to the store (If-Match on the etag it read), writes to every
//! storage, then acknowledges the lease and pushes the uuid to the egress
//! lists (and `tag_router` routes) in one transaction.
//!
//! Delivery is at least once: a crash between the storage writes and the
//! acknowledgement processes the vCon again, which idempotent storages
//! absorb. Failures are retried with exponential backoff (the item is
//! nacked with a delay, so no worker waits) up to `retry.max_attempts`
//! deliveries, then dead-lettered with the error. Permanent failures (an
//! invalid vCon, an unreadable one, a 4xx webhook) are dead-lettered at once.
//!
//! Shutdown ([`WorkerPool::shutdown`]) stops leasing, lets in-flight vCons
//! finish within the grace period, and nacks (with no delay) those that did
//! not, so another process picks them up first.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use vcon_core::ReadLimits;
use vcon_store::{Lease, ListName, Queue, RecordOptions, Store, StoreError, VconRecord};

use crate::document::VconDoc;
use crate::link::Flow;
use crate::metrics as m;
use crate::pipeline::{Chain, Pipeline, PoolSettings, ProcessError};

/// The phases of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Draining,
    Abort,
}

/// Counts since the pool started (all chains).
#[derive(Debug, Default)]
struct Counters {
    stored: AtomicU64,
    stopped: AtomicU64,
    missing: AtomicU64,
    retried: AtomicU64,
    dead_lettered: AtomicU64,
    requeued: AtomicU64,
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
    /// vCons handed back unfinished at shutdown.
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
    grace: Duration,
}

struct Worker {
    chain: Arc<Chain>,
    store: Arc<dyn Store>,
    queue: Arc<dyn Queue>,
    settings: PoolSettings,
    counters: Arc<Counters>,
    limits: ReadLimits,
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
        for chain in pipeline.chains().iter().filter(|c| c.enabled) {
            for index in 0..chain.concurrency {
                let worker = Worker {
                    chain: Arc::clone(chain),
                    store: Arc::clone(&store),
                    queue: Arc::clone(&queue),
                    settings,
                    counters: Arc::clone(&counters),
                    limits,
                };
                let rx = phase.subscribe();
                workers.spawn(worker.run(index, rx));
            }
        }
        let sampler = settings
            .depth_interval
            .map(|every| tokio::spawn(sample_depths(Arc::clone(&queue), every, phase.subscribe())));
        tracing::info!(workers = workers.len(), "pipeline worker pool started");
        Self {
            phase,
            workers,
            sampler,
            counters,
            grace: settings.shutdown_grace,
        }
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

impl Worker {
    async fn run(self, index: usize, mut phase: watch::Receiver<Phase>) {
        let chain = self.chain.name.clone();
        tracing::debug!(chain, worker = index, "worker started");
        let mut next = index;
        while *phase.borrow() == Phase::Running {
            let lease = match self.lease_one(&mut next).await {
                Ok(Some(lease)) => lease,
                Ok(None) => {
                    idle(&mut phase, self.settings.idle_poll).await;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(chain, error = %e, "leasing failed");
                    idle(&mut phase, self.settings.idle_poll).await;
                    continue;
                }
            };
            let gauge = metrics::gauge!(m::IN_FLIGHT, "chain" => chain.clone());
            gauge.increment(1.0);
            let mut abort = phase.clone();
            let finished = tokio::select! {
                biased;
                () = self.handle(&lease) => true,
                _ = abort.wait_for(|p| *p == Phase::Abort) => false,
            };
            gauge.decrement(1.0);
            if !finished {
                self.requeue(&lease).await;
            }
        }
        tracing::debug!(chain, worker = index, "worker stopped");
    }

    /// Leases one item from the chain's ingress lists, starting at `next`
    /// and going round so no list starves.
    async fn lease_one(&self, next: &mut usize) -> Result<Option<Lease>, StoreError> {
        let lists = &self.chain.ingress;
        for _ in 0..lists.len() {
            let list = &lists[*next % lists.len()];
            *next = next.wrapping_add(1);
            if let Some(lease) = self
                .queue
                .lease(list, 1, self.settings.lease)
                .await?
                .into_iter()
                .next()
            {
                return Ok(Some(lease));
            }
        }
        Ok(None)
    }

    async fn handle(&self, lease: &Lease) {
        match self.process(lease).await {
            Ok(()) => {}
            Err(e) => self.fail(lease, &e).await,
        }
    }

    async fn process(&self, lease: &Lease) -> Result<(), ProcessError> {
        let chain = &self.chain;
        let uuid = lease.uuid.as_str();
        let store_err = |step, source| ProcessError::Store {
            chain: chain.name.clone(),
            uuid: uuid.to_owned(),
            step,
            source,
        };
        let Some(stored) = self
            .store
            .get(&lease.uuid)
            .await
            .map_err(|e| store_err("load", e))?
        else {
            tracing::warn!(
                chain = chain.name,
                uuid,
                "vCon is no longer stored; acknowledging"
            );
            self.queue
                .ack(&[lease.id])
                .await
                .map_err(|e| store_err("acknowledge", e))?;
            self.finished("missing", &self.counters.missing);
            return Ok(());
        };
        let mut doc =
            VconDoc::from_stored(uuid, &stored.bytes, &self.limits).map_err(|source| {
                ProcessError::Document {
                    chain: chain.name.clone(),
                    source,
                }
            })?;
        let flow = chain.run_links(&mut doc, lease.attempts).await?;
        let tenant = stored.meta.tenant.as_deref();
        let bytes = doc.is_changed().then(|| doc.to_bytes());
        if let Some(bytes) = &bytes {
            let options = RecordOptions {
                uuid: Some(lease.uuid.clone()),
                tenant: stored.meta.tenant.clone(),
                ..RecordOptions::default()
            };
            let record = VconRecord::from_bytes(bytes.clone(), &options)
                .map_err(|e| store_err("write back", StoreError::from(e)))?;
            self.store
                .replace(record, Some(&stored.meta.etag))
                .await
                .map_err(|e| store_err("write back", e))?;
        }
        let mut forward: Vec<ListName> = Vec::new();
        if flow == Flow::Continue {
            let bytes = match &bytes {
                Some(b) => b.as_slice(),
                None => &stored.bytes,
            };
            chain.save(&doc, bytes, tenant).await?;
            forward.extend(chain.egress.iter().cloned());
        }
        for route in &doc.effects().routes {
            match ListName::new(route.as_str()) {
                Ok(list) if !forward.contains(&list) => forward.push(list),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(chain = chain.name, uuid, route, error = %e, "bad route list name")
                }
            }
        }
        let report = self
            .queue
            .ack_and_forward(&[lease.id], &forward)
            .await
            .map_err(|e| store_err("acknowledge", e))?;
        if !report.lost.is_empty() {
            tracing::warn!(chain = chain.name, uuid, lease = %lease.id, "lease was lost before the acknowledgement; the vCon will be processed again");
        }
        match flow {
            Flow::Continue => self.finished("stored", &self.counters.stored),
            Flow::Stop { reason } => {
                tracing::debug!(chain = chain.name, uuid, reason, "chain stopped");
                self.finished("stopped", &self.counters.stopped);
            }
        }
        Ok(())
    }

    fn finished(&self, outcome: &'static str, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(m::PROCESSED, "chain" => self.chain.name.clone(), "outcome" => outcome)
            .increment(1);
    }

    async fn fail(&self, lease: &Lease, error: &ProcessError) {
        let chain = &self.chain;
        let text = error.to_string();
        let retry = error.is_retryable() && lease.attempts < chain.retry.max_attempts;
        let result = if retry {
            let wait = chain.retry.backoff(lease.attempts);
            tracing::warn!(chain = chain.name, uuid = %lease.uuid, attempt = lease.attempts, retry_in = ?wait, error = %text, "vCon failed; will retry");
            self.counters.retried.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(m::RETRIES, "chain" => chain.name.clone()).increment(1);
            self.queue.nack(&lease.id, wait, &text).await
        } else {
            tracing::error!(chain = chain.name, uuid = %lease.uuid, attempt = lease.attempts, error = %text, "vCon failed; dead-lettered");
            self.counters.dead_lettered.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(m::DEAD_LETTERS, "chain" => chain.name.clone()).increment(1);
            self.queue.dead_letter(&lease.id, &text).await
        };
        if let Err(e) = result {
            tracing::warn!(chain = chain.name, uuid = %lease.uuid, error = %e, "could not record the failure; the lease will expire and the vCon be delivered again");
        }
    }

    async fn requeue(&self, lease: &Lease) {
        self.counters.requeued.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(m::REQUEUED, "chain" => self.chain.name.clone()).increment(1);
        let text = "shutdown: not finished within the grace period";
        if let Err(e) = self.queue.nack(&lease.id, Duration::ZERO, text).await {
            tracing::warn!(chain = self.chain.name, uuid = %lease.uuid, error = %e, "could not hand the vCon back; its lease will expire");
        }
    }
}

/// Waits `wait`, or less if the phase changes.
async fn idle(phase: &mut watch::Receiver<Phase>, wait: Duration) {
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
