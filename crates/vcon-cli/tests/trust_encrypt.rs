//! `vcon encrypt` and `vcon decrypt`: sign-then-encrypt, refusing unsigned
//! input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod trust_support;

use common::{VALID, vcon, write};
use predicates::prelude::*;
use trust_support::Pki;

#[test]
fn encrypt_refuses_unsigned_input_without_a_signing_key() {
    let pki = Pki::new();
    let input = write(pki.dir.path(), "call.vcon", VALID);
    vcon()
        .arg("encrypt")
        .arg(&input)
        .arg("--to")
        .arg(pki.path("leaf.crt"))
        .assert()
        .code(1)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("unsigned vCon"))
        .stderr(predicate::str::contains("--sign-key"));
    let sealed = pki.path("sealed.vcon");
    vcon()
        .arg("encrypt")
        .arg(&input)
        .arg("--to")
        .arg(pki.path("leaf.crt"))
        .arg("--sign-key")
        .arg(pki.path("leaf.key"))
        .arg("--sign-cert")
        .arg(pki.path("chain.pem"))
        .arg("-o")
        .arg(&sealed)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("signed first"));
    vcon()
        .arg("decrypt")
        .arg(&sealed)
        .arg("--key")
        .arg(pki.path("leaf.key"))
        .arg("--trust")
        .arg(pki.path("root.crt"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("VERIFIED"));
    // A signed input with --sign-key is refused too.
    vcon()
        .arg("encrypt")
        .arg(pki.signed())
        .arg("--to")
        .arg(pki.path("leaf.crt"))
        .arg("--sign-key")
        .arg(pki.path("leaf.key"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("already signed"));
}
