//! Exit codes of the trust commands on usage and I/O errors, and the shapes
//! of their `--format json` reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod trust_support;

use common::{VALID, json, json_lines, vcon, write};
use predicates::prelude::*;
use trust_support::Pki;

#[test]
fn usage_and_io_errors_exit_2() {
    let pki = Pki::new();
    let signed = pki.signed();
    vcon()
        .arg("verify")
        .arg(&signed)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--trust"));
    vcon()
        .arg("verify")
        .arg(pki.path("missing.vcon"))
        .arg("--trust")
        .arg(pki.path("root.crt"))
        .assert()
        .code(2);
    vcon()
        .args(["sign", "-", "--key"])
        .arg(pki.path("nope.key"))
        .write_stdin(VALID)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope.key"));
    // The chain does not certify the key.
    vcon()
        .args(["sign", "-", "--key"])
        .arg(pki.path("root.key"))
        .arg("--cert")
        .arg(pki.path("chain.pem"))
        .write_stdin(VALID)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not certify the signing key"));
    vcon()
        .args(["keys", "generate", "--out-dir"])
        .arg(pki.dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
}

#[test]
fn json_reports_have_the_documented_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let pki_dir = dir.path().join("pki");
    let out = vcon()
        .args([
            "keys",
            "generate",
            "--format",
            "json",
            "--kind",
            "p256",
            "--out-dir",
        ])
        .arg(&pki_dir)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json(&out);
    assert_eq!(r["kind"], "EC P-256");
    assert_eq!(r["files"].as_array().unwrap().len(), 7);
    assert!(r["warning"].as_str().unwrap().contains("testing"));

    let input = write(dir.path(), "call.vcon", VALID);
    let signed = dir.path().join("signed.vcon");
    let out = vcon()
        .args(["sign", "--format", "json", "--gzip"])
        .arg(&input)
        .arg("--key")
        .arg(pki_dir.join("leaf.key"))
        .arg("--cert")
        .arg(pki_dir.join("chain.pem"))
        .arg("-o")
        .arg(&signed)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json(&out);
    for (k, v) in [
        ("signed", serde_json::json!(true)),
        ("mode", "sign".into()),
        ("alg", "ES256".into()),
        ("identity", "x5c".into()),
        ("layout", "rfc7515".into()),
        ("gzip", true.into()),
        ("signatures", 1.into()),
    ] {
        assert_eq!(r[k], v, "{k}: {r}");
    }
    assert_eq!(r["chain_subjects"].as_array().unwrap().len(), 2);

    let out = vcon()
        .args(["verify", "--format", "json", "--trust"])
        .arg(pki_dir.join("root.crt"))
        .arg(&signed)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    let r = &lines[0];
    assert_eq!(r["verified"], true);
    assert_eq!(r["layers"][0]["gzipped"], true);
    assert_eq!(r["signers"][0]["alg"], "ES256");
    assert_eq!(r["signers"][0]["policy"], "strict");
    assert!(r["warnings"].as_array().unwrap().is_empty());

    let sealed = dir.path().join("sealed.vcon");
    let out = vcon()
        .args(["encrypt", "--format", "json", "--enc", "A256GCM"])
        .arg(&signed)
        .arg("--to")
        .arg(pki_dir.join("leaf.crt"))
        .arg("-o")
        .arg(&sealed)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json(&out);
    assert_eq!(r["encrypted"], true);
    assert_eq!(r["enc"], "A256GCM");
    assert_eq!(r["recipients"][0]["alg"], "ECDH-ES+A256KW");
    assert!(r["recipients"][0]["subject"].is_string());

    let out = vcon()
        .args(["decrypt", "--format", "json", "-o"])
        .arg(dir.path().join("opened.vcon"))
        .arg(&sealed)
        .arg("--key")
        .arg(pki_dir.join("leaf.key"))
        .arg("--public-key")
        .arg(pki_dir.join("leaf.crt"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json(&out);
    assert_eq!(r["decrypted"], true);
    assert_eq!(r["alg"], "ECDH-ES+A256KW");
    assert_eq!(r["verification"]["signers"][0]["trusted_by"], "public_key");
    assert_eq!(
        std::fs::read(dir.path().join("opened.vcon")).unwrap(),
        std::fs::read(&signed).unwrap(),
        "decrypt returns the signed form exactly"
    );

    let out = vcon()
        .args(["keys", "show", "--format", "json"])
        .arg(pki_dir.join("chain.pem"))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json(&out);
    assert_eq!(r["contents"], "certificates");
    assert_eq!(r["certificates"].as_array().unwrap().len(), 2);
    assert_eq!(r["jwk"]["crv"], "P-256");
}
