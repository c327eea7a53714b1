//! One chain's workers.
//!
//! * A leaser takes as many items as there are free lease slots in one
//!   queue call and hands them, as one batch, to a task that loads their
//!   vCons in one store read. There are `concurrency` lease slots plus
//!   [`lease_ahead`] (eight per processing slot, at most
//!   [`MAX_LEASE_AHEAD`]): the next vCons are leased and loaded while the
//!   current ones' links run, so a writer busy with a commit or an index
//!   flush does not leave the slots idle; a chain holds at most
//!   `concurrency + lease_ahead` leased items that are not finished.
//! * Each vCon of a batch is then processed on its own once it gets one of
//!   the `concurrency` processing slots: links, storages, and the record of
//!   the vCon as the links left it, when they changed it. A vCon leased
//!   ahead that has no slot yet when the pool stops leasing is released at
//!   once ([`Queue::release`]: not an attempt), as is one that waited for a
//!   slot past half its lease (its lease could run out while it runs);
//!   unfinished ones are nacked with no delay at the end of the grace
//!   period (an attempt). All are counted as requeued.
//! * An acknowledger takes every vCon finished meanwhile and completes them
//!   in one [`Queue::complete`]: write-backs (If-Match on the etag read),
//!   acknowledgements, egress pushes, retries and dead letters in one store
//!   transaction, so the store's work per vCon is a fraction of a write.
//!
//! Each vCon keeps its own outcome inside a batch: a vCon whose write-back
//! is refused (the stored vCon changed meanwhile) is retried alone, one
//! whose lease was lost is left alone, the others are acknowledged.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use vcon_core::ReadLimits;
use vcon_store::{
    Completed, Completion, Lease, ListName, Queue, RecordOptions, Store, StoreError, StoredVcon,
    VconRecord, VconUuid, WriteBack,
};

use crate::document::VconDoc;
use crate::erase::StorageEraser;
use crate::link::Flow;
use crate::metrics as m;
use crate::pipeline::{Chain, PoolSettings, ProcessError};
use crate::pool::{Counters, Phase, idle};
use crate::storage::DeleteRequest;

/// Most items leased (and loaded) in one queue call.
const MAX_LEASE_BATCH: usize = 64;

/// Most items a chain leases ahead of its processing slots.
const MAX_LEASE_AHEAD: usize = 64;

/// Items leased ahead per processing slot (below [`MAX_LEASE_AHEAD`]).
const AHEAD_PER_SLOT: usize = 8;

/// Why a vCon was handed back at the end of the shutdown grace period.
const UNFINISHED: &str = "shutdown: not finished within the grace period";

/// Most finished vCons completed in one queue call.
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

/// A vCon whose processing ended, waiting for the acknowledger.
struct Done {
    lease: Lease,
    action: Action,
}

/// What the acknowledger does with a [`Done`].
enum Action {
    /// Processed: acknowledge, writing the vCon back first when it changed.
    Ack {
        write_back: Option<WriteBack>,
        forward: Vec<ListName>,
        outcome: Outcome,
    },
    /// Failed: retry later or dead-letter, by the chain's policy.
    Fail(ProcessError),
    /// Not started (the pool stopped leasing, or it waited for a slot past
    /// half its lease): release, no attempt spent.
    Release,
    /// Not finished at shutdown: hand back with no delay, saying why.
    Requeue(&'static str),
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
        let leased = Arc::new(Semaphore::new(lease_slots(this.chain.concurrency)));
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
                permit = Arc::clone(&leased).acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            // A slot may have freed up in the same instant as the pool was
            // told to stop leasing: check again before taking more work.
            if *phase.borrow() != Phase::Running {
                break;
            }
            // Lease slots free one by one as vCons finish: let the others
            // finish too before leasing, so batches stay large.
            let want = lease_slots(this.chain.concurrency).min(MAX_LEASE_BATCH);
            if leased.available_permits() + 1 < want / 2 {
                tokio::task::yield_now().await;
            }
            let mut permits = vec![first];
            while permits.len() < MAX_LEASE_BATCH {
                match Arc::clone(&leased).try_acquire_owned() {
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
            permits.truncate(leases.len());
            let runner = Arc::clone(&this);
            let batch = Batch {
                leases,
                leased_at: Instant::now(),
                permits,
                slots: Arc::clone(&slots),
                done: done_tx.clone(),
                phase: phase.clone(),
            };
            tasks.spawn(runner.batch(batch));
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

    /// Loads the vCons of a leased batch and processes them, each once it
    /// gets a processing slot; each one's end goes to the acknowledger as
    /// soon as it is known.
    async fn batch(self: Arc<Self>, batch: Batch) {
        let Batch {
            leases,
            leased_at,
            permits,
            slots,
            done,
            phase,
        } = batch;
        let loaded = self.load(&leases).await;
        let mut items: FuturesUnordered<_> = leases
            .into_iter()
            .zip(loaded)
            .zip(permits)
            .map(|((lease, stored), permit)| {
                let waits = Waits {
                    leased_at,
                    slots: &slots,
                    phase: phase.clone(),
                };
                self.item(lease, stored, permit, waits, done.clone())
            })
            .collect();
        while items.next().await.is_some() {}
    }

    /// The stored vCons of `leases`, in order: in one read, or one by one
    /// when that read fails (so that each vCon gets its own error).
    async fn load(&self, leases: &[Lease]) -> Vec<Result<Option<StoredVcon>, StoreError>> {
        let uuids: Vec<VconUuid> = leases.iter().map(|l| l.uuid.clone()).collect();
        match self.store.get_many(&uuids).await {
            Ok(found) if found.len() == uuids.len() => found.into_iter().map(Ok).collect(),
            _ => {
                let mut out = Vec::with_capacity(uuids.len());
                for uuid in &uuids {
                    out.push(self.store.get(uuid).await);
                }
                out
            }
        }
    }

    /// Waits for a processing slot, processes one leased vCon (aborted at
    /// shutdown) and hands its end to the acknowledger; its lease slot and
    /// processing slot free when this returns. A vCon still waiting for a
    /// slot when the pool stops leasing, or that got one only after half its
    /// lease had passed, is released unprocessed.
    async fn item(
        &self,
        lease: Lease,
        stored: Result<Option<StoredVcon>, StoreError>,
        _leased: OwnedSemaphorePermit,
        waits: Waits<'_>,
        done: mpsc::UnboundedSender<Done>,
    ) {
        let Waits {
            leased_at,
            slots,
            mut phase,
        } = waits;
        // The phase first: once leasing stops, a vCon leased ahead is not
        // started even if a slot is free.
        let slot = tokio::select! {
            biased;
            _ = phase.wait_for(|p| *p != Phase::Running) => None,
            slot = slots.acquire() => slot.ok(),
        };
        let action = match slot {
            // Started now, it could still be running when its lease runs
            // out and another delivery begins: hand it back, no attempt spent.
            Some(_slot) if leased_at.elapsed() > self.settings.lease / 2 => Action::Release,
            Some(_slot) => {
                let gauge = metrics::gauge!(m::IN_FLIGHT, "chain" => self.chain.name.clone());
                gauge.increment(1.0);
                let result = tokio::select! {
                    biased;
                    r = self.process(&lease, stored) => Some(r),
                    _ = phase.wait_for(|p| *p == Phase::Abort) => None,
                };
                gauge.decrement(1.0);
                match result {
                    Some(Ok(action)) => action,
                    Some(Err(e)) => Action::Fail(e),
                    None => Action::Requeue(UNFINISHED),
                }
            }
            None => Action::Release,
        };
        // The acknowledger outlives every item.
        let _ = done.send(Done { lease, action });
    }

    async fn process(
        &self,
        lease: &Lease,
        stored: Result<Option<StoredVcon>, StoreError>,
    ) -> Result<Action, ProcessError> {
        let chain = &self.chain;
        let uuid = lease.uuid.as_str();
        let store_err = |step, source| ProcessError::Store {
            chain: chain.name.clone(),
            uuid: uuid.to_owned(),
            step,
            source,
        };
        let ack = |write_back, forward, outcome| Action::Ack {
            write_back,
            forward,
            outcome,
        };
        let Some(stored) = stored.map_err(|e| store_err("load", e))? else {
            tracing::warn!(
                chain = chain.name,
                uuid,
                "vCon is no longer stored; acknowledging"
            );
            return Ok(ack(None, Vec::new(), Outcome::Missing));
        };
        let mut doc =
            VconDoc::from_stored(uuid, &stored.bytes, &self.limits).map_err(|source| {
                ProcessError::Document {
                    chain: chain.name.clone(),
                    source,
                }
            })?;
        let flow = chain.run_links(&mut doc, lease.attempts).await?;
        let bytes = doc.is_changed().then(|| bytes::Bytes::from(doc.to_bytes()));
        let mut forward: Vec<ListName> = Vec::new();
        if flow == Flow::Continue {
            let bytes = bytes.as_deref().unwrap_or(&stored.bytes);
            let tenant = stored.meta.tenant.as_deref();
            chain.save(&doc, bytes, tenant).await?;
            if !chain.storages.is_empty() && self.deleted_meanwhile(&lease.uuid).await {
                // Deleted (API or retention) while the links ran: its delete
                // asked the storages before this save, so take it back here.
                let request = DeleteRequest {
                    uuid,
                    created_at: doc.created_at(),
                    tenant,
                };
                let report = StorageEraser::new(chain.storages.iter().cloned())
                    .delete(&request)
                    .await;
                tracing::info!(
                    chain = chain.name,
                    uuid,
                    ?report,
                    "vCon deleted while in the chain; its storage copies were deleted again"
                );
                return Ok(ack(None, Vec::new(), Outcome::Missing));
            }
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
        let write_back = match bytes {
            Some(bytes) => {
                let options = RecordOptions {
                    uuid: Some(lease.uuid.clone()),
                    tenant: stored.meta.tenant.clone(),
                    ..RecordOptions::default()
                };
                // The record's search fields come from the object the links
                // left, not from parsing the bytes again.
                let form = Some(doc.form());
                let parsed = vcon_core::Document {
                    object: doc.into_object(),
                    form,
                    gzipped: false,
                };
                let record = VconRecord::from_document(bytes, parsed, &options)
                    .map_err(|e| store_err("write back", StoreError::from(e)))?;
                Some(WriteBack {
                    record,
                    if_match: stored.meta.etag.clone(),
                })
            }
            None => None,
        };
        Ok(match flow {
            Flow::Continue => ack(write_back, forward, Outcome::Stored),
            Flow::Stop { reason } => {
                tracing::debug!(chain = chain.name, uuid, reason, "chain stopped");
                ack(write_back, forward, Outcome::Stopped)
            }
        })
    }

    /// Whether the vCon is no longer in the store. A store error counts as
    /// still there: the storages then keep this copy, as without the check.
    async fn deleted_meanwhile(&self, uuid: &VconUuid) -> bool {
        matches!(self.store.head(uuid).await, Ok(None))
    }

    /// Completes finished vCons, everything waiting in one queue call.
    async fn acknowledge(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<Done>) {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_ACK_BATCH {
                match rx.try_recv() {
                    Ok(d) => batch.push(d),
                    Err(_) => break,
                }
            }
            self.complete(batch).await;
        }
    }

    /// Completes `batch` in one queue call; write-backs that were refused
    /// are failed (retried or dead-lettered) in a second one.
    async fn complete(&self, batch: Vec<Done>) {
        let mut items = Vec::with_capacity(batch.len());
        let mut ends = Vec::with_capacity(batch.len());
        for Done { lease, action } in batch {
            let (completion, end) = self.completion(&lease, action);
            items.push(completion);
            ends.push((lease, end));
        }
        let results = match self.queue.complete(items).await {
            Ok(results) => results,
            Err(e) => {
                tracing::warn!(chain = self.chain.name, error = %e, count = ends.len(), "completing processed vCons failed; the leases will expire and the vCons be delivered again");
                return;
            }
        };
        let mut refused = Vec::new();
        for ((lease, end), result) in ends.into_iter().zip(results) {
            match result {
                Completed::Done => {
                    if let End::Finished(outcome) = end {
                        self.finished(outcome);
                    }
                }
                Completed::Lost => {
                    tracing::warn!(
                        chain = self.chain.name,
                        uuid = %lease.uuid,
                        "lease was lost before the vCon was completed; it will be processed again"
                    );
                }
                Completed::Failed(source) => {
                    let error = ProcessError::Store {
                        chain: self.chain.name.clone(),
                        uuid: lease.uuid.as_str().to_owned(),
                        step: "write back",
                        source,
                    };
                    let (completion, _) = self.completion(&lease, Action::Fail(error));
                    refused.push(completion);
                }
            }
        }
        if refused.is_empty() {
            return;
        }
        match self.queue.complete(refused).await {
            Ok(results) => {
                for r in results {
                    if !matches!(r, Completed::Done) {
                        tracing::warn!(chain = self.chain.name, result = ?r, "could not record a refused write-back; the lease will expire and the vCon be delivered again");
                    }
                }
            }
            Err(e) => {
                tracing::warn!(chain = self.chain.name, error = %e, "could not record refused write-backs; the leases will expire and the vCons be delivered again");
            }
        }
    }

    /// The queue completion of `action`, with what to count once it is done.
    /// Failures are logged and counted here, when the decision is made.
    fn completion(&self, lease: &Lease, action: Action) -> (Completion, End) {
        let chain = &self.chain;
        match action {
            Action::Ack {
                write_back,
                forward,
                outcome,
            } => (
                Completion::Ack {
                    lease: lease.id,
                    write_back,
                    forward,
                },
                End::Finished(outcome),
            ),
            Action::Fail(error) => {
                let text = error.to_string();
                let completion = if error.is_retryable()
                    && lease.attempts < chain.retry.max_attempts
                {
                    let wait = chain.retry.backoff(lease.attempts);
                    tracing::warn!(chain = chain.name, uuid = %lease.uuid, attempt = lease.attempts, retry_in = ?wait, error = %text, "vCon failed; will retry");
                    self.counters.retried.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!(m::RETRIES, "chain" => chain.name.clone()).increment(1);
                    Completion::Retry {
                        lease: lease.id,
                        retry_in: wait,
                        error: text,
                    }
                } else {
                    tracing::error!(chain = chain.name, uuid = %lease.uuid, attempt = lease.attempts, error = %text, "vCon failed; dead-lettered");
                    self.counters.dead_lettered.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!(m::DEAD_LETTERS, "chain" => chain.name.clone()).increment(1);
                    Completion::DeadLetter {
                        lease: lease.id,
                        error: text,
                    }
                };
                (completion, End::Failed)
            }
            Action::Release => {
                self.counters.requeued.fetch_add(1, Ordering::Relaxed);
                metrics::counter!(m::REQUEUED, "chain" => chain.name.clone()).increment(1);
                (Completion::Release { lease: lease.id }, End::Failed)
            }
            Action::Requeue(why) => {
                self.counters.requeued.fetch_add(1, Ordering::Relaxed);
                metrics::counter!(m::REQUEUED, "chain" => chain.name.clone()).increment(1);
                (
                    Completion::Retry {
                        lease: lease.id,
                        retry_in: Duration::ZERO,
                        error: why.to_owned(),
                    },
                    End::Failed,
                )
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
}

/// A leased batch on its way to processing.
struct Batch {
    leases: Vec<Lease>,
    /// When the leases were taken.
    leased_at: Instant,
    /// One lease slot per lease.
    permits: Vec<OwnedSemaphorePermit>,
    /// The chain's `concurrency` processing slots.
    slots: Arc<Semaphore>,
    done: mpsc::UnboundedSender<Done>,
    phase: watch::Receiver<Phase>,
}

/// How many items a chain of `concurrency` leases ahead: [`AHEAD_PER_SLOT`]
/// per processing slot, at most [`MAX_LEASE_AHEAD`]. So a vCon leased ahead
/// waits for at most eight runs of the links before it starts (under the
/// default 30 s chain timeout and 300 s lease, well within its lease; see
/// also the check in `item`).
fn lease_ahead(concurrency: usize) -> usize {
    concurrency
        .saturating_mul(AHEAD_PER_SLOT)
        .min(MAX_LEASE_AHEAD)
}

/// What a leased vCon waits for before it starts.
struct Waits<'a> {
    /// When it was leased.
    leased_at: Instant,
    /// The chain's `concurrency` processing slots.
    slots: &'a Semaphore,
    phase: watch::Receiver<Phase>,
}

/// Lease slots of a chain: its `concurrency` plus [`lease_ahead`].
fn lease_slots(concurrency: usize) -> usize {
    concurrency.saturating_add(lease_ahead(concurrency))
}

/// What to count once a completion is done.
enum End {
    Finished(Outcome),
    /// Counted when the failure was decided.
    Failed,
}
