//! party_history and session_id.

use serde_json::json;
use vcon_core::validate::Severity;

use crate::{START, assert_clean, assert_finding, dialog_findings, recording_url, vcon};

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
