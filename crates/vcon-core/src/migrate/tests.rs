//! Tests of the public entry points: forms, envelopes, no-op and idempotence.

use super::*;
use serde_json::json;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

fn legacy() -> Value {
    json!({
        "vcon": "0.0.1",
        "uuid": "018b4f72-d0e7-8d8e-b9a2-279e0d16bc46",
        "group": [],
        "redacted": {},
        "parties": [{"tel": "+12345678901", "name": "Alice", "role": "customer"}],
        "dialog": [
            {"type": "text", "start": "2022-06-21T17:53:26Z", "parties": [0],
             "mimetype": "text/plain", "body": "hello", "interaction": "I-1"},
            {"type": "transfer", "start": "2022-06-21T17:53:26Z", "transferee": 0,
             "transferor": 0, "transfer-target": 0, "original": 0, "target-dialog": 0,
             "session_id": "ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"}
        ],
        "attachments": [{"type": "invoice", "start": "2022-06-21T17:53:26Z", "party": 0,
                         "dialog": 0, "body": "{\"n\": 1}"}],
        "analysis": [{"type": "summary", "dialog": 0, "vendor": "v", "vendor_schema": "s",
                      "body": {"text": "hi"}, "encoding": "none"}],
        "appended": {"uuid": "018b4f72-0000-8000-8000-000000000000"},
        "must_support": []
    })
}

#[test]
fn legacy_object_is_fully_upgraded() {
    let m = migrate(obj(legacy())).unwrap();
    assert_eq!(m.from, Syntax::V0_0_1);
    let o = &m.object;
    assert_eq!(
        o.keys().collect::<Vec<_>>(),
        [
            "vcon",
            "uuid",
            "extensions",
            "parties",
            "dialog",
            "attachments",
            "analysis",
            "amended"
        ]
    );
    assert_eq!(o["extensions"], json!(["CC"]));
    assert_eq!(o["dialog"][0]["mediatype"], "text/plain");
    assert_eq!(o["dialog"][0]["encoding"], "none");
    assert_eq!(o["dialog"][0]["interaction_id"], "I-1");
    assert_eq!(o["dialog"][1]["transfer_target"], 0);
    assert_eq!(o["dialog"][1]["target_dialog"], 0);
    assert_eq!(
        o["dialog"][1]["session_id"]["remote"],
        "47755a9de7794ba387653f2099600ef2"
    );
    assert_eq!(o["attachments"][0]["purpose"], "invoice");
    assert_eq!(o["attachments"][0]["encoding"], "none");
    assert_eq!(o["analysis"][0]["schema"], "s");
    assert_eq!(o["analysis"][0]["encoding"], "json");
    assert_eq!(o["amended"]["uuid"], "018b4f72-0000-8000-8000-000000000000");
    assert!(!version::detect(o).is_legacy());
    // Every change points at something that exists in the result, unless removed.
    let doc = Value::Object(o.clone());
    for c in &m.changes {
        let removed = matches!(
            c.kind,
            ChangeKind::EmptyRemoved | ChangeKind::DuplicateRemoved
        );
        assert_eq!(doc.pointer(&c.pointer).is_some(), !removed, "{c}");
    }
}

#[test]
fn full_pass_over_the_result_changes_nothing() {
    let first = migrate(obj(legacy())).unwrap();
    let mut again = first.object.clone();
    let mut m = Migrator::default();
    m.run(&mut again);
    assert_eq!(again, first.object);
    assert!(m.changes.is_empty(), "{:?}", m.changes);
}

#[test]
fn current_syntax_is_a_noop() {
    let current = obj(json!({
        "vcon": "0.4.0", "uuid": "u", "group": [], "redacted": {},
        "parties": [{"role": "agent"}],
        "dialog": [{"type": "text", "body": "no encoding"}]
    }));
    let m = migrate(current.clone()).unwrap();
    assert!(m.is_noop());
    assert_eq!(m.from, Syntax::V0_4_0);
    assert_eq!(m.object, current);
}

#[test]
fn stale_version_string_only() {
    let m = migrate(obj(
        json!({"vcon": "0.0.2", "uuid": "u", "parties": [], "amended": {"uuid": "p"}}),
    ))
    .unwrap();
    assert_eq!(m.from, Syntax::V0_0_2);
    assert_eq!(m.changes.len(), 1);
    assert_eq!(m.changes[0].kind, ChangeKind::VersionSet);
    assert_eq!(m.changes[0].pointer, "/vcon");
}

#[test]
fn encrypted_and_formless_are_refused() {
    let e = migrate(obj(json!({"ciphertext": "x", "recipients": [], "iv": "y"}))).unwrap_err();
    assert_eq!(
        e,
        MigrateError::Encrypted {
            pointer: String::new()
        }
    );
    let e = migrate(obj(json!({"cyphertext": "x", "vcon": "0.0.1"}))).unwrap_err();
    assert!(matches!(e, MigrateError::NoForm { .. }));
    assert!(e.to_string().contains("R-40"));
    assert!(e.to_string().starts_with("document: not a vCon"), "{e}");
}

#[test]
fn signed_legacy_payload_is_refused_by_default() {
    let envelope = obj(json!({"payload": b64(&legacy()), "signatures": [{"signature": "s"}]}));
    let e = migrate(envelope.clone()).unwrap_err();
    assert_eq!(
        e,
        MigrateError::Signed {
            pointer: "/payload".to_owned(),
            syntax: Syntax::V0_0_1
        }
    );
    assert_eq!(e.pointer(), "/payload");
    assert!(e.to_string().contains("Verify the signature"));

    let options = MigrateOptions {
        signed: SignedPolicy::MigrateUnverifiedPayload,
        ..MigrateOptions::default()
    };
    let m = migrate_with(envelope, &options).unwrap();
    assert_eq!(m.changes[0].kind, ChangeKind::EnvelopeRemoved);
    assert_eq!(m.object, migrate(obj(legacy())).unwrap().object);
}

#[test]
fn signed_current_payload_is_a_noop_and_nesting_is_unwrapped() {
    let current = json!({"uuid": "u", "vcon": "0.4.0", "parties": []});
    let envelope = obj(json!({"payload": b64(&current), "signatures": []}));
    let m = migrate(envelope.clone()).unwrap();
    assert!(m.is_noop());
    assert_eq!(m.object, envelope);

    let inner = json!({"payload": b64(&legacy()), "signatures": []});
    let outer = obj(json!({"payload": b64(&inner), "signatures": []}));
    let options = MigrateOptions {
        signed: SignedPolicy::MigrateUnverifiedPayload,
        ..MigrateOptions::default()
    };
    let m = migrate_with(outer, &options).unwrap();
    assert!(m.changes[0].description.starts_with("2 JWS envelope(s)"));
}

#[test]
fn bad_payloads_say_where() {
    for (payload, needle) in [
        (json!(5), "not a string"),
        (json!("***"), "not base64url"),
        (json!(URL_SAFE_NO_PAD.encode("[1]")), "R-45"),
    ] {
        let e = migrate(obj(json!({"payload": payload, "signatures": []}))).unwrap_err();
        assert_eq!(e.pointer(), "/payload");
        assert!(e.to_string().contains(needle), "{e}");
    }
    let encrypted = json!({"ciphertext": "x", "recipients": []});
    let e = migrate(obj(json!({"payload": b64(&encrypted), "signatures": []}))).unwrap_err();
    assert_eq!(
        e,
        MigrateError::Encrypted {
            pointer: "/payload".to_owned()
        }
    );
}

#[test]
fn changes_display_and_serialize() {
    let c = Change {
        pointer: "/dialog/0/mediatype".to_owned(),
        kind: ChangeKind::Renamed,
        description: "`mimetype` renamed to `mediatype`".to_owned(),
    };
    assert_eq!(
        c.to_string(),
        "/dialog/0/mediatype: `mimetype` renamed to `mediatype` (renamed)"
    );
    assert_eq!(serde_json::to_value(&c).unwrap()["kind"], "renamed");
}
