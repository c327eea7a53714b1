//! Transfers (R-18, R-19, legacy transfer names under R-11) and recording sets.

use serde_json::{Value, json};
use vcon_core::validate::Severity;

use crate::{
    START, assert_clean, assert_finding, assert_no_rule, dialog_findings, recording_url, text, vcon,
};

// ---------------------------------------------------------------- transfers

/// original call 0 (A-B), consultation 1 (B-C, incomplete), target call 2 (A-C), transfer 3.
pub(crate) fn transfer_vcon(transfer: Value) -> Value {
    let consultation = json!({"type": "incomplete", "start": START, "parties": [1, 2],
                              "disposition": "no-answer"});
    let mut target = recording_url();
    target["parties"] = json!([0, 2]);
    vcon(json!([recording_url(), consultation, target, transfer]))
}

pub(crate) fn transfer() -> Value {
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
