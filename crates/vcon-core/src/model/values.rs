//! Scalar value types of the model: [`Date`], [`Encoding`], [`DialogType`],
//! [`Disposition`], [`PartyEvent`] and [`ContentHashValue`].

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

use super::error::ModelError;
use super::json::{JsonValue, Path, string_enum};
use crate::hash::{ContentHash, ContentHashes, HashError};

/// A core-03 Date (RFC 3339 date-time), kept exactly as written so that
/// reading and writing a vCon never changes it. [`Date::parse`] interprets it.
///
/// ```
/// use vcon_core::model::Date;
/// let d = Date::verbatim("2022-06-21T17:53:26.000+00:00");
/// assert_eq!(d.as_str(), "2022-06-21T17:53:26.000+00:00");
/// assert_eq!(d.parse().unwrap().timestamp(), 1_655_834_006);
/// let utc = Date::from_datetime(&d.parse().unwrap());
/// assert_eq!(utc.as_str(), "2022-06-21T17:53:26Z");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(String);

impl Date {
    /// Wraps a string as written, without checking it.
    pub fn verbatim(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The date-time in RFC 3339 form, UTC with `Z`, fractional seconds only when non-zero.
    pub fn from_datetime<Tz: TimeZone>(datetime: &DateTime<Tz>) -> Self {
        Self(
            datetime
                .with_timezone(&Utc)
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        )
    }

    /// The current time, as [`Date::from_datetime`] writes it.
    pub fn now() -> Self {
        Self::from_datetime(&Utc::now())
    }

    /// The string as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The string, consuming the date.
    pub fn into_string(self) -> String {
        self.0
    }

    /// Parses the string as RFC 3339 with `Z` or a numeric offset; naive times are refused.
    pub fn parse(&self) -> Result<DateTime<FixedOffset>, ModelError> {
        DateTime::parse_from_rfc3339(&self.0).map_err(|e| ModelError::Date {
            value: self.0.clone(),
            reason: e.to_string(),
        })
    }

    /// Whether the string is a valid RFC 3339 date-time.
    pub fn is_valid(&self) -> bool {
        self.parse().is_ok()
    }
}

impl FromStr for Date {
    type Err = ModelError;
    /// Accepts only valid RFC 3339 date-times, kept as written.
    fn from_str(s: &str) -> Result<Self, ModelError> {
        let d = Self::verbatim(s);
        d.parse()?;
        Ok(d)
    }
}

impl<Tz: TimeZone> From<DateTime<Tz>> for Date {
    fn from(datetime: DateTime<Tz>) -> Self {
        Self::from_datetime(&datetime)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl JsonValue for Date {
    /// Any string is accepted as written; validity is the validator's business (R-3, R-15).
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::String(s) => Ok(Self(s)),
            other => Err(at.wrong_type("a date-time string", &other)),
        }
    }
    fn to_json(&self) -> Value {
        Value::String(self.0.clone())
    }
}

string_enum! {
    /// How an inline `body` is encoded (core-03 §Inline Files).
    pub enum Encoding {
        /// Unpadded base64url of the bytes.
        Base64Url = "base64url",
        /// The body is a JSON value.
        Json = "json",
        /// The body is a string used as is.
        None = "none",
    }
}

string_enum! {
    /// The `type` of a dialog (core-03 §Dialog/type).
    pub enum DialogType {
        /// Transcribable audio or video.
        Recording = "recording",
        /// A call made of several recordings (core-03).
        RecordingSet = "recording-set",
        /// One text message.
        Text = "text",
        /// A call transfer.
        Transfer = "transfer",
        /// A call that did not connect; `disposition` says why.
        Incomplete = "incomplete",
    }
}

string_enum! {
    /// Why an `incomplete` dialog did not connect (core-03 §disposition).
    pub enum Disposition {
        /// Nobody answered.
        NoAnswer = "no-answer",
        /// The network was congested.
        Congestion = "congestion",
        /// The call failed.
        Failed = "failed",
        /// The callee was busy.
        Busy = "busy",
        /// Hung up before connecting.
        HungUp = "hung-up",
        /// Reached voicemail, left no message.
        VoicemailNoMessage = "voicemail-no-message",
    }
}

string_enum! {
    /// The `event` of a party_history entry (core-03 §Party_History Object).
    pub enum PartyEvent {
        /// The party joined.
        Join = "join",
        /// The party dropped.
        Drop = "drop",
        /// The party was put on hold.
        Hold = "hold",
        /// The party was taken off hold.
        Unhold = "unhold",
        /// The party was muted.
        Mute = "mute",
        /// The party was unmuted.
        Unmute = "unmute",
        /// A key (DTMF) was pressed; `button` says which.
        Keydown = "keydown",
        /// A key (DTMF) was released; `button` says which.
        Keyup = "keyup",
    }
}

/// A `content_hash` member as written: one token or an array of tokens
/// (core-03 §content_hash). Kept verbatim; [`ContentHashValue::parse`] checks
/// and decodes it with [`crate::hash`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ContentHashValue {
    /// A single token.
    One(String),
    /// Several tokens, one per algorithm.
    Many(Vec<String>),
}

impl ContentHashValue {
    /// The tokens as written.
    pub fn tokens(&self) -> impl Iterator<Item = &str> {
        let (one, many) = match self {
            Self::One(t) => (Some(t.as_str()), &[][..]),
            Self::Many(ts) => (None, ts.as_slice()),
        };
        one.into_iter().chain(many.iter().map(String::as_str))
    }

    /// Parses every token.
    pub fn parse(&self) -> Result<ContentHashes, HashError> {
        ContentHashes::from_value(&self.to_json())
    }

    /// Checks `bytes` against the tokens (every known token must match, one must be sha512).
    pub fn verify(&self, bytes: &[u8]) -> Result<(), HashError> {
        self.parse()?.verify(bytes)
    }
}

impl From<ContentHash> for ContentHashValue {
    fn from(hash: ContentHash) -> Self {
        Self::One(hash.to_string())
    }
}

impl From<&ContentHashes> for ContentHashValue {
    fn from(hashes: &ContentHashes) -> Self {
        match hashes.0.as_slice() {
            [one] => Self::One(one.to_string()),
            many => Self::Many(many.iter().map(ToString::to_string).collect()),
        }
    }
}

impl serde::Serialize for ContentHashValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::One(t) => serializer.serialize_str(t),
            Self::Many(ts) => ts.serialize(serializer),
        }
    }
}

impl JsonValue for ContentHashValue {
    fn from_json(value: Value, at: &Path<'_>) -> Result<Self, ModelError> {
        match value {
            Value::String(s) => Ok(Self::One(s)),
            Value::Array(_) => Vec::<String>::from_json(value, at).map(Self::Many),
            other => Err(at.wrong_type("a content_hash token or an array of them", &other)),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            Self::One(t) => Value::String(t.clone()),
            Self::Many(ts) => ts.to_json(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::hash::HashAlg;
    use serde_json::json;

    #[test]
    fn date_is_verbatim_and_parses() {
        let d = Date::from_json(json!("2024-01-01T00:00:00"), &Path::Root("")).unwrap();
        assert_eq!(d.as_str(), "2024-01-01T00:00:00");
        assert!(matches!(d.parse(), Err(ModelError::Date { .. })));
        assert!("2024-01-01T00:00:00".parse::<Date>().is_err());
        let ok: Date = "2022-06-21T17:53:26.000+02:00".parse().unwrap();
        assert_eq!(ok.parse().unwrap().offset().local_minus_utc(), 7200);
        assert_eq!(
            Date::from_datetime(&ok.parse().unwrap()).as_str(),
            "2022-06-21T15:53:26Z"
        );
        let e = Date::from_json(json!(5), &Path::Root("/created_at")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/created_at: expected a date-time string, found the number 5"
        );
    }

    #[test]
    fn date_from_datetime_keeps_fraction() {
        let dt = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.250-05:00").unwrap();
        assert_eq!(Date::from(dt).as_str(), "2026-01-02T08:04:05.250Z");
        assert!(Date::now().is_valid());
    }

    #[test]
    fn open_enums_keep_unknown_values() {
        assert_eq!(Encoding::from("base64url"), Encoding::Base64Url);
        assert_eq!(Encoding::from("jwe"), Encoding::Other("jwe".into()));
        assert_eq!(Encoding::Other("jwe".into()).to_json(), json!("jwe"));
        assert_eq!(DialogType::from("recording-set").as_str(), "recording-set");
        assert!(!DialogType::from("video").is_registered());
        assert_eq!(Disposition::from("hung-up"), Disposition::HungUp);
        assert_eq!(PartyEvent::from("keydown"), PartyEvent::Keydown);
        let e = Encoding::from_json(json!(1), &Path::Root("/encoding")).unwrap_err();
        assert_eq!(e.pointer(), Some("/encoding"));
    }

    #[test]
    fn content_hash_value_round_trips_and_verifies() {
        let token = ContentHash::compute(HashAlg::Sha512, b"abc");
        let v = ContentHashValue::from(token.clone());
        assert_eq!(v.to_json(), json!(token.to_string()));
        assert!(v.verify(b"abc").is_ok());
        assert!(v.verify(b"abd").is_err());
        let many = ContentHashValue::from_json(json!(["a-b", "c-d"]), &Path::Root("")).unwrap();
        assert_eq!(many.tokens().collect::<Vec<_>>(), ["a-b", "c-d"]);
        assert_eq!(many.to_json(), json!(["a-b", "c-d"]));
        let e = ContentHashValue::from_json(json!(["a-b", 2]), &Path::Root("/h")).unwrap_err();
        assert_eq!(e.pointer(), Some("/h/1"));
    }
}
