//! `vcon sign` and `vcon verify` with a generated PKI: round trips, pipes,
//! co-signing, wrong keys and anchors, tampered files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod trust_support;

use common::{VALID, json, vcon};
use predicates::prelude::*;
use trust_support::{Pki, tamper};

#[test]
fn sign_then_verify_with_generated_keys() {
    let pki = Pki::new();
    let signed = pki.signed();
    let envelope = json(&std::fs::read(&signed).unwrap());
    assert!(envelope["payload"].is_string());
    assert_eq!(
        envelope["signatures"][0]["header"]["uuid"],
        "019f15a6-a752-826f-b9a2-279e0d16bc46"
    );
    let inner = pki.path("inner.vcon");
    vcon()
        .arg("verify")
        .arg(&signed)
        .arg("--trust")
        .arg(pki.path("root.crt"))
        .arg("-o")
        .arg(&inner)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("VERIFIED"))
        .stdout(predicate::str::contains("CN=signer.vcon.example"))
        .stdout(predicate::str::contains("strict policy"));
    let inner = json(&std::fs::read(&inner).unwrap());
    assert_eq!(inner["uuid"], "019f15a6-a752-826f-b9a2-279e0d16bc46");
    assert!(inner["updated_at"].is_string(), "sign sets updated_at");
    vcon()
        .arg("validate")
        .arg(pki.path("inner.vcon"))
        .assert()
        .code(0);
}

#[test]
fn standard_input_and_output_pipe_through() {
    let pki = Pki::new();
    let signed = vcon()
        .args(["sign", "-", "--key"])
        .arg(pki.path("leaf.key"))
        .arg("--cert")
        .arg(pki.path("chain.pem"))
        .write_stdin(VALID)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("signed -"))
        .get_output()
        .stdout
        .clone();
    vcon()
        .args(["verify", "-", "-o", "-", "--trust"])
        .arg(pki.path("root.crt"))
        .write_stdin(signed)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"parties\""))
        .stderr(predicate::str::contains("VERIFIED -"));
}

#[test]
fn wrong_keys_and_anchors_exit_1() {
    let pki = Pki::new();
    let other = Pki::new();
    let signed = pki.signed();
    vcon()
        .arg("verify")
        .arg(&signed)
        .arg("--trust")
        .arg(other.path("root.crt"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not issued by any trust anchor"));
    let out = vcon()
        .args(["verify", "--format", "json"])
        .arg(&signed)
        .arg("--public-key")
        .arg(other.path("leaf.crt"))
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    assert_eq!(json(&out)["check"], "signature");
    let sealed = pki.path("sealed.vcon");
    vcon()
        .arg("encrypt")
        .arg(&signed)
        .arg("--to")
        .arg(pki.path("leaf.crt"))
        .arg("-o")
        .arg(&sealed)
        .assert()
        .code(0);
    let out = vcon()
        .args(["decrypt", "--format", "json"])
        .arg(&sealed)
        .arg("--key")
        .arg(other.path("leaf.key"))
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(out.stdout.is_empty());
    let r = json(&out.stderr);
    assert_eq!(r["decrypted"], false);
    assert_eq!(r["check"], "key");
}

#[test]
fn tampered_files_exit_1() {
    let pki = Pki::new();
    let signed = pki.signed();
    let sealed = pki.path("sealed.vcon");
    vcon()
        .arg("encrypt")
        .arg(&signed)
        .arg("--to")
        .arg(pki.path("leaf.crt"))
        .arg("-o")
        .arg(&sealed)
        .assert()
        .code(0);
    tamper(&signed, "payload");
    vcon()
        .arg("verify")
        .arg(&signed)
        .arg("--trust")
        .arg(pki.path("root.crt"))
        .assert()
        .code(1)
        .stdout(predicate::str::contains("check signature"))
        .stdout(predicate::str::contains("/signatures/0/signature"));
    tamper(&sealed, "ciphertext");
    vcon()
        .arg("decrypt")
        .arg(&sealed)
        .arg("--key")
        .arg(pki.path("leaf.key"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/ciphertext"));
}

#[test]
fn sign_refuses_signed_input_unless_cosigning() {
    let pki = Pki::new();
    let signed = pki.signed();
    vcon()
        .arg("sign")
        .arg(&signed)
        .arg("--key")
        .arg(pki.path("leaf.key"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--cosign"));
    let cosigned = vcon()
        .arg("sign")
        .arg(&signed)
        .arg("--cosign")
        .arg("--key")
        .arg(pki.path("leaf.key"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("R-39"))
        .get_output()
        .stdout
        .clone();
    let out = vcon()
        .args(["verify", "-", "--format", "json", "--trust"])
        .arg(pki.path("root.crt"))
        .arg("--public-key")
        .arg(pki.path("leaf.crt"))
        .write_stdin(cosigned)
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let r = json(&out);
    assert_eq!(r["signers"][0]["trusted_by"], "chain");
    assert_eq!(r["signers"][1]["trusted_by"], "public_key");
}
