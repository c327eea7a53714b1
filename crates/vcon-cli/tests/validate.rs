//! `vcon validate`: exit codes, text and JSON output, stdin, directories, gzip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{DUPLICATE, NO_FORM, VALID, gzip, json_lines, vcon, write};
use predicates::prelude::*;

#[test]
fn valid_file_exits_0_with_ok_line_and_summary() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.vcon", VALID);
    vcon()
        .args(["validate"])
        .arg(&f)
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with("OK "))
        .stdout(predicate::str::contains("(unsigned 0.4.0)"))
        .stdout(predicate::str::contains(
            "1 file: 1 valid, 0 invalid, 0 unreadable",
        ));
}

#[test]
fn invalid_file_exits_1_and_names_rule_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "bad.json", NO_FORM);
    vcon()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(1)
        .stdout(predicate::str::starts_with("INVALID "))
        .stdout(predicate::str::contains("bad.json"))
        .stdout(predicate::str::contains(
            "error   R-40  (document): form cannot be determined",
        ));
}

#[test]
fn json_output_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.vcon", VALID);
    let bad = write(dir.path(), "bad.vcon", DUPLICATE);
    let out = vcon()
        .args(["validate", "--format", "json"])
        .arg(&good)
        .arg(&bad)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2, "one JSON document per input");
    let g = &lines[0];
    assert_eq!(g["path"], good.display().to_string());
    assert_eq!(g["form"], "unsigned");
    assert_eq!(g["version"], "0.4.0");
    assert_eq!(g["valid"], true);
    assert_eq!(g["gzip"], false);
    assert!(g["findings"].is_array());
    let b = &lines[1];
    assert_eq!(b["valid"], false);
    assert_eq!(b["form"], serde_json::Value::Null);
    assert_eq!(
        b["version"],
        serde_json::Value::Null,
        "not an object: no version"
    );
    let f = &b["findings"][0];
    assert_eq!(f["rule"], "R-45");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["pointer"], "");
    assert!(
        f["message"]
            .as_str()
            .unwrap()
            .contains("duplicate member `parties`")
    );
    // The summary goes to standard error, not into the JSON stream.
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 files: 1 valid, 1 invalid"));
}

#[test]
fn stdin_is_read_for_dash() {
    vcon()
        .args(["validate", "--format", "json", "-"])
        .write_stdin(VALID)
        .assert()
        .code(0)
        .stdout(predicate::str::contains(r#""path":"-""#));
    vcon()
        .args(["validate", "-"])
        .write_stdin("[1, 2]")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("INVALID <stdin>"))
        .stdout(predicate::str::contains("R-45"));
}

#[test]
fn stdin_twice_is_a_usage_error() {
    vcon()
        .args(["validate", "-", "-"])
        .write_stdin(VALID)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("only once"));
}

#[test]
fn directories_are_walked_in_name_order_for_vcon_json_and_gz() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b/inner.json", NO_FORM);
    write(dir.path(), "a.vcon", VALID);
    write(dir.path(), "c.vcon.gz", gzip(VALID.as_bytes()));
    write(dir.path(), "notes.txt", "not picked");
    write(dir.path(), "d.JSON", VALID);
    let out = vcon()
        .args(["validate", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .clone();
    let lines = json_lines(&out.stdout);
    let names: Vec<String> = lines
        .iter()
        .map(|l| {
            let p = l["path"].as_str().unwrap();
            p.strip_prefix(&dir.path().display().to_string())
                .unwrap()
                .replace('\\', "/")
        })
        .collect();
    assert_eq!(names, ["/a.vcon", "/b/inner.json", "/c.vcon.gz", "/d.JSON"]);
    assert_eq!(lines[1]["valid"], false);
    assert_eq!(lines[2]["gzip"], true);
    assert_eq!(lines[2]["valid"], true);
}

#[test]
fn a_file_given_explicitly_is_read_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "call.txt", gzip(VALID.as_bytes()));
    vcon()
        .arg("validate")
        .arg(&f)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("(unsigned 0.4.0, gzip)"));
}

#[test]
fn unreadable_input_exits_2_but_others_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.vcon", VALID);
    let missing = dir.path().join("missing.vcon");
    let out = vcon()
        .args(["validate", "--format", "json"])
        .arg(&good)
        .arg(&missing)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["valid"], true);
    assert_eq!(lines[1]["valid"], serde_json::Value::Null);
    let err = lines[1]["error"].as_str().unwrap();
    assert!(err.contains("missing.vcon"), "{err}");
    vcon()
        .arg("validate")
        .arg(&missing)
        .assert()
        .code(2)
        .stdout(predicate::str::contains("ERROR"))
        .stdout(predicate::str::contains("cannot read"));
}

#[test]
fn quiet_prints_only_invalid_inputs() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.vcon", VALID);
    write(dir.path(), "b.vcon", NO_FORM);
    let out = vcon()
        .args(["validate", "-q", "--format", "json"])
        .arg(dir.path())
        .assert()
        .code(1)
        .get_output()
        .clone();
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 1);
    assert!(lines[0]["path"].as_str().unwrap().ends_with("b.vcon"));
    assert!(out.stderr.is_empty(), "quiet JSON has no summary");
    vcon()
        .args(["validate", "--quiet"])
        .arg(dir.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("a.vcon").not())
        .stdout(predicate::str::contains("2 files: 1 valid, 1 invalid"));
}

#[test]
fn usage_errors_exit_2() {
    vcon().arg("validate").assert().code(2);
    vcon()
        .args(["validate", "--profile", "sloppy", "x"])
        .assert()
        .code(2);
    vcon()
        .args(["validate", "--format", "yaml", "x"])
        .assert()
        .code(2);
    vcon()
        .args(["validate", "--jobs", "0", "x"])
        .assert()
        .code(2);
    vcon().assert().code(2);
    vcon().arg("frobnicate").assert().code(2);
}

#[test]
fn too_large_input_is_an_r42_finding() {
    vcon()
        .args(["validate", "--max-bytes", "10", "-"])
        .write_stdin(VALID)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("R-42"));
}

#[test]
fn lenient_profile_downgrades_missing_created_at() {
    let no_created = VALID.replace(r#""created_at": "2026-06-29T23:11:19Z","#, "");
    let strict = vcon()
        .args(["validate", "--format", "json", "-"])
        .write_stdin(no_created.clone())
        .assert()
        .get_output()
        .clone();
    let s = &json_lines(&strict.stdout)[0];
    let lenient = vcon()
        .args(["validate", "--profile", "lenient", "--format", "json", "-"])
        .write_stdin(no_created)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let l = &json_lines(&lenient.stdout)[0];
    assert_eq!(l["valid"], true);
    assert_eq!(strict.status.code(), Some(1));
    assert_eq!(s["valid"], false);
    let r3 = |v: &serde_json::Value| -> Vec<String> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "R-3")
            .map(|f| f["severity"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(r3(s), ["error"]);
    assert_eq!(r3(l), ["warning"]);
}

#[test]
fn supported_extension_flag_accepts_a_critical_extension() {
    let critical = VALID.replace(
        r#""subject": "Greeting","#,
        r#""subject": "Greeting", "extensions": ["x_private"], "critical": ["x_private"],"#,
    );
    let plain = vcon()
        .args(["validate", "--format", "json", "-"])
        .write_stdin(critical.clone())
        .assert()
        .get_output()
        .clone();
    let with_flag = vcon()
        .args([
            "validate",
            "--supported-extension",
            "x_private",
            "--format",
            "json",
            "-",
        ])
        .write_stdin(critical)
        .assert()
        .code(0)
        .get_output()
        .clone();
    let has_r6 = |out: &[u8]| {
        json_lines(out)[0]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "R-6")
    };
    assert!(!has_r6(&with_flag.stdout));
    assert!(
        has_r6(&plain.stdout),
        "an unsupported critical extension is R-6"
    );
    assert_eq!(plain.status.code(), Some(1));
}

#[test]
fn errors_only_hides_warnings() {
    let legacy = VALID.replace(
        r#""subject": "Greeting","#,
        r#""subject": "Greeting", "vcon": "0.0.2","#,
    );
    let all = vcon()
        .args(["validate", "--format", "json", "-"])
        .write_stdin(legacy.clone())
        .assert()
        .get_output()
        .clone();
    let some = vcon()
        .args(["validate", "--errors-only", "--format", "json", "-"])
        .write_stdin(legacy)
        .assert()
        .get_output()
        .clone();
    let a = &json_lines(&all.stdout)[0];
    let e = &json_lines(&some.stdout)[0];
    assert!(a["warnings"].as_u64().unwrap() >= 1);
    assert_eq!(
        a["warnings"], e["warnings"],
        "counts include hidden findings"
    );
    assert!(
        e["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] == "error")
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "bad.vcon", NO_FORM);
    // Not a terminal: no escapes.
    vcon()
        .arg("validate")
        .arg(&f)
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    vcon()
        .args(["validate", "--color", "always"])
        .arg(&f)
        .assert()
        .stdout(predicate::str::contains("\x1b[31mINVALID"));
}

#[test]
fn jobs_flag_gives_the_same_report() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..50 {
        write(
            dir.path(),
            &format!("f{i:02}.vcon"),
            if i % 7 == 0 { NO_FORM } else { VALID },
        );
    }
    let one = vcon()
        .args(["validate", "-j", "1", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    let many = vcon()
        .args(["validate", "-j", "4", "--format", "json"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(one.stdout, many.stdout);
    assert_eq!(json_lines(&one.stdout).len(), 50);
    assert_eq!(one.status.code(), Some(1));
}

#[test]
fn an_empty_directory_is_valid_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "readme.txt", "nothing to see");
    vcon()
        .arg("validate")
        .arg(dir.path())
        .assert()
        .code(0)
        .stdout(predicate::str::contains("0 files"))
        .stderr(predicate::str::contains("warning: no file named *.vcon"));
}
