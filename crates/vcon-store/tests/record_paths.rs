//! The three ways to make a record agree: from bytes (unsigned vCons through
//! vcon-core's borrowed tree), from the bounded reader's document, and from
//! a tree the caller parsed. Same record, or the same error, for each input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use vcon_store::{RecordOptions, VconRecord, VconUuid};

const UUID: &str = "019f15a6-a752-826f-b9a2-279e0d16bc46";

fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

/// Inputs covering every member the index reads, in expected and odd shapes.
fn inputs() -> Vec<Vec<u8>> {
    let realistic = json!({
        "vcon": "0.4.0", "uuid": UUID, "created_at": "2026-01-02T03:04:05.250Z",
        "subject": "Support call 000123",
        "parties": [
            {"tel": "tel:+1 (555) 123-0001", "name": " Alice Martin ", "role": "customer"},
            {"tel": "+18005550100", "name": "Bruno", "mailto": "mailto:Agent7@Acme.example",
             "uuid": "0196585C-22C9-8909-9DD8-DD37220D739C"},
            {"name": 17, "mailto": null},
            "not a party"
        ],
        "dialog": [
            {"type": "recording", "start": "2026-01-02T03:00:00Z", "parties": [0, 1],
             "mediatype": "audio/x-wav", "url": "https://x.example/a.wav"},
            {"type": "text", "body": "hello there", "encoding": "none"},
            {"type": "text", "body": b64("encoded text, é"), "encoding": "base64url"},
            {"type": "text", "body": "skipped: unknown encoding", "encoding": "rot13"},
            {"type": "text", "body": "no encoding member"},
            {"type": 5},
            []
        ],
        "analysis": [
            {"type": "transcript", "body": "Agent: hi. Customer: hello.", "encoding": "none"},
            {"type": "wtf_transcription", "encoding": "json",
             "body": "{\"transcript\":\"json in a string\",\"segments\":[{\"text\":\"seg\"}]}"},
            {"type": "transcript", "body": {"results": [{"transcript": "object body"}],
                                             "text": "top text", "n": 3}},
            {"type": "transcript", "body": b64("b64 transcript"), "encoding": "base64url"},
            {"type": "sentiment", "body": {"text": "not a transcript"}, "encoding": "json"}
        ],
        "attachments": [
            {"purpose": "other", "body": "x", "encoding": "none"},
            {"purpose": "tags", "body": ["category:support", "company:acme", "plain",
                                         "expires_at:2030-01-01T00:00:00Z",
                                         "expires_at:2029-06-01T00:00:00+02:00", 7],
             "encoding": "json"}
        ]
    });
    let string_tags = json!({
        "uuid": UUID, "created_at": "2099-01-01 00:00:00.250",
        "parties": [{"name": "Ren\u{e9}e \"Q\""}],
        "attachments": [{"type": "tags", "body": "[\"a:1\", \"b:x:y\"]"}]
    });
    let bad_tags = json!({
        "uuid": UUID, "parties": [{"name": "x"}],
        "attachments": {"purpose": "tags"}
    });
    let bad_tag_body = json!({
        "uuid": UUID, "parties": [],
        "attachments": [{"purpose": "tags", "body": "not json"}]
    });
    let mut out: Vec<Vec<u8>> = [
        realistic.clone(),
        string_tags,
        bad_tags,
        bad_tag_body,
        json!({"uuid": 42, "parties": []}),
        json!({"uuid": {"a": [1, 2]}, "parties": []}),
        json!({"uuid": "not-a-uuid", "parties": []}),
        json!({"parties": [{"name": "no uuid"}]}),
        json!({"uuid": UUID, "subject": 3, "parties": "not an array", "dialog": {}}),
        json!({"uuid": UUID}),
    ]
    .iter()
    .map(|v| serde_json::to_vec(v).unwrap())
    .collect();
    // Escapes the tree decodes into owned strings; pretty-printed text.
    out.push(
        br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","subject":"line\nbreak \u00e9",
            "parties":[{"tel":"+1\u0035\u0035\u0035","name":"A\tB"}],
            "attachments":[{"purpose":"tags","body":["na\u006de:v\u00e4lue"]}]}"#
            .to_vec(),
    );
    out.push(serde_json::to_vec_pretty(&realistic).unwrap());
    // Signed: the tree path hands it back to the reader.
    let payload = b64(&serde_json::to_string(&realistic).unwrap());
    out.push(
        serde_json::to_vec(&json!({"payload": payload,
            "signatures": [{"protected": "e30", "signature": "c2ln"}]}))
        .unwrap(),
    );
    // Not taken by the fast parser: duplicates, bad JSON, a non-object.
    out.push(
        br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","parties":[],"parties":[]}"#.to_vec(),
    );
    out.push(br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46","parties":[}"#.to_vec());
    out.push(b"[1]".to_vec());
    out
}

fn outcome(r: Result<VconRecord, vcon_store::RecordError>) -> Result<VconRecord, String> {
    r.map_err(|e| e.to_string())
}

fn check(bytes: &[u8], options: &RecordOptions) {
    let from_bytes = outcome(VconRecord::from_bytes(bytes.to_vec(), options));
    let from_reader = match vcon_core::read(bytes, &options.read_limits) {
        Ok(doc) => outcome(VconRecord::from_document(bytes.to_vec(), doc, options)),
        Err(_) => {
            assert!(
                from_bytes.is_err(),
                "the reader refuses what from_bytes took"
            );
            return;
        }
    };
    let text = String::from_utf8_lossy(bytes);
    assert_eq!(from_bytes, from_reader, "from_bytes vs the reader: {text}");
    if let Ok(root) = vcon_core::tree::parse(bytes, options.read_limits.max_depth) {
        let from_tree = outcome(VconRecord::from_tree(bytes.to_vec(), &root, options));
        assert_eq!(from_tree, from_reader, "from_tree vs the reader: {text}");
    }
}

#[test]
fn every_path_makes_the_same_record_or_error() {
    let plain = RecordOptions::default();
    let expected = RecordOptions {
        uuid: Some(VconUuid::parse(UUID).unwrap()),
        ..RecordOptions::default()
    };
    let other = RecordOptions {
        uuid: Some(VconUuid::parse("0196585c-22c9-8909-9dd8-dd37220d739c").unwrap()),
        max_text_bytes: 20,
        ..RecordOptions::default()
    };
    for bytes in inputs() {
        for options in [&plain, &expected, &other] {
            check(&bytes, options);
        }
    }
}

#[test]
fn the_realistic_input_is_indexed_as_expected() {
    let bytes = &inputs()[0];
    let r = VconRecord::from_bytes(bytes.clone(), &RecordOptions::default()).unwrap();
    let terms: Vec<String> = r
        .index()
        .terms
        .iter()
        .map(|t| format!("{}={}", t.kind.as_str(), t.value))
        .collect();
    for want in [
        "tel=+15551230001",
        "mailto=agent7@acme.example",
        "name=alice martin",
        "party_uuid=0196585c-22c9-8909-9dd8-dd37220d739c",
        "dialog_type=recording",
        "tag=category:support",
        "tag_name=company",
    ] {
        assert!(terms.iter().any(|t| t == want), "{want} not in {terms:?}");
    }
    assert!(!terms.iter().any(|t| t.contains("plain")), "{terms:?}");
    let text = &r.index().text;
    for want in [
        "Support call",
        "hello there",
        "encoded text, é",
        "no encoding member",
        "json in a string",
        "seg",
        "object body",
        "top text",
        "b64 transcript",
    ] {
        assert!(text.contains(want), "{want} not in {text:?}");
    }
    assert!(!text.contains("rot13") && !text.contains("not a transcript"));
    // The earliest expires_at tag: 2029-06-01T00:00:00+02:00.
    assert_eq!(r.index().expires_ms, Some(1_874_959_200_000));
    let v: Value = serde_json::from_slice(bytes).unwrap();
    assert_eq!(v["uuid"], UUID);
}
