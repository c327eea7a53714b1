//! The draft's A.6 (signed) and A.7 (encrypted) examples with the shared
//! test keys (skipped, saying so, when ../shared is absent).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod trust_support;

use common::{json, vcon};
use predicates::prelude::*;
use trust_support::{Pki, vectors};

#[test]
fn a6_verifies_only_when_v1_intermediates_are_allowed() {
    let Some(v) = vectors("a6_verifies_only_when_v1_intermediates_are_allowed") else {
        return;
    };
    let a6 = v.join("core03-A6-signed-jws-general.vcon");
    let root = v.join("keys/fake_ca_root.crt");
    vcon()
        .arg("verify")
        .arg(&a6)
        .arg("--trust")
        .arg(&root)
        .arg("--allow-v1-intermediates")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("CN=grp.div.fakevcon.io"))
        .stdout(predicate::str::contains("allow-v1-intermediates policy"))
        .stdout(predicate::str::contains("warning:"));
    vcon()
        .arg("verify")
        .arg(&a6)
        .arg("--trust")
        .arg(&root)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("FAILED"))
        .stdout(predicate::str::contains(
            "certificate 1 (C=US, ST=MA, L=Faketown, O=FakeVcon, OU=Division, CN=div.fakevcon.io",
        ))
        .stdout(predicate::str::contains("X.509 v1"))
        .stdout(predicate::str::contains("--allow-v1-intermediates"));
    let out = vcon()
        .args(["verify", "--format", "json", "--trust"])
        .arg(&root)
        .arg(&a6)
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let r = json(&out);
    assert_eq!(r["verified"], false);
    assert_eq!(r["check"], "chain");
    assert!(r["error"].as_str().unwrap().contains("CN=div.fakevcon.io"));
    // An unrelated root does not anchor the chain.
    vcon()
        .arg("verify")
        .arg(&a6)
        .arg("--trust")
        .arg(v.join("keys/fake_ca2_root.crt"))
        .arg("--allow-v1-intermediates")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("not issued by any trust anchor"));
}

#[test]
fn a7_decrypts_with_fake_grp_key_and_the_result_verifies() {
    let Some(v) = vectors("a7_decrypts_with_fake_grp_key_and_the_result_verifies") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a7 = v.join("core03-A7-encrypted-jwe-general.vcon");
    let signed = dir.path().join("a7-signed.vcon");
    vcon()
        .arg("decrypt")
        .arg(&a7)
        .arg("--key")
        .arg(v.join("keys/fake_grp.key"))
        .arg("-o")
        .arg(&signed)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("RSA-OAEP, A256CBC-HS512"));
    let a6 = std::fs::read(v.join("core03-A6-signed-jws-general.vcon")).unwrap();
    assert_eq!(
        json(&std::fs::read(&signed).unwrap()),
        json(&a6),
        "A.7's plaintext is A.6"
    );
    vcon()
        .arg("verify")
        .arg(&signed)
        .arg("--trust")
        .arg(v.join("keys/fake_ca_root.crt"))
        .arg("--allow-v1-intermediates")
        .assert()
        .code(0);
    // In one step, JSON report on standard error (the vCon goes to standard output).
    let out = vcon()
        .args(["decrypt", "--format", "json", "--allow-v1-intermediates"])
        .arg(&a7)
        .arg("--key")
        .arg(v.join("keys/fake_grp.key"))
        .arg("--trust")
        .arg(v.join("keys/fake_ca_root.crt"))
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert_eq!(json(&out.stdout), json(&a6));
    let r = json(&out.stderr);
    assert_eq!(r["decrypted"], true);
    assert_eq!(r["verification"]["verified"], true);
    assert!(
        r["verification"]["signers"][0]["signer"]
            .as_str()
            .unwrap()
            .contains("CN=grp.div.fakevcon.io")
    );
}

#[test]
fn a7_with_the_wrong_key_exits_1() {
    let Some(v) = vectors("a7_with_the_wrong_key_exits_1") else {
        return;
    };
    let pki = Pki::new();
    vcon()
        .arg("decrypt")
        .arg(v.join("core03-A7-encrypted-jwe-general.vcon"))
        .arg("--key")
        .arg(pki.path("leaf.key"))
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("no recipient could be decrypted"));
}
