//! The fast path of [`super::validate_bytes`]: unsigned vCons are parsed into
//! a borrowed [`crate::tree::Node`] tree instead of a `serde_json::Value` (no
//! string copies, no hashing) and checked by the same generic rule code.
//!
//! Everything else goes the reference way (bounded reader, `Value` tree,
//! [`super::validate_object`]): input the fast parser does not take (invalid
//! JSON, limits exceeded: the reader's error is the finding), and signed,
//! encrypted or formless documents. Findings are the same either way; the
//! differential tests in `tests/fast_path.rs` hold the two paths to that.

use super::{Options, Report, validate_tree};
use crate::read::{inflate, is_gzip};
use crate::tree;

/// The report for `bytes`, or `None` when the reference path must decide.
pub(super) fn validate(bytes: &[u8], options: &Options) -> Option<Report> {
    if bytes.len() > options.limits.max_bytes {
        return None;
    }
    if is_gzip(bytes) {
        let inflated = inflate(bytes, options.limits.max_inflated_bytes).ok()?;
        return validate_text(&inflated, options);
    }
    validate_text(bytes, options)
}

fn validate_text(text: &[u8], options: &Options) -> Option<Report> {
    let root = tree::parse(text, options.limits.max_depth).ok()?;
    validate_tree(&root, options)
}
