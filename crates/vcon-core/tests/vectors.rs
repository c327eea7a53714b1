//! Every example vCon in `../shared/vectors` gets the verdict its
//! `SOURCES.md` gives it.
//!
//! The vectors are read in place (never copied into the repository). Their
//! directory is `$VCON_VECTORS_DIR`, or `../shared/vectors` next to the
//! checkout; when it is absent the test says so on stderr and checks nothing.
//! Run with `--nocapture` to see each file and its verdict; set
//! `VCON_VECTORS_VERBOSE=1` to also print every finding.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use vcon_core::validate::{Options, Profile, Report, Severity, validate_bytes, validate_object};

/// What SOURCES.md says a vector is.
#[derive(Debug, Clone, Copy)]
enum Verdict {
    /// No error under the strict profile.
    Valid,
    /// Errors under strict, none under lenient.
    ValidLenient,
    /// Errors under both profiles.
    Invalid,
    /// Reported as legacy syntax `x` (R-11 with the `vcon migrate` hint) and
    /// invalid as 0.4.0 under strict.
    Legacy(&'static str),
    /// A signed vCon whose envelope is valid (no strict error outside
    /// `/payload`) and whose payload is VALID-LENIENT.
    SignedEnvelope,
    /// An encrypted vCon whose envelope is valid under strict; its content
    /// cannot be seen without the key.
    EncryptedEnvelope,
    /// A legacy encrypted vCon: the envelope is all that can be checked without
    /// the key, so this only asserts the envelope is sound (see the note).
    LegacyEncrypted(&'static str),
    /// Not a whole vCon: invalid as one, but its sub-object is valid.
    Fragment(Fragment),
}

/// Which sub-object a fragment holds.
#[derive(Debug, Clone, Copy)]
enum Fragment {
    /// One Attachment object (of the named extension).
    Attachment(&'static str),
    /// An object with only `analysis` (entries of the named extension).
    Analysis(&'static str),
}

use Verdict::*;

/// The verdicts of SOURCES.md, per file name.
const EXPECTED: &[(&str, Verdict)] = &[
    // §1 core-03 Appendix A
    (
        "core03-A1-unsigned-call-inline-recording.vcon",
        ValidLenient,
    ),
    (
        "core03-A2-unsigned-email-thread-multipart.vcon",
        ValidLenient,
    ),
    ("core03-A3-unsigned-email-thread-text.vcon", ValidLenient),
    (
        "core03-A4-unsigned-call-external-recording-url-content-hash.vcon",
        ValidLenient,
    ),
    (
        "core03-A5-unsigned-call-with-transcript-analysis.vcon",
        ValidLenient,
    ),
    ("core03-A6-signed-jws-general.vcon", SignedEnvelope),
    ("core03-A7-encrypted-jwe-general.vcon", EncryptedEnvelope),
    ("core03-A8-unsigned-redacted.vcon", ValidLenient),
    ("core03-A9-unsigned-amended.vcon", ValidLenient),
    (
        "core03-unsigned-call-with-redacted-transcript-analysis.vcon",
        ValidLenient,
    ),
    (
        "core03-unsigned-email-single-message-image.vcon",
        ValidLenient,
    ),
    ("core03-unsigned-email-single-message.vcon", ValidLenient),
    ("core03-INVALID-partial-no-uuid-two-parties.vcon", Invalid),
    ("core03-INVALID-not-a-vcon-kramdown-test.vcon", Invalid),
    // §2 legacy syntax versions
    (
        "legacy-0.0.1-container00-external-recording-alg-signature-mimetype.vcon",
        Legacy("0.0.1"),
    ),
    (
        "legacy-0.0.1-container00-inline-recording-mimetype.vcon",
        Legacy("0.0.1"),
    ),
    (
        "legacy-0.0.1-container00-email-thread-group-redacted-empty.vcon",
        Legacy("0.0.1"),
    ),
    ("legacy-0.0.1-container00-signed-jws.vcon", Legacy("0.0.1")),
    (
        "legacy-0.0.1-container00-INVALID-encrypted-cyphertext-typo.vcon",
        Invalid,
    ),
    (
        "legacy-0.0.2-container02-external-recording-content-hash.vcon",
        Legacy("0.0.2"),
    ),
    ("legacy-0.0.2-container02-redacted.vcon", Legacy("0.0.2")),
    (
        "legacy-0.0.2-container02-encrypted-jwe.vcon",
        LegacyEncrypted("0.0.2"),
    ),
    // "INVALID (strict) / LEGACY-tolerant": a stale `vcon` "0.0.2" on a 0.4.0 vCon.
    (
        "core01-amended-with-stale-vcon-0.0.2-string.vcon",
        Legacy("0.0.2"),
    ),
    // §3 peer implementation fixtures
    (
        "vcon-server-legacy-0.0.1-production-call-cat1.json",
        Legacy("0.0.1"),
    ),
    ("vcon-server-INVALID-bad-dialog-types.json", Invalid),
    ("vcon-server-INVALID-bad-duration.json", Invalid),
    ("vcon-server-INVALID-bad-mimetype.json", Invalid),
    ("vcon-server-INVALID-bad-party-ref.json", Invalid),
    ("vcon-server-INVALID-bad-url.json", Invalid),
    ("vcon-server-INVALID-empty-vcon.json", Invalid),
    ("vcon-server-INVALID-invalid-dialog-url.json", Invalid),
    (
        "vcon-server-INVALID-missing-uuid-and-vcon-version.json",
        Invalid,
    ),
    (
        "vcon-server-INVALID-null-dialog-string-analysis.json",
        Invalid,
    ),
    ("vcon-server-INVALID-null-parties.json", Invalid),
    (
        "vcon-server-INVALID-out-of-range-party-indices.json",
        Invalid,
    ),
    (
        "vcon-js-legacy-0.0.1-fake-call-external-recording-alg-signature.json",
        Legacy("0.0.1"),
    ),
    (
        "vcon-js-legacy-0.0.1-text-chat-body-without-encoding.json",
        Legacy("0.0.1"),
    ),
    (
        "vcon-js-nonconforming-interop-call-no-vcon-tags-mimetype.json",
        Invalid,
    ),
    ("vcon-mcp-INVALID-0.3.0-siprec-sample-no-uuid.json", Invalid),
    (
        "vcon-mcp-INVALID-0.3.0-teams-sample-url-without-content-hash.json",
        Invalid,
    ),
    (
        "vcon-mcp-INVALID-0.0.1-sample-non-uuid-string.vcon",
        Invalid,
    ),
    // §4 extension drafts
    ("ext-agent-session-paired-example.json", Invalid),
    ("ext-sip-signaling-minimal-call.json", Invalid),
    ("ext-sip-signaling-full-trace-stir-shaken.json", Invalid),
    ("ext-wtf-basic-two-party-transcription.json", Valid),
    (
        "ext-wtf-FRAGMENT-multi-provider-analysis-only.json",
        Fragment(Fragment::Analysis("wtf_transcription")),
    ),
    (
        "ext-lawful-basis-FRAGMENT-attachment-object.json",
        Fragment(Fragment::Attachment("lawful_basis")),
    ),
];

fn vectors_dir() -> PathBuf {
    match std::env::var_os("VCON_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
    }
}

fn strict() -> Options {
    Options::with_profile(Profile::Strict)
}

fn lenient() -> Options {
    Options::with_profile(Profile::Lenient)
}

fn errors(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| format!("{} {}: {}", f.rule, f.pointer, f.message))
        .collect()
}

fn print_findings(name: &str, profile: &str, report: &Report) {
    if std::env::var_os("VCON_VECTORS_VERBOSE").is_some() {
        for f in &report.findings {
            println!(
                "    [{profile}] {} {} {} {}",
                f.severity, f.rule, f.pointer, f.message
            );
        }
        if report.findings.is_empty() {
            println!("    [{profile}] no findings ({name})");
        }
    }
}

/// Checks one vector; returns what is wrong, if anything.
fn check(name: &str, bytes: &[u8], verdict: Verdict) -> Result<(), String> {
    let s = validate_bytes(bytes, &strict());
    let l = validate_bytes(bytes, &lenient());
    print_findings(name, "strict", &s);
    print_findings(name, "lenient", &l);
    let (se, le) = (errors(&s), errors(&l));
    match verdict {
        Valid if se.is_empty() => Ok(()),
        Valid => Err(format!("expected no strict error, got {se:#?}")),
        ValidLenient if se.is_empty() => Err("expected a strict error, got none".into()),
        ValidLenient if !le.is_empty() => Err(format!("expected no lenient error, got {le:#?}")),
        ValidLenient => Ok(()),
        Invalid if se.is_empty() || le.is_empty() => Err(format!(
            "expected errors under both profiles; strict {se:#?}, lenient {le:#?}"
        )),
        Invalid => Ok(()),
        Legacy(version) => {
            let noted = s
                .findings
                .iter()
                .any(|f| f.rule == "R-11" && f.message.contains("vcon migrate"));
            if !noted {
                return Err("no R-11 finding with the `vcon migrate` hint".into());
            }
            if s.version.detected.as_str() != version {
                return Err(format!(
                    "detected syntax {}, expected {version}",
                    s.version.detected
                ));
            }
            if se.is_empty() {
                return Err("a legacy vCon must be invalid as 0.4.0 under strict".into());
            }
            Ok(())
        }
        SignedEnvelope => {
            let envelope: Vec<_> = se.iter().filter(|e| !e.contains(" /payload")).collect();
            if !envelope.is_empty() {
                return Err(format!("envelope errors under strict: {envelope:#?}"));
            }
            if !le.is_empty() {
                return Err(format!("expected the payload to be lenient-valid: {le:#?}"));
            }
            Ok(())
        }
        EncryptedEnvelope if !se.is_empty() => {
            Err(format!("envelope errors under strict: {se:#?}"))
        }
        LegacyEncrypted(version) if !se.is_empty() => Err(format!(
            "envelope errors under strict (its {version} content needs the key): {se:#?}"
        )),
        EncryptedEnvelope | LegacyEncrypted(_) => {
            let envelope_only = s
                .findings
                .iter()
                .any(|f| f.rule == "R-41" && f.severity == Severity::Info && f.pointer.is_empty());
            if envelope_only {
                Ok(())
            } else {
                Err("no note that only the envelope was checked".into())
            }
        }
        Fragment(kind) => fragment(bytes, kind, &se),
    }
}

/// A fragment is not a vCon, but wrapped in a minimal one its sub-object
/// passes the rules of its extension.
fn fragment(bytes: &[u8], kind: Fragment, strict_errors: &[String]) -> Result<(), String> {
    if strict_errors.is_empty() {
        return Err("a fragment must not pass as a whole vCon".into());
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    let mut doc = json!({
        "uuid": "019f15a6-a752-826f-b9a2-279e0d16bc46",
        "created_at": "2025-01-02T12:00:00Z",
        "parties": [{"name": "Alice", "validation": "none"}],
        "dialog": [{}],
    });
    let (extension, entries, what) = match kind {
        Fragment::Attachment(ext) => (ext, json!({"attachments": [value]}), "attachment"),
        Fragment::Analysis(ext) => (
            ext,
            json!({"analysis": value["analysis"].clone()}),
            "analysis",
        ),
    };
    doc["extensions"] = json!([extension]);
    for (k, v) in entries.as_object().into_iter().flatten() {
        doc[k] = v.clone();
    }
    let Some(object) = doc.as_object() else {
        return Err("wrapper is not an object".into());
    };
    let report = validate_object(object, &strict());
    print_findings(what, "wrapped", &report);
    let errs = errors(&report);
    if errs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the {what} fragment, wrapped in a minimal vCon, has errors: {errs:#?}"
        ))
    }
}

#[test]
fn every_vector_gets_its_documented_verdict() {
    let dir = vectors_dir();
    if !dir.is_dir() {
        eprintln!(
            "../shared/vectors not found: vector tests skipped (looked in {}; set VCON_VECTORS_DIR)",
            dir.display()
        );
        return;
    }
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n != "SOURCES.md")
        .collect();
    names.sort();
    let mut failures = Vec::new();
    for name in &names {
        let Some((_, verdict)) = EXPECTED.iter().find(|(n, _)| n == name) else {
            failures.push(format!(
                "{name}: not in the verdict table of tests/vectors.rs"
            ));
            continue;
        };
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let outcome = check(name, &bytes, *verdict);
        println!(
            "{} {name}: {verdict:?}",
            if outcome.is_ok() { "ok  " } else { "FAIL" }
        );
        if let Err(why) = outcome {
            failures.push(format!("{name} ({verdict:?}): {why}"));
        }
    }
    for (name, _) in EXPECTED {
        if !names.iter().any(|n| n == name) {
            failures.push(format!(
                "{name}: in the verdict table but not in {}",
                dir.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} vector(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
