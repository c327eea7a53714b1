//! [`Queue::complete`](crate::Queue::complete) on the embedded store: a
//! batch of finished leases (acknowledgements with their write-backs and
//! egress pushes, retries, dead letters, hand-backs) in one writer operation, so one
//! round trip and one commit serve a whole batch of processed vCons.
//!
//! Every check of an item (is the lease held, does the stored etag match)
//! runs before anything of that item is written, so an item that is refused
//! writes nothing and the others go on. An SQL error fails the operation,
//! whose savepoint the writer then rolls back: nothing of the batch stays.
//!
//! A written-back vCon gets its search rows the way a put does: its row is
//! marked in `index_pending` and its fields go to the indexer (see
//! `indexer`), taken out by [`take_index`] once the commit is in.

use rusqlite::{Connection, OptionalExtension};

use super::body_codec::Packed;
use super::index_db::Indexed;
use super::queue_writes as qw;
use super::schema::sql_error;
use super::vcon_writes::{self as vw, PutMode};
use super::writer::{Op, Reply};
use super::{MAX_FORWARD, MAX_LEASE, SqliteStore, check_max, unexpected};
use crate::clock::duration_ms;
use crate::error::StoreError;
use crate::ids::{Etag, VconUuid};
use crate::queue::{Completed, Completion, WriteBack};

/// The answer of a complete operation: one result per item, and the vCon
/// rows written back, to be indexed.
#[derive(Debug)]
pub(super) struct BatchReport {
    pub results: Vec<Completed>,
    pub written: Vec<WrittenBack>,
}

/// A row a complete operation wrote back.
#[derive(Debug, Clone, Copy)]
pub(super) struct WrittenBack {
    /// The index of its item in the batch.
    item: usize,
    /// The row id.
    id: i64,
    /// Its place in the created order.
    at_ms: i64,
}

impl SqliteStore {
    /// [`Queue::complete`](crate::Queue::complete): checks the limits, then
    /// runs the batch as one writer operation.
    pub(super) async fn complete_batch(
        &self,
        items: Vec<Completion>,
    ) -> Result<Vec<Completed>, StoreError> {
        check_max("complete items", items.len(), MAX_LEASE)?;
        for item in &items {
            if let Completion::Ack {
                forward,
                write_back,
                ..
            } = item
            {
                check_max("forward lists", forward.len(), MAX_FORWARD)?;
                if let Some(w) = write_back {
                    self.check_size(&w.record)?;
                }
            }
        }
        if items.is_empty() {
            return Ok(Vec::new());
        }
        // Compressed here, not on the writer's thread (as in a put).
        let bodies = items
            .iter()
            .map(|item| match item {
                Completion::Ack {
                    write_back: Some(w),
                    ..
                } => Packed::of(&w.record.bytes, self.compress_bodies),
                _ => Packed::Raw,
            })
            .collect();
        match self.write(Op::Complete { items, bodies }).await? {
            Reply::Completed(report) => Ok(report.results),
            other => Err(unexpected("complete", &other)),
        }
    }
}

/// Runs a batch inside the writer's transaction.
pub(super) fn complete(
    conn: &Connection,
    items: &[Completion],
    bodies: &[Packed],
    now: i64,
    generation: i64,
) -> Result<BatchReport, StoreError> {
    let mut report = BatchReport {
        results: Vec::with_capacity(items.len()),
        written: Vec::new(),
    };
    for (i, item) in items.iter().enumerate() {
        let result = match item {
            Completion::Ack {
                lease,
                write_back,
                forward,
            } => match qw::held(conn, lease)? {
                None => Completed::Lost,
                Some(qw::Held { uuid, .. }) => {
                    let written = match write_back {
                        Some(w) => {
                            let body = bodies.get(i).unwrap_or(&Packed::Raw);
                            write_back_one(conn, &uuid, w, body, now, generation)?
                        }
                        None => Ok(None),
                    };
                    match written {
                        Err(e) => Completed::Failed(e),
                        Ok(row) => {
                            if let Some((id, at_ms)) = row {
                                report.written.push(WrittenBack { item: i, id, at_ms });
                            }
                            qw::ack_held(conn, lease.item, &uuid, forward, now)?;
                            Completed::Done
                        }
                    }
                }
            },
            Completion::Retry {
                lease,
                retry_in,
                error,
            } => lost_or(qw::nack(conn, lease, duration_ms(*retry_in), error, now))?,
            Completion::DeadLetter { lease, error } => {
                lost_or(qw::dead_letter(conn, lease, error, now))?
            }
            Completion::Release { lease } => lost_or(qw::release(conn, lease, now))?,
        };
        report.results.push(result);
    }
    Ok(report)
}

/// A lost lease is a result of the item, any other error the batch's.
fn lost_or(result: Result<(), StoreError>) -> Result<Completed, StoreError> {
    match result {
        Ok(()) => Ok(Completed::Done),
        Err(StoreError::LeaseLost { .. }) => Ok(Completed::Lost),
        Err(e) => Err(e),
    }
}

/// Replaces the stored vCon `uuid` with the write-back when it still has
/// the etag the worker read. Outer error: SQL (fails the batch); inner
/// error: refused (fails the item). `Ok(Some((id, at_ms)))`: row `id` was
/// rewritten and waits for its index (its place in the created order is
/// `at_ms`); `Ok(None)`: the bytes were already stored.
fn write_back_one(
    conn: &Connection,
    uuid: &VconUuid,
    w: &WriteBack,
    body: &Packed,
    now: i64,
    generation: i64,
) -> Result<Result<Option<(i64, i64)>, StoreError>, StoreError> {
    if w.record.uuid != *uuid {
        return Ok(Err(StoreError::Invalid {
            what: "write-back",
            reason: format!(
                "the record is vCon {} but the leased item is vCon {uuid}",
                w.record.uuid
            ),
        }));
    }
    let current: Option<String> = conn
        .prepare_cached("SELECT etag FROM vcons WHERE uuid = ?1")
        .and_then(|mut s| s.query_row([uuid.as_str()], |r| r.get(0)).optional())
        .map_err(|e| sql_error(format!("read the etag of vCon {uuid}"), e))?;
    match current {
        Some(c) if c == w.record.etag.as_str() => Ok(Ok(None)),
        Some(c) if c == w.if_match.as_str() => {
            let mode = PutMode::Replace { if_match: None };
            let (outcome, row) = vw::put(conn, &w.record, body, &[], &mode, now, generation)?;
            Ok(Ok(row.map(|id| (id, vw::created_order_ms(&outcome.meta)))))
        }
        current => Ok(Err(StoreError::PreconditionFailed {
            uuid: uuid.clone(),
            expected: w.if_match.clone(),
            current: current.map(Etag::from_stored),
        })),
    }
}

/// After the commit of a complete operation: what to index of the rows it
/// wrote back, for the indexer (the search fields taken out of the operation).
pub(super) fn take_index(op: &mut Op, reply: &Reply) -> Vec<(i64, Indexed)> {
    let (Op::Complete { items, .. }, Reply::Completed(report)) = (op, reply) else {
        return Vec::new();
    };
    report
        .written
        .iter()
        .filter_map(|w| match items.get_mut(w.item) {
            Some(Completion::Ack {
                write_back: Some(back),
                ..
            }) => Some((
                w.id,
                Indexed {
                    fields: std::mem::take(&mut back.record.index),
                    at_ms: w.at_ms,
                    uuid: back.record.uuid.clone(),
                },
            )),
            _ => None,
        })
        .collect()
}
