//! Request parts the handlers read, with every failure a problem document:
//! the body ([`Body`]), query strings with repeated keys ([`QueryPairs`]),
//! uuids and etags from paths and headers.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use bytes::Bytes;
use vcon_store::{Etag, ListName, VconUuid};

use crate::problem::ApiError;

/// The request body, bounded by the router's body limit (413 past it).
#[derive(Debug)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Bytes::from_request(req, state).await {
            Ok(b) => Ok(Self(b)),
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => Err(
                ApiError::PayloadTooLarge(format!("the body is over the size limit: {e}")),
            ),
            Err(e) => Err(ApiError::BadRequest(format!(
                "the body could not be read: {e}"
            ))),
        }
    }
}

/// A posted vCon, read without a copy of the request's headers (axum's
/// `HeaderMap` extractor clones them all): the body, as [`Body`] reads it,
/// and what [`crate::ingest::media_type`] makes of its `Content-Type` and
/// `Content-Encoding`, kept to be answered where the handler checks it
/// (after its query parameters, as when it read the headers itself).
#[derive(Debug)]
pub struct Posted {
    /// Whether the body is declared gzip, or the refusal of its media type.
    pub gzip: Result<bool, ApiError>,
    /// The request body.
    pub body: Bytes,
}

impl<S: Send + Sync> FromRequest<S> for Posted {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let gzip = crate::ingest::media_type(req.headers());
        let Body(body) = Body::from_request(req, state).await?;
        Ok(Self { gzip, body })
    }
}

/// The query string as (key, value) pairs, repeated keys kept in order
/// (`?tag=a&tag=b`, the conserver's `?ingress_lists=a&ingress_lists=b`).
#[derive(Debug, Default, Clone)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Ok(Self::parse(parts.uri.query().unwrap_or("")))
    }
}

impl QueryPairs {
    /// Parses `application/x-www-form-urlencoded` text.
    pub fn parse(query: &str) -> Self {
        Self(
            form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The last value of `key`, if any.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A 422 naming the first parameter not in `known`: on the native API a
    /// misspelt filter (`text=` for `q=`) would otherwise be ignored and the
    /// search match everything. (The conserver-compatible routes ignore
    /// unknown parameters, as FastAPI does.)
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some((k, _)) => Err(ApiError::Unprocessable(format!(
                "unknown query parameter `{k}`; this route takes {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ))),
        }
    }

    /// The value of `key`, or a 422 naming the missing parameter (FastAPI's
    /// "Field required", which conserver clients look for).
    pub fn required(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key).ok_or_else(|| {
            ApiError::Unprocessable(format!("Field required: query parameter `{key}`"))
        })
    }

    /// `key` parsed as `T`, `default` when absent, 422 when malformed.
    pub fn parsed<T: std::str::FromStr>(&self, key: &str, default: T) -> Result<T, ApiError> {
        match self.get(key) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| {
                ApiError::Unprocessable(format!("query parameter `{key}`: `{v}` is not valid"))
            }),
        }
    }
}

/// A `tel` query value. `?tel=+15551230001` sent unencoded arrives as
/// ` 15551230001` (a form-encoded `+` is a space); a leading space before a
/// digit can only be that `+`, so it is one again (native and conserver
/// searches alike).
pub fn tel_param(v: &str) -> String {
    match v.strip_prefix(' ') {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => format!("+{rest}"),
        _ => v.to_owned(),
    }
}

/// A uuid from a path segment (422 as FastAPI answers a bad `UUID` path
/// parameter; the native API uses the same status).
pub fn path_uuid(text: &str) -> Result<VconUuid, ApiError> {
    VconUuid::parse(text).map_err(|e| ApiError::Unprocessable(e.to_string()))
}

/// List names from query values (400 when one is unusable).
pub fn list_names<'a>(
    values: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<ListName>, ApiError> {
    values
        .into_iter()
        .map(|v| ListName::new(v).map_err(ApiError::from))
        .collect()
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No `If-Match` header.
    Absent,
    /// `If-Match: *`: the resource must exist.
    Any,
    /// `If-Match: "etag"`.
    Etag(Etag),
}

/// Reads `If-Match` (400 when it is not an etag of this server; a list of
/// etags is not supported, since each resource has exactly one).
pub fn if_match(headers: &HeaderMap) -> Result<IfMatch, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(IfMatch::Absent);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::BadRequest("If-Match is not ASCII".into()))?
        .trim();
    if text == "*" {
        return Ok(IfMatch::Any);
    }
    Etag::parse(text)
        .map(IfMatch::Etag)
        .map_err(|e| ApiError::BadRequest(format!("If-Match: {e}")))
}

/// The quoted form of an etag, for `ETag` headers.
pub fn quoted(etag: &Etag) -> String {
    ["\"", etag.as_str(), "\""].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unencoded_plus_of_a_tel_is_a_plus_again() {
        assert_eq!(tel_param(" 15551230001"), "+15551230001");
        assert_eq!(tel_param("+15551230001"), "+15551230001");
        assert_eq!(tel_param("15551230001"), "15551230001");
        assert_eq!(tel_param(" (555) 123"), " (555) 123");
    }

    #[test]
    fn repeated_keys_are_kept() {
        let q = QueryPairs::parse("ingress_lists=a&ingress_lists=b%20c&limit=3");
        assert_eq!(q.all("ingress_lists"), vec!["a", "b c"]);
        assert_eq!(q.parsed("limit", 1u32).unwrap(), 3);
        assert_eq!(q.parsed("size", 50u32).unwrap(), 50);
        assert!(q.parsed::<u32>("ingress_lists", 0).is_err());
        let e = q.required("ingress_list").unwrap_err();
        assert!(e.to_string().to_lowercase().contains("field required"));
    }

    #[test]
    fn if_match_forms() {
        let mut h = HeaderMap::new();
        assert_eq!(if_match(&h).unwrap(), IfMatch::Absent);
        h.insert(header::IF_MATCH, "*".parse().unwrap());
        assert_eq!(if_match(&h).unwrap(), IfMatch::Any);
        let e = Etag::of(b"x");
        h.insert(header::IF_MATCH, quoted(&e).parse().unwrap());
        assert_eq!(if_match(&h).unwrap(), IfMatch::Etag(e));
        h.insert(header::IF_MATCH, "W/\"x\"".parse().unwrap());
        assert!(if_match(&h).is_err());
    }
}
