//! [`ModelError`]: why a JSON value could not become (or be used as) a typed vCon.

use crate::form::Form;
use crate::read::ReadError;

/// What went wrong while converting JSON into the typed model or while
/// interpreting a typed value. Every variant that concerns a member carries
/// its JSON pointer (RFC 6901), relative to the value being converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModelError {
    /// A member has the wrong JSON type (or a number out of range).
    #[error("{}: expected {expected}, found {found}", show(.pointer))]
    WrongType {
        /// Where the member is.
        pointer: String,
        /// What the model expects there, such as `a non-negative integer`.
        expected: &'static str,
        /// What was found, such as `a string` or `the number -30`.
        found: String,
    },
    /// A member has the right JSON type but a value that cannot be used.
    #[error("{}: {message}", show(.pointer))]
    Invalid {
        /// Where the member is.
        pointer: String,
        /// What is wrong with it.
        message: String,
    },
    /// A date string is not an RFC 3339 date-time.
    #[error("`{value}` is not an RFC 3339 date-time with a `Z` or numeric offset: {reason}")]
    Date {
        /// The string as written.
        value: String,
        /// What the parser reported.
        reason: String,
    },
    /// The object is a signed or encrypted envelope, not an unsigned vCon.
    #[error(
        "(root): this is a {form} vCon (JWS/JWE envelope); verify or decrypt it before reading it as the unsigned model"
    )]
    Envelope {
        /// The form detected (core-03 §Differentiation).
        form: Form,
    },
    /// The bytes could not be read as a JSON object.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Serialising failed (only possible with a misbehaving writer).
    #[error("cannot serialise the vCon to JSON: {0}")]
    Serialize(String),
}

impl ModelError {
    /// The JSON pointer of the offending member, when the error concerns one.
    pub fn pointer(&self) -> Option<&str> {
        match self {
            Self::WrongType { pointer, .. } | Self::Invalid { pointer, .. } => Some(pointer),
            Self::Envelope { .. } => Some(""),
            Self::Date { .. } | Self::Read(_) | Self::Serialize(_) => None,
        }
    }

    /// Prefixes the pointer of a member error with `base` (the pointer of the
    /// value the error was found in), for errors from views such as
    /// [`crate::model::Attachment::lawful_basis`] that only know relative paths.
    pub fn within(self, base: &str) -> Self {
        match self {
            Self::WrongType {
                pointer,
                expected,
                found,
            } => Self::WrongType {
                pointer: format!("{base}{pointer}"),
                expected,
                found,
            },
            Self::Invalid { pointer, message } => Self::Invalid {
                pointer: format!("{base}{pointer}"),
                message,
            },
            other => other,
        }
    }
}

/// Renders the root pointer `""` readably.
fn show(pointer: &str) -> &str {
    if pointer.is_empty() {
        "(root)"
    } else {
        pointer
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_member() {
        let e = ModelError::WrongType {
            pointer: "/dialog/0/duration".into(),
            expected: "a non-negative number",
            found: "a string".into(),
        };
        assert_eq!(
            e.to_string(),
            "/dialog/0/duration: expected a non-negative number, found a string"
        );
        assert_eq!(e.pointer(), Some("/dialog/0/duration"));
        let root = ModelError::WrongType {
            pointer: String::new(),
            expected: "an object",
            found: "an array".into(),
        };
        assert!(root.to_string().starts_with("(root): "));
    }

    #[test]
    fn within_prefixes_pointer() {
        let e = ModelError::Invalid {
            pointer: "/body".into(),
            message: "bad".into(),
        }
        .within("/attachments/2");
        assert_eq!(e.pointer(), Some("/attachments/2/body"));
    }
}
