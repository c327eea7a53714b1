//! The PyPI `vcon` library's signed output (no `header`, unsigned members
//! beside the JWS; rule R-39): `vcon verify` and `vcon validate` accept it
//! with warnings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{json, vcon};

#[test]
fn pypi_vcon_output_verifies_with_warnings() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vcon-trust/tests/data");
    let out = vcon()
        .args(["verify", "--format", "json"])
        .arg(data.join("pypi-vcon-0.10.0-signed.vcon"))
        .arg("--public-key")
        .arg(data.join("pypi-vcon-0.10.0-signed.pub.pem"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json(&out);
    let warnings = r["warnings"].to_string();
    assert!(warnings.contains("no `header` member"), "{warnings}");
    assert!(warnings.contains("covered by no signature"), "{warnings}");
    assert!(warnings.contains("R-39"), "{warnings}");
}

#[test]
fn pypi_vcon_output_validates_with_r39_warnings() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../vcon-trust/tests/data");
    let out = vcon()
        .args(["validate", "--format", "json"])
        .arg(data.join("pypi-vcon-0.10.0-signed.vcon"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json(&out);
    let findings = r["findings"].as_array().unwrap();
    let at = |pointer: &str| {
        findings
            .iter()
            .filter(|f| f["pointer"] == pointer)
            .collect::<Vec<_>>()
    };
    assert!(
        findings.iter().all(|f| f["severity"] != "error"),
        "{findings:#?}"
    );
    for pointer in ["/uuid", "/parties", "/dialog", "/created_at"] {
        let f = at(pointer);
        assert!(
            f.iter().any(|f| f["rule"] == "R-39"
                && f["severity"] == "warning"
                && f["message"].as_str().unwrap().contains("covered by no")),
            "{pointer}: {findings:#?}"
        );
    }
    let header = at("/signatures/0/header");
    assert!(
        header
            .iter()
            .any(|f| f["rule"] == "R-39" && f["severity"] == "warning"),
        "{findings:#?}"
    );
}
