//! The search rows of one vCon and how they are rewritten.
//!
//! A vCon's search fields live in three places (in the index file, see
//! `index_db`):
//!
//! * its FTS5 row in `vcon_index`: `text` (subject, text dialogs,
//!   transcripts) and `keys`, one token per *party* term (tel, mailto,
//!   name, party uuid);
//! * `vcon_terms (term, id)`: one row per tag, tag name and dialog type;
//! * `vcon_index_state (id, text_hash, terms)`: what the two above hold for
//!   the vCon, so a rewrite changes only what changed;
//! * `vcon_created (vcon_row, at_ms, vcon)`, indexed on `(at_ms, vcon)`:
//!   its place in the created order, for listings in that order and date
//!   filters.
//!
//! Why the created order is here and not an index of `vcons`: `created_at`
//! values arrive in any order (a backfill, calls stored when they end),
//! so each put landed on a leaf of its own in the middle of that index:
//! 35 % of the pages every commit of the writer wrote to the WAL
//! (docs/BENCHMARKS.md, "Writer round 5"). The indexer writes 2,048 rows per
//! transaction, off the acknowledgement's path, so rows share leaves.
//!
//! Why the split: a chain's write-back (a `tag` link, an `expire` link) adds
//! tags and leaves the text and parties alone. With tags in the FTS5 row,
//! each write-back deleted and re-inserted that row, and FTS5's delete
//! markers came to dominate the writer (`fts5MultiIterIsDeleted`, 38 % of its
//! samples). Now a tag-only write-back inserts two B-tree rows and touches no
//! FTS5 row: the FTS5 row is rewritten only when the hash of its content
//! changes. Party terms stay in FTS5 because they are high-cardinality random
//! values: in a B-tree each lands on its own leaf (measured earlier: ~24 WAL
//! frames per put), while FTS5 writes a batch as one log-structured segment.
//! Tags and dialog types take few distinct values, so their `(term, id)` rows
//! are appended at the end of each term's range (ids grow).

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hasher};

use rusqlite::{CachedStatement, Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::expiry;
use super::index_db::Indexed;
use super::schema::sql_error;
use crate::error::StoreError;
use crate::index::{IndexFields, TermKind};

/// The code of a term kind, hashed into its token. Codes are part of the schema: never renumber.
fn kind_code(kind: TermKind) -> u8 {
    match kind {
        TermKind::Tel => 1,
        TermKind::Mailto => 2,
        TermKind::Name => 3,
        TermKind::PartyUuid => 4,
        TermKind::Tag => 5,
        TermKind::TagName => 6,
        TermKind::DialogType => 7,
    }
}

/// Whether terms of `kind` are rows of `vcon_terms` (else tokens of the
/// FTS5 `keys` column).
pub(super) fn in_term_table(kind: TermKind) -> bool {
    matches!(
        kind,
        TermKind::Tag | TermKind::TagName | TermKind::DialogType
    )
}

/// The first 8 bytes of SHA-256(kind code, normalised value). Two different
/// terms share them with probability about n²/2⁶⁵ for n distinct terms
/// (under 10⁻⁷ for 10⁶): a false hit, never a miss.
fn term_hash(kind: TermKind, normalized: &str) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update([kind_code(kind)]);
    h.update(normalized.as_bytes());
    first_8(&h.finalize())
}

fn first_8(digest: &[u8]) -> [u8; 8] {
    let mut out = [0; 8];
    out.copy_from_slice(&digest[..8]);
    out
}

/// The `keys` token of a term: `k` + [`term_hash`] in lower-case hex.
pub(super) fn term_token(kind: TermKind, normalized: &str) -> String {
    let mut out = String::with_capacity(17);
    push_token(&mut out, kind, normalized);
    out
}

/// Appends [`term_token`] to `out` (no formatting machinery, no allocation
/// past `out`'s own: the writer makes several per vCon).
fn push_token(out: &mut String, kind: TermKind, normalized: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('k');
    for b in term_hash(kind, normalized) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
}

/// The `term` of a `vcon_terms` row: [`term_hash`] as an integer.
pub(super) fn term_id(kind: TermKind, normalized: &str) -> i64 {
    i64::from_be_bytes(term_hash(kind, normalized))
}

/// The hash of an FTS5 row's content (`text`, `keys`), kept in
/// `vcon_index_state` only to tell whether a rewrite changes the row.
///
/// SipHash-1-3 (`std`'s `DefaultHasher` with its fixed keys), not SHA-256:
/// it reads the whole text of every vCon indexed, and SHA-256 was a fifth
/// of the indexer's instructions where the CPU has no SHA extensions (an
/// older x86 server, or valgrind). `std` does not promise the same
/// algorithm in every release; if a toolchain upgrade changes it, each
/// vCon's next rewrite finds the hash changed and rewrites its FTS5 row
/// once, which is correct, only not spared. A collision (about 2⁻⁶⁴ per
/// rewrite) would leave a changed row's old content in the index.
fn content_hash(text: &str, keys: &str) -> i64 {
    let mut h = DefaultHasher::new();
    h.write(text.as_bytes());
    h.write_u8(0);
    h.write(keys.as_bytes());
    i64::from_ne_bytes(h.finish().to_ne_bytes())
}

/// What one vCon's search rows hold.
struct SearchRows<'f> {
    /// The FTS5 row's columns (the text borrowed from the fields, not
    /// copied) and the hash of both; `None` when both are empty (no row).
    fts: Option<(&'f str, String, i64)>,
    /// The `vcon_terms` rows' terms.
    terms: BTreeSet<i64>,
}

impl<'f> SearchRows<'f> {
    fn of(fields: &'f IndexFields) -> Self {
        let mut keys = String::new();
        let mut terms = BTreeSet::new();
        for t in &fields.terms {
            if in_term_table(t.kind) {
                terms.insert(term_id(t.kind, &t.value));
            } else {
                if !keys.is_empty() {
                    keys.push(' ');
                }
                push_token(&mut keys, t.kind, &t.value);
            }
        }
        let fts = (!keys.is_empty() || !fields.text.is_empty()).then(|| {
            let hash = content_hash(&fields.text, &keys);
            (fields.text.as_str(), keys, hash)
        });
        Self { fts, terms }
    }

    fn text_hash(&self) -> Option<i64> {
        self.fts.as_ref().map(|(_, _, h)| *h)
    }

    fn terms_blob(&self) -> Vec<u8> {
        self.terms.iter().flat_map(|t| t.to_be_bytes()).collect()
    }
}

/// What `vcon_index_state` says a row has: its FTS5 content hash (`None`:
/// no FTS5 row) and its `vcon_terms` terms.
type StoredState = (Option<i64>, Vec<i64>);

/// Writes and removes vCons' search rows, with its statements prepared once
/// for a whole index transaction (not looked up again for every row).
pub(super) struct RowWriter<'c> {
    conn: &'c Connection,
    read_state: CachedStatement<'c>,
    insert_fts: CachedStatement<'c>,
    delete_fts: CachedStatement<'c>,
    insert_term: CachedStatement<'c>,
    delete_term: CachedStatement<'c>,
    insert_state: CachedStatement<'c>,
    update_state: CachedStatement<'c>,
    delete_state: CachedStatement<'c>,
    set_created: CachedStatement<'c>,
    delete_created: CachedStatement<'c>,
}

impl<'c> RowWriter<'c> {
    /// The statements, on `conn` (the index transaction's connection).
    pub fn new(conn: &'c Connection) -> Result<Self, StoreError> {
        let prepare = |sql: &str| {
            conn.prepare_cached(sql)
                .map_err(|e| sql_error("prepare the search index's statements", e))
        };
        Ok(Self {
            conn,
            read_state: prepare("SELECT text_hash, terms FROM vcon_index_state WHERE id = ?1")?,
            insert_fts: prepare("INSERT INTO vcon_index (rowid, text, keys) VALUES (?1, ?2, ?3)")?,
            delete_fts: prepare("DELETE FROM vcon_index WHERE rowid = ?1")?,
            insert_term: prepare("INSERT OR IGNORE INTO vcon_terms (term, id) VALUES (?1, ?2)")?,
            delete_term: prepare("DELETE FROM vcon_terms WHERE term = ?1 AND id = ?2")?,
            insert_state: prepare(
                "INSERT INTO vcon_index_state (id, text_hash, terms) VALUES (?1, ?2, ?3)",
            )?,
            update_state: prepare(
                "UPDATE vcon_index_state SET text_hash = ?2, terms = ?3 WHERE id = ?1",
            )?,
            delete_state: prepare("DELETE FROM vcon_index_state WHERE id = ?1")?,
            set_created: prepare(
                "INSERT INTO vcon_created (vcon_row, at_ms, vcon) VALUES (?1, ?2, ?3)
                 ON CONFLICT (vcon_row) DO UPDATE SET at_ms = excluded.at_ms, vcon = excluded.vcon
                 WHERE at_ms <> excluded.at_ms OR vcon <> excluded.vcon",
            )?,
            delete_created: prepare("DELETE FROM vcon_created WHERE vcon_row = ?1")?,
        })
    }

    /// The [`StoredState`] of row `id`; `None` when it has no search rows.
    fn stored_state(&mut self, id: i64) -> Result<Option<StoredState>, StoreError> {
        self.read_state
            .query_row([id], |r| {
                let hash: Option<i64> = r.get(0)?;
                let blob: Vec<u8> = r.get(1)?;
                let terms = blob
                    .chunks_exact(8)
                    .map(|c| i64::from_be_bytes(first_8(c)))
                    .collect();
                Ok((hash, terms))
            })
            .optional()
            .map_err(|e| sql_error(format!("read the search state of vCon row {id}"), e))
    }

    /// Makes the rows of vCon row `id` say `indexed`, writing only what
    /// differs from what they say now: the FTS5 row only when its content
    /// hash changed, `vcon_terms` rows only for terms added or dropped, the
    /// created order only when the place changed. `new_row`: the row was
    /// inserted since its last indexing and has no search rows (a created
    /// vCon), so there is no state to read.
    pub fn write(&mut self, id: i64, indexed: &Indexed, new_row: bool) -> Result<(), StoreError> {
        exec(
            &mut self.set_created,
            id,
            params![id, indexed.at_ms, indexed.uuid.as_str()],
        )?;
        let fields = &indexed.fields;
        let new = SearchRows::of(fields);
        let stored = if new_row {
            None
        } else {
            self.stored_state(id)?
        };
        let Some((old_hash, old_terms)) = stored else {
            if let Some((text, keys, _)) = &new.fts {
                exec(&mut self.insert_fts, id, params![id, text, keys])?;
            }
            for term in &new.terms {
                exec(&mut self.insert_term, id, params![term, id])?;
            }
            if fields.expires_ms.is_some() {
                expiry::set(self.conn, id, fields.expires_ms)?;
            }
            return exec(
                &mut self.insert_state,
                id,
                params![id, new.text_hash(), new.terms_blob()],
            );
        };
        let text_changed = old_hash != new.text_hash();
        if text_changed {
            if old_hash.is_some() {
                exec(&mut self.delete_fts, id, [id])?;
            }
            if let Some((text, keys, _)) = &new.fts {
                exec(&mut self.insert_fts, id, params![id, text, keys])?;
            }
        }
        let old_terms: BTreeSet<i64> = old_terms.into_iter().collect();
        for gone in old_terms.difference(&new.terms) {
            exec(&mut self.delete_term, id, params![gone, id])?;
        }
        for added in new.terms.difference(&old_terms) {
            exec(&mut self.insert_term, id, params![added, id])?;
        }
        expiry::set(self.conn, id, fields.expires_ms)?;
        if text_changed || old_terms != new.terms {
            exec(
                &mut self.update_state,
                id,
                params![id, new.text_hash(), new.terms_blob()],
            )?;
        }
        Ok(())
    }

    /// Removes every row of vCon row `id`: search rows, expiry, place in
    /// the created order.
    pub fn remove(&mut self, id: i64) -> Result<(), StoreError> {
        expiry::set(self.conn, id, None)?;
        exec(&mut self.delete_created, id, [id])?;
        let Some((hash, terms)) = self.stored_state(id)? else {
            return Ok(());
        };
        if hash.is_some() {
            exec(&mut self.delete_fts, id, [id])?;
        }
        for term in terms {
            exec(&mut self.delete_term, id, params![term, id])?;
        }
        exec(&mut self.delete_state, id, [id])
    }
}

fn exec(
    stmt: &mut CachedStatement<'_>,
    id: i64,
    params: impl rusqlite::Params,
) -> Result<(), StoreError> {
    stmt.execute(params)
        .map(|_| ())
        .map_err(|e| sql_error(format!("index vCon row {id}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_k_and_the_term_hash_in_lower_case_hex() {
        for (kind, value) in [
            (TermKind::Tel, "+15551230001"),
            (TermKind::Name, "alice martin"),
            (TermKind::Tag, ""),
        ] {
            let expected: String = std::iter::once("k".to_owned())
                .chain(term_hash(kind, value).iter().map(|b| format!("{b:02x}")))
                .collect();
            assert_eq!(term_token(kind, value), expected);
            let mut appended = String::from("x ");
            push_token(&mut appended, kind, value);
            assert_eq!(appended, format!("x {expected}"));
        }
    }
}
