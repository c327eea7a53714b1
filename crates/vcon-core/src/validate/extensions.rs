//! Rules for extensions (to be filled).

use serde_json::{Map, Value};

use super::Ctx;

/// Runs the rules of this module.
pub(super) fn check(_ctx: &mut Ctx<'_>, _object: &Map<String, Value>) {}
