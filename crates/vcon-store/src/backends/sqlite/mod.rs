//! The embedded SQLite backend: one database file in WAL mode for vCons
//! and queues, a second one for the search index (derived data, rebuilt
//! when missing), one writer thread with group commit, one indexer thread,
//! a pool of read-only connections.
//!
//! Layout: [`config`] (settings), `schema` (tables, migrations, pragmas),
//! `writer` (group commit), `syncer` (the fsync of committed batches,
//! pipelined behind the writer), `vcon_writes` and `queue_writes` (what the
//! writer runs), `index_db` (the index file), `indexer` (the thread that
//! writes it), `index_rows` (one vCon's search rows), `readers` (the read
//! pool) and `reads` (read queries).

mod background;
mod batch_writes;
mod body_codec;
mod checkpointer;
pub(crate) mod config;
mod dir_lock;
mod expiry;
mod index_budget;
mod index_db;
mod index_rows;
mod indexer;
mod queue_writes;
mod readers;
mod reads;
mod rows;
mod schema;
mod syncer;
mod text_query;
mod vcon_writes;
mod wal_bound;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, oneshot, watch};

use self::body_codec::Packed;
use self::checkpointer::Checkpointer;
use self::config::{Durability, SqliteConfig};
use self::indexer::{IndexProgress, Indexer};
use self::readers::Readers;
use self::syncer::Syncer;
use self::vcon_writes::PutMode;
use self::wal_bound::WalBound;
use self::writer::{Msg, Op, Reply, Writer};
use crate::clock::{Clock, duration_ms};
use crate::error::{RecordError, StoreError};
use crate::ids::{Etag, ListName, VconUuid};
use crate::queue::{
    AckReport, Completed, Completion, DeadLetter, Lease, LeaseId, Queue, QueueStats,
};
use crate::record::{PutOutcome, StoredVcon, VconMeta, VconRecord};
use crate::search::{MAX_PAGE, Page, SearchQuery};
use crate::store::Store;

/// Most items one `lease` or `pop` call returns, and most uuids or leases
/// one `enqueue` or `ack` call takes.
pub const MAX_LEASE: usize = 10_000;

/// Most lists one write enqueues on or forwards to.
pub const MAX_FORWARD: usize = 64;

/// The database file name inside the data directory.
const DB_FILE: &str = "vcon.db";
/// The lock file name inside the data directory.
const LOCK_FILE: &str = "LOCK";
/// How long a search waits for the indexer to cover the writes
/// acknowledged before it started.
const INDEX_WAIT: Duration = Duration::from_secs(30);

/// The embedded store: implements both [`Store`] and [`Queue`] on one
/// SQLite database, so that [`Store::put_and_enqueue`] and
/// [`Queue::ack_and_forward`] are single transactions.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use vcon_store::{ListName, Queue, RecordOptions, SqliteConfig, SqliteStore, Store, VconRecord};
/// let dir = tempfile::tempdir().unwrap();
/// let store = SqliteStore::open(SqliteConfig::in_dir(dir.path())).unwrap();
/// let bytes = br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","parties":[{"name":"Alice"}]}"#;
/// let record = VconRecord::from_bytes(bytes.to_vec(), &RecordOptions::default()).unwrap();
/// let ingress = ListName::new("default").unwrap();
/// store.put_and_enqueue(record, &[ingress.clone()]).await.unwrap();
/// let leases = store.lease(&ingress, 10, std::time::Duration::from_secs(30)).await.unwrap();
/// let got = store.get(&leases[0].uuid).await.unwrap().unwrap();
/// assert_eq!(&got.bytes[..], &bytes[..]);
/// store.ack(&[leases[0].id]).await.unwrap();
/// store.shutdown().await.unwrap();
/// # });
/// ```
pub struct SqliteStore {
    tx: mpsc::Sender<Msg>,
    readers: Arc<Readers>,
    clock: Arc<dyn Clock>,
    max_vcon_bytes: usize,
    /// [`SqliteConfig::compress_bodies`].
    compress_bodies: bool,
    writer: Mutex<Option<JoinHandle<()>>>,
    checkpointer: Mutex<Option<Checkpointer>>,
    ready: Arc<watch::Sender<u64>>,
    /// What the indexer has covered (see `indexer`).
    index: Arc<IndexProgress>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store in `config.dir`: takes the
    /// directory lock, migrates the schema, makes leased items visible again
    /// (their workers died with the previous process), indexes what the
    /// previous process left unindexed (everything when the index file
    /// `vcon-index.db` is missing) and starts the writer and the indexer.
    ///
    /// Blocks for the time it takes to open, migrate and catch up the
    /// index. Errors:
    /// [`StoreError::Locked`] when another store has the directory,
    /// [`StoreError::Corrupt`] for a damaged or foreign file,
    /// [`StoreError::Io`] when the directory cannot be made.
    pub fn open(config: SqliteConfig) -> Result<Arc<Self>, StoreError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::Io { path, source }
        };
        std::fs::create_dir_all(&config.dir).map_err(io(&config.dir))?;
        let lock = dir_lock::lock_dir(&config.dir, LOCK_FILE)?;
        let path = config.dir.join(DB_FILE);
        let mut conn = schema::open_writer(&path, &config)?;
        let wal = WalBound::install(&mut conn)?;
        queue_writes::release_all_leases(&conn, config.clock.now_ms())?;
        let index_path = index_db::index_path(&path);
        let (mut index_conn, fresh) = index_db::open(&index_path, &path, &config)?;
        if fresh {
            index_db::mark_all(&conn)?;
            index_db::seal(&index_conn)?;
        }
        index_db::recover(&mut conn, &mut index_conn, fresh)?;
        let seq: i64 = conn
            .query_row("SELECT coalesce(max(gen), 0) FROM index_pending", [], |r| {
                r.get(0)
            })
            .map_err(|e| schema::sql_error("read the index generation", e))?;
        let progress = IndexProgress::new();
        let readers = Readers::new(path.clone(), index_path, config.clone());
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let indexer = Indexer::start(
            index_conn,
            Arc::clone(&progress),
            tx.downgrade(),
            config.indexer_nice,
        )
        .map_err(io(&path))?;
        let ready = Arc::new(watch::Sender::new(0));
        let syncer = match config.durability {
            Durability::Full => Some(Syncer::start_for(
                &conn,
                &path,
                Arc::clone(&ready),
                indexer.sink().clone(),
            )?),
            Durability::Process => None,
        };
        // Too low a value only delays lease answers (see `Writer::answer`).
        let queue_seq = syncer::queue_seq(&conn).unwrap_or(0);
        let writer = Writer {
            conn,
            clock: Arc::clone(&config.clock),
            max_batch: config.max_batch.max(1),
            ready: Arc::clone(&ready),
            indexer: Some(indexer),
            seq: u64::try_from(seq).unwrap_or(0),
            syncer,
            wal,
            queue_seq,
            _lock: lock,
        };
        let checkpointer =
            Checkpointer::start(&path, config.busy_timeout, config.checkpointer_nice)?;
        let handle = std::thread::Builder::new()
            .name("vcon-store-writer".to_owned())
            .spawn(move || writer.run(rx))
            .map_err(io(&path))?;
        Ok(Arc::new(Self {
            tx,
            readers,
            clock: config.clock,
            max_vcon_bytes: config.max_vcon_bytes,
            compress_bodies: config.compress_bodies,
            writer: Mutex::new(Some(handle)),
            checkpointer: Mutex::new(Some(checkpointer)),
            ready,
            index: progress,
            path,
        }))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn write(&self, op: Op) -> Result<Reply, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Msg::Write(op, reply))
            .await
            .map_err(|_| StoreError::Closed { reason: None })?;
        answer.await.map_err(|_| StoreError::Closed {
            reason: Some("the writer stopped before answering".to_owned()),
        })?
    }

    /// vCons stored (or deleted) whose search rows the indexer has not
    /// written yet: the index's backlog.
    pub fn index_backlog(&self) -> usize {
        self.index.backlog.load(Ordering::Acquire)
    }

    /// Before a search that uses the index (its terms, its text, the
    /// created order), waits until the indexer has covered every write
    /// committed so far, so that searches see every acknowledged write.
    async fn index_barrier(&self, query: &SearchQuery) -> Result<(), StoreError> {
        if query.filters_search_rows() || reads::uses_created_order(query) {
            self.index.wait(INDEX_WAIT).await?;
        }
        Ok(())
    }

    fn check_size(&self, record: &VconRecord) -> Result<(), StoreError> {
        if record.bytes.len() > self.max_vcon_bytes {
            return Err(RecordError::TooLarge {
                size: record.bytes.len(),
                limit: self.max_vcon_bytes,
            }
            .into());
        }
        Ok(())
    }

    async fn put_with(
        &self,
        record: VconRecord,
        lists: &[ListName],
        mode: PutMode,
    ) -> Result<PutOutcome, StoreError> {
        self.check_size(&record)?;
        // Compressed here, on the caller's task, not on the writer's thread
        // that every put waits for.
        let body = Packed::of(&record.bytes, self.compress_bodies);
        match self
            .write(Op::Put {
                record: Box::new(record),
                body,
                lists: lists.to_vec(),
                mode,
            })
            .await?
        {
            Reply::Put(outcome) => Ok(outcome),
            other => Err(unexpected("put", &other)),
        }
    }
}

fn unexpected(op: &str, reply: &Reply) -> StoreError {
    StoreError::Backend {
        backend: "sqlite",
        op: op.to_owned(),
        message: format!("internal: unexpected writer reply {reply:?}"),
    }
}

fn check_max(what: &'static str, max: usize, limit: usize) -> Result<(), StoreError> {
    if max > limit {
        return Err(StoreError::Invalid {
            what,
            reason: format!("{max} is over the limit of {limit}"),
        });
    }
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn put_and_enqueue(
        &self,
        record: VconRecord,
        lists: &[ListName],
    ) -> Result<PutOutcome, StoreError> {
        check_max("enqueue lists", lists.len(), MAX_FORWARD)?;
        self.put_with(record, lists, PutMode::Create).await
    }

    async fn replace_and_enqueue(
        &self,
        record: VconRecord,
        if_match: Option<&Etag>,
        lists: &[ListName],
    ) -> Result<PutOutcome, StoreError> {
        let mode = PutMode::Replace {
            if_match: if_match.cloned(),
        };
        check_max("enqueue lists", lists.len(), MAX_FORWARD)?;
        self.put_with(record, lists, mode).await
    }

    async fn expired(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(VconUuid, Etag)>, StoreError> {
        // Expiries are learnt when a vCon is indexed: wait for the indexer.
        self.index.wait(INDEX_WAIT).await?;
        let now_ms = now.timestamp_millis();
        self.readers
            .run(move |c| expiry::expired(c, now_ms, limit))
            .await
    }

    async fn get(&self, uuid: &VconUuid) -> Result<Option<StoredVcon>, StoreError> {
        self.readers.run_inline(|c| reads::get(c, uuid))
    }

    async fn get_many(&self, uuids: &[VconUuid]) -> Result<Vec<Option<StoredVcon>>, StoreError> {
        check_max("get_many uuids", uuids.len(), MAX_PAGE as usize)?;
        let uuids = uuids.to_vec();
        self.readers
            .run(move |c| uuids.iter().map(|u| reads::get(c, u)).collect())
            .await
    }

    async fn head(&self, uuid: &VconUuid) -> Result<Option<VconMeta>, StoreError> {
        self.readers.run_inline(|c| reads::head(c, uuid))
    }

    async fn delete(&self, uuid: &VconUuid, if_match: Option<&Etag>) -> Result<bool, StoreError> {
        let op = Op::Delete {
            uuid: uuid.clone(),
            if_match: if_match.cloned(),
        };
        match self.write(op).await? {
            Reply::Flag(deleted) => Ok(deleted),
            other => Err(unexpected("delete", &other)),
        }
    }

    async fn search(&self, query: &SearchQuery) -> Result<Page, StoreError> {
        query.check()?;
        self.index_barrier(query).await?;
        let query = query.clone();
        self.readers.run(move |c| reads::search(c, &query)).await
    }

    async fn count(&self, query: &SearchQuery) -> Result<u64, StoreError> {
        query.check()?;
        self.index_barrier(query).await?;
        let query = query.clone();
        self.readers.run(move |c| reads::count(c, &query)).await
    }

    async fn reindex(&self) -> Result<u64, StoreError> {
        let mut after = 0;
        let mut total = 0;
        loop {
            let chunk = self
                .readers
                .run(move |c| reads::reindex_chunk(c, after, 256))
                .await?;
            let Some(last) = chunk.last() else {
                return Ok(total);
            };
            after = last.id;
            let items = tokio::task::spawn_blocking(move || index_db::reindex_fields(chunk))
                .await
                .map_err(|e| StoreError::Backend {
                    backend: "sqlite",
                    op: "reindex".to_owned(),
                    message: format!("index task failed: {e}"),
                })?;
            match self.write(Op::Reindex { items }).await? {
                Reply::Count(n) => total += n,
                other => return Err(unexpected("reindex", &other)),
            }
        }
    }

    fn index_backlog(&self) -> Option<u64> {
        Some(SqliteStore::index_backlog(self) as u64)
    }

    fn index_held(&self) -> Option<Duration> {
        Some(Duration::from_micros(
            self.index.held_micros.load(Ordering::Acquire),
        ))
    }

    /// `vcon.db` and `vcon-index.db` with their WAL and shared-memory
    /// files (a file that is missing counts 0).
    fn disk_bytes(&self) -> Option<u64> {
        let mut total = 0;
        for db in [self.path.clone(), index_db::index_path(&self.path)] {
            for suffix in ["", "-wal", "-shm"] {
                total += std::fs::metadata(schema::beside(&db, suffix)).map_or(0, |m| m.len());
            }
        }
        Some(total)
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.write(Op::Ping).await?;
        self.readers
            .run(|c| {
                c.query_row("SELECT 1", [], |_| Ok(()))
                    .map_err(|e| schema::sql_error("health read", e))
            })
            .await
    }

    async fn shutdown(&self) -> Result<(), StoreError> {
        let checkpointer = self.checkpointer.lock().ok().and_then(|mut c| c.take());
        if let Some(c) = checkpointer {
            let _ = tokio::task::spawn_blocking(move || c.stop()).await;
        }
        let (done, finished) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(done)).await.is_ok() {
            let _ = finished.await;
        }
        self.readers.close();
        let handle = self.writer.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = handle {
            let _ = tokio::task::spawn_blocking(move || h.join()).await;
        }
        Ok(())
    }
}

#[async_trait]
impl Queue for SqliteStore {
    async fn enqueue(&self, list: &ListName, uuids: &[VconUuid]) -> Result<(), StoreError> {
        check_max("enqueue uuids", uuids.len(), MAX_LEASE)?;
        if uuids.is_empty() {
            return Ok(());
        }
        let op = Op::Enqueue {
            list: list.clone(),
            uuids: uuids.to_vec(),
        };
        match self.write(op).await? {
            Reply::Unit => Ok(()),
            other => Err(unexpected("enqueue", &other)),
        }
    }

    async fn lease(
        &self,
        list: &ListName,
        max: usize,
        visibility: Duration,
    ) -> Result<Vec<Lease>, StoreError> {
        check_max("lease max", max, MAX_LEASE)?;
        if max == 0 {
            return Ok(Vec::new());
        }
        let op = Op::Lease {
            list: list.clone(),
            max,
            visibility_ms: duration_ms(visibility),
        };
        match self.write(op).await? {
            Reply::Leases(l) => Ok(l),
            other => Err(unexpected("lease", &other)),
        }
    }

    async fn ack(&self, leases: &[LeaseId]) -> Result<AckReport, StoreError> {
        self.ack_and_forward(leases, &[]).await
    }

    async fn ack_and_forward(
        &self,
        leases: &[LeaseId],
        to: &[ListName],
    ) -> Result<AckReport, StoreError> {
        check_max("ack leases", leases.len(), MAX_LEASE)?;
        check_max("forward lists", to.len(), MAX_FORWARD)?;
        if leases.is_empty() {
            return Ok(AckReport::default());
        }
        let op = Op::Ack {
            leases: leases.to_vec(),
            forward: to.to_vec(),
        };
        match self.write(op).await? {
            Reply::Ack(r) => Ok(r),
            other => Err(unexpected("ack", &other)),
        }
    }

    async fn nack(
        &self,
        lease: &LeaseId,
        retry_in: Duration,
        error: &str,
    ) -> Result<(), StoreError> {
        let op = Op::Nack {
            lease: *lease,
            retry_ms: duration_ms(retry_in),
            error: error.to_owned(),
        };
        match self.write(op).await? {
            Reply::Unit => Ok(()),
            other => Err(unexpected("nack", &other)),
        }
    }

    async fn dead_letter(&self, lease: &LeaseId, error: &str) -> Result<(), StoreError> {
        let op = Op::DeadLetter {
            lease: *lease,
            error: error.to_owned(),
        };
        match self.write(op).await? {
            Reply::Unit => Ok(()),
            other => Err(unexpected("dead_letter", &other)),
        }
    }

    async fn release(&self, lease: &LeaseId) -> Result<(), StoreError> {
        match self.write(Op::Release { lease: *lease }).await? {
            Reply::Unit => Ok(()),
            other => Err(unexpected("release", &other)),
        }
    }

    async fn complete(&self, items: Vec<Completion>) -> Result<Vec<Completed>, StoreError> {
        self.complete_batch(items).await
    }

    async fn pop(&self, list: &ListName, max: usize) -> Result<Vec<VconUuid>, StoreError> {
        check_max("pop max", max, MAX_LEASE)?;
        if max == 0 {
            return Ok(Vec::new());
        }
        match self
            .write(Op::Pop {
                list: list.clone(),
                max,
            })
            .await?
        {
            Reply::Uuids(u) => Ok(u),
            other => Err(unexpected("pop", &other)),
        }
    }

    async fn stats(&self, list: &ListName) -> Result<QueueStats, StoreError> {
        let now = self.clock.now_ms();
        let name = list.clone();
        let mut all = self
            .readers
            .run(move |c| reads::stats(c, Some(&name), now))
            .await?;
        Ok(all.pop().unwrap_or(QueueStats {
            list: list.clone(),
            ready: 0,
            delayed: 0,
            in_flight: 0,
            dead: 0,
        }))
    }

    async fn all_stats(&self) -> Result<Vec<QueueStats>, StoreError> {
        let now = self.clock.now_ms();
        self.readers.run(move |c| reads::stats(c, None, now)).await
    }

    async fn dlq_list(
        &self,
        list: &ListName,
        after: i64,
        limit: u32,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let list = list.clone();
        let limit = limit.min(MAX_PAGE);
        self.readers
            .run(move |c| reads::dlq_list(c, &list, after, limit))
            .await
    }

    async fn dlq_get(&self, id: i64) -> Result<Option<DeadLetter>, StoreError> {
        self.readers.run(move |c| reads::dlq_get(c, id)).await
    }

    async fn dlq_reprocess(&self, list: &ListName, max: u32) -> Result<u64, StoreError> {
        let op = Op::DlqReprocess {
            list: list.clone(),
            max: max.min(100_000),
        };
        match self.write(op).await? {
            Reply::Count(n) => Ok(n),
            other => Err(unexpected("dlq_reprocess", &other)),
        }
    }

    fn ready_signal(&self) -> Option<watch::Receiver<u64>> {
        Some(self.ready.subscribe())
    }
}
