//! Hand-written passing and failing cases for the document-level rules of the
//! digest §12: top level (R-1 to R-11), attachment party indices (R-20),
//! analysis and attachments (R-34 to R-37), parties (R-38), envelopes (R-39 to
//! R-42), references (R-43, R-44), reading (R-45) and extensions (R-46 to R-50).
//! Each failing case asserts the rule id, the severity and the JSON pointer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde_json::{Value, json};
use vcon_core::read::ReadLimits;
use vcon_core::validate::{Options, Profile, Report, Severity, validate_bytes, validate_object};

use Severity::{Error, Info, Warning};

const UUID: &str = "019f15a6-a752-826f-b9a2-279e0d16bc46";
const T: &str = "2026-06-29T23:11:19Z";

/// A vCon that passes every rule under the strict profile.
fn base() -> Value {
    json!({
        "vcon": "0.4.0",
        "uuid": UUID,
        "created_at": T,
        "parties": [
            {"tel": "+12345678901", "name": "Alice", "validation": "none"},
            {"mailto": "bob@example.com"}
        ],
        "dialog": [{"type": "text", "start": T, "parties": [0, 1], "mediatype": "text/plain",
                    "encoding": "none", "body": "Hi"}],
        "analysis": [{"type": "summary", "dialog": 0, "vendor": "acme", "mediatype": "text/plain",
                      "encoding": "none", "body": "A greeting."}],
        "attachments": [{"purpose": "note", "start": T, "party": 0, "dialog": 0,
                         "mediatype": "text/plain", "encoding": "none", "body": "x"}]
    })
}

/// `base()` with top-level members replaced (a `null` in `patch` removes one).
fn with(patch: Value) -> Value {
    let mut doc = base();
    for (k, v) in patch.as_object().unwrap() {
        if v.is_null() {
            doc.as_object_mut().unwrap().remove(k);
        } else {
            doc[k] = v.clone();
        }
    }
    doc
}

fn run_with(doc: &Value, options: &Options) -> Report {
    validate_object(doc.as_object().unwrap(), options)
}

fn run(doc: &Value) -> Report {
    run_with(doc, &Options::default())
}

fn lenient(doc: &Value) -> Report {
    run_with(doc, &Options::with_profile(Profile::Lenient))
}

fn supporting(extra: &[&str]) -> Options {
    let mut o = Options::default();
    o.supported_extensions
        .extend(extra.iter().map(|s| (*s).to_owned()));
    o
}

#[track_caller]
fn has(r: &Report, rule: &str, severity: Severity, pointer: &str) {
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == rule && f.severity == severity && f.pointer == pointer),
        "expected {rule} {severity} at {pointer:?}; got {:#?}",
        r.findings
    );
}

#[track_caller]
fn none_of(r: &Report, rule: &str) {
    let found: Vec<_> = r.findings.iter().filter(|f| f.rule == rule).collect();
    assert!(found.is_empty(), "expected no {rule}; got {found:#?}");
}

#[track_caller]
fn message(r: &Report, rule: &str, pointer: &str) -> String {
    r.findings
        .iter()
        .find(|f| f.rule == rule && f.pointer == pointer)
        .map(|f| f.message.clone())
        .unwrap_or_else(|| panic!("no {rule} at {pointer}: {:#?}", r.findings))
}

#[test]
fn base_document_is_clean() {
    let r = run(&base());
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
}

#[test]
fn r1_vcon_version() {
    none_of(&run(&with(json!({"vcon": null}))), "R-1");
    let r = run(&with(json!({"vcon": "0.0.2"})));
    has(&r, "R-1", Error, "/vcon");
    assert!(message(&r, "R-1", "/vcon").contains("vcon migrate"));
    has(&run(&with(json!({"vcon": ""}))), "R-1", Error, "/vcon");
    has(&run(&with(json!({"vcon": 4}))), "R-1", Error, "/vcon");
}

#[test]
fn r2_uuid() {
    has(&run(&with(json!({"uuid": null}))), "R-2", Error, "/uuid");
    has(
        &run(&with(json!({"uuid": "SAMPLE-1234"}))),
        "R-2",
        Error,
        "/uuid",
    );
    has(&run(&with(json!({"uuid": 7}))), "R-2", Error, "/uuid");
    let v4 = run(&with(
        json!({"uuid": "42f69ca7-2a14-4e5e-8814-bc1695f9fe24"}),
    ));
    has(&v4, "R-2", Warning, "/uuid");
    assert!(v4.is_valid());
}

#[test]
fn r3_created_at_is_downgraded_only_by_lenient() {
    let doc = with(json!({"created_at": null}));
    has(&run(&doc), "R-3", Error, "/created_at");
    has(&lenient(&doc), "R-3", Warning, "/created_at");
    has(
        &run(&with(json!({"created_at": "2024-01-01T00:00:00"}))),
        "R-3",
        Error,
        "/created_at",
    );
    none_of(
        &run(&with(
            json!({"created_at": "2022-06-21T17:53:26.000+00:00"}),
        )),
        "R-3",
    );
}

#[test]
fn r4_updated_at() {
    none_of(
        &run(&with(json!({"updated_at": "2026-06-30T00:00:00Z"}))),
        "R-4",
    );
    has(
        &run(&with(json!({"updated_at": "yesterday"}))),
        "R-4",
        Error,
        "/updated_at",
    );
    let earlier = run(&with(json!({"updated_at": "2020-01-01T00:00:00Z"})));
    has(&earlier, "R-4", Warning, "/updated_at");
    assert!(earlier.is_valid());
}

#[test]
fn r5_extension_lists_are_string_arrays() {
    none_of(
        &run(&with(json!({"extensions": ["CC"], "critical": ["CC"]}))),
        "R-5",
    );
    has(
        &run(&with(json!({"extensions": "CC"}))),
        "R-5",
        Error,
        "/extensions",
    );
    has(
        &run(&with(json!({"critical": [1]}))),
        "R-5",
        Error,
        "/critical/0",
    );
}

#[test]
fn r6_unsupported_critical_extension_is_rejected() {
    let doc = with(json!({"extensions": ["x-new"], "critical": ["x-new"]}));
    has(&run(&doc), "R-6", Error, "/critical/0");
    none_of(&run_with(&doc, &supporting(&["x-new"])), "R-6");
    let legacy = run(&with(json!({"must_support": ["x-new"]})));
    has(&legacy, "R-6", Error, "/must_support/0");
    has(&legacy, "R-11", Warning, "/must_support");
    let docs_alias = run(&with(json!({"must_understand": ["x-new"]})));
    has(&docs_alias, "R-6", Error, "/must_understand/0");
    has(&docs_alias, "R-11", Warning, "/must_understand");
}

#[test]
fn r7_extensions_listing() {
    let doc = with(json!({"critical": ["CC"]}));
    has(&run(&doc), "R-7", Warning, "/critical/0");
    none_of(
        &run(&with(json!({"extensions": ["CC"], "critical": ["CC"]}))),
        "R-7",
    );

    let mut doc = base();
    doc["parties"][0]["meta"] = json!({"x": 1});
    doc["parties"][1]["meta"] = json!({});
    let r = run(&doc);
    has(&r, "R-7", Warning, "/parties/0/meta");
    assert!(message(&r, "R-7", "/parties/0/meta").contains("2 occurrences"));
    doc["extensions"] = json!(["x-meta"]);
    none_of(&run(&doc), "R-7");

    // A flood of distinct names is reported by name up to a cap, then counted.
    let mut doc = base();
    for i in 0..40 {
        doc["parties"][1][format!("x{i}")] = json!(i);
    }
    let r = run(&doc);
    assert_eq!(r.findings.iter().filter(|f| f.rule == "R-7").count(), 33);
    assert!(message(&r, "R-7", "").contains("8 more"));

    // Long `extensions` lists are searched, not scanned, for each critical name.
    let names: Vec<String> = (0..100).map(|i| format!("x-{i}")).collect();
    let doc = with(json!({"extensions": names, "critical": ["x-99", "x-100"]}));
    let r = run_with(&doc, &supporting(&["x-99", "x-100"]));
    assert_eq!(r.findings.len(), 1, "{:#?}", r.findings);
    has(&r, "R-7", Warning, "/critical/1");

    let mut doc = base();
    doc["dialog"][0]["sip_call_id"] = json!("a84b@pc33");
    has(&run(&doc), "R-7", Warning, "/dialog/0/sip_call_id");
    doc["extensions"] = json!(["sip-signaling"]);
    none_of(&run(&doc), "R-7");
}

#[test]
fn r8_redacted_and_amended_are_exclusive() {
    let reference = json!({"uuid": UUID, "type": "PII Redaction"});
    none_of(&run(&with(json!({"amended": {"uuid": UUID}}))), "R-8");
    has(
        &run(&with(
            json!({"redacted": reference, "amended": {"uuid": UUID}}),
        )),
        "R-8",
        Error,
        "/amended",
    );
}

#[test]
fn r9_arrays_of_objects() {
    has(
        &run(&with(json!({"parties": "Alice"}))),
        "R-9",
        Error,
        "/parties",
    );
    let mut doc = base();
    doc["analysis"] = json!([{}, 3]);
    let r = run(&doc);
    has(&r, "R-9", Error, "/analysis/1");
    assert!(
        !r.findings.iter().any(|f| f.pointer == "/analysis/0"),
        "{{}} is a placeholder"
    );
    none_of(
        &run(&with(json!({"analysis": null, "attachments": null}))),
        "R-9",
    );
    has(&run(&with(json!({"subject": 5}))), "R-9", Error, "/subject");
}

#[test]
fn r10_parties_present() {
    let doc = json!({"uuid": UUID, "created_at": T, "dialog": [{}]});
    has(&run(&doc), "R-10", Warning, "/parties");
    none_of(&run(&base()), "R-10");
}

#[test]
fn r11_legacy_names() {
    let r = run(&with(json!({"appended": {"uuid": UUID}})));
    has(&r, "R-11", Warning, "/appended");
    let mut doc = base();
    doc["parties"][0]["jCard"] = json!({});
    doc["dialog"][0]["interaction"] = json!("x");
    doc["analysis"][0]["vendor_schema"] = json!("v1");
    let r = run(&doc);
    for p in [
        "/parties/0/jCard",
        "/dialog/0/interaction",
        "/analysis/0/vendor_schema",
    ] {
        has(&r, "R-11", Warning, p);
        assert!(message(&r, "R-11", p).contains("vcon migrate"));
    }
    let legacy = run(&with(json!({"vcon": "0.0.1"})));
    has(&legacy, "R-11", Warning, "");
    assert!(message(&legacy, "R-11", "").contains("vcon migrate"));
    none_of(&run(&base()), "R-11");
}

#[test]
fn r20_attachment_party_index() {
    let mut doc = base();
    doc["attachments"][0]["party"] = json!(2);
    has(&run(&doc), "R-20", Error, "/attachments/0/party");
    doc["attachments"][0]["party"] = json!("0");
    has(&run(&doc), "R-20", Error, "/attachments/0/party");
    doc["attachments"][0]["party"] = json!(1);
    none_of(&run(&doc), "R-20");
}

#[test]
fn r34_analysis_type_and_vendor() {
    let mut doc = base();
    doc["analysis"][0] = json!({"dialog": 0, "product": 5});
    let r = run(&doc);
    has(&r, "R-34", Error, "/analysis/0/type");
    has(&r, "R-34", Error, "/analysis/0/vendor");
    has(&r, "R-34", Error, "/analysis/0/product");
    doc["analysis"][0] = json!({"type": "mood", "vendor": "acme"});
    has(&run(&doc), "R-34", Warning, "/analysis/0/type");
}

#[test]
fn r35_analysis_indices() {
    let mut doc = base();
    doc["analysis"][0]["dialog"] = json!([0, 9]);
    doc["analysis"][0]["attachment"] = json!(-1);
    let r = run(&doc);
    has(&r, "R-35", Error, "/analysis/0/dialog/1");
    has(&r, "R-35", Error, "/analysis/0/attachment");
    doc["analysis"][0]["dialog"] = json!(1);
    has(&run(&doc), "R-35", Error, "/analysis/0/dialog");
    doc["analysis"][0]["dialog"] = json!([0]);
    doc["analysis"][0]["attachment"] = json!(0);
    none_of(&run(&doc), "R-35");
}

#[test]
fn r36_attachment_party_start_dialog() {
    let mut doc = base();
    doc["attachments"][0] = json!({"purpose": "note", "encoding": "none", "body": "x"});
    let r = run(&doc);
    for p in [
        "/attachments/0/party",
        "/attachments/0/start",
        "/attachments/0/dialog",
    ] {
        has(&r, "R-36", Error, p);
    }
    // Lenient accepts the conserver's bare attachments with warnings...
    let lenient = validate_object(
        doc.as_object().unwrap(),
        &Options::with_profile(Profile::Lenient),
    );
    for p in [
        "/attachments/0/party",
        "/attachments/0/start",
        "/attachments/0/dialog",
    ] {
        has(&lenient, "R-36", Warning, p);
    }
    // ...but wrong values stay errors under both profiles.
    let mut doc = base();
    doc["attachments"][0]["start"] = json!("2024-01-01");
    doc["attachments"][0]["dialog"] = json!(4);
    let r = run(&doc);
    has(&r, "R-36", Error, "/attachments/0/start");
    has(&r, "R-36", Error, "/attachments/0/dialog");
}

#[test]
fn r37_attachment_type_instead_of_purpose() {
    let mut doc = base();
    doc["attachments"][0]["type"] = json!("note");
    has(&run(&doc), "R-37", Warning, "/attachments/0/type");
    doc["attachments"][0]["purpose"] = json!(5);
    has(&run(&doc), "R-37", Error, "/attachments/0/purpose");
}

#[test]
fn r38_parties() {
    let mut doc = base();
    doc["parties"] = json!([
        {"did": "did:example:123456789abcdefghi", "tel": "tel:+1-555-123-4567", "type": "bot",
         "civicaddress": {"country": "US", "a1": "CA"}},
        {"did": "example:123", "tel": "555-1234", "type": "alien", "name": "Bob",
         "civicaddress": {"Country": "US", "a1": 5}},
        {"civicaddress": "US", "name": 5}
    ]);
    let r = run(&doc);
    assert!(
        !r.findings
            .iter()
            .any(|f| f.pointer.starts_with("/parties/0/")),
        "{:#?}",
        r.findings
    );
    has(&r, "R-38", Error, "/parties/1/did");
    has(&r, "R-38", Warning, "/parties/1/tel");
    has(&r, "R-38", Warning, "/parties/1/type");
    has(&r, "R-38", Warning, "/parties/1/name");
    has(&r, "R-38", Error, "/parties/1/civicaddress/Country");
    has(&r, "R-38", Error, "/parties/1/civicaddress/a1");
    has(&r, "R-38", Error, "/parties/2/civicaddress");
    has(&r, "R-38", Error, "/parties/2/name");
}

// ---- envelopes ------------------------------------------------------------

fn b64(v: &Value) -> String {
    B64.encode(serde_json::to_vec(v).unwrap())
}

/// A JWS General JSON Serialization wrapping `payload` (already encoded).
fn jws_raw(payload: String, protected: Value, header: Value) -> Value {
    json!({"payload": payload,
           "signatures": [{"protected": b64(&protected), "header": header, "signature": "c2ln"}]})
}

fn jws(payload: &Value) -> Value {
    jws_raw(
        b64(payload),
        json!({"alg": "RS256"}),
        json!({"x5c": ["TUlJRA=="], "uuid": UUID}),
    )
}

#[test]
fn r39_signed_form() {
    let r = run(&jws(&base()));
    assert!(
        r.is_valid() && r.version.detected.as_str() == "0.4.0",
        "{:#?}",
        r.findings
    );
    none_of(&r, "R-39");

    let bad = jws_raw(
        b64(&base()),
        json!({"alg": "ES256"}),
        json!({"x5u": "http://x.example/c"}),
    );
    let r = run(&bad);
    has(&r, "R-39", Warning, "/signatures/0/header/alg");
    has(&r, "R-39", Error, "/signatures/0/header/x5u");
    has(&r, "R-39", Warning, "/signatures/0/header");
    let r = run(&jws_raw(
        b64(&base()),
        json!({"typ": "JWT"}),
        json!({"uuid": UUID}),
    ));
    has(&r, "R-39", Error, "/signatures/0/header/alg");
    has(&r, "R-39", Error, "/signatures/0/header");

    let other = "01928e10-193e-8231-b9a2-279e0d16bc46";
    let r = run(&jws_raw(
        b64(&base()),
        json!({"alg": "RS256", "x5c": ["QQ=="]}),
        json!({"uuid": other}),
    ));
    has(&r, "R-39", Error, "/signatures/0/header/uuid");
    let r = run(&jws_raw(
        b64(&base()),
        json!({"alg": "RS256"}),
        json!({"alg": "PS256", "x5c": ["QQ=="]}),
    ));
    has(&r, "R-39", Error, "/signatures/0/header/alg");

    has(
        &run(&json!({"payload": "e30", "signatures": []})),
        "R-39",
        Error,
        "/signatures",
    );
    let r = run(&json!({"payload": "not base64!", "signatures": jws(&base())["signatures"]}));
    has(&r, "R-39", Error, "/payload");
}

#[test]
fn signed_payload_findings_are_prefixed() {
    let r = run(&jws(&with(json!({"created_at": null}))));
    has(&r, "R-3", Error, "/payload/created_at");
    assert!(message(&r, "R-3", "/payload/created_at").contains("decoded from `/payload`"));
    assert!(lenient(&jws(&with(json!({"created_at": null})))).is_valid());
    let r = run(&jws(&with(json!({"vcon": "0.0.1"}))));
    has(&r, "R-11", Warning, "/payload");
    assert_eq!(r.version.detected.as_str(), "0.0.1");
}

#[test]
fn r40_form_must_be_determinable() {
    let r = run(&json!({"uuid": UUID, "created_at": T}));
    has(&r, "R-40", Error, "");
    let r = run(&json!({"protected": "e30", "cyphertext": "x", "recipients": []}));
    assert!(message(&r, "R-40", "").contains("cyphertext"));
    none_of(&run(&base()), "R-40");
}

/// A JWE General JSON Serialization like core-03's A.7 (not decryptable).
fn jwe() -> Value {
    json!({
        "protected": b64(&json!({"alg": "RSA-OAEP", "enc": "A256CBC-HS512"})),
        "unprotected": {"uuid": UUID, "cty": "application/vcon", "enc": "A256CBC-HS512"},
        "recipients": [{"header": {"enc": "A256CBC-HS512"}, "encrypted_key": "a2V5"}],
        "iv": B64.encode([0u8; 16]), "ciphertext": "Y2lwaGVy", "tag": B64.encode([0u8; 32])
    })
}

#[test]
fn r41_encrypted_form() {
    let r = run(&jwe());
    assert!(r.is_valid(), "{:#?}", r.findings);
    has(&r, "R-41", Info, "");
    assert_eq!(r.count(Warning), 0, "{:#?}", r.findings);

    let mut doc = jwe();
    doc.as_object_mut().unwrap().remove("tag");
    doc["iv"] = json!(B64.encode([0u8; 12]));
    doc["recipients"][0] = json!({"header": {"enc": "A128GCM"}});
    doc["unprotected"] = json!({"cty": "application/json"});
    let r = run(&doc);
    has(&r, "R-41", Error, "/tag");
    has(&r, "R-41", Error, "/recipients/0/encrypted_key");
    has(&r, "R-41", Warning, "/recipients/0/header/enc");
    has(&r, "R-41", Warning, "/unprotected/cty");
    has(&r, "R-41", Warning, "/unprotected/uuid");

    let mut doc = jwe();
    doc["iv"] = json!(B64.encode([0u8; 12]));
    doc["protected"] = json!(b64(&json!({"enc": "A256CBC-HS512"})));
    let r = run(&doc);
    has(&r, "R-41", Error, "/iv");
    has(&r, "R-41", Error, "/recipients/0/header/alg");
    doc["recipients"] = json!([]);
    has(&run(&doc), "R-41", Error, "/recipients");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn r42_gzip_payload_and_nesting() {
    let zipped = B64.encode(gzip(
        &serde_json::to_vec(&with(json!({"uuid": 5}))).unwrap(),
    ));
    let doc = jws_raw(
        zipped,
        json!({"alg": "RS256"}),
        json!({"x5c": ["QQ=="], "uuid": UUID}),
    );
    has(&run(&doc), "R-2", Error, "/payload/uuid");

    let bomb = B64.encode(gzip(&vec![b' '; 1 << 20]));
    let doc = jws_raw(bomb, json!({"alg": "RS256"}), json!({"x5c": ["QQ=="]}));
    let small = Options {
        limits: ReadLimits {
            max_inflated_bytes: 1024,
            ..ReadLimits::default()
        },
        ..Options::default()
    };
    has(&run_with(&doc, &small), "R-42", Error, "/payload");

    // The inflation limit is shared by nested payloads, not granted to each.
    let inner_json = serde_json::to_vec(&with(json!({"subject": " ".repeat(3000)}))).unwrap();
    let middle = jws_raw(
        B64.encode(gzip(&inner_json)),
        json!({"alg": "RS256"}),
        json!({"x5c": ["QQ=="], "uuid": UUID}),
    );
    let middle_json = serde_json::to_vec(&middle).unwrap();
    let doc = jws_raw(
        B64.encode(gzip(&middle_json)),
        json!({"alg": "RS256"}),
        json!({"x5c": ["QQ=="], "uuid": UUID}),
    );
    let (a, b) = (inner_json.len(), middle_json.len());
    let mut limit = small.clone();
    limit.limits.max_inflated_bytes = a.max(b) + 1;
    assert!(a + b > a.max(b) + 1);
    has(&run_with(&doc, &limit), "R-42", Error, "/payload/payload");
    limit.limits.max_inflated_bytes = a + b;
    assert!(run_with(&doc, &limit).is_valid());

    let mut nested = jws(&with(json!({"uuid": "x"})));
    let r = run(&nested);
    has(&r, "R-2", Error, "/payload/uuid");
    for _ in 0..3 {
        nested = jws(&nested);
    }
    let r = run(&nested);
    has(&r, "R-2", Error, "/payload/payload/payload/payload/uuid");
    nested = jws(&nested);
    has(
        &run(&nested),
        "R-42",
        Error,
        "/payload/payload/payload/payload",
    );
}

#[test]
fn r43_references() {
    let r = run(&with(
        json!({"redacted": {"uuid": UUID, "type": "PII Redaction"}}),
    ));
    assert!(r.is_valid());
    has(&r, "R-43", Info, "/redacted");
    let r = run(&with(
        json!({"redacted": {"url": "https://x.example/v", "content_hash": "x"}}),
    ));
    has(&r, "R-43", Error, "/redacted/type");
    has(&r, "R-43", Warning, "/redacted/uuid");
    has(
        &run(&with(json!({"amended": "x"}))),
        "R-43",
        Error,
        "/amended",
    );
    has(
        &run(&with(json!({"amended": {"uuid": 5}}))),
        "R-43",
        Error,
        "/amended/uuid",
    );
    // Signed, it is no longer "an unsigned redacted vCon".
    none_of(
        &run(&jws(&with(json!({"amended": {"uuid": UUID}})))),
        "R-43",
    );
}

#[test]
fn r44_empty_leftovers_and_group() {
    let doc = with(json!({"redacted": {}, "group": [], "amended": {}}));
    let r = run(&doc);
    has(&r, "R-43", Error, "/redacted/type");
    has(&r, "R-44", Info, "/group");
    has(&r, "R-44", Info, "/amended");
    let r = lenient(&doc);
    assert!(r.is_valid(), "{:#?}", r.findings);
    has(&r, "R-44", Info, "/redacted");
    let doc = with(json!({"group": [{"uuid": UUID}]}));
    has(&run(&doc), "R-44", Error, "/group");
    none_of(&run_with(&doc, &supporting(&["group"])), "R-44");
}

#[test]
fn r45_json_text() {
    let r = validate_bytes(
        br#"{"uuid": "a", "uuid": "b", "parties": []}"#,
        &Options::default(),
    );
    has(&r, "R-45", Error, "");
    has(
        &validate_bytes(b"[1]", &Options::default()),
        "R-45",
        Error,
        "",
    );
}

// ---- extensions -----------------------------------------------------------

fn lawful_attachment() -> Value {
    json!({"type": "lawful_basis", "start": T, "party": 0, "dialog": 0, "encoding": "json",
           "body": {"lawful_basis": "consent", "expiration": null,
                    "purpose_grants": [{"purpose": "recording", "granted": true, "granted_at": T,
                                        "conditions": ["eu-only"]}]}})
}

#[test]
fn r46_lawful_basis_attachment() {
    let doc = with(json!({"extensions": ["lawful_basis"], "attachments": [lawful_attachment()]}));
    let r = run(&doc);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);

    let mut bad = doc.clone();
    let a = &mut bad["attachments"][0];
    a["encoding"] = json!("none");
    a["body"]["lawful_basis"] = json!("whim");
    a["body"].as_object_mut().unwrap().remove("expiration");
    a["body"]["purpose_grants"][0]["granted"] = json!("yes");
    let r = run(&bad);
    has(&r, "R-46", Error, "/attachments/0/encoding");
    has(&r, "R-46", Error, "/attachments/0/body/lawful_basis");
    has(&r, "R-46", Error, "/attachments/0/body/expiration");
    has(
        &r,
        "R-46",
        Error,
        "/attachments/0/body/purpose_grants/0/granted",
    );
    let without = Options {
        supported_extensions: BTreeSet::new(),
        ..Options::default()
    };
    none_of(&run_with(&bad, &without), "R-46");
}

fn wtf_analysis() -> Value {
    json!({"type": "wtf_transcription", "dialog": 0, "vendor": "deepgram", "encoding": "json",
           "body": {
               "transcript": {"text": "Hi", "language": "en-US", "duration": 1.5, "confidence": 0.9},
               "segments": [{"id": 0, "start": 0.0, "end": 1.0, "text": "Hi", "confidence": 0.9},
                            {"id": 1, "start": 1.0, "end": 1.5, "text": ".", "confidence": 1}],
               "metadata": {"created_at": T, "processed_at": T, "provider": "deepgram",
                            "model": "nova-2"}}})
}

#[test]
fn r47_wtf_transcription_analysis() {
    let doc = with(json!({"extensions": ["wtf_transcription"], "analysis": [wtf_analysis()]}));
    let r = run(&doc);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);

    let mut bad = doc.clone();
    let body = &mut bad["analysis"][0]["body"];
    body["transcript"]["confidence"] = json!(1.5);
    body["segments"][1]["id"] = json!(0);
    body["segments"][1]["end"] = json!(0.5);
    body["metadata"]["provider"] = json!("DeepGram");
    let r = run(&bad);
    has(&r, "R-47", Error, "/analysis/0/body/transcript/confidence");
    has(&r, "R-47", Error, "/analysis/0/body/segments/1/id");
    has(&r, "R-47", Error, "/analysis/0/body/segments/1/end");
    has(&r, "R-47", Warning, "/analysis/0/body/metadata/provider");
    bad["analysis"][0]["body"]
        .as_object_mut()
        .unwrap()
        .remove("metadata");
    has(&run(&bad), "R-47", Error, "/analysis/0/body/metadata");

    // Long segment lists are checked for repeated ids too.
    let mut long = doc.clone();
    let segments: Vec<Value> = (0..40)
        .map(|i| {
            let id = if i == 39 { 7 } else { i };
            json!({"id": id, "start": i, "end": i + 1, "text": "w", "confidence": 0.5})
        })
        .collect();
    long["analysis"][0]["body"]["segments"] = json!(segments);
    let r = run(&long);
    has(&r, "R-47", Error, "/analysis/0/body/segments/39/id");
    assert_eq!(r.count(Error), 1, "{:#?}", r.findings);
}

#[test]
fn r48_sip_signaling() {
    let mut doc = with(json!({"extensions": ["sip-signaling"]}));
    doc["dialog"][0]["sip_call_id"] = json!("a84b@pc33");
    doc["attachments"] = json!([
        {"purpose": "sip-invite", "start": T, "party": 0, "dialog": 0, "mediatype": "message/sip",
         "encoding": "none", "body": "INVITE sip:bob@example.com SIP/2.0"},
        {"purpose": "sip-message-trace", "start": T, "party": 0, "dialog": 0,
         "mediatype": "application/json", "encoding": "json",
         "body": {"version": "1.0", "call_id": "a84b@pc33", "messages": []}}
    ]);
    let r = run(&doc);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);

    doc["critical"] = json!(["sip-signaling"]);
    doc["dialog"][0]["sip_cseq"] = json!("1");
    doc["attachments"][0]["mediatype"] = json!("text/plain");
    doc["attachments"][1]["body"]["call_id"] = json!("other@host");
    let r = run(&doc);
    has(&r, "R-48", Error, "/critical/0");
    has(&r, "R-48", Error, "/dialog/0/sip_cseq");
    has(&r, "R-48", Error, "/attachments/0/mediatype");
    has(&r, "R-48", Error, "/attachments/1/body/call_id");
}

#[test]
fn r49_agent_session() {
    let mut doc = with(json!({"extensions": ["agent_session", "lawful_basis"]}));
    doc["parties"][1] = json!({"name": "Claude", "validation": "system", "role": "agent",
                               "meta": {"agent_session": {"model_id": "m", "provider": "p"}}});
    doc["analysis"] = json!([{"type": "agent_trace", "dialog": [0], "vendor": "v", "product": "p",
                              "schema": "https://example.com/vac", "encoding": "json", "body": {}}]);
    let mut grant = lawful_attachment();
    grant["body"]["purpose_grants"][0]["purpose"] = json!("agent_session_recording");
    doc["attachments"] = json!([grant]);
    let agent = supporting(&["agent_session"]);
    let r = run_with(&doc, &agent);
    // `role` is a CC member: the only finding is that CC is not listed.
    assert!(
        r.findings.iter().all(|f| f.rule == "R-50"),
        "{:#?}",
        r.findings
    );

    doc["parties"][1]["role"] = json!("customer");
    doc["parties"][1]["meta"]["agent_session"] = json!({"model_id": "m"});
    doc["analysis"][0]["dialog"] = json!(0);
    doc["analysis"][0].as_object_mut().unwrap().remove("schema");
    doc["attachments"] = json!([]);
    let r = run_with(&doc, &agent);
    has(&r, "R-49", Error, "/parties/1/role");
    has(&r, "R-49", Error, "/parties/1/meta/agent_session/provider");
    has(&r, "R-49", Error, "/analysis/0/dialog");
    has(&r, "R-49", Error, "/analysis/0/schema");
    has(&r, "R-49", Warning, "/attachments");
    none_of(&run(&doc), "R-49");
}

#[test]
fn r50_cc_extension() {
    let mut doc = base();
    doc["parties"][0]["role"] = json!("agent");
    doc["dialog"][0]["campaign"] = json!("spring");
    let r = run(&doc);
    has(&r, "R-50", Warning, "/parties/0/role");
    has(&r, "R-50", Warning, "/dialog/0/campaign");
    doc["extensions"] = json!(["CC"]);
    none_of(&run(&doc), "R-50");
    doc["critical"] = json!(["CC"]);
    let r = run(&doc);
    has(&r, "R-50", Info, "/critical/0");
    assert!(r.is_valid());
}
