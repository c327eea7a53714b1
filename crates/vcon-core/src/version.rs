//! Syntax versions of the vCon format (digest §0.1) and their detection.
//!
//! The `vcon` member is deprecated and optional, so a legacy vCon is also
//! recognised by the members only older syntaxes use (`mimetype`, `alg` +
//! `signature`, `appended`, `must_support`, hyphenated transfer members,
//! dialog `interaction`, analysis `vendor_schema`, inline content in a
//! redacted/appended object, ...). `crate::migrate` removes every one of them.

use serde::Serialize;

use crate::tree::{Json, JsonObj};

/// A syntax version of the vCon JSON format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Syntax {
    /// draft-petrie-vcon and container-00/-01.
    #[serde(rename = "0.0.1")]
    V0_0_1,
    /// container-02/-03.
    #[serde(rename = "0.0.2")]
    V0_0_2,
    /// core-00.
    #[serde(rename = "0.3.0")]
    V0_3_0,
    /// core-01 to core-03, the current syntax.
    #[serde(rename = "0.4.0")]
    V0_4_0,
}

impl Syntax {
    /// The version string, such as `"0.4.0"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V0_0_1 => "0.0.1",
            Self::V0_0_2 => "0.0.2",
            Self::V0_3_0 => "0.3.0",
            Self::V0_4_0 => "0.4.0",
        }
    }

    /// Parses a version string.
    pub fn from_str_opt(s: &str) -> Option<Self> {
        match s {
            "0.0.1" => Some(Self::V0_0_1),
            "0.0.2" => Some(Self::V0_0_2),
            "0.3.0" => Some(Self::V0_3_0),
            "0.4.0" => Some(Self::V0_4_0),
            _ => None,
        }
    }
}

impl std::fmt::Display for Syntax {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a document says about its syntax version, and what it looks like.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionInfo {
    /// The `vcon` member, when it is a string.
    pub declared: Option<String>,
    /// The syntax the members point to (the oldest one any member needs).
    pub detected: Syntax,
    /// Why: the member that decided, as a JSON pointer and name, or "declared".
    pub evidence: String,
}

impl VersionInfo {
    /// For documents that could not be read.
    pub fn unknown() -> Self {
        Self {
            declared: None,
            detected: Syntax::V0_4_0,
            evidence: String::new(),
        }
    }

    /// Whether the document uses a syntax older than 0.4.0.
    pub fn is_legacy(&self) -> bool {
        self.detected < Syntax::V0_4_0
    }
}

/// Finds the syntax version of a top-level unsigned vCon object.
///
/// ```
/// use vcon_core::version::{detect, Syntax};
/// let v = serde_json::json!({"dialog": [{"type": "text", "mimetype": "text/plain"}]});
/// let info = detect(v.as_object().unwrap());
/// assert_eq!(info.detected, Syntax::V0_0_1);
/// assert_eq!(info.evidence, "/dialog/0/mimetype");
/// ```
pub fn detect<O: JsonObj>(object: &O) -> VersionInfo {
    let declared = object.get("vcon").and_then(Json::as_str).map(str::to_owned);
    let declared_syntax = declared.as_deref().and_then(Syntax::from_str_opt);
    let (marker, evidence) = oldest_marker(object).unwrap_or((Syntax::V0_4_0, String::new()));
    match declared_syntax {
        Some(d) if d <= marker => VersionInfo {
            declared,
            detected: d,
            evidence: "declared by the `vcon` member".to_owned(),
        },
        _ => VersionInfo {
            declared,
            detected: marker,
            evidence,
        },
    }
}

fn oldest_marker<O: JsonObj>(object: &O) -> Option<(Syntax, String)> {
    let mut best: Option<(Syntax, String)> = None;
    let mut note = |syntax: Syntax, pointer: String| {
        if best.as_ref().is_none_or(|(s, _)| syntax < *s) {
            best = Some((syntax, pointer));
        }
    };
    for key in ["appended", "must_support", "must_understand"] {
        if object.contains_key(key) {
            note(Syntax::V0_3_0, format!("/{key}"));
        }
    }
    if object
        .get("group")
        .and_then(Json::as_array)
        .is_some_and(|a| !a.is_empty())
    {
        note(Syntax::V0_3_0, "/group".to_owned());
    }
    // Redacted/appended/amended objects became reference-only in 0.3.0.
    for key in ["redacted", "appended", "amended"] {
        if let Some(reference) = object.get(key).and_then(Json::as_object) {
            if reference.contains_key("body") {
                note(Syntax::V0_0_2, format!("/{key}/body"));
            }
            if reference.contains_key("alg") && reference.contains_key("signature") {
                note(Syntax::V0_0_1, format!("/{key}/alg"));
            }
        }
    }
    for array in ["dialog", "attachments", "analysis", "group"] {
        let Some(items) = object.get(array).and_then(Json::as_array) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let Some(item) = item.as_object() else {
                continue;
            };
            let keys = ItemKeys::of(item);
            if keys.mimetype {
                note(Syntax::V0_0_1, format!("/{array}/{i}/mimetype"));
            }
            if keys.alg && keys.signature {
                note(Syntax::V0_0_1, format!("/{array}/{i}/alg"));
            }
            match array {
                "dialog" => {
                    if keys.transfer_target {
                        note(Syntax::V0_0_2, format!("/{array}/{i}/transfer-target"));
                    }
                    if keys.target_dialog {
                        note(Syntax::V0_0_2, format!("/{array}/{i}/target-dialog"));
                    }
                    if keys.interaction {
                        note(Syntax::V0_0_1, format!("/{array}/{i}/interaction"));
                    }
                    if keys.session_id_string {
                        note(Syntax::V0_3_0, format!("/{array}/{i}/session_id"));
                    }
                }
                "attachments" if keys.type_not_lawful_basis && !keys.purpose => {
                    note(Syntax::V0_3_0, format!("/{array}/{i}/type"));
                }
                "analysis" => {
                    if keys.schema_version {
                        note(Syntax::V0_3_0, format!("/{array}/{i}/schema_version"));
                    }
                    if keys.vendor_schema {
                        note(Syntax::V0_3_0, format!("/{array}/{i}/vendor_schema"));
                    }
                }
                _ => {}
            }
        }
    }
    best
}

/// The members of an array element that mark a legacy syntax, found in one
/// pass over its members (names are unique in both trees, so this is what
/// looking each name up would find).
#[derive(Default)]
struct ItemKeys {
    mimetype: bool,
    alg: bool,
    signature: bool,
    transfer_target: bool,
    target_dialog: bool,
    interaction: bool,
    /// `session_id` is present and a string.
    session_id_string: bool,
    /// `type` is present and not the string `lawful_basis`.
    type_not_lawful_basis: bool,
    purpose: bool,
    schema_version: bool,
    vendor_schema: bool,
}

impl ItemKeys {
    fn of<O: JsonObj>(item: &O) -> Self {
        let mut keys = Self::default();
        for (name, value) in item.members() {
            match name {
                "mimetype" => keys.mimetype = true,
                "alg" => keys.alg = true,
                "signature" => keys.signature = true,
                "transfer-target" => keys.transfer_target = true,
                "target-dialog" => keys.target_dialog = true,
                "interaction" => keys.interaction = true,
                "session_id" => keys.session_id_string = value.is_string(),
                "type" => keys.type_not_lawful_basis = value.as_str() != Some("lawful_basis"),
                "purpose" => keys.purpose = true,
                "schema_version" => keys.schema_version = true,
                "vendor_schema" => keys.vendor_schema = true,
                _ => {}
            }
        }
        keys
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn detected(v: Value) -> (Syntax, String) {
        let info = detect(v.as_object().unwrap());
        (info.detected, info.evidence)
    }

    #[test]
    fn declared_version_wins_when_not_contradicted() {
        let (s, e) = detected(json!({"vcon": "0.0.2", "amended": {"uuid": "u"}, "parties": []}));
        assert_eq!(s, Syntax::V0_0_2);
        assert!(e.contains("declared"));
        let (s, e) = detected(json!({"vcon": "0.4.0", "dialog": [{"mimetype": "text/plain"}]}));
        assert_eq!((s, e.as_str()), (Syntax::V0_0_1, "/dialog/0/mimetype"));
    }

    #[test]
    fn current_documents_are_not_legacy() {
        let v = json!({"vcon": "0.4.0", "group": [], "redacted": {}, "amended": {"uuid": "u"},
                       "attachments": [{"type": "lawful_basis"}, {"type": "x", "purpose": "x"}],
                       "dialog": [{"session_id": {"local": "a", "remote": "b"}}]});
        assert!(!detect(v.as_object().unwrap()).is_legacy());
        assert!(!detect(&Map::new()).is_legacy());
    }

    #[test]
    fn markers() {
        for (v, syntax, pointer) in [
            (
                json!({"dialog": [{}, {"interaction": "x"}]}),
                Syntax::V0_0_1,
                "/dialog/1/interaction",
            ),
            (
                json!({"dialog": [{"transfer-target": 1}]}),
                Syntax::V0_0_2,
                "/dialog/0/transfer-target",
            ),
            (
                json!({"dialog": [{"session_id": "abc"}]}),
                Syntax::V0_3_0,
                "/dialog/0/session_id",
            ),
            (
                json!({"analysis": [{"vendor_schema": "x"}]}),
                Syntax::V0_3_0,
                "/analysis/0/vendor_schema",
            ),
            (
                json!({"analysis": [{"schema_version": "x"}]}),
                Syntax::V0_3_0,
                "/analysis/0/schema_version",
            ),
            (
                json!({"attachments": [{"type": "x"}]}),
                Syntax::V0_3_0,
                "/attachments/0/type",
            ),
            (
                json!({"must_understand": ["x"]}),
                Syntax::V0_3_0,
                "/must_understand",
            ),
            (
                json!({"must_support": ["x"]}),
                Syntax::V0_3_0,
                "/must_support",
            ),
            (json!({"appended": null}), Syntax::V0_3_0, "/appended"),
            (json!({"group": [{"uuid": "g"}]}), Syntax::V0_3_0, "/group"),
            (
                json!({"redacted": {"uuid": "u", "body": "x"}}),
                Syntax::V0_0_2,
                "/redacted/body",
            ),
            (
                json!({"amended": {"alg": "SHA-512", "signature": "x"}}),
                Syntax::V0_0_1,
                "/amended/alg",
            ),
            (
                json!({"group": [{"alg": "SHA-512", "signature": "x"}]}),
                Syntax::V0_0_1,
                "/group/0/alg",
            ),
            (
                json!({"attachments": [{"mimetype": "x"}]}),
                Syntax::V0_0_1,
                "/attachments/0/mimetype",
            ),
        ] {
            assert_eq!(detected(v), (syntax, pointer.to_owned()));
        }
    }
}
