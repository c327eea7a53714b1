//! Retention: a background sweep that erases the vCons whose tag
//! `expires_at:<RFC 3339>` has passed (the pipeline's `expire` link writes
//! it, as the conserver's `expire_vcon` sets a Redis TTL).
//!
//! Each sweep asks the store for what has expired ([`Store::expired`]) and
//! deletes each vCon only if it is still the version found (its etag): a
//! vCon replaced in the meantime is looked at again in the next round, with
//! its new expiry. An erased vCon is then deleted from every storage of the
//! chains too ([`crate::deletion`]), best effort: a storage that fails is
//! logged and counted (`vcon_pipeline_storage_delete_failures_total`) and
//! is not asked again (the vCon is gone from the working store). Counted in
//! `vcon_retention_erased_total`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use vcon_pipeline::StorageEraser;
use vcon_store::{Store, StoreError};

use crate::config::RetentionConfig;
use crate::deletion::{FanOut, delete_everywhere};
use crate::live::Swap;

/// vCons erased because they expired.
pub const ERASED: &str = "vcon_retention_erased_total";

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// vCons erased.
    pub erased: u64,
    /// vCons found expired but replaced before they could be erased.
    pub changed: u64,
    /// Storage deletes that failed (one per storage and vCon).
    pub storage_failures: u64,
}

/// Erases every vCon expired at `now`, `batch` at a time, from the store
/// and from `storages`. Stops early when a round erases nothing (every one
/// found had just changed), so it never spins against concurrent replaces.
pub async fn sweep(
    store: &dyn Store,
    storages: &StorageEraser,
    now: chrono::DateTime<chrono::Utc>,
    batch: u32,
) -> Result<SweepReport, StoreError> {
    let mut report = SweepReport::default();
    loop {
        let found = store.expired(now, batch).await?;
        let mut erased = 0;
        for (uuid, etag) in &found {
            match delete_everywhere(store, storages, uuid, Some(etag), FanOut::IfDeleted).await {
                Ok(d) if d.deleted => {
                    erased += 1;
                    report.storage_failures += d.storages.failed.len() as u64;
                }
                Ok(_) => {}
                Err(StoreError::PreconditionFailed { .. }) => report.changed += 1,
                Err(e) => return Err(e),
            }
        }
        report.erased += erased;
        if erased == 0 || found.len() < batch as usize {
            return Ok(report);
        }
    }
}

/// The running sweep task.
#[derive(Debug)]
pub struct Sweeper {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Sweeper {
    /// Starts sweeping every `config.sweep_interval_secs` (the first sweep
    /// right away); `None` when the interval is 0 (erasure off).
    pub fn start(
        store: Arc<dyn Store>,
        storages: Arc<Swap<StorageEraser>>,
        config: &RetentionConfig,
    ) -> Option<Self> {
        if config.sweep_interval_secs <= 0.0 {
            return None;
        }
        let every = Duration::from_secs_f64(config.sweep_interval_secs);
        let batch = config.batch.max(1);
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    _ = stopped.changed() => return,
                }
                match sweep(store.as_ref(), &storages.load(), chrono::Utc::now(), batch).await {
                    Ok(r) if r.storage_failures > 0 => {
                        metrics::counter!(ERASED).increment(r.erased);
                        tracing::warn!(
                            erased = r.erased,
                            changed = r.changed,
                            storage_failures = r.storage_failures,
                            "retention sweep: some storages could not delete (see the warnings before)"
                        );
                    }
                    Ok(r) if r.erased > 0 || r.changed > 0 => {
                        metrics::counter!(ERASED).increment(r.erased);
                        tracing::info!(erased = r.erased, changed = r.changed, "retention sweep");
                    }
                    Ok(_) => {}
                    Err(StoreError::Closed { .. }) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "retention sweep failed; retrying at the next one")
                    }
                }
            }
        });
        Some(Self { stop, task })
    }

    /// Stops the sweep (one in progress finishes its current store call).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
