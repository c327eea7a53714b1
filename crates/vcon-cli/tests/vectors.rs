//! End-to-end runs over the shared example vCons (`../shared/vectors`), read in place.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{json_lines, vcon, vectors_dir};

#[test]
fn validate_reports_every_vector_once_in_name_order() {
    let Some(dir) = vectors_dir("validate_reports_every_vector_once_in_name_order") else {
        return;
    };
    let out = vcon()
        .args(["validate", "--profile", "lenient", "--format", "json"])
        .arg(&dir)
        .output()
        .unwrap();
    let lines = json_lines(&out.stdout);
    let mut expected: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("vcon" | "json")
            )
        })
        .map(|p| p.display().to_string())
        .collect();
    expected.sort();
    let got: Vec<String> = lines
        .iter()
        .map(|l| l["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got, expected);
    // Some vectors are invalid, none is unreadable.
    assert_eq!(out.status.code(), Some(1));
    for l in &lines {
        let name = l["path"].as_str().unwrap();
        assert!(l.get("error").is_none(), "{name}");
        if name.contains("core03-INVALID") {
            assert_eq!(l["valid"], false, "{name} must be invalid");
        }
        if name.contains("/core03-A") {
            assert_eq!(
                l["valid"], true,
                "{name} is valid under the lenient profile: {l}"
            );
        }
    }
}

#[test]
fn form_of_the_envelope_examples() {
    let Some(dir) = vectors_dir("form_of_the_envelope_examples") else {
        return;
    };
    let out = vcon()
        .args(["validate", "--profile", "lenient", "--format", "json"])
        .arg(dir.join("core03-A6-signed-jws-general.vcon"))
        .arg(dir.join("core03-A7-encrypted-jwe-general.vcon"))
        .output()
        .unwrap();
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0]["form"], "signed");
    assert_eq!(lines[1]["form"], "encrypted");
    assert_eq!(lines[1]["version"], serde_json::Value::Null);
}
