//! Amendment and lineage end to end: redact → lineage holds, one tampered
//! byte of the original breaks it, amended copies hold with their additions
//! listed, and the draft's own A.8/A.9 examples (which declare no
//! content_hash) are checked by uuid and content only, and say so.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use uuid::Uuid;
use vcon_core::amend::{AmendError, AmendOptions, amend, amend_verified};
use vcon_core::hash::{ContentHash, HashAlg};
use vcon_core::lineage::{
    DiffKind, HashStatus, LineageError, LineageOptions, LineageReport, Relation, check_lineage,
};
use vcon_core::model::Date;
use vcon_core::redact::wav::pcm16_mono;
use vcon_core::redact::{RedactError, RedactOptions, RedactionPolicy, redact, redact_verified};

const ORIGINAL_UUID: &str = "019f15a6-a752-826f-b9a2-279e0d16bc46";
const A4: &str = "core03-A4-unsigned-call-external-recording-url-content-hash.vcon";

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

fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(0x019f_15a6_aa72_8dbd_a20f_d188_127f_ad00 + n)
}

fn original() -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({
        "uuid": ORIGINAL_UUID,
        "created_at": "2026-06-29T23:11:19Z",
        "parties": [
            {"tel": "+12025550143", "name": "Alice Smith", "validation": "none"},
            {"mailto": "bob@example.com", "name": "Bob", "validation": "none"},
            {"name": "Carol", "validation": "none"}
        ],
        "dialog": [
            {"type": "text", "start": "2026-06-29T23:11:19Z", "parties": [0, 1],
             "mediatype": "text/plain", "encoding": "none",
             "body": "Hi Bob, this is Alice, call me on 202-555-0143"},
            {"type": "recording", "start": "2026-06-29T23:11:19Z", "parties": [0, 1],
             "mediatype": "audio/x-mp3", "url": "https://example.com/call.mp3",
             "content_hash": ContentHash::compute(HashAlg::Sha512, b"mp3").to_string()}
        ],
        "analysis": [
            {"type": "summary", "dialog": 0, "vendor": "acme", "encoding": "none", "body": "Alice wants a call back"}
        ]
    }))
    .unwrap()
}

fn redacted(original: &[u8]) -> Vec<u8> {
    let mut policy = RedactionPolicy::default();
    policy.parties.remove = vec![2];
    policy.parties.drop_members = vec!["tel".into(), "mailto".into()];
    policy
        .parties
        .replace_members
        .insert("name".into(), "[NAME]".into());
    policy.media.dialog_types = vec!["recording".into()];
    let opts = RedactOptions {
        updated_at: Some(Date::verbatim("2026-07-01T00:00:00Z")),
        ..RedactOptions::new(uuid(1))
    };
    redact(original, &policy, &opts)
        .unwrap()
        .to_vec_pretty()
        .unwrap()
}

fn kinds(r: &LineageReport) -> Vec<(&str, DiffKind)> {
    r.differences
        .iter()
        .map(|d| (d.pointer.as_str(), d.kind))
        .collect()
}

#[test]
fn redact_then_lineage_holds() {
    let original = original();
    let derived = redacted(&original);
    let r = check_lineage(&derived, &original, &LineageOptions::default()).unwrap();
    assert!(r.holds, "{:?}", r.problems);
    assert_eq!(r.relation, Some(Relation::Redacted));
    assert_eq!(r.hash, HashStatus::Verified);
    assert_eq!(r.referenced_uuid.as_deref(), Some(ORIGINAL_UUID));
    assert!(r.content_checked);
    assert_eq!(
        kinds(&r),
        [
            ("/parties/0/tel", DiffKind::Removed),
            ("/parties/0/name", DiffKind::Masked),
            ("/parties/1/mailto", DiffKind::Removed),
            ("/parties/1/name", DiffKind::Masked),
            ("/parties/2", DiffKind::Removed),
            ("/dialog/0/body", DiffKind::Masked),
            ("/dialog/1/url", DiffKind::Removed),
            ("/analysis/0/body", DiffKind::Masked),
        ]
    );
    // Details never quote the original's values.
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains("Alice") && !text.contains("0143"), "{text}");
}

#[test]
fn one_tampered_byte_of_the_original_breaks_the_hash() {
    let original = original();
    let derived = redacted(&original);
    let mut tampered = original.clone();
    let at = tampered.windows(5).position(|w| w == b"Carol").unwrap();
    tampered[at] = b'K';
    let r = check_lineage(&derived, &tampered, &LineageOptions::default()).unwrap();
    assert!(!r.holds);
    assert!(
        matches!(r.hash, HashStatus::Mismatch { .. }),
        "{:?}",
        r.hash
    );
    assert!(
        r.problems[0].contains("/redacted/content_hash does not match"),
        "{:?}",
        r.problems
    );
    // A whitespace-only change is a different document too: exact bytes count.
    let mut reformatted =
        serde_json::to_vec(&serde_json::from_slice::<Value>(&original).unwrap()).unwrap();
    reformatted.push(b'\n');
    let r = check_lineage(&derived, &reformatted, &LineageOptions::default()).unwrap();
    assert!(!r.holds);
}

#[test]
fn a_changed_or_added_item_breaks_a_redaction() {
    let original = original();
    let mut derived: Value = serde_json::from_slice(&redacted(&original)).unwrap();
    derived["dialog"][0]["body"] = json!("Hi Bob, this is Eve");
    derived["parties"][2] = json!({"name": "Mallory"});
    let bytes = serde_json::to_vec(&derived).unwrap();
    let r = check_lineage(&bytes, &original, &LineageOptions::default()).unwrap();
    assert!(!r.holds);
    assert!(kinds(&r).contains(&("/dialog/0/body", DiffKind::Changed)));
    assert!(kinds(&r).contains(&("/parties/2/name", DiffKind::Changed)));
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("are not removals or masks")),
        "{:?}",
        r.problems
    );
}

#[test]
fn references_must_name_the_original() {
    let original = original();
    let mut derived: Value = serde_json::from_slice(&redacted(&original)).unwrap();
    derived["redacted"]["uuid"] = json!("019f15a6-0000-8000-8000-000000000000");
    let r = check_lineage(
        &serde_json::to_vec(&derived).unwrap(),
        &original,
        &LineageOptions::default(),
    )
    .unwrap();
    assert!(!r.holds);
    assert!(
        r.problems
            .iter()
            .any(|p| p.starts_with("/redacted/uuid is")),
        "{:?}",
        r.problems
    );
    let r = check_lineage(&original, &original, &LineageOptions::default()).unwrap();
    assert!(!r.holds);
    assert_eq!(r.relation, None);
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("neither `redacted` nor `amended`"))
    );
    assert!(
        r.problems
            .iter()
            .any(|p| p.contains("has the original's uuid"))
    );
}

#[test]
fn silenced_audio_is_a_masked_difference() {
    let wav = pcm16_mono(1000, &[5; 2000]);
    let original = serde_json::to_vec(&json!({
        "uuid": ORIGINAL_UUID, "created_at": "2026-06-29T23:11:19Z",
        "parties": [{"name": "Dana", "validation": "none"}],
        "dialog": [{"type": "recording", "start": "2026-06-29T23:11:19Z", "parties": [0],
                    "mediatype": "audio/x-wav", "encoding": "base64url", "body": URL_SAFE_NO_PAD.encode(&wav),
                    "content_hash": ContentHash::compute(HashAlg::Sha512, &wav).to_string()}],
        "analysis": [{"type": "transcript", "dialog": 0, "vendor": "v", "encoding": "json",
                      "body": {"words": [{"word": "hi", "start": 0.0, "end": 0.5}, {"word": "Dana", "start": 0.5, "end": 1.0}]}}]
    }))
    .unwrap();
    let derived = redact(
        &original,
        &RedactionPolicy::default(),
        &RedactOptions::new(uuid(2)),
    )
    .unwrap()
    .to_vec_pretty()
    .unwrap();
    let r = check_lineage(&derived, &original, &LineageOptions::default()).unwrap();
    assert!(r.holds, "{:?}", r.problems);
    let audio = r
        .differences
        .iter()
        .find(|d| d.pointer == "/dialog/0/body")
        .unwrap();
    assert_eq!(audio.kind, DiffKind::Masked);
    assert!(
        audio.detail.contains("500 frame(s) set to silence"),
        "{}",
        audio.detail
    );
    assert!(kinds(&r).contains(&("/dialog/0/content_hash", DiffKind::Masked)));
    // A sample changed outside the silenced span is no longer a mask.
    let mut v: Value = serde_json::from_slice(&derived).unwrap();
    let mut bytes = URL_SAFE_NO_PAD
        .decode(v["dialog"][0]["body"].as_str().unwrap())
        .unwrap();
    bytes[44] = 9;
    v["dialog"][0]["body"] = json!(URL_SAFE_NO_PAD.encode(&bytes));
    v["dialog"][0]["content_hash"] =
        json!(ContentHash::compute(HashAlg::Sha512, &bytes).to_string());
    let r = check_lineage(
        &serde_json::to_vec(&v).unwrap(),
        &original,
        &LineageOptions::default(),
    )
    .unwrap();
    assert!(!r.holds);
    assert!(kinds(&r).contains(&("/dialog/0/body", DiffKind::Changed)));
}

#[test]
fn amend_then_lineage_lists_the_additions() {
    let original = original();
    let opts = AmendOptions {
        updated_at: Some(Date::verbatim("2026-07-02T00:00:00Z")),
        ..AmendOptions::new(uuid(3))
    };
    let mut a = amend(&original, &opts).unwrap();
    assert_eq!(a.vcon["amended"]["uuid"], ORIGINAL_UUID);
    assert_eq!(a.vcon["created_at"], "2026-06-29T23:11:19Z");
    assert_eq!(a.vcon["updated_at"], "2026-07-02T00:00:00Z");
    let unchanged = amend(&original, &opts).unwrap().to_vec_pretty().unwrap();
    let r = check_lineage(&unchanged, &original, &LineageOptions::default()).unwrap();
    assert!(r.holds && r.differences.is_empty(), "{r:?}");
    a.vcon["dialog"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "text", "start": "2026-07-02T00:00:00Z",
        "parties": [1, 0], "mediatype": "text/plain", "encoding": "none", "body": "Good day!"}));
    a.vcon.insert("subject".into(), json!("Follow-up"));
    let r = check_lineage(
        &a.to_vec_pretty().unwrap(),
        &original,
        &LineageOptions::default(),
    )
    .unwrap();
    assert!(r.holds, "{:?}", r.problems);
    assert_eq!(r.relation, Some(Relation::Amended));
    assert_eq!(r.hash, HashStatus::Verified);
    assert_eq!(
        kinds(&r),
        [
            ("/dialog/2", DiffKind::Added),
            ("/subject", DiffKind::Added)
        ]
    );
    // An amendment may not mask or remove what it copies.
    a.vcon["parties"][0]["name"] = json!("[NAME]");
    a.vcon["analysis"] = json!([]);
    let r = check_lineage(
        &a.to_vec_pretty().unwrap(),
        &original,
        &LineageOptions::default(),
    )
    .unwrap();
    assert!(!r.holds);
    assert!(kinds(&r).contains(&("/parties/0/name", DiffKind::Changed)));
    assert!(kinds(&r).contains(&("/analysis/0", DiffKind::Removed)));
    assert!(
        r.problems[0].contains("are not additions"),
        "{:?}",
        r.problems
    );
}

#[test]
fn amending_a_signed_vcon_needs_its_verified_payload() {
    let payload = original();
    let envelope = serde_json::to_vec(&json!({
        "payload": URL_SAFE_NO_PAD.encode(&payload),
        "signatures": [{"protected": "e30", "header": {"alg": "RS256"}, "signature": "AA"}]
    }))
    .unwrap();
    let opts = AmendOptions::new(uuid(4));
    assert_eq!(amend(&envelope, &opts).unwrap_err(), AmendError::Signed);
    assert!(
        AmendError::Signed
            .to_string()
            .contains("amend the verified payload")
    );
    let a = amend_verified(&envelope, &payload, &opts).unwrap();
    assert_eq!(
        a.prior_content_hash,
        ContentHash::compute(HashAlg::Sha512, &envelope).to_string()
    );
    let r = check_lineage(
        &a.to_vec_pretty().unwrap(),
        &envelope,
        &LineageOptions::default(),
    )
    .unwrap();
    assert!(r.holds, "{:?}", r.problems);
    assert!(
        r.notes.iter().any(|n| n.contains("does not verify")),
        "{:?}",
        r.notes
    );
    let mut forged = payload.clone();
    forged[10] ^= 1;
    assert!(matches!(
        amend_verified(&envelope, &forged, &opts),
        Err(AmendError::PayloadMismatch(_))
    ));
}

#[test]
fn redacting_a_signed_vcon_hashes_the_signed_bytes() {
    let payload = original();
    let envelope = serde_json::to_vec(&json!({
        "payload": URL_SAFE_NO_PAD.encode(&payload),
        "signatures": [{"protected": "e30", "header": {"alg": "RS256"}, "signature": "AA"}]
    }))
    .unwrap();
    let policy = RedactionPolicy::default();
    let opts = RedactOptions::new(uuid(5));
    assert!(matches!(
        redact(&envelope, &policy, &opts),
        Err(RedactError::Envelope { .. })
    ));
    let out = redact_verified(&envelope, &payload, &policy, &opts).unwrap();
    assert_eq!(
        out.vcon["redacted"]["content_hash"],
        ContentHash::compute(HashAlg::Sha512, &envelope).to_string()
    );
    let r = check_lineage(
        &out.to_vec_pretty().unwrap(),
        &envelope,
        &LineageOptions::default(),
    )
    .unwrap();
    assert!(r.holds, "{:?}", r.problems);
    assert_eq!(r.hash, HashStatus::Verified);
    let e = redact_verified(&envelope, b"{}", &policy, &opts).unwrap_err();
    assert!(matches!(e, RedactError::PayloadMismatch(_)), "{e}");
}

#[test]
fn unreadable_inputs_are_errors_not_verdicts() {
    let e = check_lineage(b"{", &original(), &LineageOptions::default()).unwrap_err();
    assert!(matches!(e, LineageError::Derived(_)));
    let e = check_lineage(&original(), b"[]", &LineageOptions::default()).unwrap_err();
    assert!(e.to_string().starts_with("original vCon:"), "{e}");
}

#[test]
fn a9_against_a4_holds_without_a_hash() {
    let Some(dir) = vectors("a9_against_a4_holds_without_a_hash") else {
        return;
    };
    let a4 = std::fs::read(dir.join(A4)).unwrap();
    let a9 = std::fs::read(dir.join("core03-A9-unsigned-amended.vcon")).unwrap();
    let r = check_lineage(&a9, &a4, &LineageOptions::default()).unwrap();
    assert!(r.holds, "{:?}", r.problems);
    assert_eq!(r.relation, Some(Relation::Amended));
    assert_eq!(r.hash, HashStatus::NotDeclared);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("/amended declares no content_hash")
                && n.contains("only its uuid and content were checked")),
        "{:?}",
        r.notes
    );
    assert_eq!(kinds(&r), [("/dialog/1", DiffKind::Added)]);
    let strict = LineageOptions {
        require_hash: true,
        ..Default::default()
    };
    let r = check_lineage(&a9, &a4, &strict).unwrap();
    assert!(!r.holds);
}

#[test]
fn a8_against_a4_is_checked_by_uuid_and_content_only() {
    let Some(dir) = vectors("a8_against_a4_is_checked_by_uuid_and_content_only") else {
        return;
    };
    let a4 = std::fs::read(dir.join(A4)).unwrap();
    let a8 = std::fs::read(dir.join("core03-A8-unsigned-redacted.vcon")).unwrap();
    let r = check_lineage(&a8, &a4, &LineageOptions::default()).unwrap();
    assert_eq!(r.relation, Some(Relation::Redacted));
    assert_eq!(r.hash, HashStatus::NotDeclared);
    assert_eq!(r.referenced_uuid.as_deref(), Some(ORIGINAL_UUID));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("/redacted declares no content_hash")),
        "{:?}",
        r.notes
    );
    // A.8 drops the parties' tel and the recording's url (allowed) but also
    // carries a redacted transcript that A.4 does not have: an addition,
    // which a redaction cannot make, so the relationship does not hold.
    assert_eq!(
        kinds(&r),
        [
            ("/parties/0/tel", DiffKind::Removed),
            ("/parties/1/tel", DiffKind::Removed),
            ("/dialog/0/url", DiffKind::Removed),
            ("/analysis/0", DiffKind::Added),
        ]
    );
    assert!(!r.holds);
    assert_eq!(r.problems.len(), 1, "{:?}", r.problems);
    assert!(r.problems[0].contains("/analysis/0"), "{:?}", r.problems);
}
