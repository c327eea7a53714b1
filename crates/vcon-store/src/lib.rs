//! # vcon-store
//!
//! Durable storage, search and queues for vCons, for `vcon serve` and its
//! processing chains.
//!
//! * [`Store`]: vCon bytes kept exactly as received (unsigned, signed or
//!   encrypted form), with metadata, idempotent puts, If-Match replaces,
//!   cursor paging and search (party tel/mailto/name/uuid, tags, dialog
//!   type, `created_at` range, full text).
//! * [`Queue`]: durable named lists with leases, retries, dead letters and
//!   conserver-style egress pops.
//! * [`Store::put_and_enqueue`]: store and queue in one transaction, so an
//!   acknowledged vCon is both.
//!
//! Records are made with [`VconRecord::from_bytes`], which reads the vCon
//! with `vcon-core` and extracts its search fields once, on the caller's
//! task. Both traits are object-safe (`Arc<dyn Store>`, `Arc<dyn Queue>`).
//! The embedded backend ([`SqliteStore`]) and the reasons for its design
//! (group commit, durability levels, batched FTS5 indexing, schema) are
//! described in the crate's `README.md`.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use std::time::Duration;
//! use vcon_store::{open, ListName, RecordOptions, SearchQuery, SqliteConfig, StoreConfig, VconRecord};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let backend = open(StoreConfig::Sqlite(SqliteConfig::in_dir(dir.path()))).unwrap();
//!
//! let bytes = br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46",
//!   "created_at":"2026-01-02T03:04:05Z", "subject":"Refund request",
//!   "parties":[{"tel":"tel:+1-555-123-0001","name":"Alice"}],
//!   "dialog":[{"type":"text","parties":[0],"encoding":"none","body":"I want my money back"}]}"#;
//! let record = VconRecord::from_bytes(bytes.to_vec(), &RecordOptions::default()).unwrap();
//! let ingress = ListName::new("default").unwrap();
//! backend.store.put_and_enqueue(record, &[ingress.clone()]).await.unwrap();
//!
//! // Found by a party's number, however it is written, and by its words.
//! let q = SearchQuery { tel: Some("+15551230001".into()), text: Some("money".into()), ..Default::default() };
//! let page = backend.store.search(&q).await.unwrap();
//! assert_eq!(page.items[0].uuid.as_str(), "019f15a6-a752-826f-b9a2-279e0d16bc46");
//!
//! // A worker takes it from the list, reads the bytes exactly as received, and acknowledges.
//! let lease = backend.queue.lease(&ingress, 10, Duration::from_secs(60)).await.unwrap().remove(0);
//! let stored = backend.store.get(&lease.uuid).await.unwrap().unwrap();
//! assert_eq!(&stored.bytes[..], &bytes[..]);
//! backend.queue.ack(&[lease.id]).await.unwrap();
//! backend.store.shutdown().await.unwrap();
//! # });
//! ```

mod backends;
mod clock;
mod error;
mod ids;
mod index;
mod queue;
mod record;
mod search;
mod store;

pub use backends::sqlite::config::{
    DEFAULT_CHECKPOINTER_NICE, DEFAULT_INDEXER_NICE, Durability, SqliteConfig,
};
pub use backends::sqlite::{MAX_FORWARD, MAX_LEASE, SqliteStore};
pub use backends::{Backend, StoreConfig, open};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{NameError, RecordError, StoreError};
pub use ids::{Etag, ListName, MAX_LIST_NAME_BYTES, VconUuid};
pub use index::{EXPIRES_AT_TAG, IndexFields, Term, TermKind};
pub use queue::{
    AckReport, Completed, Completion, DeadLetter, Lease, LeaseId, MAX_ERROR_BYTES, Queue,
    QueueStats, WriteBack,
};
pub use record::{
    DEFAULT_MAX_VCON_BYTES, PutOutcome, PutStatus, RecordOptions, StoredVcon, VconMeta, VconRecord,
};
pub use search::{
    Cursor, MAX_PAGE, MAX_QUERY_TEXT_BYTES, MAX_TAG_FILTERS, Order, Page, SearchQuery, TagFilter,
};
pub use store::Store;
