//! The writer: one thread owns the read-write connection and commits every
//! write pending at the time in one transaction (group commit), so one
//! fsync serves many writers. An operation that fails is undone alone and
//! the others commit (see `Writer::commit`: operations run bare first, in
//! savepoints only when needed). Callers get their answers only after the
//! commit has returned.

use std::fs::File;
use std::sync::Arc;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot, watch};

use super::batch_writes::{self as bw, BatchReport};
use super::body_codec::Packed;
use super::index_db;
use super::index_db::Indexed;
use super::indexer::{IndexWork, Indexer, Item};
use super::queue_writes as qw;
use super::schema::sql_error;
use super::syncer::{self, Committed, Syncer};
use super::vcon_writes::{self as vw, PutMode};
use super::wal_bound::WalBound;
use crate::clock::Clock;
use crate::error::StoreError;
use crate::ids::{Etag, ListName, VconUuid};
use crate::queue::{AckReport, Completion, Lease, LeaseId};
use crate::record::{PutOutcome, PutStatus, VconRecord};

/// One write.
#[derive(Debug)]
pub(super) enum Op {
    Put {
        record: Box<VconRecord>,
        /// The record's bytes as they are stored (see `body_codec`).
        body: Packed,
        lists: Vec<ListName>,
        mode: PutMode,
    },
    Delete {
        uuid: VconUuid,
        if_match: Option<Etag>,
    },
    Enqueue {
        list: ListName,
        uuids: Vec<VconUuid>,
    },
    Lease {
        list: ListName,
        max: usize,
        visibility_ms: i64,
    },
    Ack {
        leases: Vec<LeaseId>,
        forward: Vec<ListName>,
    },
    Nack {
        lease: LeaseId,
        retry_ms: i64,
        error: String,
    },
    DeadLetter {
        lease: LeaseId,
        error: String,
    },
    Release {
        lease: LeaseId,
    },
    Pop {
        list: ListName,
        max: usize,
    },
    DlqReprocess {
        list: ListName,
        max: u32,
    },
    Reindex {
        items: Vec<(i64, Etag, Indexed)>,
    },
    /// Clear the `index_pending` marks `(row id, generation)` the indexer
    /// has made durable (each only if its generation is unchanged).
    ClearMarks {
        marks: Vec<(i64, i64)>,
    },
    /// Finished leases of a worker batch (see `batch_writes`).
    Complete {
        items: Vec<Completion>,
        /// The stored form of each item's write-back, by position (see
        /// `body_codec`; `Packed::Raw` where there is none).
        bodies: Vec<Packed>,
    },
    Ping,
}

impl Op {
    /// Whether committing this write may make queue items ready.
    fn readies_items(&self) -> bool {
        match self {
            Self::Put { lists, .. } => !lists.is_empty(),
            Self::Ack { forward, .. } => !forward.is_empty(),
            Self::Enqueue { .. }
            | Self::Nack { .. }
            | Self::Release { .. }
            | Self::DlqReprocess { .. }
            | Self::Complete { .. } => true,
            _ => false,
        }
    }

    /// Whether losing this write in a power cut would lose an acknowledged
    /// fact. Leases are not: a lost lease is an item delivered again.
    fn must_sync(&self) -> bool {
        // A lost cleared mark only has its row indexed once more.
        !matches!(
            self,
            Self::Lease { .. } | Self::Ping | Self::ClearMarks { .. }
        )
    }
}

/// The answer to one write.
#[derive(Debug)]
pub(super) enum Reply {
    Put(PutOutcome),
    Flag(bool),
    Unit,
    Leases(Vec<Lease>),
    Ack(AckReport),
    Uuids(Vec<VconUuid>),
    Count(u64),
    Completed(BatchReport),
}

/// A message to the writer thread.
pub(super) enum Msg {
    Write(Op, oneshot::Sender<Result<Reply, StoreError>>),
    /// Finish, checkpoint, and answer when the thread is about to exit.
    Shutdown(oneshot::Sender<()>),
}

/// What the writer thread owns.
pub(super) struct Writer {
    pub conn: Connection,
    pub clock: Arc<dyn Clock>,
    pub max_batch: usize,
    /// Bumped after each commit that may have made queue items ready.
    pub ready: Arc<watch::Sender<u64>>,
    /// The indexer thread, which gets the search fields of each commit.
    pub indexer: Option<Indexer>,
    /// The generation of the last commit: marks in `index_pending` carry it.
    pub seq: u64,
    /// Fsyncs and answers committed batches ([`super::config::Durability::Full`]; the
    /// connection then runs with `synchronous = OFF`). `None`: the writer
    /// answers after each commit.
    pub syncer: Option<Syncer>,
    /// Restarts the WAL when it is full (see `wal_bound`).
    pub wal: WalBound,
    /// The largest queue item id created so far (read after each commit
    /// that must be synced and may have created items; with the syncer only).
    pub queue_seq: i64,
    /// Held for as long as the thread runs: keeps other stores out of the directory.
    pub _lock: File,
}

impl Drop for Writer {
    /// Answers what the syncer holds, then puts the connection back to
    /// `synchronous = FULL`: if it is the last one, closing it checkpoints
    /// the WAL into the database file, which must be synced before the WAL
    /// goes.
    fn drop(&mut self) {
        if let Some(syncer) = self.syncer.take() {
            syncer.stop();
        }
        self.stop_indexer();
        let _ = self.conn.execute_batch("PRAGMA synchronous = FULL");
    }
}

impl Writer {
    /// Runs until every sender is gone or a shutdown arrives.
    pub fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        let mut batch = Vec::with_capacity(self.max_batch);
        while let Some(first) = rx.blocking_recv() {
            let mut shutdown = None;
            match first {
                Msg::Write(op, reply) => batch.push((op, reply)),
                Msg::Shutdown(done) => shutdown = Some(done),
            }
            while shutdown.is_none() && batch.len() < self.max_batch {
                match rx.try_recv() {
                    Ok(Msg::Write(op, reply)) => batch.push((op, reply)),
                    Ok(Msg::Shutdown(done)) => shutdown = Some(done),
                    Err(_) => break,
                }
            }
            if !batch.is_empty() {
                let must_sync = batch.iter().any(|(op, _)| op.must_sync());
                let readies = batch.iter().any(|(op, _)| op.readies_items());
                let (results, index) = self.commit(&mut batch);
                // Only writes that may ready items can create queue items;
                // a batch of plain puts leaves the sequence where it was.
                if must_sync && readies && self.syncer.is_some() {
                    // On an error the older value stays: it can only delay
                    // an answer (see `answer`), never hurry one.
                    if let Ok(seq) = syncer::queue_seq(&self.conn) {
                        self.queue_seq = seq;
                    }
                }
                let readies = readies && results.iter().any(Result::is_ok);
                self.answer(&mut batch, results, must_sync, readies, index);
                self.bound_wal();
            }
            if let Some(done) = shutdown {
                // The syncer answers (and hands the indexer) what it holds;
                // then the indexer indexes everything, and the marks it
                // covered, sent or still held, are cleared. The writes
                // queued behind the shutdown are refused.
                if let Some(syncer) = self.syncer.take() {
                    syncer.stop();
                }
                let mut marks = self.stop_indexer_marks();
                rx.close();
                while let Ok(msg) = rx.try_recv() {
                    if let Msg::Write(Op::ClearMarks { marks: m }, _) = msg {
                        marks.extend(m);
                    }
                }
                let _ = self.clear_marks(&marks);
                // The final checkpoint must sync the database file before
                // it empties the WAL.
                let _ = self.conn.execute_batch(
                    "PRAGMA synchronous = FULL; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA optimize;",
                );
                // Close the database and release the directory lock before
                // answering, so the directory can be reopened at once.
                drop(self);
                let _ = done.send(());
                return;
            }
        }
    }

    /// Stops the indexer (it indexes what it holds) and returns the marks
    /// it indexed that are not cleared yet. The syncer must be stopped first
    /// (it holds a sender of the indexer's queue).
    fn stop_indexer_marks(&mut self) -> Vec<(i64, i64)> {
        self.indexer.take().map(Indexer::stop).unwrap_or_default()
    }

    /// Stops the indexer and clears what it indexed (when the store is
    /// dropped without a shutdown).
    fn stop_indexer(&mut self) {
        let marks = self.stop_indexer_marks();
        let _ = self.clear_marks(&marks);
    }

    /// Clears indexed marks in one transaction.
    fn clear_marks(&mut self, marks: &[(i64, i64)]) -> Result<(), StoreError> {
        if marks.is_empty() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction()
            .map_err(|e| sql_error("begin clearing index marks", e))?;
        index_db::clear_marks(&tx, marks)?;
        tx.commit()
            .map_err(|e| sql_error("commit cleared index marks", e))
    }

    /// Restarts the WAL when it has grown full (see `wal_bound`).
    fn bound_wal(&mut self) {
        let unsynced = self.syncer.is_some();
        self.wal.restart_if_full(&self.conn, unsynced);
    }

    /// Sends the answers of a committed batch: through the syncer (after
    /// its fsync) under [`super::config::Durability::Full`], at once otherwise.
    /// With the syncer, a lease whose items were all created by commits
    /// already synced is answered at once too (see `syncer`): a chain's next
    /// lease then does not wait for the fsync of its own write-backs.
    /// The batch's index work goes to the indexer before any answer (by the
    /// syncer, after the fsync, when there is one).
    fn answer(
        &self,
        batch: &mut Vec<(Op, oneshot::Sender<Result<Reply, StoreError>>)>,
        results: Vec<Result<Reply, StoreError>>,
        must_sync: bool,
        readies: bool,
        index: Option<IndexWork>,
    ) {
        let n = batch.len();
        let answers = batch.drain(..).zip(results);
        let Some(syncer) = &self.syncer else {
            if let (Some(work), Some(indexer)) = (index, &self.indexer) {
                indexer.sink().send(work);
            }
            if readies {
                self.ready.send_modify(|n| *n = n.wrapping_add(1));
            }
            for ((_, reply), result) in answers {
                // A caller that gave up waiting is not an error.
                let _ = reply.send(result);
            }
            return;
        };
        let mut later = Vec::with_capacity(n);
        for ((op, reply), result) in answers {
            if matches!(op, Op::Lease { .. })
                && let Ok(Reply::Leases(leases)) = &result
                && syncer.all_synced(leases.iter().map(|l| l.id.item).max().unwrap_or(0))
            {
                let _ = reply.send(result);
            } else {
                later.push((reply, result));
            }
        }
        if later.is_empty() && !must_sync && !readies && index.is_none() {
            return; // leases only, all answered
        }
        syncer.send(Committed {
            answers: later,
            must_sync,
            readies,
            queue_seq: self.queue_seq,
            index,
        });
    }

    /// Runs a batch in one transaction; returns one result per operation
    /// and, when it committed rows to index, their index work.
    fn commit(
        &mut self,
        batch: &mut [(Op, oneshot::Sender<Result<Reply, StoreError>>)],
    ) -> (Vec<Result<Reply, StoreError>>, Option<IndexWork>) {
        let now = self.clock.now_ms();
        let seq = self.seq + 1;
        self.seq = seq;
        let generation = i64::try_from(seq).unwrap_or(i64::MAX);
        // Operations first run bare, without savepoints: most succeed, and
        // most that fail (a conflict, a failed If-Match) fail before writing
        // anything, so the others can still commit. A savepoint per
        // operation would cost two statements and a copy of every page the
        // operation touches into the statement journal. Only when an
        // operation of a larger batch fails after writing (or SQLite rolled
        // the transaction back) is the batch rolled back and run again with
        // a savepoint each, so that the failure is undone alone.
        let mut isolate = false;
        let (tx, ran) = loop {
            let tx = match WriteTx::begin(&self.conn) {
                Ok(tx) => tx,
                Err(e) => return (fail_all(batch.len(), "begin a write transaction", &e), None),
            };
            match run_ops(tx.conn, batch, now, generation, isolate) {
                Some(ran) => break (tx, ran),
                None => isolate = true, // dropping `tx` rolls it back
            }
        };
        // A batch of one that failed is rolled back whole (the same outcome
        // as rolling back its savepoint).
        if batch.len() == 1 && ran.iter().any(Result::is_err) {
            let results = ran.into_iter().map(|r| r.map(|(reply, _)| reply)).collect();
            return (results, None); // dropping `tx` rolls it back
        }
        let mut to_index = Vec::new();
        let results: Vec<_> = batch
            .iter_mut()
            .zip(ran)
            .map(|((op, _), result)| {
                result.map(|(reply, touched)| {
                    take_index(op, &reply, touched, &mut to_index);
                    reply
                })
            })
            .collect();
        match tx.commit() {
            Ok(()) => {
                let work = (!to_index.is_empty()).then_some(IndexWork {
                    seq,
                    items: to_index,
                });
                (results, work)
            }
            Err(e) => (fail_all(batch.len(), "commit", &e), None),
        }
    }
}

/// A write transaction (`BEGIN IMMEDIATE` … `COMMIT`), rolled back when
/// dropped uncommitted. Unlike rusqlite's `Transaction`, which prepares its
/// `BEGIN` and `COMMIT` anew each time, the statements are prepared once
/// per connection: a commit per batch makes that worth having.
struct WriteTx<'c> {
    conn: &'c Connection,
}

impl<'c> WriteTx<'c> {
    fn begin(conn: &'c Connection) -> rusqlite::Result<Self> {
        run_sql(conn, "BEGIN IMMEDIATE")?;
        Ok(Self { conn })
    }

    fn commit(self) -> rusqlite::Result<()> {
        // On an error the transaction may still be open: `drop` rolls it back.
        run_sql(self.conn, "COMMIT")
    }
}

impl Drop for WriteTx<'_> {
    fn drop(&mut self) {
        if !self.conn.is_autocommit() {
            let _ = run_sql(self.conn, "ROLLBACK");
        }
    }
}

/// Runs the operations of a batch in `conn`'s open transaction: each in its
/// own savepoint with `isolate`, else bare. A bare run gives up (`None`)
/// when an operation of a batch of several fails after it wrote (or SQLite
/// rolled the transaction back): the caller must roll back and run the
/// batch again isolated.
fn run_ops(
    conn: &Connection,
    batch: &[(Op, oneshot::Sender<Result<Reply, StoreError>>)],
    now: i64,
    generation: i64,
    isolate: bool,
) -> Option<Vec<Result<(Reply, Touched), StoreError>>> {
    let mut ran = Vec::with_capacity(batch.len());
    for (op, _) in batch {
        if isolate {
            // SQLite may roll the whole transaction back on some errors (a
            // full disk, an I/O error): the operations after must then not
            // run, or each would commit on its own, outside the batch.
            ran.push(if conn.is_autocommit() {
                Err(StoreError::Backend {
                    backend: "sqlite",
                    op: "write".to_owned(),
                    message: "not run: SQLite rolled the batch's transaction back after an \
                              earlier operation failed"
                        .to_owned(),
                })
            } else {
                savepointed(conn, op, now, generation)
            });
            continue;
        }
        let before = conn.total_changes();
        let result = execute(conn, op, now, generation);
        if result.is_err()
            && batch.len() > 1
            && (conn.total_changes() != before || conn.is_autocommit())
        {
            return None;
        }
        ran.push(result);
    }
    Some(ran)
}

/// Runs one operation of a larger batch in its own savepoint, so that a
/// failure rolls back that operation alone.
fn savepointed(
    conn: &Connection,
    op: &Op,
    now: i64,
    generation: i64,
) -> Result<(Reply, Touched), StoreError> {
    run_sql(conn, "SAVEPOINT op").map_err(|e| sql_error("open savepoint", e))?;
    match execute(conn, op, now, generation) {
        Ok(done) => {
            run_sql(conn, "RELEASE op").map_err(|e| sql_error("release savepoint", e))?;
            Ok(done)
        }
        Err(e) => {
            let _ = run_sql(conn, "ROLLBACK TO op");
            let _ = run_sql(conn, "RELEASE op");
            Err(e)
        }
    }
}

/// Runs a statement without parameters or rows (savepoints), prepared once
/// per connection.
fn run_sql(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(|_| ())
}

fn fail_all(n: usize, what: &str, e: &rusqlite::Error) -> Vec<Result<Reply, StoreError>> {
    (0..n)
        .map(|_| {
            Err(StoreError::Backend {
                backend: "sqlite",
                op: what.to_owned(),
                message: e.to_string(),
            })
        })
        .collect()
}

/// The rows an operation marked for indexing (with generation `generation`),
/// whose index work goes to the indexer once the commit is in.
#[derive(Debug, Default)]
enum Touched {
    #[default]
    Nothing,
    /// A put stored row `id`.
    Put(i64),
    /// A delete removed row `id`.
    Deleted(i64),
    /// A re-index marked these rows (their etag still held).
    Reindexed(Vec<i64>),
}

/// Takes the index work of a committed operation out of it.
fn take_index(op: &mut Op, reply: &Reply, touched: Touched, out: &mut Vec<Item>) {
    match (touched, op) {
        (Touched::Put(id), Op::Put { record, .. }) => {
            // A put that touched its row always answers with its outcome.
            if let Reply::Put(o) = reply {
                out.push(Item {
                    id,
                    new_row: o.status == PutStatus::Created,
                    indexed: Some(Indexed {
                        fields: std::mem::take(&mut record.index),
                        at_ms: vw::created_order_ms(&o.meta),
                        uuid: o.meta.uuid.clone(),
                    }),
                });
            }
        }
        (Touched::Deleted(id), _) => out.push(Item {
            id,
            indexed: None,
            new_row: false,
        }),
        (Touched::Reindexed(ids), Op::Reindex { items }) => {
            let ids: std::collections::BTreeSet<i64> = ids.into_iter().collect();
            out.extend(
                std::mem::take(items)
                    .into_iter()
                    .filter(|(id, _, _)| ids.contains(id))
                    .map(|(id, _, indexed)| Item {
                        id,
                        indexed: Some(indexed),
                        new_row: false,
                    }),
            );
        }
        (_, op) => out.extend(
            bw::take_index(op, reply)
                .into_iter()
                .map(|(id, indexed)| Item {
                    id,
                    indexed: Some(indexed),
                    new_row: false,
                }),
        ),
    }
}

/// Runs one operation; also returns the rows it marked for indexing.
fn execute(
    conn: &Connection,
    op: &Op,
    now: i64,
    generation: i64,
) -> Result<(Reply, Touched), StoreError> {
    match op {
        Op::Put {
            record,
            body,
            lists,
            mode,
        } => vw::put(conn, record, body, lists, mode, now, generation)
            .map(|(o, id)| (Reply::Put(o), id.map_or(Touched::Nothing, Touched::Put))),
        Op::Delete { uuid, if_match } => {
            vw::delete(conn, uuid, if_match.as_ref(), generation).map(|id| {
                (
                    Reply::Flag(id.is_some()),
                    id.map_or(Touched::Nothing, Touched::Deleted),
                )
            })
        }
        Op::Reindex { items } => {
            let mut ids = Vec::new();
            for (id, etag, _) in items {
                if vw::reindex(conn, *id, etag, generation)? {
                    ids.push(*id);
                }
            }
            let n = ids.len() as u64;
            Ok((Reply::Count(n), Touched::Reindexed(ids)))
        }
        Op::Complete { items, bodies } => bw::complete(conn, items, bodies, now, generation)
            .map(|r| (Reply::Completed(r), Touched::Nothing)),
        other => execute_other(conn, other, now).map(|r| (r, Touched::Nothing)),
    }
}

fn execute_other(conn: &Connection, op: &Op, now: i64) -> Result<Reply, StoreError> {
    match op {
        Op::Put { .. } | Op::Delete { .. } | Op::Reindex { .. } | Op::Complete { .. } => {
            Err(StoreError::Backend {
                backend: "sqlite",
                op: "write".to_owned(),
                message: "internal: an indexed write reached the generic path".to_owned(),
            })
        }
        Op::Enqueue { list, uuids } => qw::enqueue(conn, list, uuids, now).map(|()| Reply::Unit),
        Op::Lease {
            list,
            max,
            visibility_ms,
        } => qw::lease(conn, list, *max, *visibility_ms, now).map(Reply::Leases),
        Op::Ack { leases, forward } => qw::ack(conn, leases, forward, now).map(Reply::Ack),
        Op::Nack {
            lease,
            retry_ms,
            error,
        } => qw::nack(conn, lease, *retry_ms, error, now).map(|()| Reply::Unit),
        Op::DeadLetter { lease, error } => {
            qw::dead_letter(conn, lease, error, now).map(|()| Reply::Unit)
        }
        Op::Release { lease } => qw::release(conn, lease, now).map(|()| Reply::Unit),
        Op::Pop { list, max } => qw::pop(conn, list, *max, now).map(Reply::Uuids),
        Op::DlqReprocess { list, max } => {
            qw::dlq_reprocess(conn, list, *max, now).map(Reply::Count)
        }
        Op::ClearMarks { marks } => index_db::clear_marks(conn, marks).map(|()| Reply::Unit),
        Op::Ping => Ok(Reply::Unit),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::record::RecordOptions;

    fn put(n: u64) -> Op {
        let uuid = format!("019f15a6-a752-8000-b9a2-{n:012x}");
        let bytes = format!(r#"{{"uuid":"{uuid}","parties":[{{"name":"P{n}"}}]}}"#);
        Op::Put {
            record: Box::new(VconRecord::from_bytes(bytes, &RecordOptions::default()).unwrap()),
            body: Packed::Raw,
            lists: Vec::new(),
            mode: PutMode::Create,
        }
    }

    /// A writer connection on a new store in a temporary directory.
    fn writer_db() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let config = super::super::config::SqliteConfig::in_dir(dir.path());
        let conn = super::super::schema::open_writer(&dir.path().join("t.db"), &config).unwrap();
        (dir, conn)
    }

    /// Operations as the writer batches them, each with its reply channel.
    type Batch = Vec<(Op, oneshot::Sender<Result<Reply, StoreError>>)>;

    /// A batch of operations, each with a reply channel nobody listens to.
    fn batch_of(ops: Vec<Op>) -> Batch {
        ops.into_iter()
            .map(|op| (op, oneshot::channel().0))
            .collect()
    }

    fn stored(conn: &Connection) -> Vec<String> {
        let mut s = conn.prepare("SELECT uuid FROM vcons ORDER BY id").unwrap();
        s.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A store whose index mark for the second of three puts is refused by
    /// a trigger's `RAISE(raise)`, after the put wrote its row; the batch of
    /// those puts, whose bare run has already given up.
    fn second_put_refused(raise: &str) -> (tempfile::TempDir, Connection, Batch) {
        let (dir, conn) = writer_db();
        conn.execute_batch(&format!(
            "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.index_pending
             WHEN (SELECT uuid FROM main.vcons WHERE id = NEW.id) LIKE '%000000000002'
             BEGIN SELECT RAISE({raise}); END;"
        ))
        .unwrap();
        let batch = batch_of(vec![put(1), put(2), put(3)]);
        let tx = conn.unchecked_transaction().unwrap();
        assert!(run_ops(&tx, &batch, 0, 1, false).is_none());
        drop(tx);
        (dir, conn, batch)
    }

    /// The second put of three fails after writing its row (a trigger
    /// refuses its index mark): the bare run gives up, the isolated run
    /// undoes that put alone.
    #[test]
    fn an_operation_failing_after_it_wrote_is_undone_alone() {
        let (_dir, mut conn, batch) = second_put_refused("ABORT, 'refused'");
        let tx = conn.transaction().unwrap();
        let ran = run_ops(&tx, &batch, 0, 1, true).unwrap();
        tx.commit().unwrap();
        assert!(ran[0].is_ok() && ran[2].is_ok());
        let err = ran[1].as_ref().unwrap_err().to_string();
        assert!(err.contains("refused"), "{err}");
        assert_eq!(stored(&conn).len(), 2);
        assert!(stored(&conn).iter().all(|u| !u.ends_with("000000000002")));
    }

    /// An operation whose failure makes SQLite roll the whole transaction
    /// back (here a trigger's `RAISE(ROLLBACK)`): the operations after it
    /// do not run outside the batch, and nothing of the batch stays.
    #[test]
    fn operations_after_a_rolled_back_transaction_do_not_run() {
        let (_dir, mut conn, batch) = second_put_refused("ROLLBACK, 'gone'");
        let tx = conn.transaction().unwrap();
        let ran = run_ops(&tx, &batch, 0, 1, true).unwrap();
        assert!(ran[1].is_err());
        let err = ran[2].as_ref().unwrap_err().to_string();
        assert!(err.contains("not run"), "{err}");
        assert!(tx.commit().is_err(), "the transaction is gone");
        assert!(stored(&conn).is_empty());
    }

    /// A put refused before it writes anything (a conflict) does not cost
    /// the bare run: the others go on in it.
    #[test]
    fn an_operation_refused_before_writing_keeps_the_bare_run() {
        let (_dir, mut conn) = writer_db();
        let tx = conn.transaction().unwrap();
        run_ops(&tx, &batch_of(vec![put(2)]), 0, 1, false).unwrap();
        tx.commit().unwrap();
        let conflicting = {
            let Op::Put {
                mut record,
                body,
                lists,
                mode,
            } = put(2)
            else {
                unreachable!()
            };
            let bytes = r#"{"uuid":"019f15a6-a752-8000-b9a2-000000000002","parties":[]}"#;
            *record = VconRecord::from_bytes(bytes, &RecordOptions::default()).unwrap();
            Op::Put {
                record,
                body,
                lists,
                mode,
            }
        };
        let batch = batch_of(vec![put(1), conflicting, put(3)]);
        let tx = conn.transaction().unwrap();
        let ran = run_ops(&tx, &batch, 0, 2, false).expect("no retry for a conflict");
        tx.commit().unwrap();
        assert!(matches!(ran[1], Err(StoreError::Conflict { .. })));
        assert_eq!(stored(&conn).len(), 3);
    }
}
