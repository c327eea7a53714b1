//! Syntax versions of the vCon format (digest §0.1) and their detection.
//!
//! The `vcon` member is deprecated and optional, so a legacy vCon is also
//! recognised by the members only older syntaxes use (`mimetype`, `alg` +
//! `signature`, `appended`, `must_support`, hyphenated transfer members, ...).

use serde::Serialize;
use serde_json::{Map, Value};

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
pub fn detect(object: &Map<String, Value>) -> VersionInfo {
    let declared = object.get("vcon").and_then(Value::as_str).map(str::to_owned);
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

fn oldest_marker(object: &Map<String, Value>) -> Option<(Syntax, String)> {
    let mut best: Option<(Syntax, String)> = None;
    let mut note = |syntax: Syntax, pointer: String| {
        if best.as_ref().is_none_or(|(s, _)| syntax < *s) {
            best = Some((syntax, pointer));
        }
    };
    if object.contains_key("appended") {
        note(Syntax::V0_3_0, "/appended".to_owned());
    }
    if object.contains_key("must_support") {
        note(Syntax::V0_3_0, "/must_support".to_owned());
    }
    if matches!(object.get("group"), Some(Value::Array(a)) if !a.is_empty()) {
        note(Syntax::V0_3_0, "/group".to_owned());
    }
    for (array, _) in [("dialog", ()), ("attachments", ()), ("analysis", ())] {
        let Some(Value::Array(items)) = object.get(array) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let Some(item) = item.as_object() else {
                continue;
            };
            if item.contains_key("mimetype") {
                note(Syntax::V0_0_1, format!("/{array}/{i}/mimetype"));
            }
            if item.contains_key("alg") && item.contains_key("signature") {
                note(Syntax::V0_0_1, format!("/{array}/{i}/alg"));
            }
            if array == "dialog" {
                for key in ["transfer-target", "target-dialog"] {
                    if item.contains_key(key) {
                        note(Syntax::V0_0_2, format!("/{array}/{i}/{key}"));
                    }
                }
                if item.get("session_id").is_some_and(Value::is_string) {
                    note(Syntax::V0_3_0, format!("/{array}/{i}/session_id"));
                }
            }
            if array == "attachments"
                && item
                    .get("type")
                    .is_some_and(|t| t.as_str() != Some("lawful_basis"))
                && !item.contains_key("purpose")
            {
                note(Syntax::V0_3_0, format!("/{array}/{i}/type"));
            }
        }
    }
    best
}
