//! Bounded reader + validator on arbitrary bytes.
//!
//! Properties checked (beyond "no panic, no hang, no OOM"):
//! * `validate_bytes(b)` equals `validate_object(read(b).object)` when `read` succeeds,
//!   and is a single error when it fails;
//! * what `read` accepted re-serialises to bytes that `read` accepts again, giving
//!   the same object (member order included);
//! * the lenient profile never reports more errors than the strict one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vcon_core::read::{ReadLimits, read};
use vcon_core::validate::{Options, Profile, Severity, validate_bytes, validate_object};

fuzz_target!(|data: &[u8]| {
    let strict = Options::default();
    let lenient = Options::with_profile(Profile::Lenient);
    let report = validate_bytes(data, &strict);
    match read(data, &ReadLimits::default()) {
        Ok(doc) => {
            assert_eq!(validate_object(&doc.object, &strict), report);
            let lenient_report = validate_object(&doc.object, &lenient);
            assert!(lenient_report.count(Severity::Error) <= report.count(Severity::Error));
            let again = serde_json::to_vec(&doc.object).expect("a parsed object serialises");
            let doc2 = read(&again, &ReadLimits::default()).expect("re-serialised object reads");
            assert_eq!(doc2.object, doc.object);
        }
        Err(e) => {
            assert_eq!(report.findings.len(), 1);
            assert_eq!(report.findings[0].rule, e.rule());
            assert!(!report.is_valid());
        }
    }
});
