//! Integration tests of ids, tags and the builder: UUIDv8 layout and
//! ordering, tag interchange with the Python vcon-lib shape, and vCons built
//! here validating strictly and surviving a JSON round trip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Map, Value, json};
use uuid::{Uuid, Variant};
use vcon_core::id::{self, IdGenerator};
use vcon_core::tags::{self, TagsAnchor};

// ---------------------------------------------------------------- ids

#[test]
fn generated_ids_are_v8_rfc_variant_with_the_domain_suffix() {
    let ids = IdGenerator::new("strolid.com");
    let id = ids.generate();
    assert_eq!(id.get_version_num(), 8);
    assert_eq!(id.get_variant(), Variant::RFC4122);
    // SHA-1("strolid.com") = 9dd8dd37220d739c..., as in a vcon-js/vcon-lib uuid
    assert!(id.to_string().ends_with("-9dd8-dd37220d739c"), "{id}");
    assert!(id::is_from_domain(&id, "strolid.com"));
    assert!(ids.owns(&id));
}

#[test]
fn ten_thousand_ids_in_a_tight_loop_strictly_increase() {
    let ids = IdGenerator::new("example.com");
    let all: Vec<Uuid> = (0..10_000).map(|_| ids.generate()).collect();
    for pair in all.windows(2) {
        assert!(pair[0] < pair[1], "{} !< {}", pair[0], pair[1]);
        // the text form sorts the same way (lower-case hex, fixed width)
        assert!(pair[0].to_string() < pair[1].to_string());
    }
    let first = id::unix_ms(&all[0]).unwrap();
    let last = id::unix_ms(&all[9_999]).unwrap();
    assert!(last >= first);
}

#[test]
fn the_published_strolid_uuid_decodes() {
    let id: Uuid = "0196585c-22c9-8909-9dd8-dd37220d739c".parse().unwrap();
    assert!(id::is_from_domain(&id, "strolid.com"));
    let t = id::timestamp(&id).unwrap();
    assert_eq!(t.to_rfc3339(), "2025-04-21T12:39:15.401564697+00:00");
    assert_eq!(
        id::uuid8_from_parts(0x0196_585c_22c9, 0x909, id::domain_bits("strolid.com")),
        id
    );
}

// ---------------------------------------------------------------- tags

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// What vcon-lib 0.9.2 produces for
/// `v = Vcon.build_new(); v.add_tag("category", "support"); v.add_tag("priority", "high")`
/// (written from reading its `build_new` and `add_tag`; uuid and time are examples).
fn vcon_lib_output() -> Value {
    json!({
        "vcon": "0.4.0",
        "uuid": "0196585c-22c9-8909-9dd8-dd37220d739c",
        "parties": [],
        "dialog": [],
        "attachments": [
            {"purpose": "tags", "body": ["category:support", "priority:high"], "encoding": "json"}
        ],
        "analysis": [],
        "created_at": "2025-04-21T12:39:15.401564+00:00"
    })
}

#[test]
fn reads_tags_written_by_vcon_lib() {
    let v = object(vcon_lib_output());
    assert_eq!(
        tags::get_tag(&v, "category").unwrap().as_deref(),
        Some("support")
    );
    assert_eq!(
        tags::get_tag(&v, "priority").unwrap().as_deref(),
        Some("high")
    );
    assert_eq!(tags::get_tag(&v, "missing").unwrap(), None);
}

#[test]
fn reads_legacy_type_and_string_body_shapes() {
    // vcon-lib <= 0.6 used `type`; some writers stored the list as a JSON string.
    let v = object(json!({"attachments": [
        {"type": "tags", "body": "[\"category:1\"]"}
    ]}));
    assert_eq!(tags::get_tag(&v, "category").unwrap().as_deref(), Some("1"));
}

#[test]
fn tags_written_here_keep_the_shape_vcon_lib_reads() {
    let mut v = object(json!({
        "uuid": "0196585c-22c9-8909-9dd8-dd37220d739c",
        "created_at": "2025-04-21T19:26:09Z",
        "parties": [{"name": "Alice", "validation": "none"}],
        "dialog": [{"type": "text", "start": "2025-04-21T19:26:09Z", "parties": [0],
                    "mediatype": "text/plain", "encoding": "none", "body": "hi"}]
    }));
    let anchor = TagsAnchor::for_vcon(&v);
    tags::add_tag(&mut v, "category", "support", &anchor).unwrap();
    tags::set_tag(&mut v, "priority", "high", &anchor).unwrap();
    let att = &v["attachments"][0];
    // vcon-lib's `find_attachment_by_purpose("tags")`, then `body` as a list
    // of "name:value" strings with encoding json:
    assert_eq!(att["purpose"], "tags");
    assert_eq!(att["encoding"], "json");
    assert_eq!(att["body"], json!(["category:support", "priority:high"]));
    // and what core-03 requires of an attachment:
    assert_eq!(att["start"], "2025-04-21T19:26:09Z");
    assert_eq!(att["party"], 0);
    assert_eq!(att["dialog"], 0);
}

#[test]
fn appending_to_a_vcon_lib_tags_attachment_keeps_its_members() {
    let mut v = object(vcon_lib_output());
    tags::set_tag(&mut v, "priority", "low", &TagsAnchor::default()).unwrap();
    assert_eq!(
        v["attachments"],
        json!([{"purpose": "tags", "body": ["category:support", "priority:low"], "encoding": "json"}])
    );
}
