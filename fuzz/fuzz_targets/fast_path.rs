//! The `validate_bytes` fast path (borrowed tree, `vcon_core::tree`) against
//! the reference path (bounded reader, `serde_json::Value`) on arbitrary bytes.
//!
//! Properties checked (beyond "no panic, no hang, no OOM"):
//! * `validate_bytes(b)` equals `validate_bytes_with_reader(b)` (form, version,
//!   every finding's rule, severity, pointer and message) under the strict and
//!   lenient profiles and under a tight depth limit;
//! * `tree::parse` never accepts what `read::parse_object` refuses, and when both
//!   accept they build the same object, member order included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vcon_core::read::{ReadLimits, parse_object};
use vcon_core::tree;
use vcon_core::validate::{Options, Profile, validate_bytes, validate_bytes_with_reader};

fuzz_target!(|data: &[u8]| {
    let tight = Options {
        limits: ReadLimits {
            max_depth: 4,
            ..ReadLimits::default()
        },
        ..Options::default()
    };
    for options in [
        Options::default(),
        Options::with_profile(Profile::Lenient),
        tight,
    ] {
        assert_eq!(
            validate_bytes(data, &options),
            validate_bytes_with_reader(data, &options)
        );
    }
    for depth in [64, 4] {
        match (tree::parse(data, depth), parse_object(data, depth)) {
            (Ok(t), Ok(m)) => {
                let fast = serde_json::to_string(&t.to_map()).expect("serialises");
                let reference = serde_json::to_string(&m).expect("serialises");
                assert_eq!(fast, reference);
            }
            (Ok(_), Err(e)) => panic!("fast parser took what the reader refuses: {e}"),
            (Err(_), _) => {}
        }
    }
});
