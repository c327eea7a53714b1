//! Dialog and content rules (digest §12 R-11 dialog-level, R-12 to R-32):
//! one passing and one failing hand-written case per rule, asserting rule id,
//! severity and JSON pointer. No vector in ../shared covers recording-set,
//! transfer, incomplete, session_id or party_history, so those live here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use vcon_core::hash::{ContentHash, HashAlg};
use vcon_core::validate::{Finding, Options, Profile, Severity, validate_object};

const START: &str = "2026-06-29T23:11:19Z";

fn sha512(data: &[u8]) -> String {
    ContentHash::compute(HashAlg::Sha512, data).to_string()
}

fn sha256(data: &[u8]) -> String {
    ContentHash::compute(HashAlg::Sha256, data).to_string()
}

/// A valid unsigned vCon with three parties and the given dialogs.
fn vcon(dialog: Value) -> Value {
    json!({
        "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
        "created_at": START,
        "parties": [
            {"tel": "+12345678901", "name": "Alice", "validation": "none"},
            {"tel": "+12345678902", "name": "Bob", "validation": "none"},
            {"tel": "+12345678903", "name": "Carol", "validation": "none"}
        ],
        "dialog": dialog
    })
}

fn text(body: &str) -> Value {
    json!({"type": "text", "start": START, "parties": [0, 1],
           "mediatype": "text/plain", "encoding": "none", "body": body})
}

fn recording_url() -> Value {
    json!({"type": "recording", "start": START, "duration": 33.12, "parties": [0, 1],
           "mediatype": "audio/x-mp3", "url": "https://example.com/call.mp3",
           "content_hash": sha512(b"call")})
}

fn findings_with(doc: &Value, profile: Profile) -> Vec<Finding> {
    validate_object(doc.as_object().unwrap(), &Options::with_profile(profile)).findings
}

/// Findings about the dialog array (pointers under `/dialog`).
fn dialog_findings(doc: &Value) -> Vec<Finding> {
    findings_with(doc, Profile::Strict)
        .into_iter()
        .filter(|f| f.pointer.starts_with("/dialog"))
        .collect()
}

#[track_caller]
fn assert_finding<'a>(
    fs: &'a [Finding],
    rule: &str,
    severity: Severity,
    pointer: &str,
) -> &'a Finding {
    let found = fs
        .iter()
        .find(|f| f.rule == rule && f.severity == severity && f.pointer == pointer);
    match found {
        Some(f) => {
            assert!(f.message.len() > 15, "message too terse: {f:?}");
            f
        }
        None => panic!("expected {severity} {rule} at {pointer:?}, got {fs:#?}"),
    }
}

#[track_caller]
fn assert_clean(doc: &Value) {
    let fs = dialog_findings(doc);
    assert!(fs.is_empty(), "expected no dialog findings, got {fs:#?}");
}

#[track_caller]
fn assert_no_rule(fs: &[Finding], rule: &str) {
    assert!(
        !fs.iter().any(|f| f.rule == rule),
        "expected no {rule}, got {fs:#?}"
    );
}

// ---------------------------------------------------------------- baseline

#[test]
fn plain_text_and_external_recording_are_clean() {
    assert_clean(&vcon(json!([text("Hi Bob"), recording_url()])));
}

#[test]
fn empty_dialog_placeholders_yield_nothing() {
    assert_clean(&vcon(json!([{}, {"type": null, "start": null}])));
}

// ----------------------------------------------------------------

#[test]
fn r12_duration_must_be_non_negative_number() {
    let mut d = recording_url();
    d["duration"] = json!(0);
    assert_clean(&vcon(json!([d])));

    let mut d = recording_url();
    d["duration"] = json!(-30);
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-12", Severity::Error, "/dialog/0/duration");

    let mut d = recording_url();
    d["duration"] = json!("long");
    let fs = dialog_findings(&vcon(json!([d])));
    let f = assert_finding(&fs, "R-12", Severity::Error, "/dialog/0/duration");
    assert!(f.message.contains("a string"), "{f:?}");
}

// ----------------------------------------------------------------

#[test]
fn r13_type_present_and_known() {
    let mut d = text("x");
    d.as_object_mut().unwrap().remove("type");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-13", Severity::Error, "/dialog/0");

    let mut d = text("x");
    d["type"] = json!("video");
    let fs = dialog_findings(&vcon(json!([d])));
    let f = assert_finding(&fs, "R-13", Severity::Error, "/dialog/0/type");
    assert!(f.message.contains("\"video\""), "{f:?}");

    let mut d = text("x");
    d["type"] = json!(3);
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-13", Severity::Error, "/dialog/0/type");
}

// ----------------------------------------------------------------

#[test]
fn r14_mediatype_syntax() {
    let mut d = text("x");
    d["mediatype"] = json!("multipart/mixed; \n\tboundary=\"----=_Part_1.2\"");
    assert_clean(&vcon(json!([d])));

    let mut d = text("x");
    d["mediatype"] = json!("not a valid mimetype!");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-14", Severity::Error, "/dialog/0/mediatype");

    let mut d = text("x");
    d["mediatype"] = json!(12345);
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-14", Severity::Error, "/dialog/0/mediatype");
}

#[test]
fn r14_recommended_dialog_mediatypes_compare_the_essence_case_insensitively() {
    let mut d = recording_url();
    d["mediatype"] = json!("Audio/X-WAV; rate=8000");
    assert_clean(&vcon(json!([d])));

    let mut d = recording_url();
    d["mediatype"] = json!("audio/wav");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-14", Severity::Warning, "/dialog/0/mediatype");
    assert!(!fs.iter().any(|f| f.severity == Severity::Error), "{fs:#?}");
}

// ----------------------------------------------------------------

#[test]
fn r15_start_required_and_a_date() {
    let mut d = text("x");
    d.as_object_mut().unwrap().remove("start");
    let doc = vcon(json!([d]));
    let fs = dialog_findings(&doc);
    assert_finding(&fs, "R-15", Severity::Error, "/dialog/0");
    let lenient = findings_with(&doc, Profile::Lenient);
    assert_finding(&lenient, "R-15", Severity::Warning, "/dialog/0");

    let mut d = text("x");
    d["start"] = json!("2024-01-01T00:00:00");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-15", Severity::Error, "/dialog/0/start");

    let mut d = text("x");
    d["start"] = json!("2022-06-21T17:53:26.000+00:00");
    assert_clean(&vcon(json!([d])));
}

// ----------------------------------------------------------------

#[test]
fn r16_no_content_on_incomplete_transfer_recording_set() {
    let ok =
        json!({"type": "incomplete", "start": START, "parties": [0, 1], "disposition": "busy"});
    assert_clean(&vcon(json!([ok])));

    let bad = json!({"type": "incomplete", "start": START, "parties": [0, 1],
                     "disposition": "busy", "encoding": "none", "body": "hello"});
    let fs = dialog_findings(&vcon(json!([bad])));
    assert_finding(&fs, "R-16", Severity::Error, "/dialog/0/body");
    assert_finding(&fs, "R-16", Severity::Error, "/dialog/0/encoding");

    let mut rec = recording_url();
    rec["recording_set"] = json!(0);
    let set = json!({"type": "recording-set", "start": START, "recordings": [1],
                     "url": "https://example.com/x", "content_hash": sha512(b"x")});
    let fs = dialog_findings(&vcon(json!([set, rec])));
    assert_finding(&fs, "R-16", Severity::Error, "/dialog/0/url");
    assert_finding(&fs, "R-16", Severity::Error, "/dialog/0/content_hash");
}

// ----------------------------------------------------------------

#[test]
fn r17_disposition() {
    for disposition in [
        "no-answer",
        "congestion",
        "failed",
        "busy",
        "hung-up",
        "voicemail-no-message",
    ] {
        let d = json!({"type": "incomplete", "start": START, "parties": [0], "disposition": disposition});
        assert_clean(&vcon(json!([d])));
    }

    let d = json!({"type": "incomplete", "start": START, "parties": [0]});
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-17", Severity::Error, "/dialog/0");

    let d =
        json!({"type": "incomplete", "start": START, "parties": [0], "disposition": "voicemail"});
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-17", Severity::Error, "/dialog/0/disposition");

    let mut d = recording_url();
    d["disposition"] = json!("busy");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-17", Severity::Warning, "/dialog/0/disposition");
}

// ---------------------------------------------------------------- transfers

/// original call 0 (A-B), consultation 1 (B-C, incomplete), target call 2 (A-C), transfer 3.
fn transfer_vcon(transfer: Value) -> Value {
    let consultation = json!({"type": "incomplete", "start": START, "parties": [1, 2],
                              "disposition": "no-answer"});
    let mut target = recording_url();
    target["parties"] = json!([0, 2]);
    vcon(json!([recording_url(), consultation, target, transfer]))
}

fn transfer() -> Value {
    json!({"type": "transfer", "start": START, "transferee": 0, "transferor": 1,
           "transfer_target": 2, "original": 0, "consultation": 1, "target_dialog": 2})
}

#[test]
fn r18_r19_complete_transfer_is_clean() {
    assert_clean(&transfer_vcon(transfer()));
    // Arrays of indices and empty placeholders are allowed too.
    let mut t = transfer();
    t["transfer_target"] = json!([2]);
    t["consultation"] = json!([1, 4]);
    let mut doc = transfer_vcon(t);
    doc["dialog"].as_array_mut().unwrap().push(json!({}));
    assert_clean(&doc);
}

#[test]
fn r18_transfer_must_not_have_parties_originator_mediatype_filename() {
    let mut t = transfer();
    t["parties"] = json!([0, 1]);
    t["originator"] = json!(0);
    t["mediatype"] = json!("audio/x-wav");
    t["filename"] = json!("x.wav");
    t["body"] = json!("UklGRg");
    t["encoding"] = json!("base64url");
    let fs = dialog_findings(&transfer_vcon(t));
    for m in ["parties", "originator", "mediatype", "filename"] {
        assert_finding(&fs, "R-18", Severity::Error, &format!("/dialog/3/{m}"));
    }
    assert_finding(&fs, "R-16", Severity::Error, "/dialog/3/body");
    assert_no_rule(&fs, "R-14");
}

#[test]
fn r18_transfer_should_name_its_roles() {
    let t = json!({"type": "transfer", "start": START, "transferee": 0, "consultation": 1});
    let fs = dialog_findings(&transfer_vcon(t));
    let f = assert_finding(&fs, "R-18", Severity::Warning, "/dialog/3");
    for m in ["transferor", "transfer_target", "original", "target_dialog"] {
        assert!(f.message.contains(m), "{f:?}");
    }
    assert!(!f.message.contains("consultation"), "{f:?}");
}

#[test]
fn r19_transfer_members_only_on_transfer_dialogs() {
    let mut d = recording_url();
    d["transferee"] = json!(0);
    d["target_dialog"] = json!(0);
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-19", Severity::Error, "/dialog/0/transferee");
    assert_finding(&fs, "R-19", Severity::Error, "/dialog/0/target_dialog");
}

#[test]
fn r19_dialog_roles_point_at_the_right_dialog_types() {
    // original must be recording or text: 1 is incomplete.
    let mut t = transfer();
    t["original"] = json!(1);
    let fs = dialog_findings(&transfer_vcon(t));
    let f = assert_finding(&fs, "R-19", Severity::Error, "/dialog/3/original");
    assert!(f.message.contains("incomplete"), "{f:?}");

    // target_dialog may be incomplete (core-03 text), but not a transfer.
    let mut t = transfer();
    t["target_dialog"] = json!([1, 3]);
    let fs = dialog_findings(&transfer_vcon(t));
    assert_finding(&fs, "R-19", Severity::Error, "/dialog/3/target_dialog/1");
    assert!(
        !fs.iter().any(|f| f.pointer == "/dialog/3/target_dialog/0"),
        "{fs:#?}"
    );

    // Out of range, and not an index.
    let mut t = transfer();
    t["consultation"] = json!(9);
    t["original"] = json!("0");
    let fs = dialog_findings(&transfer_vcon(t));
    assert_finding(&fs, "R-19", Severity::Error, "/dialog/3/consultation");
    assert_finding(&fs, "R-19", Severity::Error, "/dialog/3/original");

    // transferee is a single index.
    let mut t = transfer();
    t["transferee"] = json!([0]);
    let fs = dialog_findings(&transfer_vcon(t));
    assert_finding(&fs, "R-19", Severity::Error, "/dialog/3/transferee");
}

#[test]
fn r11_legacy_transfer_member_names_are_flagged_and_checked() {
    let mut t = transfer();
    let o = t.as_object_mut().unwrap();
    o.remove("transfer_target");
    o.remove("target_dialog");
    o.insert("transfer-target".into(), json!(7));
    o.insert("target-dialog".into(), json!(2));
    let fs = dialog_findings(&transfer_vcon(t));
    assert_finding(&fs, "R-11", Severity::Warning, "/dialog/3/transfer-target");
    assert_finding(&fs, "R-11", Severity::Warning, "/dialog/3/target-dialog");
    assert_finding(&fs, "R-20", Severity::Error, "/dialog/3/transfer-target");
    // The legacy names count as present: no "missing role" warning.
    assert_no_rule(&fs, "R-18");
}

// ----------------------------------------------------------------

#[test]
fn r20_party_indices_in_range_everywhere_on_the_dialog_side() {
    let mut d = recording_url();
    d["parties"] = json!([[0, 5], null, 1]);
    d["originator"] = json!(7);
    d["party_history"] = json!([{"party": 9, "time": START, "event": "join"}]);
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-20", Severity::Error, "/dialog/0/parties/0/1");
    assert_finding(&fs, "R-20", Severity::Error, "/dialog/0/originator");
    assert_finding(
        &fs,
        "R-20",
        Severity::Error,
        "/dialog/0/party_history/0/party",
    );
    assert!(
        !fs.iter().any(|f| f.pointer == "/dialog/0/parties/2"),
        "{fs:#?}"
    );

    let mut t = transfer();
    t["transferor"] = json!(-1);
    t["transfer_target"] = json!([2, 3]);
    let fs = dialog_findings(&transfer_vcon(t));
    let f = assert_finding(&fs, "R-20", Severity::Error, "/dialog/3/transferor");
    assert!(f.message.contains("negative"), "{f:?}");
    let f = assert_finding(&fs, "R-20", Severity::Error, "/dialog/3/transfer_target/1");
    assert!(f.message.contains("3 parties"), "{f:?}");
}

#[test]
fn r20_without_parties_every_index_is_out_of_range() {
    let mut doc = vcon(json!([recording_url()]));
    doc["parties"] = Value::Null;
    let fs = dialog_findings(&doc);
    let f = assert_finding(&fs, "R-20", Severity::Error, "/dialog/0/parties/0");
    assert!(f.message.contains("no `parties`"), "{f:?}");
    assert_finding(&fs, "R-20", Severity::Error, "/dialog/0/parties/1");
}

#[test]
fn r21_originator() {
    let mut d = recording_url();
    d["originator"] = json!(1);
    assert_clean(&vcon(json!([d])));

    let mut d = recording_url();
    d["originator"] = json!("0");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-21", Severity::Error, "/dialog/0/originator");

    let mut d = recording_url();
    d["parties"] = json!([null, [0, 2], 1]);
    d["originator"] = json!(0);
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-21", Severity::Info, "/dialog/0/originator");
}

#[test]
fn r22_parties_shape() {
    for parties in [
        json!(1),
        json!([0, 1, 2]),
        json!([[0, 1], null, 2]),
        json!([]),
    ] {
        let mut d = recording_url();
        d["parties"] = parties;
        assert_clean(&vcon(json!([d])));
    }
    let mut d = recording_url();
    d["parties"] = json!("0");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-22", Severity::Error, "/dialog/0/parties");

    let mut d = recording_url();
    d["parties"] = json!([[0, null], {"p": 1}, 1.5]);
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-22", Severity::Error, "/dialog/0/parties/0/1");
    assert_finding(&fs, "R-22", Severity::Error, "/dialog/0/parties/1");
    assert_finding(&fs, "R-22", Severity::Error, "/dialog/0/parties/2");
}

// ---------------------------------------------------------------- R-23 recording sets

fn member(set: usize) -> Value {
    let mut r = recording_url();
    r["recording_set"] = json!(set);
    r
}

fn recording_set(recordings: Value) -> Value {
    json!({"type": "recording-set", "start": START, "duration": 600, "parties": [0, 1, 2],
    "recordings": recordings,
    "party_history": [
        {"party": 0, "time": START, "event": "join"},
        {"party": 2, "time": "2026-06-29T23:12:00Z", "event": "hold"},
        {"party": 2, "time": "2026-06-29T23:13:00Z", "event": "unhold"},
        {"party": 1, "time": "2026-06-29T23:20:00Z", "event": "drop"}
    ]})
}

#[test]
fn r23_consistent_recording_set_is_clean() {
    assert_clean(&vcon(json!([
        recording_set(json!([1, 2])),
        member(0),
        member(0)
    ])));
}

#[test]
fn r23_recordings_required_and_only_on_recording_sets() {
    let mut set = recording_set(json!([1]));
    set.as_object_mut().unwrap().remove("recordings");
    let fs = dialog_findings(&vcon(json!([set, member(0)])));
    assert_finding(&fs, "R-23", Severity::Error, "/dialog/0");

    let mut t = text("x");
    t["recordings"] = json!([1]);
    let fs = dialog_findings(&vcon(json!([t, recording_url()])));
    assert_finding(&fs, "R-23", Severity::Error, "/dialog/0/recordings");

    let fs = dialog_findings(&vcon(json!([
        recording_set(json!([1, 2, 5])),
        member(0),
        text("x")
    ])));
    assert_finding(&fs, "R-23", Severity::Error, "/dialog/0/recordings/1");
    assert_finding(&fs, "R-23", Severity::Error, "/dialog/0/recordings/2");
}

#[test]
fn r23_recording_set_member_only_on_recordings_and_points_at_a_set() {
    let mut t = text("x");
    t["recording_set"] = json!(0);
    let fs = dialog_findings(&vcon(json!([recording_set(json!([])), t])));
    assert_finding(&fs, "R-23", Severity::Error, "/dialog/1/recording_set");
    // The empty recordings list is itself an error.
    assert_finding(&fs, "R-23", Severity::Error, "/dialog/0");

    let fs = dialog_findings(&vcon(json!([recording_url(), member(0)])));
    assert_finding(&fs, "R-23", Severity::Error, "/dialog/1/recording_set");
}

#[test]
fn r23_back_references_should_agree() {
    // Dialog 2 is listed but does not point back.
    let fs = dialog_findings(&vcon(json!([
        recording_set(json!([1, 2])),
        member(0),
        recording_url()
    ])));
    assert_finding(&fs, "R-23", Severity::Warning, "/dialog/2");
    assert!(!fs.iter().any(|f| f.severity == Severity::Error), "{fs:#?}");

    // Dialog 2 points at the set, which does not list it.
    let fs = dialog_findings(&vcon(json!([
        recording_set(json!([1])),
        member(0),
        member(0)
    ])));
    assert_finding(&fs, "R-23", Severity::Warning, "/dialog/2/recording_set");
}

// ----------------------------------------------------------------

#[test]
fn r24_recording_and_text_without_content() {
    let d = json!({"type": "text", "start": START, "parties": [0]});
    let fs = dialog_findings(&vcon(json!([d.clone()])));
    assert_finding(&fs, "R-24", Severity::Warning, "/dialog/0");

    // In a redacted vCon the content may be gone.
    let mut doc = vcon(json!([d]));
    doc["redacted"] =
        json!({"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "type": "PII Redaction"});
    assert_no_rule(&dialog_findings(&doc), "R-24");

    // Kept content_hash without url in a redacted vCon (core-03 A.8).
    let mut r = recording_url();
    r.as_object_mut().unwrap().remove("url");
    let mut doc = vcon(json!([r]));
    doc["redacted"] =
        json!({"uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46", "type": "PII Redaction"});
    assert_clean(&doc);
}

// ----------------------------------------------------------------

#[test]
fn r25_body_needs_a_known_encoding() {
    let mut d = text("x");
    d.as_object_mut().unwrap().remove("encoding");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-25", Severity::Error, "/dialog/0");

    let mut d = text("");
    d.as_object_mut().unwrap().remove("encoding");
    assert_no_rule(&dialog_findings(&vcon(json!([d]))), "R-25");

    let mut d = text("x");
    d["encoding"] = json!("base64");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-25", Severity::Error, "/dialog/0/encoding");
}

#[test]
fn r26_body_matches_its_encoding() {
    let mut d = text("x");
    d["mediatype"] = json!("audio/x-wav");
    d["encoding"] = json!("base64url");
    d["body"] = json!("UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA-AAACABAAZGF0YQAAAAA");
    assert_clean(&vcon(json!([d.clone()])));

    d["body"] = json!("UklGRiQAAABXQVZF+m10IBAAAAA=");
    let fs = dialog_findings(&vcon(json!([d.clone()])));
    let f = assert_finding(&fs, "R-26", Severity::Error, "/dialog/0/body");
    assert!(
        f.message.contains("'+'") && f.message.contains("offset 16"),
        "{f:?}"
    );

    d["body"] = json!({"not": "a string"});
    let fs = dialog_findings(&vcon(json!([d.clone()])));
    assert_finding(&fs, "R-26", Severity::Error, "/dialog/0/body");

    let mut d = text("x");
    d["body"] = json!(["a", "b"]);
    let fs = dialog_findings(&vcon(json!([d.clone()])));
    assert_finding(&fs, "R-26", Severity::Error, "/dialog/0/body");
    d["encoding"] = json!("json");
    assert_clean(&vcon(json!([d])));
}

#[test]
fn r26_multi_megabyte_base64url_body() {
    let mut body = "AbCd-_09".repeat(1 << 20); // 8 MiB
    let mut d = text("x");
    d["mediatype"] = json!("audio/x-wav");
    d["encoding"] = json!("base64url");
    d["body"] = json!(body.clone());
    assert_clean(&vcon(json!([d.clone()])));

    body.replace_range(7_000_001..7_000_002, "\n");
    d["body"] = json!(body);
    let fs = dialog_findings(&vcon(json!([d])));
    let f = assert_finding(&fs, "R-26", Severity::Error, "/dialog/0/body");
    assert!(f.message.contains("offset 7000001"), "{f:?}");
}

// ----------------------------------------------------------------

#[test]
fn r27_inline_content_needs_a_mediatype() {
    let mut d = text("x");
    d.as_object_mut().unwrap().remove("mediatype");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-27", Severity::Error, "/dialog/0");

    // External content may take it from the HTTPS Content-Type.
    let mut r = recording_url();
    r.as_object_mut().unwrap().remove("mediatype");
    assert_clean(&vcon(json!([r])));
}

#[test]
fn r11_legacy_mimetype_and_alg_signature_on_dialogs() {
    let mut d = text("x");
    let o = d.as_object_mut().unwrap();
    let mt = o.remove("mediatype").unwrap();
    o.insert("mimetype".into(), mt);
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-11", Severity::Warning, "/dialog/0/mimetype");
    let f = assert_finding(&fs, "R-27", Severity::Error, "/dialog/0");
    assert!(f.message.contains("mimetype"), "{f:?}");

    let mut r = recording_url();
    let o = r.as_object_mut().unwrap();
    o.remove("content_hash");
    o.insert("alg".into(), json!("SHA-512"));
    o.insert("signature".into(), json!("abc123"));
    let fs = dialog_findings(&vcon(json!([r])));
    assert_finding(&fs, "R-11", Severity::Warning, "/dialog/0/alg");
    let f = assert_finding(&fs, "R-30", Severity::Error, "/dialog/0");
    assert!(f.message.contains("alg"), "{f:?}");
}

// ---------------------------------------------------------------- R-28 party_history

#[test]
fn r28_party_history() {
    let mut d = recording_url();
    d["party_history"] = json!([
        {"party": 0, "time": START, "event": "join"},
        {"party": 1, "time": START, "event": "keydown", "button": "5"},
        {"party": 1, "time": START, "event": "keyup", "button": "5"},
        {"party": 1, "time": START, "event": "mute"},
        {"party": 1, "time": START, "event": "unmute"}
    ]);
    assert_clean(&vcon(json!([d])));

    let mut d = recording_url();
    d["party_history"] = json!([
        {"party": 1, "time": START, "event": "keyup"},
        {"party": 0, "time": "yesterday", "event": "leave"},
        {"time": START, "event": "drop", "button": 5},
        "join"
    ]);
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-28", Severity::Error, "/dialog/0/party_history/0");
    assert_finding(
        &fs,
        "R-28",
        Severity::Error,
        "/dialog/0/party_history/1/time",
    );
    assert_finding(
        &fs,
        "R-28",
        Severity::Error,
        "/dialog/0/party_history/1/event",
    );
    assert_finding(&fs, "R-28", Severity::Error, "/dialog/0/party_history/2");
    assert_finding(
        &fs,
        "R-28",
        Severity::Error,
        "/dialog/0/party_history/2/button",
    );
    assert_finding(&fs, "R-28", Severity::Error, "/dialog/0/party_history/3");

    let mut d = recording_url();
    d["party_history"] = json!({"party": 0});
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-28", Severity::Error, "/dialog/0/party_history");
}

// ---------------------------------------------------------------- R-29 session_id

const L: &str = "ab30317f1a784dc48ff824d0d3715d86";
const R: &str = "00000000-0000-0000-0000-000000000000";

#[test]
fn r29_session_id_shapes() {
    let mut d = recording_url();
    d["session_id"] = json!({"local": L, "remote": R});
    assert_clean(&vcon(json!([d])));

    let mut d = recording_url();
    d["parties"] = json!([[0, 1], null, 2]);
    d["session_id"] = json!([[{"local": L, "remote": R}, {}], {}, {"local": R, "remote": L}]);
    assert_clean(&vcon(json!([d])));
}

#[test]
fn r29_session_id_errors() {
    let mut d = recording_url();
    d["session_id"] = json!({"local": "a84b4c76e66710", "remote": 5});
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-29", Severity::Error, "/dialog/0/session_id/local");
    assert_finding(&fs, "R-29", Severity::Error, "/dialog/0/session_id/remote");

    let mut d = recording_url();
    d["session_id"] = json!([{"local": L, "remote": R}]);
    let fs = dialog_findings(&vcon(json!([d])));
    let f = assert_finding(&fs, "R-29", Severity::Error, "/dialog/0/session_id");
    assert!(f.message.contains("mirror"), "{f:?}");

    let mut d = recording_url();
    d["parties"] = json!([[0, 1], 2]);
    d["session_id"] = json!([[{}], [{}], null]);
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-29", Severity::Error, "/dialog/0/session_id");
    assert_finding(&fs, "R-29", Severity::Error, "/dialog/0/session_id/0");
    assert_finding(&fs, "R-29", Severity::Error, "/dialog/0/session_id/1");
    assert_finding(&fs, "R-29", Severity::Error, "/dialog/0/session_id/2");
}

#[test]
fn r29_session_id_warnings() {
    let mut d = recording_url();
    d["session_id"] =
        json!("ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-29", Severity::Warning, "/dialog/0/session_id");

    let mut d = recording_url();
    d["session_id"] = json!({"local": L});
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-29", Severity::Warning, "/dialog/0/session_id");
    assert!(!fs.iter().any(|f| f.severity == Severity::Error), "{fs:#?}");
}

// ----------------------------------------------------------------

#[test]
fn r30_url_needs_content_hash() {
    let mut r = recording_url();
    r.as_object_mut().unwrap().remove("content_hash");
    let fs = dialog_findings(&vcon(json!([r])));
    assert_finding(&fs, "R-30", Severity::Error, "/dialog/0");
}

#[test]
fn r31_url_is_https() {
    for url in [
        "s3://bucket/recording.wav",
        "not-a-url",
        "http://example.com/a.wav",
    ] {
        let mut r = recording_url();
        r["url"] = json!(url);
        let fs = dialog_findings(&vcon(json!([r])));
        assert_finding(&fs, "R-31", Severity::Error, "/dialog/0/url");
    }
}

#[test]
fn r32_content_hash_tokens() {
    let mut r = recording_url();
    r["content_hash"] = json!([sha256(b"call"), sha512(b"call")]);
    assert_clean(&vcon(json!([r])));

    let mut r = recording_url();
    r["content_hash"] = json!("SHA512-abc");
    let fs = dialog_findings(&vcon(json!([r])));
    assert_finding(&fs, "R-32", Severity::Error, "/dialog/0/content_hash");

    let mut r = recording_url();
    r["content_hash"] = json!([sha256(b"call")]);
    let fs = dialog_findings(&vcon(json!([r])));
    let f = assert_finding(&fs, "R-32", Severity::Error, "/dialog/0/content_hash");
    assert!(f.message.contains("sha512"), "{f:?}");

    let mut r = recording_url();
    r["content_hash"] = json!(["blake3-AAAA", sha512(b"call"), 7]);
    let fs = dialog_findings(&vcon(json!([r])));
    assert_finding(&fs, "R-32", Severity::Warning, "/dialog/0/content_hash/0");
    assert_finding(&fs, "R-32", Severity::Error, "/dialog/0/content_hash/2");

    let mut r = recording_url();
    r["content_hash"] = json!("sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0");
    let fs = dialog_findings(&vcon(json!([r])));
    let f = assert_finding(&fs, "R-32", Severity::Error, "/dialog/0/content_hash");
    assert!(f.message.contains("64 bytes"), "{f:?}");

    let mut r = recording_url();
    r["content_hash"] = json!([]);
    let fs = dialog_findings(&vcon(json!([r])));
    assert_finding(&fs, "R-32", Severity::Error, "/dialog/0/content_hash");
}

// ---------------------------------------------------------------- pointers

#[test]
fn findings_point_at_the_right_element_and_quote_values() {
    let mut dialogs: Vec<Value> = (0..12).map(|_| json!({})).collect();
    let mut d = text("x");
    d["type"] = json!("a/b~c");
    dialogs.push(d);
    let fs = dialog_findings(&vcon(Value::Array(dialogs)));
    let f = assert_finding(&fs, "R-13", Severity::Error, "/dialog/12/type");
    assert!(f.message.contains("a/b~c"), "{f:?}");
}
