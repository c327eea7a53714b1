//! The writer: one thread owns the read-write connection and commits every
//! write pending at the time in one transaction (group commit), so one
//! fsync serves many writers. Each operation runs in its own savepoint: one
//! that fails is rolled back alone and the others commit. Callers get their
//! answers only after the commit has returned.

use std::fs::File;
use std::sync::Arc;

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot, watch};

use super::batch_writes::{self as bw, BatchReport};
use super::config::Durability;
use super::index_writer::PendingIndex;
use super::queue_writes as qw;
use super::schema::sql_error;
use super::vcon_writes::{self as vw, PutMode};
use crate::clock::Clock;
use crate::error::StoreError;
use crate::ids::{Etag, ListName, VconUuid};
use crate::index::IndexFields;
use crate::queue::{AckReport, Completion, Lease, LeaseId};
use crate::record::{PutOutcome, VconRecord};

/// One write.
#[derive(Debug)]
pub(super) enum Op {
    Put {
        record: Box<VconRecord>,
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
    Pop {
        list: ListName,
        max: usize,
    },
    DlqReprocess {
        list: ListName,
        max: u32,
    },
    Reindex {
        items: Vec<(i64, Etag, IndexFields)>,
    },
    /// Index everything waiting before answering (searches send it).
    FlushIndex,
    /// Finished leases of a worker batch (see `batch_writes`).
    Complete {
        items: Vec<Completion>,
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
            | Self::DlqReprocess { .. }
            | Self::Complete { .. } => true,
            _ => false,
        }
    }

    /// Whether losing this write in a power cut would lose an acknowledged
    /// fact. Leases are not: a lost lease is an item delivered again.
    fn must_sync(&self) -> bool {
        !matches!(self, Self::Lease { .. } | Self::Ping | Self::FlushIndex)
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
    pub durability: Durability,
    pub max_batch: usize,
    /// Bumped after each commit that may have made queue items ready.
    pub ready: Arc<watch::Sender<u64>>,
    /// Search fields of committed rows, waiting to be indexed in a batch.
    pub pending: PendingIndex,
    /// Held for as long as the thread runs: keeps other stores out of the directory.
    pub _lock: File,
}

impl Writer {
    /// Runs until every sender is gone or a shutdown arrives.
    pub fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        let mut synced = true; // the connection starts at the configured level
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
                synced = self.set_sync(must_sync, synced);
                let readies = batch.iter().any(|(op, _)| op.readies_items());
                let mut results = self.commit(&mut batch);
                if readies && results.iter().any(Result::is_ok) {
                    self.ready.send_modify(|n| *n = n.wrapping_add(1));
                }
                let barrier = batch.iter().any(|(op, _)| matches!(op, Op::FlushIndex));
                if barrier || self.pending.is_full() {
                    synced = self.set_sync(false, synced);
                    let flushed = if barrier {
                        self.pending.flush_all(&mut self.conn)
                    } else {
                        self.pending.flush_some(&mut self.conn)
                    };
                    // A failed flush leaves the fields waiting; a search that
                    // asked for it hears why.
                    if let Err(e) = flushed {
                        for ((op, _), r) in batch.iter().zip(results.iter_mut()) {
                            if matches!(op, Op::FlushIndex) {
                                *r = Err(StoreError::Backend {
                                    backend: "sqlite",
                                    op: "index waiting vCons".to_owned(),
                                    message: e.to_string(),
                                });
                            }
                        }
                    }
                }
                for ((_, reply), result) in batch.drain(..).zip(results) {
                    // A caller that gave up waiting is not an error.
                    let _ = reply.send(result);
                }
            }
            if let Some(done) = shutdown {
                let _ = self.pending.flush_all(&mut self.conn);
                let _ = self
                    .conn
                    .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA optimize;");
                // Close the database and release the directory lock before
                // answering, so the directory can be reopened at once.
                drop(self);
                let _ = done.send(());
                return;
            }
        }
    }

    /// Lease-only batches skip the fsync under [`Durability::Full`]; the next
    /// synced commit makes them durable too (the WAL is append-only).
    fn set_sync(&self, must_sync: bool, synced: bool) -> bool {
        if self.durability != Durability::Full || must_sync == synced {
            return synced;
        }
        let level = if must_sync { "FULL" } else { "NORMAL" };
        match self
            .conn
            .execute_batch(&format!("PRAGMA synchronous = {level}"))
        {
            Ok(()) => must_sync,
            Err(_) => synced,
        }
    }

    /// Runs a batch in one transaction; returns one result per operation.
    fn commit(
        &mut self,
        batch: &mut [(Op, oneshot::Sender<Result<Reply, StoreError>>)],
    ) -> Vec<Result<Reply, StoreError>> {
        let now = self.clock.now_ms();
        let mut tx = match self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
        {
            Ok(tx) => tx,
            Err(e) => return fail_all(batch.len(), "begin a write transaction", &e),
        };
        let mut results = Vec::with_capacity(batch.len());
        let mut to_index = Vec::new();
        for (op, _) in batch.iter_mut() {
            let result = match tx.savepoint() {
                Ok(mut sp) => match execute(&sp, op, now) {
                    Ok((reply, index_id)) => match sp.commit() {
                        Ok(()) => {
                            if let (Some(id), Op::Put { record, .. }) = (index_id, &mut *op) {
                                to_index.push((id, std::mem::take(&mut record.index)));
                            }
                            to_index.extend(bw::take_index(op, &reply));
                            Ok(reply)
                        }
                        Err(e) => Err(sql_error("release savepoint", e)),
                    },
                    Err(e) => {
                        let _ = sp.rollback();
                        Err(e)
                    }
                },
                Err(e) => Err(sql_error("open savepoint", e)),
            };
            results.push(result);
        }
        match tx.commit() {
            Ok(()) => {
                for (id, fields) in to_index {
                    self.pending.add(id, fields);
                }
                results
            }
            Err(e) => fail_all(batch.len(), "commit", &e),
        }
    }
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

/// Runs one operation; for a put, also returns the row id to index.
fn execute(conn: &Connection, op: &Op, now: i64) -> Result<(Reply, Option<i64>), StoreError> {
    if let Op::Put {
        record,
        lists,
        mode,
    } = op
    {
        return vw::put(conn, record, lists, mode, now).map(|(o, id)| (Reply::Put(o), id));
    }
    execute_other(conn, op, now).map(|r| (r, None))
}

fn execute_other(conn: &Connection, op: &Op, now: i64) -> Result<Reply, StoreError> {
    match op {
        Op::Put { .. } => Err(StoreError::Backend {
            backend: "sqlite",
            op: "put".to_owned(),
            message: "internal: put reached the generic path".to_owned(),
        }),
        Op::Delete { uuid, if_match } => vw::delete(conn, uuid, if_match.as_ref()).map(Reply::Flag),
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
        Op::Pop { list, max } => qw::pop(conn, list, *max, now).map(Reply::Uuids),
        Op::DlqReprocess { list, max } => {
            qw::dlq_reprocess(conn, list, *max, now).map(Reply::Count)
        }
        Op::Reindex { items } => {
            let mut n = 0;
            for (id, etag, fields) in items {
                if vw::reindex(conn, *id, etag, fields)? {
                    n += 1;
                }
            }
            Ok(Reply::Count(n))
        }
        Op::Complete { items } => bw::complete(conn, items, now).map(Reply::Completed),
        Op::Ping | Op::FlushIndex => Ok(Reply::Unit),
    }
}
