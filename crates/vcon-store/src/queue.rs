//! Durable named lists of vCon uuids: the [`Queue`] trait and its types.
//!
//! Delivery is at-least-once. [`Queue::lease`] hands out items and hides
//! them for a visibility timeout; [`Queue::ack`] removes them; an item whose
//! lease is neither acknowledged, nacked, released nor dead-lettered becomes
//! visible again when the timeout passes or the store is reopened. Links must
//! therefore be idempotent (processing the same vCon twice is harmless).
//!
//! Every lease is a *delivery* of its item; it is also an *attempt* unless
//! it is handed back unstarted with [`Queue::release`]. Retry limits and
//! dead letters count attempts, so a worker that leased ahead and stopped
//! before starting costs its items nothing.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::StoreError;
use crate::ids::{Etag, ListName, VconUuid};
use crate::record::VconRecord;

/// Longest error text kept with a nack or a dead letter, in bytes (longer text is cut).
pub const MAX_ERROR_BYTES: usize = 4096;

/// Identifies one lease of one queue item. It stops being valid when the
/// item is acknowledged, nacked, released, dead-lettered or leased again
/// (after the visibility timeout), so a slow worker cannot acknowledge an
/// item that another worker now holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct LeaseId {
    /// The queue item.
    pub item: i64,
    /// Which delivery of the item this lease is (1 for the first). Every
    /// lease counts, a released one too, so no two leases of an item share it.
    pub delivery: u32,
}

impl fmt::Display for LeaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.item, self.delivery)
    }
}

/// A leased queue item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lease {
    /// The lease, to acknowledge or nack.
    pub id: LeaseId,
    /// The list it was leased from.
    pub list: ListName,
    /// The vCon.
    pub uuid: VconUuid,
    /// Attempts so far, this one included (1 on the first delivery): the
    /// deliveries, less those handed back unstarted ([`Queue::release`]).
    pub attempts: u32,
    /// When the item was enqueued.
    pub enqueued_at: DateTime<Utc>,
    /// When the lease expires and the item becomes visible again.
    pub expires_at: DateTime<Utc>,
    /// The error of the last nack, if any.
    pub last_error: Option<String>,
}

/// The result of acknowledging several leases.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AckReport {
    /// How many leases were acknowledged (and forwarded, when asked).
    pub acked: usize,
    /// The leases that were no longer held; their items were left alone.
    pub lost: Vec<LeaseId>,
}

/// A vCon that failed on a list and was set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    /// Identifies the dead letter.
    pub id: i64,
    /// The list it failed on (its ingress list, where reprocessing puts it back).
    pub list: ListName,
    /// The vCon.
    pub uuid: VconUuid,
    /// Attempts it had (deliveries handed back unstarted not counted).
    pub attempts: u32,
    /// Why it failed.
    pub error: String,
    /// When it was set aside.
    pub failed_at: DateTime<Utc>,
}

/// Counts for one list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    /// The list.
    pub list: ListName,
    /// Items ready to be leased now.
    pub ready: u64,
    /// Items nacked and waiting for their retry time.
    pub delayed: u64,
    /// Items leased and not yet acknowledged.
    pub in_flight: u64,
    /// Dead letters of this list.
    pub dead: u64,
}

impl QueueStats {
    /// Items in the list, in whatever state (`ready + delayed + in_flight`):
    /// the conserver's `LLEN` depth.
    pub fn depth(&self) -> u64 {
        self.ready + self.delayed + self.in_flight
    }
}

/// A new version of a leased item's vCon, written by [`Queue::complete`] in
/// the transaction that acknowledges the item.
#[derive(Debug, Clone)]
pub struct WriteBack {
    /// The new bytes, with their search fields. Its uuid must be the item's.
    pub record: VconRecord,
    /// The etag of the bytes the worker read: the stored vCon is replaced
    /// only while it still has this etag (or already has the new bytes).
    pub if_match: Etag,
}

/// What becomes of one leased item, for [`Queue::complete`].
#[derive(Debug, Clone)]
pub enum Completion {
    /// Acknowledge the item: first replace its vCon with `write_back` (if
    /// any), then remove it from its list and append its uuid to each list
    /// of `forward`.
    Ack {
        /// The lease.
        lease: LeaseId,
        /// The processed vCon, when it changed.
        write_back: Option<WriteBack>,
        /// Lists the uuid is pushed to (egress lists, routes).
        forward: Vec<ListName>,
    },
    /// Give the item back, visible again after `retry_in` (see [`Queue::nack`]).
    Retry {
        /// The lease.
        lease: LeaseId,
        /// Wait before it is visible again.
        retry_in: Duration,
        /// Why it failed (cut to [`MAX_ERROR_BYTES`]).
        error: String,
    },
    /// Move the item to the dead letters of its list (see [`Queue::dead_letter`]).
    DeadLetter {
        /// The lease.
        lease: LeaseId,
        /// Why it failed (cut to [`MAX_ERROR_BYTES`]).
        error: String,
    },
    /// Hand the item back unstarted, not counted as an attempt (see
    /// [`Queue::release`]).
    Release {
        /// The lease.
        lease: LeaseId,
    },
}

impl Completion {
    /// The lease this completion is for.
    pub fn lease(&self) -> LeaseId {
        match self {
            Self::Ack { lease, .. }
            | Self::Retry { lease, .. }
            | Self::DeadLetter { lease, .. }
            | Self::Release { lease } => *lease,
        }
    }
}

/// What [`Queue::complete`] did with one item.
#[derive(Debug)]
pub enum Completed {
    /// Done as asked (a write-back whose bytes were already stored counts as done).
    Done,
    /// The lease was no longer held: nothing was written for this item.
    Lost,
    /// The write-back was refused, typically [`StoreError::PreconditionFailed`]
    /// (the stored vCon changed since the worker read it, or is gone):
    /// nothing was written for this item and it is still leased.
    Failed(StoreError),
}

/// Durable named lists of vCon uuids with leases, retries and dead letters.
///
/// Object-safe: use it as `Arc<dyn Queue>`. Items of one list come out
/// oldest first among those visible; there is no global order across lists.
#[async_trait]
pub trait Queue: Send + Sync {
    /// Appends the uuids to the tail of `list`, durably (acknowledged means
    /// written with the store's durability). The vCons need not be stored.
    async fn enqueue(&self, list: &ListName, uuids: &[VconUuid]) -> Result<(), StoreError>;

    /// Leases up to `max` visible items of `list`, oldest first, hiding
    /// them for `visibility`. Returns at once, possibly with none.
    async fn lease(
        &self,
        list: &ListName,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Lease>, StoreError>;

    /// Acknowledges leases: their items leave the list.
    async fn ack(&self, leases: &[LeaseId]) -> Result<AckReport, StoreError>;

    /// Acknowledges leases and, in the same transaction, appends their vCons
    /// to each list of `to` (the next link, or egress lists). Either both
    /// happen or neither.
    async fn ack_and_forward(
        &self,
        leases: &[LeaseId],
        to: &[ListName],
    ) -> Result<AckReport, StoreError>;

    /// Gives a lease back: the item becomes visible again after `retry_in`
    /// (zero: at once), keeping its attempt count and `error` (cut to
    /// [`MAX_ERROR_BYTES`]). [`StoreError::LeaseLost`] if the lease is not held.
    async fn nack(
        &self,
        lease: &LeaseId,
        retry_in: Duration,
        error: &str,
    ) -> Result<(), StoreError>;

    /// Moves a leased item to the dead letters of its list, with `error`
    /// and its attempts. [`StoreError::LeaseLost`] if the lease is not held.
    async fn dead_letter(&self, lease: &LeaseId, error: &str) -> Result<(), StoreError>;

    /// Hands back a lease whose item the worker did not start on (it leased
    /// ahead and is stopping): the item is ready again at once, in its place
    /// in the list, and the delivery does not count as an attempt (its
    /// attempts, error and retry limit are as before the lease).
    /// [`StoreError::LeaseLost`] if the lease is not held.
    ///
    /// Only for work not begun: a vCon whose processing started and did
    /// not finish (it may be what stops the worker) is nacked, so that it
    /// ends in the dead letters after `max_attempts` rather than looping.
    async fn release(&self, lease: &LeaseId) -> Result<(), StoreError>;

    /// Completes a batch of leases, each as its [`Completion`] says, and
    /// returns one [`Completed`] per item, in order. One item's refused
    /// write-back or lost lease does not affect the others.
    ///
    /// The embedded store does the whole batch in one transaction (one
    /// writer round trip, one commit); an `Err` then means nothing was
    /// written, and the leases expire as usual. The default runs the items
    /// one by one through [`Queue::ack_and_forward`], [`Queue::nack`],
    /// [`Queue::dead_letter`] and [`Queue::release`], and refuses
    /// write-backs (a queue alone cannot write vCons).
    async fn complete(&self, items: Vec<Completion>) -> Result<Vec<Completed>, StoreError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let result = match item {
                Completion::Ack {
                    write_back: Some(w),
                    ..
                } => Err(StoreError::Backend {
                    backend: "queue",
                    op: format!("write back vCon {}", w.record.uuid()),
                    message: "this queue cannot write vCons back in an acknowledgement".to_owned(),
                }),
                Completion::Ack { lease, forward, .. } => self
                    .ack_and_forward(&[lease], &forward)
                    .await
                    .map(|r| r.lost.is_empty()),
                Completion::Retry {
                    lease,
                    retry_in,
                    error,
                } => self.nack(&lease, retry_in, &error).await.map(|()| true),
                Completion::DeadLetter { lease, error } => {
                    self.dead_letter(&lease, &error).await.map(|()| true)
                }
                Completion::Release { lease } => self.release(&lease).await.map(|()| true),
            };
            out.push(match result {
                Ok(true) => Completed::Done,
                Ok(false) | Err(StoreError::LeaseLost { .. }) => Completed::Lost,
                Err(
                    e @ StoreError::Backend {
                        backend: "queue", ..
                    },
                ) => Completed::Failed(e),
                Err(e) => return Err(e),
            });
        }
        Ok(out)
    }

    /// Removes and returns up to `max` visible items of `list`, oldest first,
    /// without a lease: the conserver's egress pop (`GET /vcon/egress`).
    async fn pop(&self, list: &ListName, max: usize) -> Result<Vec<VconUuid>, StoreError>;

    /// Counts for one list (all zero for a list never used).
    async fn stats(&self, list: &ListName) -> Result<QueueStats, StoreError>;

    /// Counts for every list that has items or dead letters, by name.
    async fn all_stats(&self) -> Result<Vec<QueueStats>, StoreError>;

    /// Dead letters of `list`, oldest first, starting after dead letter
    /// `after` (0 for the start), at most `limit`.
    async fn dlq_list(
        &self,
        list: &ListName,
        after: i64,
        limit: u32,
    ) -> Result<Vec<DeadLetter>, StoreError>;

    /// One dead letter, by id.
    async fn dlq_get(&self, id: i64) -> Result<Option<DeadLetter>, StoreError>;

    /// Moves up to `max` dead letters of `list`, oldest first, back to the
    /// tail of `list` with a fresh attempt count; returns how many moved.
    async fn dlq_reprocess(&self, list: &ListName, max: u32) -> Result<u64, StoreError>;

    /// A counter that grows whenever items may have become ready on some
    /// list (a committed enqueue, forward, nack or reprocess), so that idle
    /// workers can wait instead of polling. `None` when the backend cannot
    /// tell; then poll. Items also become ready by time alone (nack delays,
    /// lease timeouts), so wait with a timeout:
    ///
    /// ```no_run
    /// # async fn worker(queue: std::sync::Arc<dyn vcon_store::Queue>, list: vcon_store::ListName) {
    /// use std::time::Duration;
    /// let mut ready = queue.ready_signal();
    /// loop {
    ///     if let Some(r) = ready.as_mut() { r.borrow_and_update(); } // before leasing: no missed wake-up
    ///     let leases = queue.lease(&list, 10, Duration::from_secs(60)).await.unwrap_or_default();
    ///     if leases.is_empty() {
    ///         match ready.as_mut() {
    ///             Some(r) => { let _ = tokio::time::timeout(Duration::from_secs(1), r.changed()).await; }
    ///             None => tokio::time::sleep(Duration::from_millis(100)).await,
    ///         }
    ///         continue;
    ///     }
    ///     // ... process, then ack ...
    /// }
    /// # }
    /// ```
    fn ready_signal(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        None
    }
}
