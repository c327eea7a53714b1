//! `vcon show`: text and JSON summaries, envelopes, timeline order.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{NO_FORM, VALID, json, vcon, vectors_dir};
use predicates::prelude::*;

#[test]
fn text_summary_of_an_unsigned_vcon() {
    vcon()
        .args(["show", "-"])
        .write_stdin(VALID)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "vCon 019f15a6-a752-826f-b9a2-279e0d16bc46\n",
        ))
        .stdout(predicate::str::contains("subject     Greeting"))
        .stdout(predicate::str::contains("Parties (2)"))
        .stdout(predicate::str::contains("[0] Alice  tel +12345678901"))
        .stdout(predicate::str::contains(
            "[1] Bob    mailto bob@example.com",
        ))
        .stdout(predicate::str::contains("Dialog (1, by start time)"))
        .stdout(predicate::str::contains(
            "parties 0 Alice, 1 Bob  text/plain  6 B inline (none)",
        ));
}

#[test]
fn json_summary_shape() {
    let out = vcon()
        .args(["show", "--format", "json", "-"])
        .write_stdin(VALID)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out.stdout);
    assert_eq!(v["path"], "-");
    assert_eq!(v["form"], "unsigned");
    let s = &v["vcon"];
    assert_eq!(s["uuid"], "019f15a6-a752-826f-b9a2-279e0d16bc46");
    assert_eq!(s["version"], "0.4.0");
    assert_eq!(s["parties"][1]["mailto"], "bob@example.com");
    assert_eq!(s["dialog"][0]["index"], 0);
    assert_eq!(s["dialog"][0]["content"]["size"], 6);
}

#[test]
fn timeline_is_sorted_by_start_but_keeps_indices() {
    let v = serde_json::json!({
        "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
        "parties": [{"name": "A"}, {"name": "B"}],
        "dialog": [
            {"type": "text", "start": "2026-01-01T10:00:00Z", "parties": [0, 1], "body": "late", "encoding": "none", "mediatype": "text/plain"},
            {"type": "incomplete", "start": "2026-01-01T09:00:00Z", "parties": [0, 1], "disposition": "no-answer"},
            {"type": "transfer", "start": "2026-01-01T11:00:00+01:00", "transferee": 0, "transferor": 1, "transfer_target": 0, "original": 1}
        ]
    });
    let out = vcon()
        .args(["show", "--format", "json", "-"])
        .write_stdin(v.to_string())
        .output()
        .unwrap();
    let s = json(&out.stdout);
    let order: Vec<u64> = s["vcon"]["dialog"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["index"].as_u64().unwrap())
        .collect();
    assert_eq!(
        order,
        [1, 0, 2],
        "11:00+01:00 equals 10:00Z: ties keep document order"
    );
    vcon()
        .args(["show", "-"])
        .write_stdin(v.to_string())
        .assert()
        .stdout(predicate::str::contains("disposition no-answer"))
        .stdout(predicate::str::contains("transferee 0 A  transferor 1 B"));
}

#[test]
fn signed_envelope_and_unverified_payload() {
    let payload = URL_SAFE_NO_PAD.encode(VALID.as_bytes());
    let protected = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let jws = serde_json::json!({
        "payload": payload,
        "signatures": [{
            "protected": protected,
            "header": {"alg": "RS256", "x5c": ["AAAA", "BBBB"], "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46"},
            "signature": "c2ln"
        }]
    });
    let out = vcon()
        .args(["show", "--format", "json", "-"])
        .write_stdin(jws.to_string())
        .assert()
        .code(0)
        .get_output()
        .clone();
    let v = json(&out.stdout);
    assert_eq!(v["form"], "signed");
    assert_eq!(v["signed"]["signatures"][0]["x5c_certificates"], 2);
    assert_eq!(v["signed"]["signatures"][0]["alg"], "RS256");
    assert_eq!(v["payload"]["form"], "unsigned");
    assert_eq!(v["payload"]["vcon"]["subject"], "Greeting");
    vcon()
        .args(["show", "-"])
        .write_stdin(jws.to_string())
        .assert()
        .stdout(predicate::str::contains("NOT verified"))
        .stdout(predicate::str::contains("x5c 2 certificate(s)"))
        .stdout(predicate::str::contains("Parties (2)"));
}

#[test]
fn not_a_vcon_exits_1() {
    vcon()
        .args(["show", "-"])
        .write_stdin("[]")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("R-45"));
    vcon()
        .args(["show", "-"])
        .write_stdin(NO_FORM)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("NO vCon FORM (R-40)"));
    vcon().args(["show", "/nonexistent.vcon"]).assert().code(2);
}

#[test]
fn draft_envelopes() {
    let Some(dir) = vectors_dir("draft_envelopes") else {
        return;
    };
    let out = vcon()
        .args(["show", "--format", "json"])
        .arg(dir.join("core03-A6-signed-jws-general.vcon"))
        .output()
        .unwrap();
    let v = json(&out.stdout);
    assert_eq!(v["signed"]["signatures"][0]["x5c_certificates"], 3);
    assert_eq!(
        v["signed"]["signatures"][0]["uuid"],
        v["payload"]["vcon"]["uuid"]
    );
    let out = vcon()
        .args(["show", "--format", "json"])
        .arg(dir.join("core03-A7-encrypted-jwe-general.vcon"))
        .output()
        .unwrap();
    let v = json(&out.stdout);
    assert_eq!(v["form"], "encrypted");
    assert_eq!(v["encrypted"]["alg"], "RSA-OAEP");
    assert_eq!(v["encrypted"]["enc"], "A256CBC-HS512");
    assert_eq!(v["encrypted"]["iv_bytes"], 16);
    assert_eq!(v["encrypted"]["recipients"].as_array().unwrap().len(), 1);
    // Every vector can be shown without an I/O error.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let code = vcon()
                .arg("show")
                .arg(&path)
                .output()
                .unwrap()
                .status
                .code();
            assert!(matches!(code, Some(0 | 1)), "{}: {code:?}", path.display());
        }
    }
}
