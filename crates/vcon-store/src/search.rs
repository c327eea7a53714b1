//! Listing and searching: [`SearchQuery`], [`Order`], [`Cursor`] and [`Page`].

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use vcon_core::Form;

use crate::error::{NameError, StoreError};
use crate::ids::VconUuid;
use crate::record::VconMeta;

/// Largest page a store returns.
pub const MAX_PAGE: u32 = 1000;

/// Longest value of a search filter (and of its free text), in bytes.
pub const MAX_QUERY_TEXT_BYTES: usize = 4096;

/// Most tag filters in one query.
pub const MAX_TAG_FILTERS: usize = 32;

/// The order of a listing. Ties are broken by uuid, so the order is total
/// and paging never skips nor repeats a vCon.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Order {
    /// Oldest stored first (the order of arrival; stable under new writes).
    #[default]
    StoredAsc,
    /// Newest stored first.
    StoredDesc,
    /// Oldest `created_at` first; a vCon without a readable `created_at`
    /// (encrypted) sorts by when it was stored.
    CreatedAsc,
    /// Newest `created_at` first (the conserver's `GET /vcon` order).
    CreatedDesc,
}

impl Order {
    fn tag(self) -> char {
        match self {
            Self::StoredAsc => 's',
            Self::StoredDesc => 'S',
            Self::CreatedAsc => 'c',
            Self::CreatedDesc => 'C',
        }
    }

    /// Whether newer comes first.
    pub fn descending(self) -> bool {
        matches!(self, Self::StoredDesc | Self::CreatedDesc)
    }

    /// Whether the key is `created_at` (else `stored_at`).
    pub fn by_created(self) -> bool {
        matches!(self, Self::CreatedAsc | Self::CreatedDesc)
    }
}

/// An opaque position in a listing, handed out in [`Page::next`] and valid
/// for the same [`Order`] only. Safe to put in a URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

/// What a cursor holds: the sort key and uuid of the last item returned
/// (the key is backend-defined: a row number, a time in milliseconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CursorKey {
    pub order: Order,
    pub key: i64,
    pub uuid: VconUuid,
}

impl Cursor {
    /// Wraps cursor text received from a client (checked when used).
    pub fn from_text(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The text to hand to a client.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn encode(key: &CursorKey) -> Self {
        let plain = format!("1{}{}:{}", key.order.tag(), key.key, key.uuid);
        Self(URL_SAFE_NO_PAD.encode(plain))
    }

    pub(crate) fn decode(&self, order: Order) -> Result<CursorKey, NameError> {
        let bad = |reason| NameError::Cursor {
            value: self.0.chars().take(80).collect(),
            reason,
        };
        let raw = URL_SAFE_NO_PAD
            .decode(&self.0)
            .map_err(|_| bad("not base64url"))?;
        let plain = String::from_utf8(raw).map_err(|_| bad("not a cursor of this store"))?;
        let mut chars = plain.chars();
        if chars.next() != Some('1') {
            return Err(bad("unknown cursor version"));
        }
        if chars.next() != Some(order.tag()) {
            return Err(bad("it was handed out for another order"));
        }
        let rest = chars.as_str();
        let (key, uuid) = rest
            .split_once(':')
            .ok_or(bad("not a cursor of this store"))?;
        let key = key.parse().map_err(|_| bad("not a cursor of this store"))?;
        let uuid = VconUuid::parse(uuid).map_err(|_| bad("not a cursor of this store"))?;
        Ok(CursorKey { order, key, uuid })
    }
}

/// A tag filter: `name` (has the tag, any value) or `name:value`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagFilter {
    /// The tag name.
    pub name: String,
    /// The value, when it must match too.
    pub value: Option<String>,
}

impl TagFilter {
    /// Parses `name` or `name:value` (split at the first colon, as tags are).
    ///
    /// ```
    /// use vcon_store::TagFilter;
    /// assert_eq!(TagFilter::parse("priority").value, None);
    /// assert_eq!(TagFilter::parse("url:https://x").value.as_deref(), Some("https://x"));
    /// ```
    pub fn parse(text: &str) -> Self {
        match text.split_once(':') {
            Some((name, value)) => Self {
                name: name.to_owned(),
                value: Some(value.to_owned()),
            },
            None => Self {
                name: text.to_owned(),
                value: None,
            },
        }
    }
}

/// A search (or a plain listing, when no filter is set). Filters combine with AND.
///
/// ```
/// use vcon_store::{Order, SearchQuery, TagFilter};
/// let q = SearchQuery {
///     tel: Some("+15551230001".into()),
///     tags: vec![TagFilter::parse("category:support")],
///     text: Some("refund".into()),
///     order: Order::CreatedDesc,
///     limit: 20,
///     ..SearchQuery::default()
/// };
/// assert!(q.has_filters());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// `created_at` at or after this instant.
    pub created_from: Option<DateTime<Utc>>,
    /// `created_at` strictly before this instant.
    pub created_to: Option<DateTime<Utc>>,
    /// A party with this `tel` (normalised: see [`crate::TermKind::normalize`]).
    pub tel: Option<String>,
    /// A party with this `mailto` (normalised, case-insensitive).
    pub mailto: Option<String>,
    /// A party with this `name` (whole name, case-insensitive).
    pub name: Option<String>,
    /// A party with this `uuid`.
    pub party_uuid: Option<String>,
    /// Tags that must all be present.
    pub tags: Vec<TagFilter>,
    /// A dialog of this `type`.
    pub dialog_type: Option<String>,
    /// Words that must all occur in the subject, a text dialog or a
    /// transcript (full text; each word is matched as a token, prefix with a
    /// trailing `*`; no query syntax is interpreted).
    pub text: Option<String>,
    /// Only vCons of this form.
    pub form: Option<Form>,
    /// Only vCons of this tenant.
    pub tenant: Option<String>,
    /// The order of the results.
    pub order: Order,
    /// At most this many results (1 to [`MAX_PAGE`]; 0 means 50).
    pub limit: u32,
    /// Continue after this cursor (from a previous [`Page::next`]).
    pub cursor: Option<Cursor>,
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self {
            created_from: None,
            created_to: None,
            tel: None,
            mailto: None,
            name: None,
            party_uuid: None,
            tags: Vec::new(),
            dialog_type: None,
            text: None,
            form: None,
            tenant: None,
            order: Order::default(),
            limit: 50,
            cursor: None,
        }
    }
}

impl SearchQuery {
    /// Whether a filter is on what a store's search index holds (party
    /// terms, tags, dialog types, text) rather than on the metadata.
    pub(crate) fn filters_search_rows(&self) -> bool {
        self.tel.is_some()
            || self.mailto.is_some()
            || self.name.is_some()
            || self.party_uuid.is_some()
            || !self.tags.is_empty()
            || self.dialog_type.is_some()
            || self.text.is_some()
    }

    /// Whether any filter is set (otherwise the query lists everything).
    pub fn has_filters(&self) -> bool {
        self.filters_search_rows()
            || self.created_from.is_some()
            || self.created_to.is_some()
            || self.form.is_some()
            || self.tenant.is_some()
    }

    /// Refuses queries too large to be reasonable: free text over
    /// [`MAX_QUERY_TEXT_BYTES`], more than [`MAX_TAG_FILTERS`] tags, or any
    /// single value over [`MAX_QUERY_TEXT_BYTES`].
    pub fn check(&self) -> Result<(), StoreError> {
        let values = [
            &self.tel,
            &self.mailto,
            &self.name,
            &self.party_uuid,
            &self.dialog_type,
            &self.text,
            &self.tenant,
        ];
        let too_long = values
            .iter()
            .filter_map(|v| v.as_deref())
            .any(|v| v.len() > MAX_QUERY_TEXT_BYTES)
            || self.tags.iter().any(|t| {
                t.name.len() + t.value.as_deref().map_or(0, str::len) > MAX_QUERY_TEXT_BYTES
            });
        if too_long {
            return Err(StoreError::Invalid {
                what: "search query",
                reason: format!("a value is longer than {MAX_QUERY_TEXT_BYTES} bytes"),
            });
        }
        if self.tags.len() > MAX_TAG_FILTERS {
            return Err(StoreError::Invalid {
                what: "search query",
                reason: format!("{} tag filters, at most {MAX_TAG_FILTERS}", self.tags.len()),
            });
        }
        Ok(())
    }

    /// The page size to use: `limit`, 50 when 0, at most [`MAX_PAGE`].
    pub fn effective_limit(&self) -> u32 {
        match self.limit {
            0 => 50,
            n => n.min(MAX_PAGE),
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page {
    /// The vCons, in the requested order.
    pub items: Vec<VconMeta>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<Cursor>,
}
