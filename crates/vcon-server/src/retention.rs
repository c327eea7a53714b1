//! Retention: a background sweep that erases the vCons whose tag
//! `expires_at:<RFC 3339>` has passed (the pipeline's `expire` link writes
//! it, as the conserver's `expire_vcon` sets a Redis TTL).
//!
//! Each sweep asks the store for what has expired ([`Store::expired`]) and
//! deletes each vCon only if it is still the version found (its etag): a
//! vCon replaced in the meantime is looked at again in the next round, with
//! its new expiry. Counted in `vcon_retention_erased_total`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use vcon_store::{Store, StoreError};

use crate::config::RetentionConfig;

/// vCons erased because they expired.
pub const ERASED: &str = "vcon_retention_erased_total";

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// vCons erased.
    pub erased: u64,
    /// vCons found expired but replaced before they could be erased.
    pub changed: u64,
}

/// Erases every vCon expired at `now`, `batch` at a time. Stops early when
/// a round erases nothing (every one found had just changed), so it never
/// spins against concurrent replaces.
pub async fn sweep(
    store: &dyn Store,
    now: chrono::DateTime<chrono::Utc>,
    batch: u32,
) -> Result<SweepReport, StoreError> {
    let mut report = SweepReport::default();
    loop {
        let found = store.expired(now, batch).await?;
        let mut erased = 0;
        for (uuid, etag) in &found {
            match store.delete(uuid, Some(etag)).await {
                Ok(true) => erased += 1,
                Ok(false) => {}
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
    pub fn start(store: Arc<dyn Store>, config: &RetentionConfig) -> Option<Self> {
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
                match sweep(store.as_ref(), chrono::Utc::now(), batch).await {
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
