//! Content rules shared by every object that carries a file,
//! R-32 (and R-14 syntax on analysis and attachments).

use serde_json::json;
use vcon_core::validate::{Options, Profile, Severity, validate_object};

use crate::{
    START, assert_clean, assert_finding, assert_no_rule, dialog_findings, findings_with,
    recording_url, sha256, sha512, text, vcon,
};

// ----------------------------------------------------------------

#[test]
fn r25_body_needs_a_known_encoding() {
    let mut d = text("x");
    d.as_object_mut().unwrap().remove("encoding");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-25", Severity::Error, "/dialog/0");

    let mut d = text("");
    d.as_object_mut().unwrap().remove("encoding");
    assert_no_rule(&dialog_findings(&vcon(json!([d]))), "R-25");

    let mut d = text("x");
    d["encoding"] = json!("base64");
    let fs = dialog_findings(&vcon(json!([d])));
    assert_finding(&fs, "R-25", Severity::Error, "/dialog/0/encoding");
}

#[test]
fn r26_body_matches_its_encoding() {
    let mut d = text("x");
    d["mediatype"] = json!("audio/x-wav");
    d["encoding"] = json!("base64url");
    d["body"] = json!("UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAIA-AAACABAAZGF0YQAAAAA");
    assert_clean(&vcon(json!([d.clone()])));

    d["body"] = json!("UklGRiQAAABXQVZF+m10IBAAAAA=");
    let fs = dialog_findings(&vcon(json!([d.clone()])));
    let f = assert_finding(&fs, "R-26", Severity::Error, "/dialog/0/body");
    assert!(
        f.message.contains("'+'") && f.message.contains("offset 16"),
        "{f:?}"
    );

    d["body"] = json!({"not": "a string"});
    let fs = dialog_findings(&vcon(json!([d.clone()])));
    assert_finding(&fs, "R-26", Severity::Error, "/dialog/0/body");

    let mut d = text("x");
    d["body"] = json!(["a", "b"]);
    let fs = dialog_findings(&vcon(json!([d.clone()])));
    assert_finding(&fs, "R-26", Severity::Error, "/dialog/0/body");
    d["encoding"] = json!("json");
    assert_clean(&vcon(json!([d])));
}

#[test]
fn r26_multi_megabyte_base64url_body() {
    let mut body = "AbCd-_09".repeat(1 << 20); // 8 MiB
    let mut d = text("x");
    d["mediatype"] = json!("audio/x-wav");
    d["encoding"] = json!("base64url");
    d["body"] = json!(body.clone());
    assert_clean(&vcon(json!([d.clone()])));

    body.replace_range(7_000_001..7_000_002, "\n");
    d["body"] = json!(body);
    let fs = dialog_findings(&vcon(json!([d])));
    let f = assert_finding(&fs, "R-26", Severity::Error, "/dialog/0/body");
    assert!(f.message.contains("offset 7000001"), "{f:?}");
}

// ----------------------------------------------------------------

#[test]
fn r30_url_needs_content_hash() {
    let mut r = recording_url();
    r.as_object_mut().unwrap().remove("content_hash");
    let fs = dialog_findings(&vcon(json!([r])));
    assert_finding(&fs, "R-30", Severity::Error, "/dialog/0");
}

#[test]
fn r31_url_is_https() {
    for url in [
        "s3://bucket/recording.wav",
        "not-a-url",
        "http://example.com/a.wav",
    ] {
        let mut r = recording_url();
        r["url"] = json!(url);
        let fs = dialog_findings(&vcon(json!([r])));
        assert_finding(&fs, "R-31", Severity::Error, "/dialog/0/url");
    }
}

#[test]
fn r32_content_hash_tokens() {
    let mut r = recording_url();
    r["content_hash"] = json!([sha256(b"call"), sha512(b"call")]);
    assert_clean(&vcon(json!([r])));

    let mut r = recording_url();
    r["content_hash"] = json!("SHA512-abc");
    let fs = dialog_findings(&vcon(json!([r])));
    assert_finding(&fs, "R-32", Severity::Error, "/dialog/0/content_hash");

    let mut r = recording_url();
    r["content_hash"] = json!([sha256(b"call")]);
    let fs = dialog_findings(&vcon(json!([r])));
    let f = assert_finding(&fs, "R-32", Severity::Error, "/dialog/0/content_hash");
    assert!(f.message.contains("sha512"), "{f:?}");

    let mut r = recording_url();
    r["content_hash"] = json!(["blake3-AAAA", sha512(b"call"), 7]);
    let fs = dialog_findings(&vcon(json!([r])));
    assert_finding(&fs, "R-32", Severity::Warning, "/dialog/0/content_hash/0");
    assert_finding(&fs, "R-32", Severity::Error, "/dialog/0/content_hash/2");

    let mut r = recording_url();
    r["content_hash"] = json!("sha512-GLy6IPaIUM1GqzZqfIPZlWjaDsNgNvZM0iCONNThnH0");
    let fs = dialog_findings(&vcon(json!([r])));
    let f = assert_finding(&fs, "R-32", Severity::Error, "/dialog/0/content_hash");
    assert!(f.message.contains("64 bytes"), "{f:?}");

    let mut r = recording_url();
    r["content_hash"] = json!([]);
    let fs = dialog_findings(&vcon(json!([r])));
    assert_finding(&fs, "R-32", Severity::Error, "/dialog/0/content_hash");
}

// ---------------------------------------------------------------- other objects

#[test]
fn content_rules_apply_to_analysis_and_attachments() {
    let mut doc = vcon(json!([text("x")]));
    doc["analysis"] = json!([{"type": "summary", "dialog": 0, "vendor": "acme",
                             "mediatype": "text plain", "encoding": "none", "body": "ok"}]);
    doc["attachments"] = json!([{"purpose": "invoice", "start": START, "party": 0, "dialog": 0,
                                "mediatype": "application/pdf",
                                "url": "http://example.com/a.pdf", "content_hash": sha512(b"a")}]);
    let fs = findings_with(&doc, Profile::Strict);
    assert_finding(&fs, "R-14", Severity::Error, "/analysis/0/mediatype");
    assert_finding(&fs, "R-31", Severity::Error, "/attachments/0/url");
    // The recommended media types are a dialog matter only.
    assert!(
        !fs.iter()
            .any(|f| f.rule == "R-14" && f.severity == Severity::Warning),
        "{fs:#?}"
    );
}

#[test]
fn r25_jwe_encoding_only_with_agent_session_support() {
    let mut d = text("eyJhbGciOiJSU0EtT0FFUCJ9.x.y.z.w");
    d["encoding"] = json!("jwe");
    let doc = vcon(json!([d]));
    let fs = dialog_findings(&doc);
    assert_finding(&fs, "R-25", Severity::Error, "/dialog/0/encoding");

    let mut options = Options::with_profile(Profile::Strict);
    options
        .supported_extensions
        .insert("agent_session".to_owned());
    let fs = validate_object(doc.as_object().unwrap(), &options).findings;
    assert!(
        !fs.iter().any(|f| f.pointer.starts_with("/dialog")),
        "{fs:#?}"
    );
}
