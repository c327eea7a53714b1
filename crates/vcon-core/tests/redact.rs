//! Redaction end to end: every PII kind found (and its look-alikes left),
//! the report never holding PII, placeholders keeping indices, WAV
//! silencing exact to the frame, and the draft's own examples (A.2 e-mails,
//! A.5 deepgram transcript, the wtf_transcription example).
//!
//! Vectors are read from `$VCON_VECTORS_DIR` or `../shared/vectors` next to
//! the checkout; tests that need them say on stderr when they are absent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use uuid::Uuid;
use vcon_core::hash::{ContentHash, HashAlg};
use vcon_core::model::Date;
use vcon_core::redact::wav::{Wav, pcm16_mono};
use vcon_core::redact::{
    CustomPattern, DobMode, RedactError, RedactOptions, Redaction, RedactionPolicy, Unsupported,
    redact,
};
use vcon_core::validate::{Options, Profile, validate_object};

const ORIGINAL_UUID: &str = "019f15a6-a752-826f-b9a2-279e0d16bc46";
const NEW_UUID: &str = "019f15a6-aa72-8dbd-a20f-d188127fad29";

fn options() -> RedactOptions {
    RedactOptions {
        updated_at: Some(Date::verbatim("2026-07-01T10:00:00Z")),
        ..RedactOptions::new(NEW_UUID.parse::<Uuid>().unwrap())
    }
}

/// The shared vectors directory, or `None` after saying why the test skips.
fn vectors(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("VCON_VECTORS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
        PathBuf::from,
    );
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED {test}: vector directory {} is absent (set VCON_VECTORS_DIR)",
            dir.display()
        );
        None
    }
}

/// A strictly valid vCon with parties and one text dialog holding `text`.
fn text_vcon(text: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "uuid": ORIGINAL_UUID,
        "created_at": "2026-06-29T23:11:19Z",
        "subject": "Call from Alice Smith",
        "parties": [
            {"tel": "+12025550143", "name": "Alice Smith", "validation": "none"},
            {"mailto": "mailto:bob.jones@example.com", "name": "Bob Jones", "validation": "none"}
        ],
        "dialog": [{"type": "text", "start": "2026-06-29T23:11:19Z", "parties": [0, 1],
                    "mediatype": "text/plain", "encoding": "none", "body": text}]
    }))
    .unwrap()
}

fn redact_text(text: &str, policy: &RedactionPolicy) -> (String, Redaction) {
    let out = redact(&text_vcon(text), policy, &options()).unwrap();
    let body = out.vcon["dialog"][0]["body"].as_str().unwrap().to_owned();
    (body, out)
}

/// Asserts that `text` comes out as `expected` and the report counts `kind` once.
fn masks(text: &str, expected: &str, kind: &str) {
    let (body, out) = redact_text(text, &RedactionPolicy::default());
    assert_eq!(body, expected, "input {text:?}");
    assert_eq!(
        out.report.counts.get(kind),
        Some(&1),
        "{text:?}: {:?}",
        out.report.counts
    );
}

/// Asserts that `text` comes out unchanged.
fn keeps(text: &str) {
    let (body, out) = redact_text(text, &RedactionPolicy::default());
    assert_eq!(body, text, "{:?}", out.report.items);
}

#[test]
fn phone_numbers() {
    masks("call 415-555-0199 now", "call [PHONE] now", "phone");
    masks("call +44 20 7946 0958.", "call [PHONE].", "phone");
    masks("my number is 3105550123.", "my number is [PHONE].", "phone");
    keeps("order 26639694654 and invoice 1663969465698");
    keeps("pi is 3.1415926535 and v2.1234567890");
}

#[test]
fn email_addresses() {
    masks("write to carol@example.org!", "write to [EMAIL]!", "email");
    keeps("carol at example dot org, or @handle, or a@b");
}

#[test]
fn payment_cards_are_luhn_checked() {
    masks(
        "card 4111 1111 1111 1111 exp 12/29",
        "card [CARD] exp 12/29",
        "card",
    );
    masks("card 5500-0000-0000-0004", "card [CARD]", "card");
    keeps("ref 4111 1111 1111 1112 and 4111111111111112");
}

#[test]
fn us_social_security_numbers() {
    masks("SSN 123-45-6789.", "SSN [SSN].", "ssn");
    masks(
        "my social security number is 123456789",
        "my social security number is [SSN]",
        "ssn",
    );
    keeps("codes 666-12-3456, 900-12-3456, 123-00-4567, 123-45-0000 and order 123456789");
}

#[test]
fn ibans_are_mod97_checked() {
    masks(
        "IBAN DE89 3704 0044 0532 0130 00 please",
        "IBAN [IBAN] please",
        "iban",
    );
    masks("to GB82WEST12345698765432", "to [IBAN]", "iban");
    keeps("to GB82WEST12345698765433 and DE89 3704 0044 0532 0130 01");
}

#[test]
fn ip_addresses() {
    masks("from 203.0.113.42 today", "from [IP] today", "ip");
    masks(
        "from 2001:db8:85a3::8a2e:370:7334, ok",
        "from [IP], ok",
        "ip",
    );
    keeps("at 12:30:45 in v1.2.3 from 999.1.1.1 and std::io");
}

#[test]
fn dates_of_birth_need_a_cue_by_default() {
    masks("I was born on 4 July 1976.", "I was born on [DOB].", "dob");
    masks("DOB: 07/04/1976", "DOB: [DOB]", "dob");
    keeps("the meeting on 07/04/1976 went well");
    let mut all = RedactionPolicy::default();
    all.pii.dob = DobMode::All;
    let (body, _) = redact_text("met on 1976-07-04, logged 2026-06-29T23:11:19Z", &all);
    assert_eq!(body, "met on [DOB], logged 2026-06-29T23:11:19Z");
    let mut off = RedactionPolicy::default();
    off.pii.dob = DobMode::Off;
    let (body, _) = redact_text("born 4 July 1976", &off);
    assert_eq!(body, "born 4 July 1976");
}

#[test]
fn the_parties_own_identifiers() {
    // tel +12025550143 without +, with national formatting, spread out.
    masks("ring 1 202 555 0143", "ring [PHONE]", "party_tel");
    masks("ring (202) 555-0143", "ring [PHONE]", "party_tel");
    masks("ring 202.555.0143", "ring [PHONE]", "party_tel");
    masks("mail BOB.JONES@example.com", "mail [EMAIL]", "party_email");
    let (body, out) = redact_text(
        "alice smith met Jones; Smithers did not",
        &RedactionPolicy::default(),
    );
    assert_eq!(body, "[NAME] met [NAME]; Smithers did not");
    assert_eq!(out.report.counts["party_name"], 3, "subject counts one too");
    assert_eq!(out.vcon["subject"], "Call from [NAME]");
    let mut off = RedactionPolicy::default();
    off.pii.party_identifiers = false;
    let (body, _) = redact_text("alice smith", &off);
    assert_eq!(body, "alice smith");
}

#[test]
fn custom_patterns_with_replacements() {
    let mut policy = RedactionPolicy::default();
    policy.pii.custom.push(CustomPattern {
        name: "account".into(),
        pattern: r"ACCT-[0-9]{6}".into(),
        replacement: Some("[ACCOUNT]".into()),
    });
    policy.pii.custom.push(CustomPattern {
        name: "ticket".into(),
        pattern: r"T#[0-9]+".into(),
        replacement: None,
    });
    let (body, out) = redact_text("ACCT-123456 and T#99 but ACCT-12", &policy);
    assert_eq!(body, "[ACCOUNT] and [TICKET] but ACCT-12");
    assert_eq!(out.report.counts["custom:account"], 1);
    assert_eq!(out.report.counts["custom:ticket"], 1);
}

#[test]
fn masks_are_configurable_and_kinds_can_be_turned_off() {
    let mut policy = RedactionPolicy::default();
    policy.pii.masks.email = "<email>".into();
    policy.pii.phone = false;
    let (body, _) = redact_text("carol@example.org 415-555-0199", &policy);
    assert_eq!(body, "<email> 415-555-0199");
}

#[test]
fn the_report_never_holds_pii() {
    let pii = [
        "415-555-0199",
        "carol@example.org",
        "4111 1111 1111 1111",
        "123-45-6789",
        "DE89 3704 0044 0532 0130 00",
        "203.0.113.42",
        "4 July 1976",
        "Alice",
        "Smith",
        "bob.jones",
        "2025550143",
    ];
    let text = format!(
        "Alice Smith: {}, {}, card {}, SSN {}, IBAN {}, IP {}, born {}, bob.jones@example.com, 202-555-0143",
        pii[0], pii[1], pii[2], pii[3], pii[4], pii[5], pii[6]
    );
    let mut policy = RedactionPolicy::default();
    policy.parties.drop_members = vec!["tel".into(), "mailto".into()];
    policy
        .parties
        .replace_members
        .insert("name".into(), "[NAME]".into());
    let (body, out) = redact_text(&text, &policy);
    let report = serde_json::to_string(&out.report).unwrap();
    let output = serde_json::to_string(&out.vcon).unwrap();
    for p in pii {
        assert!(!report.contains(p), "report holds {p:?}: {report}");
        assert!(!output.contains(p), "output holds {p:?}: {body}");
    }
    for kind in [
        "phone",
        "email",
        "card",
        "ssn",
        "iban",
        "ip",
        "dob",
        "party_name",
        "party_email",
        "party_tel",
    ] {
        assert!(
            out.report.counts.contains_key(kind),
            "{kind} missing from {:?}",
            out.report.counts
        );
    }
}

#[test]
fn placeholders_keep_indices_and_the_output_validates() {
    let original = serde_json::to_vec(&json!({
        "uuid": ORIGINAL_UUID,
        "created_at": "2026-06-29T23:11:19Z",
        "parties": [{"name": "Agent", "validation": "none"}, {"tel": "+12025550143"}, {"name": "Carol", "validation": "none"}],
        "dialog": [
            {"type": "recording", "start": "2026-06-29T23:11:19Z", "parties": [0, 1, 2],
             "mediatype": "audio/x-mp3", "url": "https://example.com/a.mp3",
             "content_hash": ContentHash::compute(HashAlg::Sha512, b"mp3").to_string()},
            {"type": "text", "start": "2026-06-29T23:11:19Z", "parties": [2, 0],
             "mediatype": "text/plain", "encoding": "none", "body": "hello"}
        ],
        "analysis": [
            {"type": "summary", "dialog": 1, "vendor": "x", "encoding": "none", "body": "Carol asked"},
            {"type": "sentiment", "dialog": [0, 1], "vendor": "x", "encoding": "json", "body": {"score": 0.5}}
        ],
        "attachments": [
            {"purpose": "invoice", "party": 2, "dialog": 1, "start": "2026-06-29T23:11:19Z",
             "mediatype": "text/plain", "encoding": "none", "body": "bill Carol"},
            {"purpose": "notes", "party": 0, "dialog": 1, "start": "2026-06-29T23:11:19Z",
             "mediatype": "text/plain", "encoding": "none", "body": "ok"}
        ]
    }))
    .unwrap();
    let mut policy = RedactionPolicy::default();
    policy.parties.remove = vec![1];
    policy.media.mediatypes = vec!["audio/*".into()];
    policy.analysis.remove_types = vec!["summary".into()];
    policy.attachments.remove_purposes = vec!["invoice".into()];
    let out = redact(&original, &policy, &options()).unwrap();
    let v = &out.vcon;
    assert_eq!(v["parties"].as_array().unwrap().len(), 3);
    assert_eq!(v["parties"][1], json!({}));
    assert_eq!(v["parties"][2]["name"], "Carol");
    assert_eq!(v["dialog"][0].get("url"), None);
    assert!(
        v["dialog"][0]["content_hash"].is_string(),
        "content_hash kept (A.8 style)"
    );
    assert_eq!(
        v["analysis"],
        json!([{}, {"type": "sentiment", "dialog": [0, 1], "vendor": "x", "encoding": "json", "body": {"score": 0.5}}])
    );
    assert_eq!(v["attachments"][0], json!({}));
    assert_eq!(v["attachments"][1]["body"], "ok");
    assert_eq!(v["uuid"], NEW_UUID);
    assert_eq!(v["updated_at"], "2026-07-01T10:00:00Z");
    assert_eq!(v["created_at"], "2026-06-29T23:11:19Z");
    assert_eq!(
        v["redacted"],
        json!({"uuid": ORIGINAL_UUID, "type": "PII Redaction",
               "content_hash": ContentHash::compute(HashAlg::Sha512, &original).to_string()})
    );
    let report = validate_object(v, &Options::with_profile(Profile::Strict));
    assert!(report.is_valid(), "{:#?}", report.findings);
    let counts = &out.report.counts;
    assert_eq!(
        (
            counts["party"],
            counts["media"],
            counts["analysis"],
            counts["attachment"]
        ),
        (1, 1, 1, 1)
    );
    assert!(out.report.items.iter().any(|i| i.pointer == "/parties/1"));
}

#[test]
fn policy_indices_must_exist() {
    let mut policy = RedactionPolicy::default();
    policy.media.dialogs = vec![0, 7];
    let e = redact(&text_vcon("x"), &policy, &options()).unwrap_err();
    assert_eq!(e.pointer(), "/media/dialogs/1");
    assert!(e.to_string().contains("dialog 7 does not exist"), "{e}");
}

/// A vCon with an inline 8 kHz PCM recording of constant samples and a
/// deepgram-shaped transcript whose words 1 and 3 are PII.
fn wav_vcon(wav: &[u8]) -> Vec<u8> {
    let hash = ContentHash::compute(HashAlg::Sha512, wav).to_string();
    serde_json::to_vec(&json!({
        "uuid": ORIGINAL_UUID,
        "created_at": "2026-06-29T23:11:19Z",
        "parties": [{"name": "Dana Scully", "validation": "none"}],
        "dialog": [{"type": "recording", "start": "2026-06-29T23:11:19Z", "parties": [0],
                    "mediatype": "audio/x-wav", "encoding": "base64url",
                    "body": URL_SAFE_NO_PAD.encode(wav), "content_hash": hash}],
        "analysis": [{"type": "transcript", "dialog": 0, "vendor": "deepgram", "encoding": "json",
            "body": {"results": {"channels": [{"alternatives": [{
                "transcript": "this is dana my card is 4111111111111111 thanks",
                "words": [
                    {"word": "this", "start": 0.10, "end": 0.20},
                    {"word": "is", "start": 0.20, "end": 0.30},
                    {"word": "dana", "start": 0.3125, "end": 0.5},
                    {"word": "my", "start": 0.6, "end": 0.7},
                    {"word": "card", "start": 0.7, "end": 0.8},
                    {"word": "is", "start": 0.8, "end": 0.9},
                    {"word": "4111111111111111", "start": 1.0, "end": 1.90001},
                    {"word": "thanks", "start": 2.0, "end": 2.5}
                ]}]}]}}}]
    }))
    .unwrap()
}

#[test]
fn wav_silencing_zeroes_exactly_the_spans() {
    let rate = 8000;
    let wav = pcm16_mono(rate, &vec![1234; 3 * rate as usize]);
    let out = redact(&wav_vcon(&wav), &RedactionPolicy::default(), &options()).unwrap();
    let d = &out.vcon["dialog"][0];
    let bytes = URL_SAFE_NO_PAD.decode(d["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        d["content_hash"],
        ContentHash::compute(HashAlg::Sha512, &bytes).to_string()
    );
    let w = Wav::parse(&bytes).unwrap();
    // "dana" 0.3125..0.5 s = frames 2500..4000; the card 1.0..1.90001 s = 8000..15201.
    let silent = |f: usize| (2500..4000).contains(&f) || (8000..15201).contains(&f);
    for f in 0..w.frames() {
        let expected = if silent(f) { 0 } else { 1234 };
        assert_eq!(w.sample(&bytes, f, 0), Some(expected), "frame {f}");
    }
    let words = &out.vcon["analysis"][0]["body"]["results"]["channels"][0]["alternatives"][0];
    assert_eq!(words["words"][2]["word"], "[NAME]");
    assert_eq!(words["words"][6]["word"], "[CARD]");
    assert_eq!(
        words["transcript"],
        "this is [NAME] my card is [CARD] thanks"
    );
    assert_eq!(out.report.counts["audio"], 2);
    let seconds = out.report.silenced_seconds["/dialog/0"];
    assert!(
        (seconds - (1500.0 + 7201.0) / 8000.0).abs() < 1e-9,
        "{seconds}"
    );
}

#[test]
fn padding_widens_the_silenced_spans() {
    let wav = pcm16_mono(1000, &[9; 3000]);
    let mut policy = RedactionPolicy::default();
    policy.audio.pad_seconds = 0.1;
    let out = redact(&wav_vcon(&wav), &policy, &options()).unwrap();
    let bytes = URL_SAFE_NO_PAD
        .decode(out.vcon["dialog"][0]["body"].as_str().unwrap())
        .unwrap();
    let w = Wav::parse(&bytes).unwrap();
    // "dana" 0.3125..0.5 s and the card 1.0..1.90001 s, each widened by 0.1 s.
    for (frame, sample) in [
        (205, 9),
        (220, 0),
        (590, 0),
        (610, 9),
        (890, 9),
        (910, 0),
        (1995, 0),
        (2010, 9),
    ] {
        assert_eq!(w.sample(&bytes, frame, 0), Some(sample), "frame {frame}");
    }
}

#[test]
fn removed_transcripts_still_silence_the_audio() {
    let wav = pcm16_mono(1000, &[9; 3000]);
    let mut policy = RedactionPolicy::default();
    policy.analysis.remove_types = vec!["transcript".into()];
    let out = redact(&wav_vcon(&wav), &policy, &options()).unwrap();
    assert_eq!(out.vcon["analysis"][0], json!({}));
    let bytes = URL_SAFE_NO_PAD
        .decode(out.vcon["dialog"][0]["body"].as_str().unwrap())
        .unwrap();
    let w = Wav::parse(&bytes).unwrap();
    assert_eq!(w.sample(&bytes, 1500, 0), Some(0));
    assert_eq!(w.sample(&bytes, 2500, 0), Some(9));
}

#[test]
fn non_pcm_recordings_are_refused_by_name_or_removed() {
    let mut gsm = pcm16_mono(8000, &[0; 24000]);
    gsm[20..22].copy_from_slice(&0x0031u16.to_le_bytes());
    let e = redact(&wav_vcon(&gsm), &RedactionPolicy::default(), &options()).unwrap_err();
    assert!(matches!(e, RedactError::Audio(_)));
    assert_eq!(e.pointer(), "/dialog/0");
    assert!(e.to_string().contains("GSM 6.10"), "{e}");
    let mut policy = RedactionPolicy::default();
    policy.audio.unsupported = Unsupported::Remove;
    let out = redact(&wav_vcon(&gsm), &policy, &options()).unwrap();
    assert_eq!(out.vcon["dialog"][0].get("body"), None);
    assert!(out.vcon["dialog"][0]["content_hash"].is_string());
    assert!(out.report.notes[0].message.contains("GSM 6.10"));
}

#[test]
fn refusals() {
    let signed =
        br#"{"payload":"e30","signatures":[{"protected":"e30","header":{},"signature":"AA"}]}"#;
    let e = redact(signed, &RedactionPolicy::default(), &options()).unwrap_err();
    assert!(e.to_string().contains("signed vCon"), "{e}");
    let legacy = br#"{"vcon":"0.0.1","uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","parties":[]}"#;
    let e = redact(legacy, &RedactionPolicy::default(), &options()).unwrap_err();
    assert!(matches!(e, RedactError::Legacy { .. }), "{e}");
    let invalid = br#"{"uuid":"nope","parties":[],"dialog":[{"type":"fax"}]}"#;
    let e = redact(invalid, &RedactionPolicy::default(), &options()).unwrap_err();
    assert!(matches!(e, RedactError::InvalidInput { .. }), "{e}");
    assert!(!e.pointer().is_empty());
}

#[test]
fn a_redacted_original_is_replaced_as_reference() {
    let first = redact(
        &text_vcon("call 415-555-0199"),
        &RedactionPolicy::default(),
        &options(),
    )
    .unwrap();
    let bytes = first.to_vec_pretty().unwrap();
    let second = RedactOptions {
        uuid: Uuid::nil(),
        ..options()
    };
    let again = redact(&bytes, &RedactionPolicy::default(), &second).unwrap();
    assert_eq!(again.vcon["redacted"]["uuid"], NEW_UUID);
    assert_eq!(again.report.counts["reference"], 1);
    assert_eq!(again.vcon["dialog"][0]["body"], "call [PHONE]");
}

fn read_vector(dir: &std::path::Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

#[test]
fn a5_transcript_masks_the_callers_number_and_names() {
    let Some(dir) = vectors("a5_transcript_masks_the_callers_number_and_names") else {
        return;
    };
    let a5 = read_vector(
        &dir,
        "core03-A5-unsigned-call-with-transcript-analysis.vcon",
    );
    // The recording is external: silencing is impossible, so the default refuses.
    let e = redact(&a5, &RedactionPolicy::default(), &options()).unwrap_err();
    assert!(e.to_string().contains("external"), "{e}");
    assert_eq!(e.pointer(), "/dialog/0");
    let mut policy = RedactionPolicy::default();
    policy.media.dialogs = vec![0];
    policy.parties.drop_members = vec!["tel".into()];
    let out = redact(&a5, &policy, &options()).unwrap();
    let text = serde_json::to_string(&out.vcon["analysis"]).unwrap();
    assert!(
        !text.contains("1234567890"),
        "the caller's number is masked"
    );
    assert!(
        !text.to_lowercase().contains("alice"),
        "the caller's name is masked"
    );
    assert!(
        !text.to_lowercase().contains("bob"),
        "the agent's name is masked"
    );
    let alt = &out.vcon["analysis"][0]["body"]["results"]["channels"][0]["alternatives"][0];
    assert!(
        alt["transcript"]
            .as_str()
            .unwrap()
            .contains("My name is [NAME], and my number is [PHONE].")
    );
    let words = alt["words"].as_array().unwrap();
    assert!(
        words
            .iter()
            .any(|w| w["word"] == "[PHONE]" && w["punctuated_word"] == "[PHONE].")
    );
    assert!(
        words
            .iter()
            .any(|w| w["word"] == "[NAME]" && w["punctuated_word"] == "[NAME],")
    );
    assert_eq!(out.vcon["dialog"][0].get("url"), None);
    assert!(out.report.counts["phone"] >= 3, "{:?}", out.report.counts);
    assert!(
        out.report.counts["party_name"] >= 6,
        "{:?}",
        out.report.counts
    );
    // Strict errors of the output are only those inherited (no created_at, R-3).
    let strict = validate_object(&out.vcon, &Options::with_profile(Profile::Strict));
    assert!(
        strict
            .findings
            .iter()
            .filter(|f| f.severity == vcon_core::Severity::Error)
            .all(|f| f.rule == "R-3")
    );
    let report = serde_json::to_string(&out.report).unwrap();
    assert!(!report.contains("1234567890") && !report.contains("Alice"));
}

#[test]
fn a2_mime_emails_keep_their_structure() {
    let Some(dir) = vectors("a2_mime_emails_keep_their_structure") else {
        return;
    };
    let a2 = read_vector(&dir, "core03-A2-unsigned-email-thread-multipart.vcon");
    let out = redact(&a2, &RedactionPolicy::default(), &options()).unwrap();
    let original: Value = serde_json::from_slice(&a2).unwrap();
    for i in 0..2 {
        let body = out.vcon["dialog"][i]["body"].as_str().unwrap();
        let before = original["dialog"][i]["body"].as_str().unwrap();
        let boundary = vcon_core::redact::mime::param(
            original["dialog"][i]["mediatype"].as_str().unwrap(),
            "boundary",
        )
        .unwrap();
        assert_eq!(
            body.matches(boundary.as_str()).count(),
            before.matches(boundary.as_str()).count()
        );
        assert!(!body.contains("b@example.com"));
        assert!(!body.contains("Bob") && !body.contains("Alice"));
    }
    // The attached PNG (base64, not text) is left exactly as it was.
    let png = "iVBORw0KGgoAAAANSUhEUgAAACYAAAAeCAIAAADPdvs5AAAAA3NCSVQICAjb4U/gAAAAGXRFWHRT";
    assert!(
        out.vcon["dialog"][0]["body"]
            .as_str()
            .unwrap()
            .contains(png)
    );
    assert!(
        out.report
            .notes
            .iter()
            .any(|n| n.message.contains("image/png"))
    );
}

#[test]
fn wtf_transcription_words_segments_and_speakers() {
    let Some(dir) = vectors("wtf_transcription_words_segments_and_speakers") else {
        return;
    };
    let wtf = read_vector(&dir, "ext-wtf-basic-two-party-transcription.json");
    let out = redact(&wtf, &RedactionPolicy::default(), &options()).unwrap();
    let body = &out.vcon["analysis"][0]["body"];
    assert_eq!(
        body["segments"][1]["text"],
        "Hi [NAME], I'm having trouble with my account. Can you help me reset my password?"
    );
    assert_eq!(body["speakers"]["0"]["label"], "[NAME] (Customer Service)");
    assert!(!serde_json::to_string(body).unwrap().contains("Alice"));
    let strict = validate_object(&out.vcon, &Options::with_profile(Profile::Strict));
    assert!(strict.is_valid(), "{:#?}", strict.findings);
}
