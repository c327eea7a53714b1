//! `vcon new`: building vCons from flags; errors name the flag and the rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{json, json_lines, vcon, write};
use predicates::prelude::*;

const UUID: &str = "019f15a6-a752-826f-b9a2-279e0d16bc46";
const AT: &str = "2026-06-29T23:11:19Z";

fn base() -> assert_cmd::Command {
    let mut c = vcon();
    c.args(["new", "--uuid", UUID, "--created-at", AT])
        .args(["--party", "tel=+15551230001,name=Alice,validation=none"])
        .args(["--party", "mailto=bob@example.com,name=Bob,validation=none"]);
    c
}

#[test]
fn builds_a_strictly_valid_chat() {
    let out = base()
        .args([
            "--subject",
            "Hello",
            "--text",
            "0,1:Hello Bob",
            "--text",
            "1,0:Hi Alice",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out.stdout);
    assert_eq!(v["uuid"], UUID);
    assert_eq!(v["created_at"], AT);
    assert_eq!(v["parties"][0]["tel"], "+15551230001");
    assert_eq!(v["dialog"][1]["body"], "Hi Alice");
    assert_eq!(v["dialog"][1]["parties"], serde_json::json!([1, 0]));
    assert_eq!(v["dialog"][0]["start"], AT);
    vcon()
        .args(["validate", "--format", "json", "-"])
        .write_stdin(out.stdout)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("\"errors\":0"));
}

#[test]
fn uuid_is_v8_from_the_domain() {
    let out = vcon()
        .args([
            "new",
            "--domain",
            "example.com",
            "--party",
            "name=A",
            "--text",
            "0:x",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out.stdout);
    let uuid = v["uuid"].as_str().unwrap();
    assert_eq!(&uuid[14..15], "8", "{uuid}");
}

#[test]
fn dialogs_follow_command_line_order() {
    let dir = tempfile::tempdir().unwrap();
    let wav = write(dir.path(), "call.wav", b"RIFF0000WAVEfmt ");
    let out = base()
        .args(["--text", "0,1:before"])
        .arg("--recording")
        .arg(&wav)
        .args(["--text", "1,0:after"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out.stdout);
    let types: Vec<&str> = v["dialog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["text", "recording", "text"]);
    let rec = &v["dialog"][1];
    assert_eq!(rec["mediatype"], "audio/x-wav");
    assert_eq!(rec["filename"], "call.wav");
    assert_eq!(rec["encoding"], "base64url");
    assert_eq!(rec["body"], "UklGRjAwMDBXQVZFZm10IA");
    assert_eq!(rec["parties"], serde_json::json!([0, 1]));
}

#[test]
fn external_recording_hash_matches_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mp3 = write(dir.path(), "call.mp3", b"ID3 not really an mp3");
    let out = base()
        .args([
            "--recording-url",
            "https://media.example.com/call.mp3",
            "--recording-file",
        ])
        .arg(&mp3)
        .args(["--recording-parties", "1"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out.stdout);
    let d = &v["dialog"][0];
    assert_eq!(d["url"], "https://media.example.com/call.mp3");
    assert_eq!(d["mediatype"], "audio/x-mp3");
    assert_eq!(d["parties"], serde_json::json!([1]));
    let token = d["content_hash"].as_str().unwrap();
    vcon()
        .args(["hash", "--check", token])
        .arg(&mp3)
        .assert()
        .code(0);
}

#[test]
fn tags_text_files_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let msg = write(dir.path(), "msg.txt", "From a file");
    let out_file = dir.path().join("out.vcon");
    let out = base()
        .args(["--format", "json", "--tag", "category=billing"])
        .arg("--text-file")
        .arg(format!("0,1:{}", msg.display()))
        .arg("-o")
        .arg(&out_file)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(r["uuid"], UUID);
    assert_eq!(r["parties"], 2);
    assert_eq!(r["dialog"], 1);
    let v = json(&std::fs::read(&out_file).unwrap());
    assert_eq!(v["dialog"][0]["body"], "From a file");
    assert_eq!(v["attachments"][0]["purpose"], "tags");
}

#[test]
fn cc_role_declares_the_extension() {
    let out = vcon()
        .args([
            "new",
            "--uuid",
            UUID,
            "--created-at",
            AT,
            "--party",
            "name=Bob,role=agent,validation=none",
        ])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out.stdout);
    assert_eq!(v["parties"][0]["role"], "agent");
    assert_eq!(v["extensions"], serde_json::json!(["CC"]));
}

#[test]
fn bad_values_are_usage_errors_that_name_the_flag() {
    base()
        .args(["--text", "0,3:Hi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/dialog/0/parties/1"))
        .stderr(predicate::str::contains("--text '0,3:Hi'"))
        .stderr(predicate::str::contains("R-20"));
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "rec.bin", b"xx");
    base()
        .args([
            "--recording-url",
            "http://insecure.example.com/a.mp3",
            "--recording-file",
        ])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("R-31"));
    base()
        .arg("--recording")
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--mediatype"));
    base()
        .args(["--party", "nmae=x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown key `nmae`"));
    base()
        .args(["--text", "hello"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PARTY[,PARTY...]:VALUE"));
    base()
        .args([
            "--recording-url",
            "https://a.example/x.mp3",
            "--recording-url",
            "https://a.example/y.mp3",
            "--recording-file",
        ])
        .arg(&f)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("one file per URL"));
    vcon()
        .args([
            "new",
            "--uuid",
            UUID,
            "--created-at",
            "yesterday",
            "--party",
            "name=A",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("R-3"));
    vcon()
        .args(["new", "--uuid", "not-a-uuid"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--uuid"));
    vcon()
        .args(["new", "--text", "0:hi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--party"));
    base()
        .arg("--recording")
        .arg(dir.path().join("missing.wav"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.wav"));
}
