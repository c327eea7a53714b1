//! Legacy migration on arbitrary bytes: read, migrate (also decoding unverified
//! signed payloads), validate the result.
//!
//! Properties checked (beyond "no panic, no hang, no OOM"):
//! * migrating a migrated object again changes nothing (idempotence);
//! * the migrated object serialises and reads back unchanged;
//! * validating the migrated object does not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vcon_core::migrate::{MigrateOptions, SignedPolicy, migrate, migrate_with};
use vcon_core::read::{ReadLimits, read};
use vcon_core::validate::{Options, validate_object};

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = read(data, &ReadLimits::default()) else {
        return;
    };
    let _ = migrate(doc.object.clone());
    let options = MigrateOptions {
        signed: SignedPolicy::MigrateUnverifiedPayload,
        ..MigrateOptions::default()
    };
    let Ok(migrated) = migrate_with(doc.object, &options) else {
        return;
    };
    let _ = validate_object(&migrated.object, &Options::default());
    let bytes = serde_json::to_vec(&migrated.object).expect("migrated object serialises");
    let reread = read(&bytes, &ReadLimits::default()).expect("migrated object reads back");
    assert_eq!(reread.object, migrated.object);
    let again = migrate_with(migrated.object.clone(), &options).expect("migrated object migrates");
    assert!(
        again.is_noop(),
        "second migration changed {:?}",
        again.changes
    );
});
