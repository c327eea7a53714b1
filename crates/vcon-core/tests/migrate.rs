//! Legacy migration against the shared vectors (../shared/vectors, or
//! `VCON_VECTORS_DIR`): every legacy vector migrates to a vCon the lenient
//! validator accepts, migration is idempotent, and no input leaf value is
//! lost. Plus a property test on generated legacy dialogs.
//!
//! Run with `--nocapture` to see the per-vector lines.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use vcon_core::migrate::{
    ChangeKind, MigrateError, MigrateOptions, Migration, SignedPolicy, migrate, migrate_with,
};
use vcon_core::read::{ReadLimits, read};
use vcon_core::validate::{Options, Profile, Severity, validate_object};
use vcon_core::version::{self, Syntax};

/// The vectors directory, or `None` (with a message on stderr) when absent.
fn vectors_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("VCON_VECTORS_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: vCon vectors directory {} not found; set VCON_VECTORS_DIR to run the \
             legacy-vector migration tests",
            dir.display()
        );
        None
    }
}

fn load(dir: &std::path::Path, name: &str) -> Map<String, Value> {
    let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    read(&bytes, &ReadLimits::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .object
}

/// What migrating a legacy vector must give.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// An unsigned vCon that migrates.
    Migrates,
    /// A signed vCon with a legacy payload: refused, migrates on request.
    SignedLegacy,
    /// Refused: encrypted.
    Encrypted,
    /// Refused: no form.
    NoForm,
}

/// Every legacy vector of ../shared/vectors/SOURCES.md §2-3, with the syntax
/// the migration must report and the expected outcome.
const LEGACY: &[(&str, Syntax, Expect)] = &[
    (
        "legacy-0.0.1-container00-external-recording-alg-signature-mimetype.vcon",
        Syntax::V0_0_1,
        Expect::Migrates,
    ),
    (
        "legacy-0.0.1-container00-inline-recording-mimetype.vcon",
        Syntax::V0_0_1,
        Expect::Migrates,
    ),
    (
        "legacy-0.0.1-container00-email-thread-group-redacted-empty.vcon",
        Syntax::V0_0_1,
        Expect::Migrates,
    ),
    (
        "legacy-0.0.1-container00-signed-jws.vcon",
        Syntax::V0_0_1,
        Expect::SignedLegacy,
    ),
    (
        "legacy-0.0.1-container00-INVALID-encrypted-cyphertext-typo.vcon",
        Syntax::V0_0_1,
        Expect::NoForm,
    ),
    (
        "legacy-0.0.2-container02-external-recording-content-hash.vcon",
        Syntax::V0_0_2,
        Expect::Migrates,
    ),
    (
        "legacy-0.0.2-container02-redacted.vcon",
        Syntax::V0_0_2,
        Expect::Migrates,
    ),
    (
        "legacy-0.0.2-container02-encrypted-jwe.vcon",
        Syntax::V0_0_2,
        Expect::Encrypted,
    ),
    (
        "vcon-js-legacy-0.0.1-fake-call-external-recording-alg-signature.json",
        Syntax::V0_0_1,
        Expect::Migrates,
    ),
    (
        "vcon-js-legacy-0.0.1-text-chat-body-without-encoding.json",
        Syntax::V0_0_1,
        Expect::Migrates,
    ),
    (
        "vcon-server-legacy-0.0.1-production-call-cat1.json",
        Syntax::V0_0_1,
        Expect::Migrates,
    ),
    (
        "core01-amended-with-stale-vcon-0.0.2-string.vcon",
        Syntax::V0_0_2,
        Expect::Migrates,
    ),
];

/// (pointer, value) of every non-null scalar.
fn leaves(value: &Value, pointer: String, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                leaves(v, format!("{pointer}/{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                leaves(v, format!("{pointer}/{i}"), out);
            }
        }
        Value::Null => {}
        scalar => out.push((pointer, scalar.clone())),
    }
}

/// The `content_hash` token a legacy `signature` becomes (hex or base64url).
fn token_of(signature: &str) -> Option<String> {
    let bytes = if signature.len() == 128 && signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..64)
            .map(|i| u8::from_str_radix(&signature[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        URL_SAFE_NO_PAD
            .decode(signature.trim_end_matches('='))
            .ok()?
    };
    Some(format!("sha512-{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// Asserts that every scalar of `input` is still somewhere in `output`, as
/// many times as before. Allowed transformations: the `vcon` string (set to
/// 0.4.0), `alg` (folded into the token), `signature` (becomes a token),
/// `encoding` (may be corrected), a `session_id` string (split into halves).
fn assert_nothing_lost(name: &str, input: &Map<String, Value>, output: &Map<String, Value>) {
    let mut have: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    leaves(&Value::Object(output.clone()), String::new(), &mut out);
    for (_, v) in &out {
        *have.entry(v.to_string()).or_default() += 1;
    }
    let mut inp = Vec::new();
    leaves(&Value::Object(input.clone()), String::new(), &mut inp);
    for (pointer, value) in inp {
        let key = pointer.rsplit('/').next().unwrap_or_default();
        let text = value.as_str().unwrap_or_default();
        let found = match key {
            _ if pointer == "/vcon" => true,
            "alg" | "encoding" => true,
            "signature" => {
                have.contains_key(&value.to_string())
                    || token_of(text)
                        .is_some_and(|t| have.contains_key(&Value::String(t).to_string()))
            }
            _ if pointer.contains("/session_id") && value.is_string() => {
                let local = text.split(';').next().unwrap_or_default();
                have.contains_key(&value.to_string())
                    || have.contains_key(&Value::String(local.to_owned()).to_string())
            }
            _ => match have.get_mut(&value.to_string()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            },
        };
        assert!(
            found,
            "{name}: input leaf {pointer} = {value} is missing from the output"
        );
    }
}

/// The checks every successful migration must pass.
fn check_migration(name: &str, input: &Map<String, Value>, m: &Migration, from: Syntax) {
    assert_eq!(m.from, from, "{name}: detected syntax");
    assert!(!m.changes.is_empty(), "{name}: a legacy vCon must change");
    let out = &m.object;
    assert_eq!(
        out.get("vcon").and_then(Value::as_str).unwrap_or("0.4.0"),
        "0.4.0",
        "{name}"
    );
    let after = version::detect(out);
    assert!(
        !after.is_legacy(),
        "{name}: still legacy after migration: {}",
        after.evidence
    );

    let again = migrate(out.clone()).unwrap();
    assert!(
        again.changes.is_empty(),
        "{name}: not idempotent: {:?}",
        again.changes
    );
    assert_eq!(&again.object, out, "{name}: not idempotent");

    assert_nothing_lost(name, input, out);

    let report = validate_object(out, &Options::with_profile(Profile::Lenient));
    for f in &report.findings {
        println!("    {} {} {} {}", f.severity, f.rule, f.pointer, f.message);
    }
    // The conserver's attachments lack `party`/`start`/`dialog` (cat1); lenient
    // reports those as R-36 warnings, so no error may remain at all.
    let unexpected: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .collect();
    assert!(
        unexpected.is_empty(),
        "{name}: lenient errors after migration: {unexpected:#?}"
    );
}

#[test]
fn every_legacy_vector_migrates_to_a_lenient_valid_vcon() {
    let Some(dir) = vectors_dir() else { return };
    // The table must cover every legacy vector present.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let legacy = name.starts_with("legacy-") || name.contains("-legacy-");
        if legacy {
            assert!(
                LEGACY.iter().any(|(f, ..)| *f == name),
                "{name}: legacy vector not in the table"
            );
        }
    }
    let unwrap = MigrateOptions {
        signed: SignedPolicy::MigrateUnverifiedPayload,
        ..MigrateOptions::default()
    };
    for (name, from, expect) in LEGACY {
        let input = load(&dir, name);
        let result = migrate(input.clone());
        match (expect, result) {
            (Expect::Migrates, Ok(m)) => {
                println!("{name}: from {} with {} change(s)", m.from, m.changes.len());
                for c in &m.changes {
                    println!("  {c}");
                }
                check_migration(name, &input, &m, *from);
            }
            (Expect::SignedLegacy, Err(e)) => {
                println!("{name}: refused as expected: {e}");
                assert_eq!(
                    e,
                    MigrateError::Signed {
                        pointer: "/payload".to_owned(),
                        syntax: *from
                    }
                );
                let m = migrate_with(input, &unwrap).unwrap();
                println!(
                    "{name}: with MigrateUnverifiedPayload, {} change(s)",
                    m.changes.len()
                );
                assert_eq!(m.changes[0].kind, ChangeKind::EnvelopeRemoved);
                let payload = input_payload(&load(&dir, name));
                check_migration(name, &payload, &m, *from);
            }
            (Expect::Encrypted, Err(e @ MigrateError::Encrypted { .. }))
            | (Expect::NoForm, Err(e @ MigrateError::NoForm { .. })) => {
                println!("{name}: refused as expected: {e}");
                assert_eq!(e.pointer(), "");
            }
            (expect, got) => panic!("{name}: expected {expect:?}, got {got:?}"),
        }
    }
}

fn input_payload(envelope: &Map<String, Value>) -> Map<String, Value> {
    let text = envelope["payload"].as_str().unwrap();
    let bytes = URL_SAFE_NO_PAD.decode(text).unwrap();
    read(&bytes, &ReadLimits::default()).unwrap().object
}

#[test]
fn specific_legacy_mappings() {
    let Some(dir) = vectors_dir() else { return };
    let cat1 = migrate(load(
        &dir,
        "vcon-server-legacy-0.0.1-production-call-cat1.json",
    ))
    .unwrap()
    .object;
    let hex =
        load(&dir, "vcon-server-legacy-0.0.1-production-call-cat1.json")["dialog"][0]["signature"]
            .as_str()
            .unwrap()
            .to_owned();
    assert_eq!(
        cat1["dialog"][0]["content_hash"],
        token_of(&hex).unwrap().as_str()
    );
    assert_eq!(cat1["dialog"][0]["mediatype"], "audio/x-wav");
    for key in ["group", "redacted", "appended", "amended"] {
        assert!(!cat1.contains_key(key), "cat1: {key} leftover kept");
    }
    for a in cat1["attachments"].as_array().unwrap() {
        assert!(a.get("purpose").is_some() && a.get("type").is_none(), "{a}");
        assert_eq!(a["encoding"], "none", "JSON text bodies are strings");
    }
    for a in cat1["analysis"].as_array().unwrap() {
        assert!(a["schema"].is_string() && a.get("vendor_schema").is_none());
    }

    let js = migrate(load(
        &dir,
        "vcon-js-legacy-0.0.1-fake-call-external-recording-alg-signature.json",
    ))
    .unwrap()
    .object;
    assert_eq!(
        js["extensions"],
        json!(["CC"]),
        "party `role` is a CC member"
    );
    assert_eq!(
        js["analysis"][0]["encoding"], "json",
        "object body under `none` corrected"
    );
    assert!(
        js["dialog"][0]["content_hash"]
            .as_str()
            .unwrap()
            .starts_with("sha512-rn4dtssl0-2N")
    );

    let chat = migrate(load(
        &dir,
        "vcon-js-legacy-0.0.1-text-chat-body-without-encoding.json",
    ))
    .unwrap();
    let inferred = chat
        .changes
        .iter()
        .filter(|c| c.kind == ChangeKind::EncodingInferred)
        .count();
    assert_eq!(inferred, chat.object["dialog"].as_array().unwrap().len());

    let mixed = migrate(load(
        &dir,
        "core01-amended-with-stale-vcon-0.0.2-string.vcon",
    ))
    .unwrap();
    assert_eq!(mixed.changes.len(), 1);
    assert_eq!(mixed.changes[0].kind, ChangeKind::VersionSet);
    assert_eq!(
        mixed.object["amended"]["uuid"],
        "0199e054-ed10-8035-b9a2-279e0d16bc46"
    );
}

#[test]
fn other_vectors_are_untouched_or_upgraded_idempotently() {
    let Some(dir) = vectors_dir() else { return };
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".vcon") || n.ends_with(".json"))
        .collect();
    names.sort();
    for name in names {
        let Ok(doc) = read(
            &std::fs::read(dir.join(&name)).unwrap(),
            &ReadLimits::default(),
        ) else {
            println!("{name}: unreadable, skipped");
            continue;
        };
        let legacy = version::detect(&doc.object).is_legacy();
        match migrate(doc.object.clone()) {
            Ok(m) if !legacy => {
                assert!(m.is_noop(), "{name}: 0.4.0 vCon changed: {:?}", m.changes);
                assert_eq!(m.object, doc.object, "{name}");
                println!("{name}: 0.4.0, untouched");
            }
            Ok(m) => {
                let again = migrate(m.object.clone()).unwrap();
                assert!(
                    again.is_noop(),
                    "{name}: not idempotent: {:?}",
                    again.changes
                );
                assert!(!version::detect(&m.object).is_legacy(), "{name}");
                println!(
                    "{name}: upgraded from {} with {} change(s)",
                    m.from,
                    m.changes.len()
                );
            }
            Err(e) => println!("{name}: refused: {e}"),
        }
    }
}

fn digest_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<[u8; 32]>().prop_map(|b| {
            let mut d = b.to_vec();
            d.extend_from_slice(&b);
            d.iter().map(|x| format!("{x:02x}")).collect::<String>()
        }),
        any::<[u8; 32]>().prop_map(|b| URL_SAFE_NO_PAD.encode([b, b].concat())),
        "[A-Za-z0-9_=+/-]{0,20}",
    ]
}

prop_compose! {
    fn legacy_dialog()(
        mimetype in prop::option::of(prop_oneof![Just("text/plain"), Just("audio/x-wav"), Just("message/rfc822")]),
        signature in prop::option::of(digest_text()),
        body in prop::option::of(prop_oneof![
            "[ -~]{0,16}".prop_map(Value::String),
            "[A-Za-z0-9_-]{4,16}".prop_map(Value::String),
            Just(json!({"k": [1, 2]})),
        ]),
        encoding in prop::option::of(prop_oneof![Just("none"), Just("json")]),
        session in prop::option::of(prop_oneof![
            "[0-9a-f]{32}(;remote=[0-9a-f]{32})?",
            "[a-z;=]{1,12}",
        ]),
        target in prop::option::of(0u64..3),
        interaction in prop::option::of("[A-Z0-9]{1,6}"),
    ) -> Value {
        let mut d = Map::new();
        d.insert("type".into(), json!("recording"));
        if let Some(m) = mimetype { d.insert("mimetype".into(), json!(m)); }
        if let Some(s) = signature {
            d.insert("url".into(), json!("https://example.com/a"));
            d.insert("alg".into(), json!("SHA-512"));
            d.insert("signature".into(), json!(s));
        }
        if let Some(b) = body { d.insert("body".into(), b); }
        if let Some(e) = encoding { d.insert("encoding".into(), json!(e)); }
        if let Some(s) = session { d.insert("session_id".into(), json!(s)); }
        if let Some(t) = target { d.insert("transfer-target".into(), json!(t)); }
        if let Some(i) = interaction { d.insert("interaction".into(), json!(i)); }
        Value::Object(d)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn generated_legacy_vcons_migrate_idempotently(
        dialogs in prop::collection::vec(legacy_dialog(), 0..4),
        appended in prop::option::of(Just(json!({"uuid": "p", "body": "x", "encoding": "none"}))),
        group in prop::option::of(prop_oneof![Just(json!([])), Just(json!([{"uuid": "g"}]))]),
    ) {
        let mut v = json!({"vcon": "0.0.1", "uuid": "u", "parties": [{"role": "agent"}], "dialog": dialogs});
        if let Some(a) = appended { v["appended"] = a; }
        if let Some(g) = group { v["group"] = g; }
        let input = v.as_object().cloned().unwrap();
        let m = migrate(input.clone()).unwrap();
        prop_assert!(!version::detect(&m.object).is_legacy());
        let again = migrate(m.object.clone()).unwrap();
        prop_assert!(again.is_noop());
        assert_nothing_lost("generated", &input, &m.object);
        let doc = Value::Object(m.object.clone());
        for c in &m.changes {
            let removed = matches!(c.kind, ChangeKind::EmptyRemoved | ChangeKind::DuplicateRemoved);
            prop_assert_eq!(doc.pointer(&c.pointer).is_some(), !removed, "{}", c);
        }
    }
}
