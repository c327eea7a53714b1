//! The three forms of a vCon (core-03 §Differentiation, rule R-40).

use crate::tree::JsonObj;
use serde::Serialize;

/// Which of the three vCon forms an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    /// The working form: parties, dialog, analysis, attachments.
    Unsigned,
    /// A JWS in General JSON Serialization (`payload` + `signatures`).
    Signed,
    /// A JWE in General JSON Serialization (`ciphertext` + `recipients`).
    Encrypted,
}

impl Form {
    /// Finds the form of a top-level object; `None` when no rule matches.
    ///
    /// Signed and encrypted are checked first, as core-03 says.
    ///
    /// ```
    /// use vcon_core::form::Form;
    /// let obj = serde_json::json!({"payload": "e30", "signatures": []});
    /// assert_eq!(Form::detect(obj.as_object().unwrap()), Some(Form::Signed));
    /// ```
    pub fn detect(object: &impl JsonObj) -> Option<Self> {
        let has = |k: &str| object.contains_key(k);
        if has("payload") && has("signatures") {
            Some(Self::Signed)
        } else if has("ciphertext") && has("recipients") {
            Some(Self::Encrypted)
        } else if ["parties", "dialog", "analysis", "attachments"]
            .iter()
            .any(|k| has(k))
        {
            Some(Self::Unsigned)
        } else {
            None
        }
    }

    /// The lower-case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::Signed => "signed",
            Self::Encrypted => "encrypted",
        }
    }
}

impl std::fmt::Display for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
