//! File content shared by dialogs, analyses and attachments: inline
//! `body` + `encoding` or external `url` + `content_hash` (core-03 §Inline
//! Files, §Externally Referenced Files), with decoding and setters.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::analysis::Analysis;
use super::attachment::Attachment;
use super::dialog::Dialog;
use super::error::ModelError;
use super::json::describe;
use super::values::{ContentHashValue, Encoding};

/// A view of the content of a dialog, analysis or attachment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Content<'a> {
    /// Inline: the body and how it is encoded (the encoding may be missing in
    /// non-conforming input).
    Inline {
        /// The `body` member.
        body: &'a Value,
        /// The `encoding` member.
        encoding: Option<&'a Encoding>,
    },
    /// External: where to fetch it and the hash to check it against.
    External {
        /// The `url` member.
        url: &'a str,
        /// The `content_hash` member (required by core-03, may be missing in input).
        content_hash: Option<&'a ContentHashValue>,
    },
}

/// Which object of a vCon some content belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentOwner {
    /// `dialog[i]`.
    Dialog(usize),
    /// `analysis[i]`.
    Analysis(usize),
    /// `attachments[i]`.
    Attachment(usize),
}

impl ContentOwner {
    /// The JSON pointer of the owning object, such as `/dialog/0`.
    pub fn pointer(&self) -> String {
        match self {
            Self::Dialog(i) => format!("/dialog/{i}"),
            Self::Analysis(i) => format!("/analysis/{i}"),
            Self::Attachment(i) => format!("/attachments/{i}"),
        }
    }
}

fn content_of<'a>(
    body: Option<&'a Value>,
    encoding: Option<&'a Encoding>,
    url: Option<&'a str>,
    content_hash: Option<&'a ContentHashValue>,
) -> Option<Content<'a>> {
    match (body, url) {
        (Some(body), _) => Some(Content::Inline { body, encoding }),
        (None, Some(url)) => Some(Content::External { url, content_hash }),
        (None, None) => None,
    }
}

/// Decodes an inline body to bytes (pointers are relative to the owning object).
fn decode_body(body: Option<&Value>, encoding: Option<&Encoding>) -> Result<Vec<u8>, ModelError> {
    let Some(body) = body else {
        return Err(ModelError::Invalid {
            pointer: "/body".into(),
            message: "there is no inline body to decode".into(),
        });
    };
    let as_str = |expected: &'static str| match body {
        Value::String(s) => Ok(s.as_str()),
        other => Err(ModelError::WrongType {
            pointer: "/body".into(),
            expected,
            found: describe(other),
        }),
    };
    match encoding {
        Some(Encoding::Base64Url) => {
            let text = as_str("a base64url string")?;
            URL_SAFE_NO_PAD
                .decode(text.trim_end_matches('='))
                .map_err(|e| ModelError::Invalid {
                    pointer: "/body".into(),
                    message: format!("not valid base64url: {e}"),
                })
        }
        Some(Encoding::None) => Ok(as_str("a string")?.as_bytes().to_vec()),
        Some(Encoding::Json) => match body {
            Value::String(s) => Ok(s.as_bytes().to_vec()),
            other => serde_json::to_vec(other).map_err(|e| ModelError::Serialize(e.to_string())),
        },
        Some(Encoding::Other(name)) => Err(ModelError::Invalid {
            pointer: "/encoding".into(),
            message: format!("cannot decode a body with encoding `{name}`"),
        }),
        None => Err(ModelError::Invalid {
            pointer: "/encoding".into(),
            message: "the body has no encoding (R-25)".into(),
        }),
    }
}

const CONTENT_MEMBERS: [&str; 4] = ["body", "encoding", "url", "content_hash"];

/// Inherent content methods for a type with `body`, `encoding`, `url` and `content_hash`.
macro_rules! impl_content {
    ($ty:ident) => {
        impl $ty {
            /// The content: inline when `body` is present, else external when
            /// `url` is present, else `None` (for example when redacted).
            pub fn content(&self) -> Option<Content<'_>> {
                content_of(
                    self.body.as_ref(),
                    self.encoding.as_ref(),
                    self.url.as_deref(),
                    self.content_hash.as_ref(),
                )
            }

            /// The inline body as bytes: base64url is decoded (padding
            /// tolerated), `none` gives the string's bytes, `json` the JSON
            /// text. Errors point at `/body` or `/encoding` of this object.
            pub fn decoded_body(&self) -> Result<Vec<u8>, ModelError> {
                decode_body(self.body.as_ref(), self.encoding.as_ref())
            }

            /// Removes the content members (typed and any `null` leftovers).
            pub fn clear_content(&mut self) {
                self.body = None;
                self.encoding = None;
                self.url = None;
                self.content_hash = None;
                for key in CONTENT_MEMBERS {
                    self.extra.shift_remove(key);
                }
            }

            /// Sets inline binary content: unpadded base64url with `encoding: base64url`.
            pub fn set_inline_bytes(&mut self, bytes: &[u8]) {
                self.clear_content();
                self.body = Some(Value::String(URL_SAFE_NO_PAD.encode(bytes)));
                self.encoding = Some(Encoding::Base64Url);
            }

            /// Sets inline text content with `encoding: none`.
            pub fn set_inline_text(&mut self, text: impl Into<String>) {
                self.clear_content();
                self.body = Some(Value::String(text.into()));
                self.encoding = Some(Encoding::None);
            }

            /// Sets an inline JSON body with `encoding: json`.
            pub fn set_inline_json(&mut self, body: Value) {
                self.clear_content();
                self.body = Some(body);
                self.encoding = Some(Encoding::Json);
            }

            /// Sets external content: an HTTPS URL and the hash of what it serves.
            pub fn set_external(&mut self, url: impl Into<String>, content_hash: ContentHashValue) {
                self.clear_content();
                self.url = Some(url.into());
                self.content_hash = Some(content_hash);
            }
        }
    };
}

impl_content!(Dialog);
impl_content!(Analysis);
impl_content!(Attachment);

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::hash::{ContentHash, HashAlg};
    use serde_json::json;

    #[test]
    fn inline_bytes_round_trip() {
        let mut d = Dialog::default();
        d.set_inline_bytes(b"\x00\x01hello\xff");
        assert_eq!(d.encoding, Some(Encoding::Base64Url));
        assert_eq!(d.decoded_body().unwrap(), b"\x00\x01hello\xff");
        assert!(matches!(d.content(), Some(Content::Inline { .. })));
    }

    #[test]
    fn padding_tolerated_and_errors_point() {
        let d = Dialog::try_from(json!({"body": "QQ==", "encoding": "base64url"})).unwrap();
        assert_eq!(d.decoded_body().unwrap(), b"A");
        let d = Dialog::try_from(json!({"body": "a+b", "encoding": "base64url"})).unwrap();
        assert_eq!(d.decoded_body().unwrap_err().pointer(), Some("/body"));
        let d = Dialog::try_from(json!({"body": "x"})).unwrap();
        assert_eq!(d.decoded_body().unwrap_err().pointer(), Some("/encoding"));
        let d = Dialog::try_from(json!({"body": "x", "encoding": "jwe"})).unwrap();
        assert!(d.decoded_body().unwrap_err().to_string().contains("`jwe`"));
        let d = Dialog::try_from(json!({"body": 5, "encoding": "none"})).unwrap();
        assert!(
            d.decoded_body()
                .unwrap_err()
                .to_string()
                .contains("found the number 5")
        );
        assert!(Dialog::default().decoded_body().is_err());
    }

    #[test]
    fn text_and_json_bodies() {
        let mut a = Analysis::default();
        a.set_inline_text("hi");
        assert_eq!(a.decoded_body().unwrap(), b"hi");
        a.set_inline_json(json!({"k": [1]}));
        assert_eq!(a.decoded_body().unwrap(), br#"{"k":[1]}"#);
        let s = Analysis::try_from(json!({"body": "{\"a\":1}", "encoding": "json"})).unwrap();
        assert_eq!(s.decoded_body().unwrap(), br#"{"a":1}"#);
    }

    #[test]
    fn set_external_replaces_inline_and_nulls() {
        let mut at =
            Attachment::try_from(json!({"body": null, "encoding": "none", "x": 1})).unwrap();
        let hash = ContentHashValue::from(ContentHash::compute(HashAlg::Sha512, b"z"));
        at.set_external("https://example.com/z", hash.clone());
        match at.content() {
            Some(Content::External { url, content_hash }) => {
                assert_eq!(url, "https://example.com/z");
                assert_eq!(content_hash, Some(&hash));
            }
            other => panic!("{other:?}"),
        }
        let v = serde_json::to_value(&at).unwrap();
        assert_eq!(
            v,
            json!({"x": 1, "url": "https://example.com/z", "content_hash": hash.to_json_string()})
        );
    }

    impl ContentHashValue {
        fn to_json_string(&self) -> String {
            self.tokens().collect::<Vec<_>>().join(",")
        }
    }
}
