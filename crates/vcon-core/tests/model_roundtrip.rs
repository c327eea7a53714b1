//! The typed model gives back exactly what it read: same JSON value, same
//! member order, at every level.
//!
//! 1. Every unsigned vCon in `../shared/vectors` (or `$VCON_VECTORS_DIR`)
//!    that converts is written back identically. Run with `--nocapture` to
//!    see each file. When the directory is absent the test says so on stderr
//!    and checks nothing.
//! 2. Random vCons (random members, random extra members at random
//!    positions, `null`s) round-trip through `Value` and through bytes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Map, Value};
use vcon_core::form::Form;
use vcon_core::model::{Attachment, ModelError, Vcon};
use vcon_core::read::{ReadLimits, read};
use vcon_core::validate::{Options, Profile, Severity, validate_object};

/// Says on the process's stderr (not the captured test output, so it shows
/// even when the test passes) that the vectors are missing.
fn report_missing(what: &str, dir: &Path) {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "../shared/vectors not found: skipping {what} (looked in {}; set VCON_VECTORS_DIR)",
        dir.display()
    );
}

fn vectors_dir() -> PathBuf {
    match std::env::var_os("VCON_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
    }
}

/// Asserts the model writes `original` back identically, as a value, as a
/// string (member order) and as bytes read through `from_slice`.
fn assert_round_trip(name: &str, original: &Value, vcon: &Vcon) {
    let back = vcon.to_value();
    assert_eq!(&back, original, "{name}: value differs");
    let want = serde_json::to_string(original).unwrap();
    assert_eq!(
        serde_json::to_string(&back).unwrap(),
        want,
        "{name}: member order differs (to_value)"
    );
    assert_eq!(
        String::from_utf8(vcon.to_vec().unwrap()).unwrap(),
        want,
        "{name}: member order differs (to_vec)"
    );
    let reread = Vcon::from_slice(&vcon.to_vec_pretty().unwrap()).unwrap();
    assert_eq!(
        serde_json::to_string(&reread).unwrap(),
        want,
        "{name}: pretty output does not read back"
    );
}

#[test]
fn every_unsigned_vector_round_trips() {
    let dir = vectors_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        report_missing("the model round-trip of the example vCons", &dir);
        return;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "vcon" || x == "json"))
        .collect();
    files.sort();
    let (mut checked, mut not_converted) = (0, 0);
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(path).unwrap();
        let Ok(doc) = read(&bytes, &ReadLimits::default()) else {
            println!("skip  {name}: not a JSON object");
            continue;
        };
        if doc.form != Some(Form::Unsigned) {
            println!("skip  {name}: form {:?}, not an unsigned vCon", doc.form);
            // Envelopes are refused, not silently read as empty vCons.
            if matches!(doc.form, Some(Form::Signed | Form::Encrypted)) {
                assert!(
                    matches!(Vcon::from_slice(&bytes), Err(ModelError::Envelope { .. })),
                    "{name}"
                );
            }
            continue;
        }
        let original = doc.clone().into_value();
        match Vcon::from_object(doc.object) {
            Ok(vcon) => {
                assert_round_trip(&name, &original, &vcon);
                println!("ok    {name}");
                checked += 1;
            }
            Err(e) => {
                // Wrongly typed members are refused with their pointer.
                assert!(
                    e.pointer().is_some_and(|p| p.starts_with('/')),
                    "{name}: {e}"
                );
                println!("skip  {name}: does not convert: {e}");
                not_converted += 1;
            }
        }
    }
    println!("{checked} vectors round-tripped, {not_converted} refused as wrongly typed");
    assert!(
        checked >= 25,
        "only {checked} of {} vectors round-tripped",
        files.len()
    );
}

#[test]
fn wrongly_typed_vectors_name_the_member() {
    let dir = vectors_dir();
    let path = dir.join("vcon-server-INVALID-bad-dialog-types.json");
    let Ok(bytes) = std::fs::read(&path) else {
        report_missing("the wrongly-typed vector check", &dir);
        return;
    };
    let e = Vcon::from_slice(&bytes).unwrap_err();
    assert_eq!(
        e.to_string(),
        "/dialog/0/duration: expected a non-negative number, found a string"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_vcons_round_trip(object in support::any::any_vcon_object()) {
        let original = Value::Object(object.clone());
        let vcon = Vcon::from_object(object).unwrap();
        assert_round_trip("random vCon", &original, &vcon);
        // Through serde as well.
        let text = serde_json::to_string(&original).unwrap();
        let via_serde: Vcon = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(serde_json::to_string(&via_serde).unwrap(), text);
    }

    #[test]
    fn edits_keep_untouched_members_in_place(object in support::any::any_vcon_object()) {
        let mut vcon = Vcon::from_object(object.clone()).unwrap();
        vcon.subject = Some("edited".into());
        let out = vcon.to_value();
        let out = out.as_object().unwrap();
        // Every original member other than `subject` keeps its relative order.
        let before: Vec<&String> = object.keys().filter(|k| *k != "subject").collect();
        let after: Vec<&String> = out.keys().filter(|k| *k != "subject").collect();
        prop_assert_eq!(before, after);
        prop_assert_eq!(out.get("subject"), Some(&Value::from("edited")));
        let unchanged: Map<String, Value> = object.into_iter().filter(|(k, _)| k != "subject").collect();
        for (k, v) in unchanged {
            prop_assert_eq!(out.get(&k), Some(&v));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_valid_vcons_pass_strict_validation(vcon in support::r#gen::valid_vcon()) {
        let value = vcon.to_value();
        let object = value.as_object().unwrap();
        let report = validate_object(object, &Options::with_profile(Profile::Strict));
        let errors: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| format!("{} {}: {}", f.rule, f.pointer, f.message))
            .collect();
        prop_assert!(errors.is_empty(), "{errors:#?}\n{}", serde_json::to_string_pretty(&value).unwrap());
        // And the model reads back what it wrote.
        let back = Vcon::from_slice(&vcon.to_vec().unwrap()).unwrap();
        prop_assert_eq!(back.to_value(), value);
    }

    #[test]
    fn breaking_a_generated_vcon_is_caught(vcon in support::r#gen::valid_vcon()) {
        prop_assume!(!vcon.dialogs().is_empty());
        let mut broken = vcon.clone();
        let n = broken.parties().len() as u64;
        let start = broken.created_at.clone();
        let at = broken.push_attachment(Attachment { party: Some(n), dialog: Some(0), start, ..Attachment::default() });
        let report = validate_object(broken.to_value().as_object().unwrap(), &Options::with_profile(Profile::Strict));
        let pointer = format!("/attachments/{at}/party");
        prop_assert!(
            report.findings.iter().any(|f| f.severity == Severity::Error && f.rule == "R-20" && f.pointer == pointer),
            "{:#?}", report.findings
        );
    }
}
