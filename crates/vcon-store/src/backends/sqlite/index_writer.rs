//! Deferred indexing: the search rows of newly stored vCons are written in
//! batches of [`INDEX_BATCH`], not one small FTS5 transaction per commit.
//!
//! FTS5 pays per transaction (a new segment, its structure record, merge
//! work): written with every group commit of a few puts, the index cost
//! about two thirds of the writer's time. So a put commits the vCon row, its
//! queue items and its id in `index_pending`; the writer keeps the extracted
//! fields in memory and indexes them later in one transaction, when
//! [`INDEX_BATCH`] are waiting, when a search asks for it (so searches still
//! see every acknowledged write), or at shutdown.
//!
//! A row in `index_pending` has search rows that are missing (a new vCon) or
//! stale (a replaced one): the flush rewrites only what changed
//! (`index_rows::write_index`), and removes the mark in the same
//! transaction. Searches flush first, so they never see stale rows. After a
//! crash, `index_pending` says what to index again from the stored bytes
//! ([`PendingIndex::recover`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::{Connection, params};

use super::index_rows::write_index;
use super::schema::sql_error;
use crate::error::StoreError;
use crate::index::{IndexFields, extract};
use crate::record::RecordOptions;

/// How many vCons are indexed in one transaction.
pub(super) const INDEX_BATCH: usize = 256;

/// Indexing also starts when the waiting text passes this many bytes.
const MAX_PENDING_TEXT: usize = 8 * 1024 * 1024;

/// Search fields waiting to be indexed, by vCon row id. `index_pending` is
/// the authority: an entry whose id left it (the vCon was deleted) is dropped.
pub(super) struct PendingIndex {
    entries: BTreeMap<i64, Waiting>,
    text_bytes: usize,
    /// Entries waiting, shared with readers so a search knows whether to ask for a flush.
    count: Arc<AtomicUsize>,
}

/// The search fields of one waiting row.
struct Waiting {
    fields: IndexFields,
    /// The row was inserted by the put that sent these fields, so it has
    /// no search rows yet (`index_rows::write_index` skips its state lookup).
    new_row: bool,
}

impl PendingIndex {
    /// Indexes the vCons left unindexed by the previous process (or by a
    /// schema migration, which marks every row), re-extracted from their
    /// bytes [`INDEX_BATCH`] at a time, so memory stays bounded however many
    /// there are.
    pub fn recover(conn: &mut Connection, count: Arc<AtomicUsize>) -> Result<Self, StoreError> {
        let mut pending = Self {
            entries: BTreeMap::new(),
            text_bytes: 0,
            count,
        };
        let options = RecordOptions {
            max_bytes: usize::MAX,
            ..RecordOptions::default()
        };
        let mut after = i64::MIN;
        loop {
            let rows: Vec<(i64, Vec<u8>)> = conn
                .prepare_cached(
                    "SELECT v.id, v.body FROM index_pending p JOIN vcons v ON v.id = p.id
                     WHERE p.id > ?1 ORDER BY p.id LIMIT ?2",
                )
                .and_then(|mut s| {
                    s.query_map(params![after, INDEX_BATCH as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .and_then(|rows| rows.collect())
                })
                .map_err(|e| sql_error("read vCons left unindexed", e))?;
            let Some(&(last, _)) = rows.last() else {
                return Ok(pending);
            };
            after = last;
            for (id, body) in rows {
                let fields = extract(&body, &options)
                    .map(|x| x.index)
                    .unwrap_or_default();
                pending.add(id, fields, false);
            }
            pending.flush_all(conn)?;
        }
    }

    /// Records the fields of a committed row; `new_row` when that commit
    /// inserted the row (a put that created the vCon), so it has no search
    /// rows yet. Fields recorded later for the same row replace these.
    pub fn add(&mut self, id: i64, fields: IndexFields, new_row: bool) {
        self.text_bytes += fields.text.len();
        if let Some(old) = self.entries.insert(id, Waiting { fields, new_row }) {
            self.text_bytes = self.text_bytes.saturating_sub(old.fields.text.len());
        }
        self.count.store(self.entries.len(), Ordering::Release);
    }

    /// Whether enough is waiting to index now.
    pub fn is_full(&self) -> bool {
        self.entries.len() >= INDEX_BATCH || self.text_bytes >= MAX_PENDING_TEXT
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Indexes up to [`INDEX_BATCH`] waiting vCons in one transaction; on
    /// failure they stay waiting.
    pub fn flush_some(&mut self, conn: &mut Connection) -> Result<(), StoreError> {
        let ids: Vec<i64> = self.entries.keys().take(INDEX_BATCH).copied().collect();
        let tx = conn
            .transaction()
            .map_err(|e| sql_error("begin an index transaction", e))?;
        {
            let mut unpend = tx
                .prepare_cached("DELETE FROM index_pending WHERE id = ?1")
                .map_err(|e| sql_error("index pending vCons", e))?;
            for id in &ids {
                let was_pending = unpend
                    .execute(params![id])
                    .map_err(|e| sql_error(format!("index vCon row {id}"), e))?;
                if let (1, Some(w)) = (was_pending, self.entries.get(id)) {
                    write_index(&tx, *id, &w.fields, w.new_row)?;
                }
            }
        }
        tx.commit().map_err(|e| sql_error("commit the index", e))?;
        for id in ids {
            if let Some(w) = self.entries.remove(&id) {
                self.text_bytes = self.text_bytes.saturating_sub(w.fields.text.len());
            }
        }
        self.count.store(self.entries.len(), Ordering::Release);
        Ok(())
    }

    /// Indexes everything waiting.
    pub fn flush_all(&mut self, conn: &mut Connection) -> Result<(), StoreError> {
        while !self.is_empty() {
            self.flush_some(conn)?;
        }
        Ok(())
    }
}
