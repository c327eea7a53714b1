//! The PyPI `vcon` library's signed layout (R-39): accepted with warnings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};

use crate::validate::{Options, Report, Severity, validate_object};

const UUID: &str = "019f15a6-a752-826f-b9a2-279e0d16bc46";

fn unsigned() -> Value {
    json!({"vcon": "0.4.0", "uuid": UUID, "created_at": "2026-06-29T23:11:19Z",
           "parties": [{"name": "Alice"}], "dialog": [], "attachments": [], "analysis": []})
}

/// What PyPI `vcon` 0.10.0 writes: the unsigned members kept beside
/// `payload` and `signatures`, and a signature object with no `header`.
fn pypi_layout() -> Value {
    let mut v = unsigned();
    let o = v.as_object_mut().unwrap();
    o.insert(
        "payload".into(),
        B64.encode(serde_json::to_vec(&unsigned()).unwrap()).into(),
    );
    o.insert(
        "signatures".into(),
        json!([{"protected": B64.encode(br#"{"alg":"RS256","typ":"JWS"}"#), "signature": "c2ln"}]),
    );
    v
}

fn run(v: &Value) -> Report {
    validate_object(v.as_object().unwrap(), &Options::default())
}

fn finding<'r>(r: &'r Report, severity: Severity, pointer: &str) -> &'r crate::validate::Finding {
    r.findings
        .iter()
        .find(|f| f.severity == severity && f.pointer == pointer)
        .unwrap_or_else(|| panic!("no {severity} at {pointer}: {:#?}", r.findings))
}

#[test]
fn pypi_layout_is_valid_with_r39_warnings() {
    let r = run(&pypi_layout());
    assert!(r.is_valid(), "{:#?}", r.findings);
    for pointer in ["/uuid", "/parties", "/created_at", "/vcon"] {
        let f = finding(&r, Severity::Warning, pointer);
        assert_eq!(f.rule, "R-39");
        assert!(f.message.contains("covered by no"), "{}", f.message);
    }
    let f = finding(&r, Severity::Warning, "/signatures/0/header");
    assert_eq!(f.rule, "R-39");
    let all: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.pointer == "/signatures/0/header")
        .map(|f| f.message.as_str())
        .collect();
    assert!(
        all.iter().any(|m| m.contains("no unprotected `header`")),
        "{all:?}"
    );
    assert!(all.iter().any(|m| m.contains("neither `x5c`")), "{all:?}");
}

#[test]
fn a_header_without_x5c_or_x5u_is_still_an_error() {
    let mut v = pypi_layout();
    v["signatures"][0]["header"] = json!({"uuid": UUID});
    let r = run(&v);
    assert!(!r.is_valid());
    let f = finding(&r, Severity::Error, "/signatures/0/header");
    assert_eq!(f.rule, "R-39");
    assert!(f.message.contains("neither `x5c`"), "{}", f.message);
}
