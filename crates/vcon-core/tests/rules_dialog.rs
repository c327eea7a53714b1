//! Dialog and content rules (digest §12 R-11 dialog-level, R-12 to R-32):
//! one passing and one failing hand-written case per rule, asserting rule id,
//! severity and JSON pointer. No vector in ../shared covers recording-set,
//! transfer, incomplete, session_id or party_history, so those live here.
//!
//! Layout: this file holds the shared helpers and the rules on a dialog's own
//! members; `rules_dialog/links.rs` the transfer and recording-set rules,
//! `rules_dialog/session.rs` party_history and session_id, and
//! `rules_dialog/content.rs` the content rules shared with analysis and
//! attachments.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "rules_dialog/content.rs"]
mod content;
#[path = "rules_dialog/links.rs"]
mod links;
#[path = "rules_dialog/session.rs"]
mod session;

use links::{transfer, transfer_vcon};
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
