//! What `vcon serve` runs on every posted body before anything is stored,
//! on arbitrary bytes: vcon-core's bounded reader, the conserver's request
//! model (`conserver_rules::check`, the default validation of the
//! conserver routes), its date-time parser (`since`/`until` and
//! `created_at`), and vcon-store's record extraction (uuid, form,
//! `created_at`, search fields, expiry).
//!
//! Properties checked (beyond "no panic, no hang, no OOM"):
//! * building the record from the already-parsed document (the ingest path)
//!   gives the same record as building it from the bytes;
//! * a record's uuid is the one the document names (unsigned form);
//! * when vcon-core's fast parser takes the bytes, the conserver's rules give
//!   the same findings on its borrowed tree as on the reader's object, and
//!   the record built from that tree is the record built from the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vcon_server::conserver_rules;
use vcon_store::{RecordOptions, VconRecord};

fuzz_target!(|data: &[u8]| {
    let options = RecordOptions::default();
    let from_bytes = VconRecord::from_bytes(data.to_vec(), &options);
    if let Ok(doc) = vcon_core::read(data, &options.read_limits) {
        let findings = conserver_rules::check(&doc.object);
        if let Ok(root) = vcon_core::tree::parse(data, options.read_limits.max_depth) {
            assert_eq!(conserver_rules::check(&root), findings, "tree = reader");
            let from_tree = VconRecord::from_tree(data.to_vec(), &root, &options);
            match (&from_bytes, &from_tree) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "from_tree = from_bytes"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                _ => panic!("from_bytes {from_bytes:?} but from_tree {from_tree:?}"),
            }
        }
        if let (Ok(record), Some(vcon_core::Form::Unsigned), Some(serde_json::Value::String(uuid))) =
            (&from_bytes, doc.form, doc.object.get("uuid"))
            && let Ok(u) = uuid::Uuid::parse_str(uuid)
        {
            assert_eq!(record.uuid().as_str(), u.hyphenated().to_string());
        }
        let from_document = VconRecord::from_document(data.to_vec(), doc, &options);
        match (&from_bytes, &from_document) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "from_document = from_bytes"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            _ => panic!("from_bytes {from_bytes:?} but from_document {from_document:?}"),
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = conserver_rules::parse_datetime(text);
    }
});
