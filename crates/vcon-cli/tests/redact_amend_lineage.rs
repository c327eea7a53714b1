//! `vcon redact`, `vcon amend`, `vcon lineage`: outputs, reports, policy
//! errors with line numbers, refusals and exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};

use common::{VALID, json, json_lines, vcon, vectors_dir, write};
use predicates::prelude::*;
use serde_json::Value;

/// A vCon holding PII of several kinds in a text dialog.
const PII: &str = r#"{
  "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
  "created_at": "2026-06-29T23:11:19Z",
  "subject": "Alice calls about her card",
  "parties": [
    {"tel": "+12025550143", "name": "Alice Smith", "validation": "none"},
    {"mailto": "agent@example.com", "name": "Agent Bob", "validation": "none"},
    {"name": "Carol", "validation": "none"}
  ],
  "dialog": [
    {"type": "text", "start": "2026-06-29T23:11:19Z", "parties": [0, 1],
     "mediatype": "text/plain", "encoding": "none",
     "body": "Alice here, card 4111 1111 1111 1111, call 202-555-0143 or mail alice@home.example"}
  ],
  "analysis": [
    {"type": "sentiment", "dialog": 0, "vendor": "acme", "encoding": "json", "body": {"score": 0.1}}
  ]
}"#;

const POLICY: &str = r#"
[parties]
remove = [2]
drop_members = ["tel", "mailto"]
replace_members = { name = "[NAME]" }

[analysis]
remove_types = ["sentiment"]

[pii.masks]
card = "[PAN]"
"#;

const PII_VALUES: [&str; 6] = [
    "Alice",
    "4111",
    "202-555-0143",
    "alice@home.example",
    "agent@example.com",
    "Carol",
];

fn example_policy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/redaction-policy.example.toml")
}

#[test]
fn redact_writes_a_valid_vcon_and_lineage_proves_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "call.vcon", PII);
    let policy = write(dir.path(), "policy.toml", POLICY);
    let output = dir.path().join("red.vcon");
    let out = vcon()
        .args(["redact", "--domain", "example.com"])
        .arg(&input)
        .arg("--policy")
        .arg(&policy)
        .arg("-o")
        .arg(&output)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("redacted copy"), "{report}");
    assert!(report.contains("card 1"), "{report}");
    assert!(report.contains("/parties/2"), "{report}");
    assert!(report.contains("wrote"), "{report}");
    let red = json(&std::fs::read(&output).unwrap());
    assert_eq!(
        red["dialog"][0]["body"],
        "[NAME] here, card [PAN], call [PHONE] or mail [EMAIL]"
    );
    assert_eq!(red["parties"][2], serde_json::json!({}));
    assert_eq!(red["analysis"][0], serde_json::json!({}));
    assert_eq!(
        red["redacted"]["uuid"],
        "019f15a6-a752-826f-b9a2-279e0d16bc46"
    );
    let id: uuid::Uuid = red["uuid"].as_str().unwrap().parse().unwrap();
    assert!(
        vcon_core::id::is_from_domain(&id, "example.com"),
        "UUIDv8 of --domain"
    );
    for p in PII_VALUES {
        assert!(!report.contains(p), "report holds {p}");
        assert!(
            !serde_json::to_string(&red).unwrap().contains(p),
            "output holds {p}"
        );
    }
    vcon().arg("validate").arg(&output).assert().code(0);
    vcon()
        .arg("lineage")
        .arg(&output)
        .arg(&input)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("HOLDS"))
        .stdout(predicate::str::contains(
            "verified against the original's bytes",
        ))
        .stdout(predicate::str::contains(
            "/parties/2: replaced by an empty {} placeholder",
        ));
}

#[test]
fn redact_json_report_and_stdout_output() {
    let out = vcon()
        .args([
            "redact",
            "--uuid",
            "019f15a6-aa72-8dbd-a20f-d188127fad29",
            "--format",
            "json",
            "-",
        ])
        .write_stdin(PII)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let red = json(&out.stdout);
    assert_eq!(red["uuid"], "019f15a6-aa72-8dbd-a20f-d188127fad29");
    let report = &json_lines(&out.stderr)[0];
    assert_eq!(report["path"], "-");
    assert_eq!(report["output"], "-");
    assert_eq!(
        report["redacted_uuid"],
        "019f15a6-aa72-8dbd-a20f-d188127fad29"
    );
    assert_eq!(report["counts"]["card"], 1);
    assert_eq!(report["counts"]["party_tel"], 1);
    assert!(
        report["original_content_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha512-")
    );
    let item = &report["items"].as_array().unwrap()[0];
    assert!(item["pointer"].is_string() && item["action"].is_string() && item["count"].is_u64());
    let stderr = String::from_utf8(out.stderr).unwrap();
    for p in PII_VALUES {
        assert!(!stderr.contains(p), "report holds {p}");
    }
}

#[test]
fn policy_errors_name_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "call.vcon", PII);
    let cases = [
        (
            "[pii]\nphone = true\nphones = false\n",
            "policy.toml:3:1",
            "unknown field `phones`",
        ),
        (
            "[pii]\ndob = \"sometimes\"\n",
            "policy.toml:2:7",
            "unknown variant `sometimes`",
        ),
        (
            "[pii]\n\n[[pii.custom]]\nname = \"x\"\npattern = \"(unclosed\"\n",
            "policy.toml:5:11",
            "/pii/custom/0/pattern: not a valid regular expression",
        ),
        (
            "[media]\ndialogs = [0, 4]\n",
            "policy.toml:2:15",
            "/media/dialogs/1: dialog 4 does not exist",
        ),
        ("redaction_type = [1\n", "policy.toml:1:", ""),
    ];
    for (text, at, message) in cases {
        let policy = write(dir.path(), "policy.toml", text);
        let out = vcon()
            .arg("redact")
            .arg(&input)
            .arg("--policy")
            .arg(&policy)
            .assert()
            .code(2)
            .get_output()
            .clone();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains(at), "{text:?}: {stderr}");
        assert!(stderr.contains(message), "{text:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn the_example_policy_applies() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "call.vcon", PII);
    let output = dir.path().join("red.vcon");
    vcon()
        .arg("redact")
        .arg(&input)
        .arg("--policy")
        .arg(example_policy())
        .arg("-o")
        .arg(&output)
        .assert()
        .code(0);
    let red = json(&std::fs::read(&output).unwrap());
    assert_eq!(red["parties"][0]["name"], "[NAME]");
    assert_eq!(
        red["analysis"][0],
        serde_json::json!({}),
        "sentiment removed"
    );
    vcon()
        .arg("lineage")
        .arg(&output)
        .arg(&input)
        .assert()
        .code(0);
}

#[test]
fn redact_refuses_signed_input_and_unreadable_files() {
    let signed =
        r#"{"payload":"e30","signatures":[{"protected":"e30","header":{},"signature":"AA"}]}"#;
    vcon()
        .args(["redact", "-"])
        .write_stdin(signed)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot redact"))
        .stderr(predicate::str::contains("--payload payload.vcon"));
    vcon()
        .args(["redact", "/nonexistent/call.vcon"])
        .assert()
        .code(2);
    vcon()
        .args(["redact", "-"])
        .write_stdin("{")
        .assert()
        .code(2);
}

#[test]
fn amend_then_add_then_lineage() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "call.vcon", VALID);
    let output = dir.path().join("v2.vcon");
    vcon()
        .args(["amend", "--domain", "example.com"])
        .arg(&input)
        .arg("-o")
        .arg(&output)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("amended copy"));
    let mut v: Value = json(&std::fs::read(&output).unwrap());
    assert_eq!(v["amended"]["uuid"], "019f15a6-a752-826f-b9a2-279e0d16bc46");
    assert_ne!(v["uuid"], "019f15a6-a752-826f-b9a2-279e0d16bc46");
    assert!(v["updated_at"].is_string());
    vcon().arg("validate").arg(&output).assert().code(0);
    // Add a dialog, as the amender would.
    v["dialog"].as_array_mut().unwrap().push(serde_json::json!({
        "type": "text", "start": "2026-06-30T00:00:00Z", "parties": [1, 0],
        "mediatype": "text/plain", "encoding": "none", "body": "Thanks"}));
    std::fs::write(&output, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let out = vcon()
        .args(["lineage", "--format", "json"])
        .arg(&output)
        .arg(&input)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(r["relation"], "amended");
    assert_eq!(r["holds"], true);
    assert_eq!(r["hash"]["status"], "verified");
    assert_eq!(
        r["differences"],
        serde_json::json!([{"pointer": "/dialog/1", "kind": "added", "detail": "element appended"}])
    );
    // One byte of the original changed: the hash no longer matches.
    let tampered = write(
        dir.path(),
        "tampered.vcon",
        VALID.replace("Hi Bob", "Hi Rob"),
    );
    vcon()
        .arg("lineage")
        .arg(&output)
        .arg(&tampered)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("DOES NOT HOLD"))
        .stdout(predicate::str::contains("MISMATCH"));
}

#[test]
fn amend_refuses_signed_input_without_its_payload() {
    vcon()
        .args(["amend", "-"])
        .write_stdin(
            r#"{"payload":"e30","signatures":[{"protected":"e30","header":{},"signature":"AA"}]}"#,
        )
        .assert()
        .code(1)
        .stderr(predicate::str::contains("amend the verified payload"))
        .stderr(predicate::str::contains("--payload payload.vcon"));
    vcon()
        .args(["amend", "--prior-url", "http://insecure.example/x", "-"])
        .write_stdin(VALID)
        .assert()
        .code(2);
}

#[test]
fn lineage_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "call.vcon", VALID);
    let junk = write(dir.path(), "junk.vcon", "not json");
    vcon()
        .arg("lineage")
        .arg(&junk)
        .arg(&input)
        .assert()
        .code(2);
    vcon()
        .arg("lineage")
        .arg(&input)
        .arg("/nonexistent.vcon")
        .assert()
        .code(2);
    vcon()
        .args(["lineage", "-", "-"])
        .write_stdin(VALID)
        .assert()
        .code(2);
    vcon()
        .arg("lineage")
        .arg(&input)
        .arg(&input)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("neither `redacted` nor `amended`"));
}

#[test]
fn draft_a8_and_a9_against_a4() {
    let Some(dir) = vectors_dir("draft_a8_and_a9_against_a4") else {
        return;
    };
    let a4 = dir.join("core03-A4-unsigned-call-external-recording-url-content-hash.vcon");
    let a8 = dir.join("core03-A8-unsigned-redacted.vcon");
    let a9 = dir.join("core03-A9-unsigned-amended.vcon");
    vcon()
        .arg("lineage")
        .arg(&a9)
        .arg(&a4)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "not declared: only uuid and content were checked",
        ))
        .stdout(predicate::str::contains("/dialog/1: element appended"));
    vcon()
        .args(["lineage", "--require-hash"])
        .arg(&a9)
        .arg(&a4)
        .assert()
        .code(1);
    let out = vcon()
        .args(["lineage", "--format", "json"])
        .arg(&a8)
        .arg(&a4)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let r = &json_lines(&out.stdout)[0];
    assert_eq!(r["relation"], "redacted");
    assert_eq!(r["hash"]["status"], "not_declared");
    assert_eq!(r["referenced_uuid"], r["original_uuid"]);
    let kinds: Vec<(&str, &str)> = r["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["pointer"].as_str().unwrap(), d["kind"].as_str().unwrap()))
        .collect();
    assert!(kinds.contains(&("/dialog/0/url", "removed")));
    assert!(kinds.contains(&("/analysis/0", "added")));
}

#[test]
fn draft_a5_redaction_via_the_cli() {
    let Some(dir) = vectors_dir("draft_a5_redaction_via_the_cli") else {
        return;
    };
    let a5 = dir.join("core03-A5-unsigned-call-with-transcript-analysis.vcon");
    let tmp = tempfile::tempdir().unwrap();
    // The external recording cannot be silenced: refused, naming the dialog.
    vcon()
        .arg("redact")
        .arg(&a5)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("/dialog/0"))
        .stderr(predicate::str::contains("external"));
    let policy = write(
        tmp.path(),
        "p.toml",
        "[media]\ndialogs = [0]\n[parties]\ndrop_members = [\"tel\"]\n",
    );
    let output = tmp.path().join("a5-red.vcon");
    vcon()
        .arg("redact")
        .arg(&a5)
        .arg("-p")
        .arg(&policy)
        .arg("-o")
        .arg(&output)
        .assert()
        .code(0);
    let text = std::fs::read_to_string(&output).unwrap();
    assert!(
        !text.contains("1234567890") && !text.contains("Alice,"),
        "masked"
    );
    vcon()
        .args(["validate", "--profile", "lenient"])
        .arg(&output)
        .assert()
        .code(0);
    vcon().arg("lineage").arg(&output).arg(&a5).assert().code(0);
}
