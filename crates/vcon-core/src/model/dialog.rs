//! [`Dialog`] (core-03 §Dialog Object) and [`PartyHistory`].

use serde_json::{Number, Value};

use super::indices::{DialogParties, IndexOrList};
use super::json::{json_object, non_negative_number};
use super::session::SessionIds;
use super::values::{ContentHashValue, Date, DialogType, Disposition, Encoding, PartyEvent};

json_object! {
    /// One piece of the conversation: a recording, a text message, a
    /// transfer, a failed call or a set of recordings (core-03 §Dialog Object).
    pub struct Dialog {
        /// What kind of dialog this is.
        r#type: DialogType = "type",
        /// When it started.
        start: Date = "start",
        /// Length in seconds, kept as written (`30` and `30.0` both round-trip).
        duration: Number = "duration" via non_negative_number,
        /// Indices of the parties, single- or multi-channel.
        parties: DialogParties = "parties",
        /// Index of the originator, when it is not the first party.
        originator: u64 = "originator",
        /// Media type of the content.
        mediatype: String = "mediatype",
        /// Original file name.
        filename: String = "filename",
        /// Inline content, encoded as `encoding` says.
        body: Value = "body",
        /// How `body` is encoded.
        encoding: Encoding = "encoding",
        /// HTTPS URL of external content.
        url: String = "url",
        /// Hash of the external content.
        content_hash: ContentHashValue = "content_hash",
        /// Why an `incomplete` dialog did not connect.
        disposition: Disposition = "disposition",
        /// Session identifiers (RFC 7989).
        session_id: SessionIds = "session_id",
        /// Joins, drops, holds, mutes and key presses.
        party_history: Vec<PartyHistory> = "party_history",
        /// Transfer: index of the party transferred.
        transferee: u64 = "transferee",
        /// Transfer: index of the party transferring.
        transferor: u64 = "transferor",
        /// Transfer: index(es) of the target party.
        transfer_target: IndexOrList = "transfer_target",
        /// Transfer: dialog index(es) of the transferee-transferor call.
        original: IndexOrList = "original",
        /// Transfer: dialog index(es) of the transferor-target call(s).
        consultation: IndexOrList = "consultation",
        /// Transfer: dialog index(es) of the transferee-target call.
        target_dialog: IndexOrList = "target_dialog",
        /// Recording set: indices of the member recording dialogs.
        recordings: Vec<u64> = "recordings",
        /// Recording: index of the owning recording-set dialog.
        recording_set: u64 = "recording_set",
        /// Platform or service used.
        application: String = "application",
        /// Message id (such as an SMTP Message-ID).
        message_id: String = "message_id",
    }
}

json_object! {
    /// One party event of a dialog (core-03 §Party_History Object).
    pub struct PartyHistory {
        /// Index of the party.
        party: u64 = "party",
        /// When it happened.
        time: Date = "time",
        /// What happened.
        event: PartyEvent = "event",
        /// The key for `keydown` / `keyup`.
        button: String = "button",
    }
}

impl Dialog {
    /// The dialog type, if given.
    pub fn kind(&self) -> Option<&DialogType> {
        self.r#type.as_ref()
    }

    /// The duration in seconds as a float, if given.
    pub fn duration_secs(&self) -> Option<f64> {
        self.duration.as_ref().and_then(Number::as_f64)
    }

    /// Every party index named by `parties`, channels flattened.
    pub fn party_indices(&self) -> Vec<u64> {
        self.parties
            .as_ref()
            .map(DialogParties::indices)
            .unwrap_or_default()
    }

    /// The originator: `originator` when given, else the first listed party.
    pub fn originator_index(&self) -> Option<u64> {
        self.originator
            .or_else(|| self.parties.as_ref().and_then(DialogParties::first))
    }

    /// The party_history entries (empty when absent).
    pub fn party_history(&self) -> &[PartyHistory] {
        self.party_history.as_deref().unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_members() {
        let v = json!({
            "type": "recording", "start": "2022-06-21T17:53:26.000+00:00",
            "duration": 30.0, "parties": [[0, 1], null], "originator": 1,
            "party_history": [{"party": 0, "time": "2022-06-21T17:53:27Z", "event": "keydown", "button": "5"}],
            "sip_call_id": "abc"
        });
        let d = Dialog::try_from(v.clone()).unwrap();
        assert_eq!(d.kind(), Some(&DialogType::Recording));
        assert_eq!(d.duration_secs(), Some(30.0));
        assert_eq!(d.party_indices(), [0, 1]);
        assert_eq!(d.originator_index(), Some(1));
        assert_eq!(d.party_history()[0].event, Some(PartyEvent::Keydown));
        assert_eq!(d.extra.get("sip_call_id"), Some(&json!("abc")));
        assert_eq!(serde_json::to_string(&d).unwrap(), v.to_string());
    }

    #[test]
    fn bad_duration_is_named() {
        let e = Dialog::try_from(json!({"duration": "long"})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/duration: expected a non-negative number, found a string"
        );
        let e = Dialog::try_from(json!({"duration": -30})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/duration: expected a non-negative number, found the number -30"
        );
        let e = Dialog::try_from(json!({"party_history": [{"party": "x"}]})).unwrap_err();
        assert_eq!(e.pointer(), Some("/party_history/0/party"));
    }

    #[test]
    fn empty_dialog_is_legal() {
        let d = Dialog::try_from(json!({})).unwrap();
        assert!(d.is_empty());
        assert_eq!(d.kind(), None);
        assert_eq!(d.originator_index(), None);
    }
}
