//! Differential tests of the `validate_bytes` fast path (borrowed tree,
//! `vcon_core::tree`) against the reference path (bounded reader,
//! `serde_json::Value`, `validate_bytes_with_reader`): every report (form,
//! version, every finding's rule, severity, pointer and message) must be
//! identical, and the fast parser must build the same tree as the reader or
//! refuse the input, never accept what the reader refuses.
//!
//! Inputs: every file of `../shared/vectors` (as is, gzipped, truncated and
//! mutated), hand-written edge cases of the JSON grammar, and proptest-generated
//! vCons (valid ones, structurally random ones, and byte-level mutations of both).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::{Map, Value};
use vcon_core::read::{ReadLimits, parse_object};
use vcon_core::tree;
use vcon_core::validate::{Options, Profile, Report, validate_bytes, validate_bytes_with_reader};

/// The option sets every input is checked under.
fn option_sets() -> Vec<Options> {
    let strict = Options::default();
    let lenient = Options::with_profile(Profile::Lenient);
    let mut everything = Options::default();
    everything
        .supported_extensions
        .extend(["agent_session", "group"].iter().map(|s| (*s).to_owned()));
    let none = Options {
        supported_extensions: BTreeSet::new(),
        ..Options::default()
    };
    let tight = Options {
        limits: ReadLimits {
            max_bytes: 4096,
            max_inflated_bytes: 4096,
            max_depth: 4,
        },
        ..Options::default()
    };
    vec![strict, lenient, everything, none, tight]
}

/// Both paths give the same report under every option set; returns the
/// strict report.
fn same_reports(bytes: &[u8]) -> Report {
    let mut first = None;
    for options in option_sets() {
        let fast = validate_bytes(bytes, &options);
        let reference = validate_bytes_with_reader(bytes, &options);
        assert_eq!(
            fast,
            reference,
            "reports differ for {:?} under {:?}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(300)]),
            options.profile
        );
        first.get_or_insert(fast);
    }
    first.unwrap()
}

/// The member order and values of a tree, as compact JSON text (the `Map`
/// equality of serde_json ignores member order).
fn text_of(map: &Map<String, Value>) -> String {
    serde_json::to_string(map).unwrap()
}

/// How the fast parser and the reader agree on `bytes` at depth limit `depth`.
#[derive(Debug, PartialEq, Eq)]
enum Agreement {
    /// Both built the same tree.
    SameTree,
    /// Both refused the input.
    BothRefused,
    /// The fast parser left the input to the reader, which took it.
    LeftToReader,
}

fn agreement(bytes: &[u8], depth: usize) -> Agreement {
    match (tree::parse(bytes, depth), parse_object(bytes, depth)) {
        (Ok(t), Ok(m)) => {
            assert_eq!(
                text_of(&t.to_map()),
                text_of(&m),
                "trees differ for {:?}",
                String::from_utf8_lossy(bytes)
            );
            assert_eq!(t.to_map(), m);
            Agreement::SameTree
        }
        (Err(_), Err(_)) => Agreement::BothRefused,
        (Ok(_), Err(e)) => panic!(
            "fast parser took what the reader refuses ({e}): {:?}",
            String::from_utf8_lossy(bytes)
        ),
        (Err(_), Ok(_)) => Agreement::LeftToReader,
    }
}

/// Same trees or both refused, at the default depth and at a small one.
fn same_trees(bytes: &[u8]) {
    for depth in [64, 3] {
        let a = agreement(bytes, depth);
        assert_ne!(
            a,
            Agreement::LeftToReader,
            "fast parser refused JSON the reader takes: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
}

fn check(bytes: &[u8]) {
    same_trees(bytes);
    same_reports(bytes);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn vectors_dir() -> PathBuf {
    match std::env::var_os("VCON_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_vector_file_same_report_both_ways() {
    let dir = vectors_dir();
    if !dir.is_dir() {
        eprintln!(
            "../shared/vectors not found: fast-path vector comparison skipped (looked in {}; set VCON_VECTORS_DIR)",
            dir.display()
        );
        return;
    }
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    assert!(!files.is_empty(), "no file under {}", dir.display());
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        if bytes.len() > 4 * 1024 * 1024 {
            eprintln!("skipped (over 4 MiB): {}", path.display());
            continue;
        }
        check(&bytes);
        same_reports(&gzip(&bytes));
        // Truncations and single-byte edits at a few places.
        let n = bytes.len();
        for cut in [n / 7, n / 3, n / 2, n.saturating_sub(1)] {
            check(&bytes[..cut]);
            for byte in [b'"', b'\\', b'}', b'0', 0x01, 0xff] {
                let mut edited = bytes.clone();
                if let Some(b) = edited.get_mut(cut) {
                    *b = byte;
                }
                check(&edited);
            }
        }
        eprintln!("same report both ways: {}", path.display());
    }
    eprintln!("{} vector files compared", files.len());
}

#[test]
fn json_grammar_edge_cases() {
    let taken: &[&str] = &[
        r#"{"parties":[]}"#,
        " \t\r\n{\"parties\" : [ ] } \n",
        r#"{"parties":[],"n":[0,-0,1,-1,1.0,-1.5e3,1E+2,2e-2,18446744073709551615,18446744073709551616,-9223372036854775808,-9223372036854775809,12345678901234567890123,1e308,5e-324,0.1,123456789.123456789e-5]}"#,
        r#"{"parties":[],"s":["", "\"", "\\", "\/", "\b\f\n\r\t", "\u00e9\u00E9", "\ud83d\ude00", "\u0000", "é😀", "a\u0041b"]}"#,
        r#"{"parties":[],"t":true,"f":false,"z":null,"e":{},"a":[[],[{}],[[[]]]]}"#,
        r#"{"parties":[{"name":"x"}],"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18}"#,
        r#"{"parties":[],"long":"0123456789012345678901234567890123456789\"0123456789012345678901234567890123456789\\n"}"#,
        r#"{"dialog":[{"type":"text","body":"line\nbreak","encoding":"none","mediatype":"text/plain"}]}"#,
        r#"{"uuid":"x"}"#,
        r#"{"payload":"e30","signatures":[]}"#,
        r#"{"ciphertext":"x","recipients":[]}"#,
        "{\"parties\":[],\"\\u0061\":1}",
    ];
    for text in taken {
        check(text.as_bytes());
        assert_eq!(
            agreement(text.as_bytes(), 64),
            Agreement::SameTree,
            "{text}"
        );
    }
    let refused: &[&[u8]] = &[
        b"",
        b"   ",
        b"\xef\xbb\xbf{\"parties\":[]}",
        b"[1,2]",
        b"\"x\"",
        b"{\"parties\":[]} x",
        b"{\"parties\":[],}",
        b"{\"parties\":[1,]}",
        b"{\"parties\":[01]}",
        b"{\"parties\":[1.]}",
        b"{\"parties\":[.5]}",
        b"{\"parties\":[-]}",
        b"{\"parties\":[1e]}",
        b"{\"parties\":[+1]}",
        b"{\"parties\":[1e400]}",
        b"{\"parties\":[-1e400]}",
        b"{\"parties\":[NaN]}",
        b"{\"parties\":[tru]}",
        b"{\"parties\":[nulls]}",
        b"{\"a\":1,\"a\":2,\"parties\":[]}",
        b"{\"parties\":[],\"x\":{\"k\":1,\"\\u006b\":2}}",
        b"{\"parties\":[],\"s\":\"\\ud83d\"}",
        b"{\"parties\":[],\"s\":\"\\ude00\"}",
        b"{\"parties\":[],\"s\":\"\\ud83d\\u0041\"}",
        b"{\"parties\":[],\"s\":\"\\x\"}",
        b"{\"parties\":[],\"s\":\"\\u12\"}",
        b"{\"parties\":[],\"s\":\"tab\there\"}",
        b"{\"parties\":[],\"s\":\"\xff\"}",
        b"{\"parties\":[],\"s\":\"\xc3\"}",
        b"{\"parties\":[],\"s\":\"unterminated}",
        b"{\"parties\":[] ",
        b"{'parties':[]}",
        b"{\"parties\"[]}",
        b"{\"parties\":[]}\x00",
        b"{\"parties\":[]}\x0c",
    ];
    for bytes in refused {
        check(bytes);
        assert_eq!(
            agreement(bytes, 64),
            Agreement::BothRefused,
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    // Many members: the repeated-name check switches to sorting past 16.
    let mut many = String::from("{\"parties\":[]");
    for i in 0..40 {
        many.push_str(&format!(",\"m{i}\":{i}"));
    }
    let dup = format!("{many},\"m17\":0}}");
    many.push('}');
    check(many.as_bytes());
    check(dup.as_bytes());
    assert_eq!(agreement(dup.as_bytes(), 64), Agreement::BothRefused);
}

#[test]
fn depth_limits_agree() {
    for depth in [1usize, 2, 3, 63, 64, 65, 126, 127, 128, 200] {
        for nest in [depth.saturating_sub(1), depth, depth + 1] {
            let arrays = format!("{{\"parties\":{}{}}}", "[".repeat(nest), "]".repeat(nest));
            let objects = format!(
                "{{\"parties\":[]{}{}}}",
                ",\"a\":{".repeat(nest),
                "}".repeat(nest)
            );
            for text in [&arrays, &objects] {
                let a = agreement(text.as_bytes(), depth);
                assert_ne!(a, Agreement::LeftToReader, "depth {depth}, nest {nest}");
                let options = Options {
                    limits: ReadLimits {
                        max_depth: depth,
                        ..ReadLimits::default()
                    },
                    ..Options::default()
                };
                assert_eq!(
                    validate_bytes(text.as_bytes(), &options),
                    validate_bytes_with_reader(text.as_bytes(), &options)
                );
            }
        }
    }
}

/// A byte-level edit of a JSON text.
#[derive(Debug, Clone)]
enum Edit {
    Replace(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Delete(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop::sample::select(b"{}[]\",:\\0-+.eE1u \n\t\x00\x1f\x7f\xc3\xa9\xffnt".to_vec());
    prop_oneof![
        (any::<prop::sample::Index>(), byte.clone()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<prop::sample::Index>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<prop::sample::Index>().prop_map(Edit::Delete),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        if bytes.is_empty() {
            break;
        }
        match e {
            Edit::Replace(i, b) => {
                let at = i.index(bytes.len());
                bytes[at] = *b;
            }
            Edit::Insert(i, b) => {
                let at = i.index(bytes.len() + 1);
                bytes.insert(at, *b);
            }
            Edit::Delete(i) => {
                let at = i.index(bytes.len());
                bytes.remove(at);
            }
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn valid_vcons_same_report(v in support::r#gen::valid_vcon()) {
        let bytes = v.to_vec().unwrap();
        check(&bytes);
        let report = same_reports(&bytes);
        prop_assert!(report.is_valid(), "{:?}", report.findings);
    }

    #[test]
    fn random_vcons_same_report(object in support::any::any_vcon_object(), pretty in any::<bool>()) {
        let bytes = if pretty {
            serde_json::to_vec_pretty(&object).unwrap()
        } else {
            serde_json::to_vec(&object).unwrap()
        };
        check(&bytes);
    }

    #[test]
    fn mutated_vcons_same_report(
        object in support::any::any_vcon_object(),
        edits in proptest::collection::vec(edit(), 1..4),
    ) {
        let bytes = apply(serde_json::to_vec(&object).unwrap(), &edits);
        for depth in [64, 3] {
            agreement(&bytes, depth);
        }
        same_reports(&bytes);
    }

    #[test]
    fn mutated_valid_vcons_same_report(
        v in support::r#gen::valid_vcon(),
        edits in proptest::collection::vec(edit(), 1..3),
    ) {
        let bytes = apply(v.to_vec().unwrap(), &edits);
        agreement(&bytes, 64);
        same_reports(&bytes);
    }

    #[test]
    fn any_json_values_same_tree(value in support::any::any_json()) {
        let object = Value::Object(
            [("parties".to_owned(), Value::Array(vec![])), ("x".to_owned(), value)]
                .into_iter()
                .collect(),
        );
        let bytes = serde_json::to_vec(&object).unwrap();
        check(&bytes);
    }
}
