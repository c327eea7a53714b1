//! `vcon migrate`: output, change report, refusals, exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{LEGACY, NO_FORM, VALID, json, json_lines, vcon, vectors_dir, write};
use predicates::prelude::*;

#[test]
fn legacy_to_stdout_with_changes_on_stderr() {
    let out = vcon()
        .args(["migrate", "-"])
        .write_stdin(LEGACY)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out.stdout);
    assert_eq!(v["vcon"], "0.4.0");
    assert_eq!(v["dialog"][0]["mediatype"], "audio/x-wav");
    assert!(
        v["dialog"][0]["content_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha512-q6ur")
    );
    assert!(v.get("group").is_none());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("syntax 0.0.1 -> 0.4.0"), "{stderr}");
    assert!(stderr.contains("/dialog/0/mediatype"), "{stderr}");
    assert!(stderr.contains("renamed"), "{stderr}");
}

#[test]
fn output_file_validates_and_report_goes_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "old.vcon", LEGACY);
    let output = dir.path().join("new.vcon");
    vcon()
        .arg("migrate")
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("wrote"))
        .stdout(predicate::str::contains("content_hash"));
    vcon().arg("validate").arg(&output).assert().code(0);
}

#[test]
fn json_report_shape_and_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "old.vcon", LEGACY);
    let out = vcon()
        .args(["migrate", "--dry-run", "--format", "json"])
        .arg(&input)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(r["from"], "0.0.1");
    assert_eq!(r["to"], "0.4.0");
    assert_eq!(r["changed"], true);
    assert_eq!(r["output"], serde_json::Value::Null);
    let changes = r["changes"].as_array().unwrap();
    assert!(!changes.is_empty());
    for c in changes {
        assert!(c["pointer"].is_string() && c["kind"].is_string() && c["description"].is_string());
    }
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "content_hash" && c["pointer"] == "/dialog/0/content_hash")
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "dry run writes nothing"
    );
}

#[test]
fn current_syntax_is_left_alone() {
    let out = vcon()
        .args(["migrate", "-"])
        .write_stdin(VALID)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("nothing to change"))
        .get_output()
        .clone();
    let expected: serde_json::Value = serde_json::from_str(VALID).unwrap();
    assert_eq!(json(&out.stdout), expected);
}

#[test]
fn refusals_exit_1_and_say_why() {
    vcon()
        .args(["migrate", "-"])
        .write_stdin(NO_FORM)
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("R-40"));
    vcon()
        .args(["migrate", "-"])
        .write_stdin("{\"a\":")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("R-45"));
    let out = vcon()
        .args(["migrate", "--format", "json", "-"])
        .write_stdin(NO_FORM)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let r = &json_lines(&out.stderr)[0];
    assert_eq!(r["migrated"], false);
    assert_eq!(r["pointer"], "");
}

#[test]
fn io_errors_exit_2() {
    vcon()
        .args(["migrate", "/nonexistent/old.vcon"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read /nonexistent/old.vcon",
        ));
    vcon()
        .args(["migrate", "-", "-o", "/nonexistent/dir/new.vcon"])
        .write_stdin(LEGACY)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot write /nonexistent/dir/new.vcon",
        ));
}

#[test]
fn signed_legacy_needs_opt_in() {
    let Some(dir) = vectors_dir("signed_legacy_needs_opt_in") else {
        return;
    };
    let signed = dir.join("legacy-0.0.1-container00-signed-jws.vcon");
    vcon()
        .arg("migrate")
        .arg(&signed)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--unverified-payload"));
    vcon()
        .args(["migrate", "--unverified-payload"])
        .arg(&signed)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("envelope_removed"));
}

#[test]
fn every_legacy_vector_migrates() {
    let Some(dir) = vectors_dir("every_legacy_vector_migrates") else {
        return;
    };
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("legacy-0.0") || name.contains("INVALID") || name.contains("signed") {
            continue;
        }
        let out = vcon()
            .args(["migrate", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        if name.contains("encrypted") {
            assert_eq!(out.status.code(), Some(1), "{name}: encrypted is refused");
            continue;
        }
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(json(&out.stdout)["vcon"], "0.4.0", "{name}");
    }
}
