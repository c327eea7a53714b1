//! Unit tests of the builder: what it writes and what it refuses.

use super::*;
use crate::model::{Encoding, IndexOrList, PartyEvent, PartyHistory};
use serde_json::json;

const T: &str = "2026-06-29T23:11:19Z";
const UUID: &str = "0196585c-22c9-8909-9dd8-dd37220d739c";

fn two_parties() -> VconBuilder {
    VconBuilder::new()
        .uuid(UUID.parse().unwrap())
        .created_at(T)
        .party(Party {
            name: Some("Alice".into()),
            validation: Some("none".into()),
            ..Default::default()
        })
        .party(Party {
            tel: Some("tel:+12025550101".into()),
            ..Default::default()
        })
}

#[test]
fn minimal_vcon_has_version_uuid_and_created_at() {
    let v = two_parties().build().unwrap();
    let j = v.to_value();
    assert_eq!(j["vcon"], "0.4.0");
    assert_eq!(j["uuid"], UUID);
    assert_eq!(j["created_at"], T);
    assert!(j.get("dialog").is_none(), "empty arrays are not written");
    let v = two_parties().omit_syntax_version().build().unwrap();
    assert!(v.vcon.is_none());
}

#[test]
fn created_at_defaults_to_now() {
    let v = VconBuilder::new().uuid(Uuid::now_v7()).build().unwrap();
    assert!(v.created_at.unwrap().is_valid());
    // `parties` is written even when empty: it marks the unsigned form.
    assert_eq!(v.parties, Some(vec![]));
}

#[test]
fn missing_uuid_is_refused() {
    assert_eq!(
        VconBuilder::new().build().unwrap_err(),
        BuildError::MissingUuid
    );
}

#[test]
fn inline_recording_is_unpadded_base64url() {
    let v = two_parties()
        .dialog_recording_inline(
            vec![0, 1],
            T,
            b"\xff\xfe\x00ab",
            "audio/x-wav",
            Some("a.wav"),
        )
        .build()
        .unwrap();
    let d = &v.dialogs()[0];
    assert_eq!(d.encoding, Some(Encoding::Base64Url));
    assert_eq!(d.body, Some(json!("__4AYWI")));
    assert_eq!(d.filename.as_deref(), Some("a.wav"));
    assert_eq!(d.decoded_body().unwrap(), b"\xff\xfe\x00ab");
}

#[test]
fn external_recording_hash_from_bytes_with_extra_algorithms() {
    let bytes = b"not really an mp3".to_vec();
    let v = two_parties()
        .hash_algorithms(&[HashAlg::Sha256, HashAlg::Sha512, HashAlg::Sha256])
        .dialog_recording_external(vec![0, 1], T, "https://example.com/a.mp3", &bytes, None)
        .build()
        .unwrap();
    let hash = v.dialogs()[0].content_hash.clone().unwrap();
    let tokens: Vec<_> = hash.tokens().collect();
    assert_eq!(tokens.len(), 2);
    assert!(tokens[0].starts_with("sha512-") && tokens[1].starts_with("sha256-"));
    assert!(hash.verify(&bytes).is_ok());
    assert!(hash.verify(b"other").is_err());
}

#[test]
fn external_recording_with_a_given_hash() {
    let hash = ContentHash::compute(HashAlg::Sha512, b"x");
    let v = two_parties()
        .dialog_recording_external(0, T, "https://example.com/x", hash.clone(), None)
        .build()
        .unwrap();
    assert_eq!(
        v.dialogs()[0].content_hash,
        Some(ContentHashValue::One(hash.to_string()))
    );
    let only256 = ContentHash::compute(HashAlg::Sha256, b"x");
    let err = two_parties()
        .dialog_recording_external(0, T, "https://example.com/x", only256, None)
        .build()
        .unwrap_err();
    assert_eq!(err.pointer(), Some("/dialog/0/content_hash"));
    assert!(err.to_string().contains("no sha512 token"), "{err}");
    let garbage = ContentHashValue::One("sha512-???".into());
    assert!(matches!(
        two_parties()
            .dialog_recording_external(0, T, "https://example.com/x", garbage, None)
            .build(),
        Err(BuildError::Hash { .. })
    ));
}

#[test]
fn http_urls_are_refused() {
    let err = two_parties()
        .dialog_recording_external(0, T, "http://example.com/x", b"x", None)
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/dialog/0/url: `http://example.com/x` is not an absolute https URL (R-31)"
    );
}

#[test]
fn party_indices_are_checked_everywhere() {
    let history = Dialog {
        r#type: Some(DialogType::Text),
        start: Some(Date::verbatim(T)),
        parties: Some(DialogParties::Channels(vec![
            Some(IndexOrList::One(0)),
            None,
            Some(IndexOrList::List(vec![1, 2])),
        ])),
        ..Default::default()
    };
    let err = two_parties().dialog(history).build().unwrap_err();
    assert_eq!(err.pointer(), Some("/dialog/0/parties/2/1"));
    assert!(matches!(
        err,
        BuildError::PartyIndex {
            index: 2,
            count: 2,
            ..
        }
    ));

    let mut d = base_dialog(DialogType::Text, 0.into(), Date::verbatim(T));
    d.party_history = Some(vec![PartyHistory {
        party: Some(5),
        time: Some(Date::verbatim(T)),
        event: Some(PartyEvent::Join),
        ..Default::default()
    }]);
    let err = two_parties().dialog(d).build().unwrap_err();
    assert_eq!(err.pointer(), Some("/dialog/0/party_history/0/party"));
}

#[test]
fn required_members_are_named() {
    let err = two_parties().dialog(Dialog::default()).build().unwrap_err();
    assert_eq!(err.to_string(), "/dialog/0: `type` is required (R-13)");
    let err = two_parties()
        .dialog_text(0, "yesterday", "hi")
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/dialog/0/start: `yesterday` is not an RFC 3339 date-time with a `Z` or numeric offset (R-15)"
    );
    let a = Analysis {
        r#type: Some("summary".into()),
        ..Default::default()
    };
    let err = two_parties().analysis(a).build().unwrap_err();
    assert_eq!(err.to_string(), "/analysis/0: `vendor` is required (R-34)");
    let err = two_parties()
        .dialog_text(0, T, "hi")
        .attachment(Attachment {
            start: Some(Date::verbatim(T)),
            party: Some(0),
            ..Default::default()
        })
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/attachments/0: `dialog` is required (R-36)"
    );
}

#[test]
fn analysis_indices_are_checked() {
    let err = two_parties()
        .dialog_text(0, T, "hi")
        .analysis(json_analysis("summary", 1, "acme", json!({})))
        .build()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "/analysis/0/dialog: dialog index 1 is out of range, the vCon has 1 dialogs (R-35)"
    );
}

#[test]
fn critical_implies_extension_and_is_accepted_by_validation() {
    let v = two_parties()
        .extension("CC")
        .critical("x_private")
        .critical("x_private")
        .build()
        .unwrap();
    assert_eq!(v.extension_names(), ["CC", "x_private"]);
    assert_eq!(v.critical_names(), ["x_private"]);
}

#[test]
fn tags_are_anchored_and_checked() {
    let v = two_parties()
        .dialog_text(vec![0, 1], T, "hi")
        .tag("a", "1")
        .tag("b", "2")
        .tag("a", "3")
        .tags_anchor(1, 0)
        .build()
        .unwrap();
    let att = &v.to_value()["attachments"][0];
    assert_eq!(
        *att,
        json!({"purpose": "tags", "start": T, "party": 1, "dialog": 0,
               "mediatype": "application/json", "encoding": "json", "body": ["a:3", "b:2"]})
    );
    let err = two_parties().tag("a", "1").build().unwrap_err();
    assert_eq!(
        err,
        BuildError::TagsUnanchored {
            parties: 2,
            dialogs: 0
        }
    );
    let err = two_parties().tag("a:b", "1").build().unwrap_err();
    assert!(matches!(
        err,
        BuildError::Tag(crate::tags::TagError::NameContainsColon { .. })
    ));
    let err = two_parties()
        .dialog_text(0, T, "hi")
        .tag("a", "1")
        .tags_anchor(7, 0)
        .build()
        .unwrap_err();
    assert_eq!(err.pointer(), Some("/attachments/0/party"));
}

#[test]
fn strict_validation_findings_are_reported() {
    // A disposition on an incomplete dialog that is not registered is only
    // caught by the validator, not by the builder's own checks.
    let mut d = base_dialog(DialogType::Incomplete, 0.into(), Date::verbatim(T));
    d.disposition = Some("lost".into());
    let err = two_parties().dialog(d.clone()).build().unwrap_err();
    match &err {
        BuildError::Invalid { findings } => {
            assert!(findings.iter().any(|f| f.rule == "R-17"), "{findings:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("R-17"), "{err}");
    assert!(two_parties().dialog(d).skip_validation().build().is_ok());
}
