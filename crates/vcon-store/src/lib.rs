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
//!
//! ```
//! use vcon_store::{RecordOptions, VconRecord, TermKind};
//!
//! let bytes = br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46",
//!   "created_at":"2026-01-02T03:04:05Z", "subject":"Refund request",
//!   "parties":[{"tel":"tel:+1-555-123-0001","name":"Alice"}],
//!   "dialog":[{"type":"text","parties":[0],"encoding":"none","body":"I want my money back"}]}"#;
//! let record = VconRecord::from_bytes(bytes.to_vec(), &RecordOptions::default()).unwrap();
//! assert!(record.index().terms.iter().any(|t| t.kind == TermKind::Tel && t.value == "+15551230001"));
//! assert!(record.index().text.contains("money back"));
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

pub use backends::sqlite::config::{Durability, SqliteConfig};
pub use backends::sqlite::{MAX_FORWARD, MAX_LEASE, SqliteStore};
pub use backends::{Backend, StoreConfig, open};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{NameError, RecordError, StoreError};
pub use ids::{Etag, ListName, MAX_LIST_NAME_BYTES, VconUuid};
pub use index::{IndexFields, Term, TermKind};
pub use queue::{AckReport, DeadLetter, Lease, LeaseId, MAX_ERROR_BYTES, Queue, QueueStats};
pub use record::{
    DEFAULT_MAX_VCON_BYTES, PutOutcome, PutStatus, RecordOptions, StoredVcon, VconMeta, VconRecord,
};
pub use search::{
    Cursor, MAX_PAGE, MAX_QUERY_TEXT_BYTES, MAX_TAG_FILTERS, Order, Page, SearchQuery, TagFilter,
};
pub use store::Store;
