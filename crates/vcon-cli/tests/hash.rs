//! `vcon hash`: tokens, several algorithms, checks, stdin.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{json_lines, vcon, vectors_dir, write};
use predicates::prelude::*;

const HELLO_SHA512: &str =
    "sha512-m3HSJL1i83hdltRq0-o9czGb-8KJDKra4t_3JRlnPKcjI8PZm6XBHXx6zG4UuMXaDEZjR1wuXDre9G9zvN7AQw";
const HELLO_SHA256: &str = "sha256-LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ";

#[test]
fn prints_a_sha512_token_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "hello.txt", "hello");
    vcon()
        .arg("hash")
        .arg(&f)
        .assert()
        .code(0)
        .stdout(format!("{HELLO_SHA512}\n"));
}

#[test]
fn several_algorithms_and_json() {
    let out = vcon()
        .args([
            "hash", "--alg", "sha256", "--alg", "sha512", "--format", "json", "-",
        ])
        .write_stdin("hello")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["path"], "-");
    assert_eq!(v["bytes"], 5);
    assert_eq!(v["tokens"], serde_json::json!([HELLO_SHA256, HELLO_SHA512]));
    assert_eq!(
        v["content_hash"],
        serde_json::json!([HELLO_SHA256, HELLO_SHA512])
    );
}

#[test]
fn check_matches_and_mismatches() {
    vcon()
        .args(["hash", "--check", HELLO_SHA512, "-"])
        .write_stdin("hello")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("OK"));
    vcon()
        .args(["hash", "--check", HELLO_SHA512, "-"])
        .write_stdin("hellO")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("MISMATCH"))
        .stdout(predicate::str::contains(HELLO_SHA512));
    let out = vcon()
        .args([
            "hash",
            "--format",
            "json",
            "--check",
            HELLO_SHA256,
            "--check",
            HELLO_SHA512,
            "-",
        ])
        .write_stdin("hello")
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = &json_lines(&out.stdout)[0];
    assert_eq!(v["match"], true);
    assert_eq!(v["checks"].as_array().unwrap().len(), 2);
}

#[test]
fn malformed_or_unknown_tokens_are_usage_errors() {
    vcon()
        .args(["hash", "--check", "sha512-abc", "-"])
        .write_stdin("hello")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("sha512-abc"));
    vcon()
        .args(["hash", "--check", "blake3-AAAA", "-"])
        .write_stdin("hello")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown algorithm `blake3`"));
    vcon()
        .args(["hash", "--format", "json", "--check", "nope", "-"])
        .write_stdin("hello")
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("{\"error\":"));
}

#[test]
fn missing_file_is_an_io_error_naming_the_path() {
    vcon()
        .args(["hash", "/nonexistent/rec.mp3"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read /nonexistent/rec.mp3"));
}

#[test]
fn the_draft_recording_hash_verifies() {
    let Some(dir) = vectors_dir("the_draft_recording_hash_verifies") else {
        return;
    };
    let mp3 = dir.join("assets/ab_call.mp3");
    vcon()
        .args([
            "hash",
            "--check",
            "sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0a75fhUM6cYzLZ5GynSURREvZwmOh54-2lRRieyj82UQ",
        ])
        .arg(&mp3)
        .assert()
        .code(0);
}
