//! `vcon sign`, `verify`, `encrypt`, `decrypt` and `keys`: round trips with a
//! generated PKI, the draft's A.6/A.7 vectors, failures and their exit codes,
//! and the JSON report shapes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use common::{VALID, json, json_lines, vcon, write};
use predicates::prelude::*;

/// The shared vectors (`../../../shared/vectors`, or `$VCON_VECTORS_DIR`), or
/// `None` after saying on the real standard error (libtest captures
/// `eprintln!`) that the calling test is skipped.
fn vectors(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("VCON_VECTORS_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
        PathBuf::from,
    );
    if dir.join("keys").is_dir() {
        return Some(dir);
    }
    let _ = std::io::stderr().write_all(
        format!(
            "SKIPPED {test}: shared vector directory {} (with keys/) is absent; set VCON_VECTORS_DIR to run it\n",
            dir.display()
        )
        .as_bytes(),
    );
    None
}

/// A generated test PKI in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        vcon()
            .args(["keys", "generate", "--out-dir"])
            .arg(dir.path())
            .assert()
            .code(0)
            .stderr(predicate::str::contains("for testing only"));
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Signs [`VALID`] with the leaf key and chain; returns the signed file.
    fn signed(&self) -> PathBuf {
        let input = write(self.dir.path(), "call.vcon", VALID);
        let out = self.path("signed.vcon");
        vcon()
            .arg("sign")
            .arg(&input)
            .arg("--key")
            .arg(self.path("leaf.key"))
            .arg("--cert")
            .arg(self.path("chain.pem"))
            .arg("-o")
            .arg(&out)
            .assert()
            .code(0);
        out
    }
}

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

/// Changes one base64url character of `member` in the top-level object.
fn tamper(path: &Path, member: &str) {
    let mut v = json(&std::fs::read(path).unwrap());
    let s = v[member].as_str().unwrap().to_owned();
    let mid = s.len() / 2;
    let c = s.as_bytes()[mid];
    let replacement = if c == b'A' { "B" } else { "A" };
    v[member] = format!("{}{replacement}{}", &s[..mid], &s[mid + 1..]).into();
    std::fs::write(path, serde_json::to_vec(&v).unwrap()).unwrap();
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
