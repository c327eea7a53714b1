//! The [`Store`] trait: durable, searchable storage of vCon bytes.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::StoreError;
use crate::ids::{Etag, ListName, VconUuid};
use crate::record::{PutOutcome, StoredVcon, VconMeta, VconRecord};
use crate::search::{Order, Page, SearchQuery};

/// Durable storage of vCons, byte for byte, with metadata and search.
///
/// Object-safe: use it as `Arc<dyn Store>`. Every write is acknowledged only
/// once it is committed with the store's durability (for the SQLite backend
/// with [`crate::Durability::Full`]: fsynced).
#[async_trait]
pub trait Store: Send + Sync {
    /// Stores a new vCon. Idempotent: the same uuid with identical bytes
    /// gives [`crate::PutStatus::AlreadyStored`] and changes nothing; the
    /// same uuid with other bytes is [`StoreError::Conflict`].
    async fn put(&self, record: VconRecord) -> Result<PutOutcome, StoreError> {
        self.put_and_enqueue(record, &[]).await
    }

    /// [`Store::put`], and appends the uuid to each list of `lists` in the
    /// same transaction: an acknowledged vCon is both stored and queued.
    /// When the vCon was already stored with the same bytes nothing is
    /// queued (a retried request is not processed twice).
    async fn put_and_enqueue(
        &self,
        record: VconRecord,
        lists: &[ListName],
    ) -> Result<PutOutcome, StoreError>;

    /// Stores `record` in place of the vCon of the same uuid. With
    /// `if_match`, the stored etag must equal it ([`StoreError::PreconditionFailed`]
    /// otherwise, also when nothing is stored); without, it creates or
    /// replaces. Identical bytes give [`crate::PutStatus::AlreadyStored`].
    async fn replace(
        &self,
        record: VconRecord,
        if_match: Option<&Etag>,
    ) -> Result<PutOutcome, StoreError> {
        self.replace_and_enqueue(record, if_match, &[]).await
    }

    /// [`Store::replace`], and appends the uuid to each list of `lists` in
    /// the same transaction when the bytes changed.
    async fn replace_and_enqueue(
        &self,
        record: VconRecord,
        if_match: Option<&Etag>,
        lists: &[ListName],
    ) -> Result<PutOutcome, StoreError>;

    /// The bytes exactly as received, with metadata.
    async fn get(&self, uuid: &VconUuid) -> Result<Option<StoredVcon>, StoreError>;

    /// Several vCons at once, in the order asked (`None` where absent).
    async fn get_many(&self, uuids: &[VconUuid]) -> Result<Vec<Option<StoredVcon>>, StoreError>;

    /// The metadata alone.
    async fn head(&self, uuid: &VconUuid) -> Result<Option<VconMeta>, StoreError>;

    /// Deletes a vCon and its index entries; with `if_match`, only when the
    /// stored etag equals it. Returns whether something was deleted. Queue
    /// items naming the uuid stay (a worker finds the vCon gone).
    async fn delete(&self, uuid: &VconUuid, if_match: Option<&Etag>) -> Result<bool, StoreError>;

    /// Every vCon, in `order`, a page at a time (`limit` as in [`SearchQuery::limit`]).
    async fn list(
        &self,
        order: Order,
        cursor: Option<&crate::Cursor>,
        limit: u32,
    ) -> Result<Page, StoreError> {
        let query = SearchQuery {
            order,
            cursor: cursor.cloned(),
            limit,
            ..SearchQuery::default()
        };
        self.search(&query).await
    }

    /// The vCons matching every filter of `query`, a page at a time.
    async fn search(&self, query: &SearchQuery) -> Result<Page, StoreError>;

    /// How many vCons match the filters of `query` (its order, cursor and
    /// limit are ignored; the default query counts everything).
    async fn count(&self, query: &SearchQuery) -> Result<u64, StoreError>;

    /// Rebuilds the search index of every stored vCon from its bytes (after
    /// an upgrade that indexes more fields); returns how many were indexed.
    async fn reindex(&self) -> Result<u64, StoreError>;

    /// Up to `limit` vCons whose expiry (their tag `expires_at`, see
    /// [`crate::EXPIRES_AT_TAG`]) is at or before `now`, oldest first,
    /// each with the etag it had when found. Erase them with
    /// [`Store::delete`] given that etag, so that a vCon replaced meanwhile
    /// (its expiry perhaps moved) is kept.
    async fn expired(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(VconUuid, Etag)>, StoreError>;

    /// Checks that the store can serve: the writer runs and a read works.
    async fn health(&self) -> Result<(), StoreError>;

    /// vCons written whose search rows are not written yet (the search
    /// index's backlog), for metrics; `None` when the backend indexes as
    /// it writes.
    fn index_backlog(&self) -> Option<u64> {
        None
    }

    /// How long writes have waited, in all, for the search index to catch
    /// up (its queue full: the back-pressure of indexing on ingest), for
    /// metrics; `None` when the backend indexes as it writes.
    fn index_held(&self) -> Option<Duration> {
        None
    }

    /// Bytes the store's files take on disk now, for metrics; `None` when
    /// the backend's storage is not local files.
    fn disk_bytes(&self) -> Option<u64> {
        None
    }

    /// Finishes pending writes and closes. Later calls get [`StoreError::Closed`].
    /// Dropping the store without calling this loses no acknowledged write.
    async fn shutdown(&self) -> Result<(), StoreError>;
}
