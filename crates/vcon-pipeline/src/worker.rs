//! One chain's workers: a leaser that takes as many items as there are free
//! slots (up to `concurrency`) in one queue call, a task per vCon, and an
//! acknowledger that acknowledges finished vCons in batches (one
//! `ack_and_forward` per set of target lists), so the queue's writes per
//! vCon stay well below one under load.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use vcon_core::ReadLimits;
use vcon_store::{Lease, LeaseId, ListName, Queue, RecordOptions, Store, StoreError, VconRecord};

use crate::document::VconDoc;
use crate::link::Flow;
use crate::metrics as m;
use crate::pipeline::{Chain, PoolSettings, ProcessError};
use crate::pool::{Counters, Phase, idle};

/// Most items leased in one queue call.
const MAX_LEASE_BATCH: usize = 64;

/// Most leases acknowledged in one queue call.
const MAX_ACK_BATCH: usize = 512;

/// Runs one chain until the pool stops.
pub(crate) struct ChainRunner {
    pub(crate) chain: Arc<Chain>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) queue: Arc<dyn Queue>,
    pub(crate) settings: PoolSettings,
    pub(crate) counters: Arc<Counters>,
    pub(crate) limits: ReadLimits,
}

/// A processed vCon waiting for its acknowledgement.
struct Done {
    lease: LeaseId,
    uuid: String,
    forward: Vec<ListName>,
    outcome: Outcome,
}

#[derive(Clone, Copy)]
enum Outcome {
    Stored,
    Stopped,
    Missing,
}

impl ChainRunner {
    pub(crate) async fn run(self, mut phase: watch::Receiver<Phase>) {
        let this = Arc::new(self);
        let name = this.chain.name.clone();
        let slots = Arc::new(Semaphore::new(this.chain.concurrency));
        let (done_tx, done_rx) = mpsc::unbounded_channel::<Done>();
        let acker = tokio::spawn(Arc::clone(&this).acknowledge(done_rx));
        let mut tasks = JoinSet::new();
        let mut next_list = 0usize;
        tracing::debug!(
            chain = name,
            concurrency = this.chain.concurrency,
            "chain workers started"
        );
        while *phase.borrow() == Phase::Running {
            while tasks.try_join_next().is_some() {}
            let first = tokio::select! {
                biased;
                _ = phase.wait_for(|p| *p != Phase::Running) => break,
                permit = Arc::clone(&slots).acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            // A slot may have freed up in the same instant as the pool was
            // told to stop leasing: check again before taking more work.
            if *phase.borrow() != Phase::Running {
                break;
            }
            let mut permits = vec![first];
            while permits.len() < MAX_LEASE_BATCH {
                match Arc::clone(&slots).try_acquire_owned() {
                    Ok(p) => permits.push(p),
                    Err(_) => break,
                }
            }
            let leases = match this.lease_up_to(permits.len(), &mut next_list).await {
                Ok(leases) => leases,
                Err(e) => {
                    tracing::warn!(chain = name, error = %e, "leasing failed");
                    Vec::new()
                }
            };
            if leases.is_empty() {
                drop(permits);
                idle(&mut phase, this.settings.idle_poll).await;
                continue;
            }
            for (lease, permit) in leases.into_iter().zip(permits) {
                let runner = Arc::clone(&this);
                let done = done_tx.clone();
                tasks.spawn(runner.item(lease, permit, done, phase.clone()));
            }
        }
        while tasks.join_next().await.is_some() {}
        drop(done_tx);
        let _ = acker.await;
        tracing::debug!(chain = name, "chain workers stopped");
    }

    /// Leases up to `n` items, going round the ingress lists from `next`.
    async fn lease_up_to(&self, n: usize, next: &mut usize) -> Result<Vec<Lease>, StoreError> {
        let lists = &self.chain.ingress;
        let mut leases = Vec::new();
        for _ in 0..lists.len() {
            let want = n - leases.len();
            if want == 0 {
                break;
            }
            let list = &lists[*next % lists.len()];
            *next = next.wrapping_add(1);
            leases.extend(self.queue.lease(list, want, self.settings.lease).await?);
        }
        Ok(leases)
    }

    /// Processes one leased vCon; on abort hands it back to the queue.
    async fn item(
        self: Arc<Self>,
        lease: Lease,
        _permit: OwnedSemaphorePermit,
        done: mpsc::UnboundedSender<Done>,
        mut phase: watch::Receiver<Phase>,
    ) {
        let gauge = metrics::gauge!(m::IN_FLIGHT, "chain" => self.chain.name.clone());
        gauge.increment(1.0);
        let result = tokio::select! {
            biased;
            r = self.process(&lease) => Some(r),
            _ = phase.wait_for(|p| *p == Phase::Abort) => None,
        };
        gauge.decrement(1.0);
        match result {
            Some(Ok(finished)) => {
                // The acknowledger outlives every item task.
                let _ = done.send(finished);
            }
            Some(Err(e)) => self.fail(&lease, &e).await,
            None => self.requeue(&lease).await,
        }
    }

    async fn process(&self, lease: &Lease) -> Result<Done, ProcessError> {
        let chain = &self.chain;
        let uuid = lease.uuid.as_str();
        let store_err = |step, source| ProcessError::Store {
            chain: chain.name.clone(),
            uuid: uuid.to_owned(),
            step,
            source,
        };
        let done = |forward, outcome| Done {
            lease: lease.id,
            uuid: uuid.to_owned(),
            forward,
            outcome,
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
            return Ok(done(Vec::new(), Outcome::Missing));
        };
        let mut doc =
            VconDoc::from_stored(uuid, &stored.bytes, &self.limits).map_err(|source| {
                ProcessError::Document {
                    chain: chain.name.clone(),
                    source,
                }
            })?;
        let flow = chain.run_links(&mut doc, lease.attempts).await?;
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
            let bytes = bytes.as_deref().unwrap_or(&stored.bytes);
            chain
                .save(&doc, bytes, stored.meta.tenant.as_deref())
                .await?;
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
        Ok(match flow {
            Flow::Continue => done(forward, Outcome::Stored),
            Flow::Stop { reason } => {
                tracing::debug!(chain = chain.name, uuid, reason, "chain stopped");
                done(forward, Outcome::Stopped)
            }
        })
    }

    /// Acknowledges finished vCons, batching what is waiting, one queue call
    /// per set of target lists.
    async fn acknowledge(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Done>) {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_ACK_BATCH {
                match rx.try_recv() {
                    Ok(d) => batch.push(d),
                    Err(_) => break,
                }
            }
            let mut groups: BTreeMap<Vec<ListName>, Vec<Done>> = BTreeMap::new();
            for d in batch {
                groups.entry(d.forward.clone()).or_default().push(d);
            }
            for (forward, items) in groups {
                let ids: Vec<LeaseId> = items.iter().map(|d| d.lease).collect();
                match self.queue.ack_and_forward(&ids, &forward).await {
                    Ok(report) => {
                        for d in &items {
                            if report.lost.contains(&d.lease) {
                                tracing::warn!(
                                    chain = self.chain.name,
                                    uuid = d.uuid,
                                    "lease was lost before the acknowledgement; the vCon will be processed again"
                                );
                            } else {
                                self.finished(d.outcome);
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(chain = self.chain.name, error = %e, count = items.len(), "acknowledging failed; the leases will expire and the vCons be delivered again");
                    }
                }
            }
        }
    }

    fn finished(&self, outcome: Outcome) {
        let (label, counter): (&'static str, &AtomicU64) = match outcome {
            Outcome::Stored => ("stored", &self.counters.stored),
            Outcome::Stopped => ("stopped", &self.counters.stopped),
            Outcome::Missing => ("missing", &self.counters.missing),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(m::PROCESSED, "chain" => self.chain.name.clone(), "outcome" => label)
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
