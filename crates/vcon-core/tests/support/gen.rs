//! proptest generator of valid vCons ([`valid_vcon`]): vCons that satisfy
//! every MUST of core-03, so strict validation reports no error. v8 uuid,
//! `created_at`, parties, recording / text / incomplete dialogs with in-range
//! party indices, inline base64url or external `https` + sha512 content,
//! party_history, session_id, an optional recording-set and transfer,
//! analyses and attachments. Built with the typed model.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use serde_json::json;
use vcon_core::hash::{ContentHash, HashAlg};
use vcon_core::model::{
    Analysis, Attachment, ContentHashValue, Date, Dialog, DialogParties, DialogType, Disposition,
    IndexOrList, Party, PartyEvent, PartyHistory, SessionId, SessionIds, Vcon,
};

/// A v8 UUID from 16 random bytes, in canonical lower-case text.
fn uuid_v8(bytes: [u8; 16]) -> String {
    uuid::Uuid::new_v8(bytes).to_string()
}

/// A date `offset` seconds after `base` (Unix seconds), RFC 3339 with `Z`.
fn date(base: i64, offset: i64) -> Date {
    let t = chrono::DateTime::from_timestamp(base + offset, 0).unwrap_or_default();
    Date::from_datetime(&t)
}

fn valid_party() -> impl Strategy<Value = Party> {
    (
        "[A-Z][a-z]{1,8}",
        "[0-9]{10}",
        proptest::option::of("[a-z]{1,8}@example\\.com"),
        select(&["person", "bot", "organization"][..]),
        any::<bool>(),
    )
        .prop_map(|(name, digits, mailto, kind, anonymous)| Party {
            tel: Some(format!("+1{digits}")),
            mailto,
            name: Some(if anonymous { "anonymous".into() } else { name }),
            validation: Some("none".into()),
            r#type: Some(kind.into()),
            ..Party::default()
        })
}

/// What one base dialog is, before party indices are resolved.
#[derive(Debug, Clone)]
pub enum DialogSpec {
    /// A recording with inline or external content.
    Recording {
        /// The media bytes.
        bytes: Vec<u8>,
        /// Inline (base64url) or external (url + sha512).
        inline: bool,
        /// Duration in seconds; a float when `fraction` is set.
        seconds: u32,
        /// Write the duration as a float.
        fraction: bool,
        /// Multi-channel `parties`.
        channels: bool,
        /// Add party_history and session_id.
        history: bool,
    },
    /// A text message.
    Text(String),
    /// A failed call.
    Incomplete(&'static str),
}

fn dialog_spec() -> impl Strategy<Value = DialogSpec> {
    prop_oneof![
        3 => (vec(any::<u8>(), 0..48), any::<bool>(), 0u32..7200, any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(bytes, inline, seconds, fraction, channels, history)| DialogSpec::Recording {
                bytes, inline, seconds, fraction, channels, history,
            }),
        2 => "\\PC{1,40}".prop_map(DialogSpec::Text),
        1 => select(&["no-answer", "congestion", "failed", "busy", "hung-up", "voicemail-no-message"][..])
            .prop_map(DialogSpec::Incomplete),
    ]
}

/// Two party indices picked from `n` parties (equal when `n` is 1).
fn pick_two(n: usize, a: &Index, b: &Index) -> (u64, u64) {
    (a.index(n) as u64, b.index(n) as u64)
}

fn build_dialog(
    spec: &DialogSpec,
    n_parties: usize,
    start: Date,
    picks: &(Index, Index),
    ids: [u8; 32],
) -> Dialog {
    let (p0, p1) = pick_two(n_parties, &picks.0, &picks.1);
    let mut d = Dialog {
        start: Some(start.clone()),
        ..Dialog::default()
    };
    match spec {
        DialogSpec::Recording {
            bytes,
            inline,
            seconds,
            fraction,
            channels,
            history,
        } => {
            d.r#type = Some(DialogType::Recording);
            d.duration = Some(if *fraction {
                serde_json::Number::from_f64(f64::from(*seconds) + 0.5).unwrap_or_else(|| 0.into())
            } else {
                (*seconds).into()
            });
            d.parties = Some(if *channels {
                DialogParties::Channels(vec![
                    Some(IndexOrList::One(p0)),
                    None,
                    Some(IndexOrList::List(vec![p1])),
                ])
            } else {
                DialogParties::List(vec![p0, p1])
            });
            d.mediatype = Some("audio/x-wav".into());
            if *inline {
                d.set_inline_bytes(bytes);
            } else {
                let hash = ContentHashValue::from(ContentHash::compute(HashAlg::Sha512, bytes));
                d.set_external(
                    format!("https://media.example.com/{}.wav", uuid_v8([7; 16])),
                    hash,
                );
                d.filename = Some("call.wav".into());
            }
            if *history {
                let mut local = [0u8; 16];
                let mut remote = [0u8; 16];
                local.copy_from_slice(&ids[..16]);
                remote.copy_from_slice(&ids[16..]);
                let v4 = |b: [u8; 16]| uuid::Builder::from_random_bytes(b).into_uuid().to_string();
                d.session_id = Some(SessionIds::One(SessionId {
                    local: Some(v4(local)),
                    remote: Some(v4(remote)),
                    ..SessionId::default()
                }));
                d.party_history = Some(vec![
                    PartyHistory {
                        party: Some(p0),
                        time: Some(start.clone()),
                        event: Some(PartyEvent::Join),
                        ..PartyHistory::default()
                    },
                    PartyHistory {
                        party: Some(p1),
                        time: Some(start.clone()),
                        event: Some(PartyEvent::Keydown),
                        button: Some("5".into()),
                        ..PartyHistory::default()
                    },
                    PartyHistory {
                        party: Some(p1),
                        time: Some(start),
                        event: Some(PartyEvent::Drop),
                        ..PartyHistory::default()
                    },
                ]);
            }
        }
        DialogSpec::Text(text) => {
            d.r#type = Some(DialogType::Text);
            d.parties = Some(DialogParties::List(vec![p0, p1]));
            d.mediatype = Some("text/plain".into());
            d.set_inline_text(text.clone());
        }
        DialogSpec::Incomplete(disposition) => {
            d.r#type = Some(DialogType::Incomplete);
            d.parties = Some(DialogParties::One(p0));
            d.disposition = Some(Disposition::from(*disposition));
        }
    }
    d
}

/// Appends a recording-set over every recording and sets their back-references.
fn add_recording_set(vcon: &mut Vcon, start: Date) {
    let recordings: Vec<u64> = vcon
        .dialogs()
        .iter()
        .enumerate()
        .filter(|(_, d)| d.kind() == Some(&DialogType::Recording))
        .map(|(i, _)| i as u64)
        .collect();
    if recordings.is_empty() {
        return;
    }
    let set_index = vcon.dialogs().len() as u64;
    for &r in &recordings {
        if let Some(d) = vcon.dialogs_mut().get_mut(r as usize) {
            d.recording_set = Some(set_index);
        }
    }
    let parties: Vec<u64> = (0..vcon.parties().len() as u64).collect();
    vcon.push_dialog(Dialog {
        r#type: Some(DialogType::RecordingSet),
        start: Some(start),
        parties: Some(DialogParties::List(parties)),
        recordings: Some(recordings),
        ..Dialog::default()
    });
}

/// Appends a transfer between the first two recording/text dialogs, if any.
fn add_transfer(vcon: &mut Vcon, start: Date) {
    let talks: Vec<u64> = vcon
        .dialogs()
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d.kind(), Some(DialogType::Recording | DialogType::Text)))
        .map(|(i, _)| i as u64)
        .collect();
    let (Some(&original), Some(&target)) = (talks.first(), talks.last()) else {
        return;
    };
    let last_party = vcon.parties().len().saturating_sub(1) as u64;
    vcon.push_dialog(Dialog {
        r#type: Some(DialogType::Transfer),
        start: Some(start),
        transferee: Some(0),
        transferor: Some(last_party.min(1)),
        transfer_target: Some(IndexOrList::One(last_party)),
        original: Some(IndexOrList::One(original)),
        target_dialog: Some(IndexOrList::One(target)),
        ..Dialog::default()
    });
}

/// A vCon that strict validation accepts without error.
pub fn valid_vcon() -> impl Strategy<Value = Vcon> {
    (
        any::<[u8; 16]>(),
        1_500_000_000i64..2_000_000_000,
        vec(valid_party(), 1..5),
        vec(
            (dialog_spec(), any::<(Index, Index)>(), any::<[u8; 32]>()),
            0..5,
        ),
        (
            any::<bool>(),
            any::<bool>(),
            proptest::option::of("\\PC{1,20}"),
        ),
        vec(
            (
                select(&["summary", "transcript", "sentiment"][..]),
                any::<Index>(),
                "[a-z]{2,8}",
            ),
            0..3,
        ),
        vec(
            (any::<Index>(), any::<Index>(), vec(any::<u8>(), 1..32)),
            0..3,
        ),
    )
        .prop_map(
            |(
                id,
                base,
                parties,
                dialogs,
                (with_set, with_transfer, subject),
                analyses,
                attachments,
            )| {
                let mut vcon = Vcon {
                    uuid: Some(uuid_v8(id)),
                    created_at: Some(date(base, 0)),
                    subject,
                    ..Vcon::default()
                };
                let n = parties.len();
                for p in parties {
                    vcon.push_party(p);
                }
                vcon.dialogs_mut();
                for (i, (spec, picks, ids)) in dialogs.iter().enumerate() {
                    let d = build_dialog(spec, n, date(base, 60 * i as i64), picks, *ids);
                    vcon.push_dialog(d);
                }
                if with_set {
                    add_recording_set(&mut vcon, date(base, 0));
                }
                if with_transfer {
                    add_transfer(&mut vcon, date(base, 3600));
                }
                let n_dialogs = vcon.dialogs().len();
                if n_dialogs > 0 {
                    for (kind, dialog, vendor) in analyses {
                        let mut a = Analysis {
                            r#type: Some(kind.into()),
                            dialog: Some(IndexOrList::One(dialog.index(n_dialogs) as u64)),
                            vendor: Some(vendor),
                            mediatype: Some("application/json".into()),
                            ..Analysis::default()
                        };
                        a.set_inline_json(json!({"text": "generated"}));
                        vcon.push_analysis(a);
                    }
                    for (party, dialog, bytes) in attachments {
                        let mut a = Attachment {
                            purpose: Some("notes".into()),
                            start: Some(date(base, 30)),
                            party: Some(party.index(n) as u64),
                            dialog: Some(dialog.index(n_dialogs) as u64),
                            mediatype: Some("application/octet-stream".into()),
                            ..Attachment::default()
                        };
                        a.set_inline_bytes(&bytes);
                        vcon.push_attachment(a);
                    }
                }
                vcon.updated_at = Some(date(base, 7200));
                vcon
            },
        )
}
