//! Unit tests of the tags module (JSON map and typed model).
use super::*;
use serde_json::json;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

#[test]
fn reads_every_vcon_lib_shape() {
    let shapes = [
        // vcon-lib <= 0.6 (attachment `type`)
        json!({"type": "tags", "body": ["a:1", "b:x:y"], "encoding": "json"}),
        // vcon-lib 0.7 .. 0.9.2 and 0.10+
        json!({"purpose": "tags", "body": ["a:1", "b:x:y"], "encoding": "json"}),
        // pre-0.10 / vcon-server: body is a JSON string
        json!({"purpose": "tags", "body": "[\"a:1\",\"b:x:y\"]", "encoding": "json",
               "mediatype": "application/json", "start": "2025-01-01T00:00:00Z",
               "party": 0, "dialog": 0}),
        // vcon-server production data: string body, no encoding at all
        json!({"type": "tags", "body": "[\"a:1\", \"b:x:y\"]"}),
        // legacy encoding none with a list body
        json!({"type": "tags", "body": ["a:1", "b:x:y"], "encoding": "none"}),
    ];
    for shape in shapes {
        let v = obj(
            json!({"attachments": [{"purpose": "other", "body": "x", "encoding": "none"}, shape]}),
        );
        assert_eq!(get_tag(&v, "a").unwrap().as_deref(), Some("1"));
        assert_eq!(get_tag(&v, "b").unwrap().as_deref(), Some("x:y"));
        assert_eq!(get_tag(&v, "c").unwrap(), None);
        assert_eq!(tags(&v).unwrap().len(), 2);
    }
}

#[test]
fn first_tags_attachment_and_first_entry_win() {
    let v = obj(json!({"attachments": [
        {"purpose": "tags", "body": ["k:first", "k:second", "plain", 7], "encoding": "json"},
        {"purpose": "tags", "body": ["k:other"], "encoding": "json"}
    ]}));
    assert_eq!(get_tag(&v, "k").unwrap().as_deref(), Some("first"));
    assert_eq!(tag_entries(&v).unwrap(), ["k:first", "k:second", "plain"]);
    // prefix of another name does not match
    assert_eq!(get_tag(&v, "").unwrap(), None);
}

#[test]
fn no_attachments_means_no_tags() {
    assert!(tags(&Map::new()).unwrap().is_empty());
    assert!(tags(&obj(json!({"attachments": null}))).unwrap().is_empty());
}

#[test]
fn malformed_input_is_reported_with_pointer() {
    let v = obj(json!({"attachments": {"purpose": "tags"}}));
    assert_eq!(
        get_tag(&v, "a").unwrap_err(),
        TagError::NotAnArray {
            pointer: "/attachments".into(),
            found: "an object"
        }
    );
    let v = obj(json!({"attachments": [3]}));
    assert!(
        matches!(get_tag(&v, "a"), Err(TagError::NotAnObject { pointer, .. }) if pointer == "/attachments/0")
    );
    let v = obj(json!({"attachments": [{"purpose": "tags", "body": {"a": "1"}}]}));
    let err = get_tag(&v, "a").unwrap_err();
    assert!(err.to_string().starts_with("/attachments/0/body:"), "{err}");
    let v = obj(json!({"attachments": [{"purpose": "tags", "body": "a:1", "encoding": "json"}]}));
    assert!(matches!(get_tag(&v, "a"), Err(TagError::BadBody { .. })));
}

#[test]
fn writes_new_attachment_with_anchor() {
    let mut v = obj(json!({"created_at": "2025-01-01T00:00:00Z", "parties": [{}], "dialog": [{}]}));
    let anchor = TagsAnchor::for_vcon(&v);
    add_tag(&mut v, "category", "support", &anchor).unwrap();
    add_tag(&mut v, "priority", "high", &anchor).unwrap();
    assert_eq!(
        v["attachments"],
        json!([{"purpose": "tags", "start": "2025-01-01T00:00:00Z", "party": 0, "dialog": 0,
                "mediatype": "application/json", "encoding": "json",
                "body": ["category:support", "priority:high"]}])
    );
}

#[test]
fn add_keeps_duplicates_like_vcon_lib_but_set_replaces() {
    let mut v = Map::new();
    let anchor = TagsAnchor::default();
    add_tag(&mut v, "k", "1", &anchor).unwrap();
    add_tag(&mut v, "k", "2", &anchor).unwrap();
    assert_eq!(get_tag(&v, "k").unwrap().as_deref(), Some("1"));
    add_tag(&mut v, "z", "0", &anchor).unwrap();
    set_tag(&mut v, "k", "3", &anchor).unwrap();
    assert_eq!(tag_entries(&v).unwrap(), ["k:3", "z:0"]);
}

#[test]
fn existing_legacy_attachment_is_normalised_in_place() {
    let mut v = obj(json!({"attachments": [
        {"type": "tags", "body": "[\"a:1\"]", "encoding": "none", "party": 2}
    ]}));
    set_tag(&mut v, "b", "2", &TagsAnchor::default()).unwrap();
    assert_eq!(
        v["attachments"][0],
        json!({"type": "tags", "body": ["a:1", "b:2"], "encoding": "json", "party": 2, "purpose": "tags"})
    );
}

#[test]
fn remove_tag_removes_all_entries_of_the_name() {
    let mut v = obj(
        json!({"attachments": [{"purpose": "tags", "body": ["a:1", "ab:2", "a:3"], "encoding": "json"}]}),
    );
    assert!(remove_tag(&mut v, "a").unwrap());
    assert!(!remove_tag(&mut v, "a").unwrap());
    assert_eq!(tag_entries(&v).unwrap(), ["ab:2"]);
    assert!(!remove_tag(&mut Map::new(), "a").unwrap());
}

#[test]
fn bad_names_are_refused() {
    let mut v = Map::new();
    let a = TagsAnchor::default();
    assert_eq!(add_tag(&mut v, "", "x", &a), Err(TagError::EmptyName));
    assert!(matches!(
        set_tag(&mut v, "a:b", "x", &a),
        Err(TagError::NameContainsColon { .. })
    ));
    assert!(v.is_empty(), "nothing written on error");
}

#[test]
fn values_may_be_empty_or_hold_colons() {
    let mut v = Map::new();
    set_tag(&mut v, "empty", "", &TagsAnchor::default()).unwrap();
    set_tag(&mut v, "t", "12:30:00", &TagsAnchor::default()).unwrap();
    assert_eq!(get_tag(&v, "empty").unwrap().as_deref(), Some(""));
    assert_eq!(get_tag(&v, "t").unwrap().as_deref(), Some("12:30:00"));
}

// ------------------------------------------------------------ typed model

use crate::model::{Attachment, Encoding, Vcon};

fn model(v: Value) -> Vcon {
    Vcon::from_object(obj(v)).unwrap()
}

#[test]
fn typed_reads_the_same_shapes() {
    for body in [json!(["a:1", "b:x:y"]), json!("[\"a:1\",\"b:x:y\"]")] {
        for key in ["purpose", "type"] {
            let v = model(json!({"attachments": [
                {"purpose": "other", "body": "x", "encoding": "none"},
                {key: "tags", "body": body.clone(), "encoding": "json"}
            ]}));
            assert_eq!(v.get_tag("a").unwrap().as_deref(), Some("1"));
            assert_eq!(v.get_tag("b").unwrap().as_deref(), Some("x:y"));
            assert_eq!(v.get_tag("c").unwrap(), None);
        }
    }
    let bad = model(json!({"attachments": [{"purpose": "tags", "body": 5}]}));
    assert!(
        matches!(bad.get_tag("a"), Err(TagError::BadBody { pointer, .. }) if pointer == "/attachments/0/body")
    );
}

#[test]
fn typed_and_json_writes_agree() {
    let base = json!({"uuid": "0196585c-22c9-8909-9dd8-dd37220d739c",
                      "created_at": "2025-01-01T00:00:00Z", "parties": [{}], "dialog": [{}]});
    let mut typed = model(base.clone());
    let anchor = TagsAnchor::for_model(&typed);
    typed.set_tag("k", "v", &anchor).unwrap();
    typed.add_tag("k", "w", &anchor).unwrap();
    let mut map = obj(base);
    assert_eq!(TagsAnchor::for_vcon(&map), anchor);
    set_tag(&mut map, "k", "v", &anchor).unwrap();
    add_tag(&mut map, "k", "w", &anchor).unwrap();
    assert_eq!(typed.to_value(), Value::Object(map));
    assert!(typed.remove_tag("k").unwrap());
    assert_eq!(typed.tag_entries().unwrap(), Vec::<String>::new());
}

#[test]
fn typed_normalises_legacy_attachment_and_drops_null_leftovers() {
    let mut v = model(json!({"attachments": [
        {"type": "tags", "body": null, "encoding": null, "party": 1}
    ]}));
    v.set_tag("a", "1", &TagsAnchor::default()).unwrap();
    assert_eq!(
        v.to_value()["attachments"][0],
        json!({"type": "tags", "party": 1, "purpose": "tags", "encoding": "json", "body": ["a:1"]})
    );
    let att: &Attachment = &v.attachments()[0];
    assert_eq!(att.encoding, Some(Encoding::Json));
}
