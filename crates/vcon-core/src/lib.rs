//! # vcon-core
//!
//! The vCon data model and its rules, after draft-ietf-vcon-vcon-core-03
//! (syntax `"0.4.0"`): a bounded reader, a validator that cites the numbered
//! rules of the implementers' digest, legacy migration (0.0.1 to 0.3.0),
//! `content_hash` tokens and UUIDv8 ids. It takes bytes and returns values:
//! no network, no disk.
//!
//! ```
//! use vcon_core::validate::{validate_bytes, Options, Profile};
//!
//! let bytes = br#"{
//!   "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
//!   "created_at": "2026-06-29T23:11:19Z",
//!   "parties": [{"tel": "+12345678901", "name": "Alice", "validation": "none"}],
//!   "dialog": [{"type": "text", "start": "2026-06-29T23:11:19Z", "parties": [0],
//!               "mediatype": "text/plain", "encoding": "none", "body": "Hi"}]
//! }"#;
//! let report = validate_bytes(bytes, &Options::with_profile(Profile::Strict));
//! assert!(report.is_valid(), "{:?}", report.findings);
//! ```

pub mod amend;
pub mod build;
pub mod form;
pub mod hash;
pub mod id;
pub mod lineage;
pub mod migrate;
pub mod model;
pub mod read;
pub mod redact;
pub mod tags;
pub mod tree;
pub mod validate;
pub mod version;

pub use form::Form;
pub use read::{Document, ReadError, ReadLimits, read};
pub use validate::{
    Finding, Options, Profile, Report, Severity, validate_bytes, validate_object, validate_tree,
};
