//! Configuration of the SQLite backend: [`SqliteConfig`] and [`Durability`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::{Clock, SystemClock};
use crate::record::DEFAULT_MAX_VCON_BYTES;

/// When a commit counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Durability {
    /// `synchronous=FULL`: every commit is fsynced before it is
    /// acknowledged. Survives a process kill, an OS crash and a power cut.
    /// Group commit shares one fsync among every write pending at the time.
    #[default]
    Full,
    /// `synchronous=NORMAL` in WAL mode: a commit is written to the WAL
    /// file (the OS page cache) before it is acknowledged and fsynced at
    /// the next checkpoint. Survives a process kill (`kill -9`), not an OS
    /// crash or power cut, which can lose the last commits (never corrupt).
    Process,
}

/// Configuration of the embedded SQLite store.
///
/// ```
/// use vcon_store::{Durability, SqliteConfig};
/// let c: SqliteConfig = serde_json::from_str(r#"{"dir": "/var/lib/vcon", "readers": 4}"#).unwrap();
/// assert_eq!(c.durability, Durability::Full);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SqliteConfig {
    /// Data directory, created if absent. Holds `vcon.db` (+ `-wal`, `-shm`)
    /// and the `LOCK` file that keeps a second store out.
    pub dir: PathBuf,
    /// When a write is acknowledged.
    pub durability: Durability,
    /// Read-only connections for reads and searches.
    pub readers: usize,
    /// Largest vCon accepted, in bytes.
    pub max_vcon_bytes: usize,
    /// Most operations committed in one transaction by the writer.
    pub max_batch: usize,
    /// Writes that may wait for the writer before callers are slowed down.
    pub queue_capacity: usize,
    /// How long a reader waits on a locked database before failing.
    #[serde(with = "millis")]
    pub busy_timeout: Duration,
    /// Page cache per connection, in KiB.
    pub cache_kib: u32,
    /// How much lower than the writer's the indexer's scheduling priority
    /// is (a nice increment, 0 to 19; Linux only), so that under a full CPU
    /// the acknowledgement path runs first and the index is written in the
    /// gaps. 0 keeps it level.
    pub indexer_nice: u8,
    /// The same for the checkpointer, whose lag the writer pays for (a WAL
    /// restart copies what the checkpointer has not).
    pub checkpointer_nice: u8,
    /// Store vCon bodies LZ4-compressed when that saves at least an eighth
    /// of them (2.2 KB call vCons: 4.2 → 2.1 KB each on disk). Reads return
    /// the bytes that were put either way; rows of both kinds can coexist.
    pub compress_bodies: bool,
    /// The clock for timestamps and lease timeouts (tests use [`crate::ManualClock`]).
    #[serde(skip, default = "system_clock")]
    pub clock: Arc<dyn Clock>,
}

/// The default [`SqliteConfig::indexer_nice`]: the lowest priority, so the
/// index is written in the CPU's idle gaps and preempts no request. Measured
/// with 8 clients of durable ingest on 2 cores (docs/BENCHMARKS.md, "Eighth
/// machine: the indexer at the lowest priority"): against 5, a higher mean
/// rate in every series (+1 to +17 %) and a lower p99 in every pair (by
/// about a sixth). The index still keeps up: when it falls
/// behind, its bounded queue holds the writer until it catches up (the
/// longest request then waits ~0.1 s), and under a saturated CPU a
/// search, which waits for the index, waits longer (a median of 0.1–0.26 s
/// against 0.04–0.08 s during 8-client ingest on 2 cores).
pub const DEFAULT_INDEXER_NICE: u8 = 19;

/// The default [`SqliteConfig::checkpointer_nice`] (docs/BENCHMARKS.md,
/// "Writer round 6": +6.5 % and +8.9 % with both background threads at 5,
/// in two series of six alternated pairs; the checkpointer at 19 as well
/// was no better than the indexer alone).
pub const DEFAULT_CHECKPOINTER_NICE: u8 = 5;

fn system_clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

impl Default for SqliteConfig {
    /// `./vcon-data`, [`Durability::Full`], 4 readers, 64 MiB vCons,
    /// batches of up to 512 operations, 4096 waiting writes, 5 s busy
    /// timeout, 16 MiB cache, the indexer at nice [`DEFAULT_INDEXER_NICE`]
    /// and the checkpointer at [`DEFAULT_CHECKPOINTER_NICE`] below the
    /// writer, compressed bodies.
    fn default() -> Self {
        Self {
            dir: PathBuf::from("vcon-data"),
            durability: Durability::Full,
            readers: 4,
            max_vcon_bytes: DEFAULT_MAX_VCON_BYTES,
            max_batch: 512,
            queue_capacity: 4096,
            busy_timeout: Duration::from_secs(5),
            cache_kib: 16 * 1024,
            indexer_nice: DEFAULT_INDEXER_NICE,
            checkpointer_nice: DEFAULT_CHECKPOINTER_NICE,
            compress_bodies: true,
            clock: system_clock(),
        }
    }
}

impl SqliteConfig {
    /// The default configuration with its data in `dir`.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            ..Self::default()
        }
    }
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}
