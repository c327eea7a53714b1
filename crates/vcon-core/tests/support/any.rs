//! proptest generator of structurally well-typed vCon JSON objects
//! ([`any_vcon_object`]): every known member has the JSON type the model
//! expects, values are arbitrary, with random extra members and `null`s at
//! random positions. For round-trip tests.

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Map, Value};

/// A JSON scalar: null, boolean, integer, finite float or short string.
pub fn json_leaf() -> impl Strategy<Value = Value> + Clone {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1.0e9f64..1.0e9).prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::from),
    ]
}

/// Any JSON value, nested at most three levels.
pub fn any_json() -> impl Strategy<Value = Value> + Clone {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec(("[a-z_]{1,6}", inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Known members of one object type, each with a strategy of well-typed values.
pub type Members = Vec<(&'static str, BoxedStrategy<Value>)>;

/// An object with a random subset of `known` (a few of them `null`) plus
/// 0 to 2 extra members, all in random order.
pub fn object(known: Members) -> BoxedStrategy<Map<String, Value>> {
    let picks: Vec<BoxedStrategy<Option<(String, Value)>>> = known
        .into_iter()
        .map(|(key, values)| {
            proptest::option::of(prop_oneof![9 => values, 1 => Just(Value::Null)])
                .prop_map(move |v| v.map(|v| (key.to_owned(), v)))
                .boxed()
        })
        .collect();
    let extras = vec(("x_[a-z]{1,6}|meta|mimetype|role", any_json()), 0..3);
    (picks, extras)
        .prop_map(|(picked, extras)| {
            let mut all: Vec<(String, Value)> = picked.into_iter().flatten().collect();
            all.extend(extras);
            all
        })
        .prop_shuffle()
        .prop_map(|all| {
            let mut map = Map::new();
            for (k, v) in all {
                map.entry(k).or_insert(v);
            }
            map
        })
        .boxed()
}

fn text() -> BoxedStrategy<Value> {
    "\\PC{0,12}".prop_map(Value::from).boxed()
}

fn index() -> BoxedStrategy<Value> {
    (0u64..6).prop_map(Value::from).boxed()
}

fn indices() -> BoxedStrategy<Value> {
    vec(0u64..6, 0..4).prop_map(Value::from).boxed()
}

fn index_or_list() -> BoxedStrategy<Value> {
    prop_oneof![index(), indices()].boxed()
}

fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<u32>().prop_map(Value::from),
        (0.0f64..1.0e7).prop_map(Value::from)
    ]
    .boxed()
}

fn one_of_or_text(values: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![
        proptest::sample::select(values).prop_map(Value::from),
        "[a-z-]{1,8}".prop_map(Value::from)
    ]
    .boxed()
}

fn strings() -> BoxedStrategy<Value> {
    vec("[a-zA-Z_-]{1,10}", 0..3).prop_map(Value::from).boxed()
}

fn dialog_parties() -> BoxedStrategy<Value> {
    let channel = prop_oneof![1 => Just(Value::Null), 3 => index_or_list()];
    prop_oneof![
        index(),
        indices(),
        vec(channel, 1..4).prop_map(Value::Array)
    ]
    .boxed()
}

fn content_hash() -> BoxedStrategy<Value> {
    let token = "[a-z0-9]{3,6}-[A-Za-z0-9_-]{4,20}";
    prop_oneof![
        token.prop_map(Value::from),
        vec(token, 0..3).prop_map(Value::from)
    ]
    .boxed()
}

fn as_value(objects: BoxedStrategy<Map<String, Value>>) -> BoxedStrategy<Value> {
    objects.prop_map(Value::Object).boxed()
}

fn session_id_object() -> BoxedStrategy<Value> {
    as_value(object(vec![("local", text()), ("remote", text())]))
}

fn session_id() -> BoxedStrategy<Value> {
    let slot = prop_oneof![
        session_id_object(),
        vec(session_id_object(), 0..3).prop_map(Value::Array)
    ];
    prop_oneof![
        session_id_object(),
        vec(slot, 0..3).prop_map(Value::Array),
        text()
    ]
    .boxed()
}

fn content_members() -> Members {
    vec![
        ("body", any_json().boxed()),
        ("encoding", one_of_or_text(&["base64url", "json", "none"])),
        ("url", text()),
        ("content_hash", content_hash()),
        ("mediatype", text()),
        ("filename", text()),
    ]
}

/// A well-typed Party object.
pub fn party() -> BoxedStrategy<Map<String, Value>> {
    let civic = as_value(object(
        ["country", "a1", "a3", "a6", "hno", "pc", "loc"]
            .map(|k| (k, text()))
            .to_vec(),
    ));
    let mut m: Members = [
        "tel",
        "sip",
        "stir",
        "mailto",
        "name",
        "did",
        "validation",
        "gmlpos",
        "uuid",
        "type",
        "org",
        "dept",
    ]
    .map(|k| (k, text()))
    .to_vec();
    m.push(("civicaddress", civic));
    object(m)
}

/// A well-typed Dialog object.
pub fn dialog() -> BoxedStrategy<Map<String, Value>> {
    let history = as_value(object(vec![
        ("party", index()),
        ("time", text()),
        (
            "event",
            one_of_or_text(&["join", "drop", "hold", "keydown"]),
        ),
        ("button", text()),
    ]));
    let mut m: Members = vec![
        (
            "type",
            one_of_or_text(&[
                "recording",
                "recording-set",
                "text",
                "transfer",
                "incomplete",
            ]),
        ),
        ("start", text()),
        ("duration", number()),
        ("parties", dialog_parties()),
        ("originator", index()),
        (
            "disposition",
            one_of_or_text(&["no-answer", "busy", "hung-up"]),
        ),
        ("session_id", session_id()),
        (
            "party_history",
            vec(history, 0..3).prop_map(Value::Array).boxed(),
        ),
        ("transferee", index()),
        ("transferor", index()),
        ("transfer_target", index_or_list()),
        ("original", index_or_list()),
        ("consultation", index_or_list()),
        ("target_dialog", index_or_list()),
        ("recordings", indices()),
        ("recording_set", index()),
        ("application", text()),
        ("message_id", text()),
    ];
    m.extend(content_members());
    object(m)
}

/// A well-typed Analysis object.
pub fn analysis() -> BoxedStrategy<Map<String, Value>> {
    let mut m: Members = vec![
        (
            "type",
            one_of_or_text(&["transcript", "summary", "wtf_transcription"]),
        ),
        ("dialog", index_or_list()),
        ("attachment", index_or_list()),
        ("vendor", text()),
        ("product", text()),
        ("schema", text()),
    ];
    m.extend(content_members());
    object(m)
}

/// A well-typed Attachment object.
pub fn attachment() -> BoxedStrategy<Map<String, Value>> {
    let mut m: Members = vec![
        ("type", text()),
        ("purpose", text()),
        ("start", text()),
        ("party", index()),
        ("dialog", index()),
    ];
    m.extend(content_members());
    object(m)
}

fn reference(with_type: bool) -> BoxedStrategy<Value> {
    let mut m: Members = vec![
        ("uuid", text()),
        ("url", text()),
        ("content_hash", content_hash()),
    ];
    if with_type {
        m.push(("type", text()));
    }
    as_value(object(m))
}

fn array_of(objects: BoxedStrategy<Map<String, Value>>) -> BoxedStrategy<Value> {
    vec(objects.prop_map(Value::Object), 0..4)
        .prop_map(Value::Array)
        .boxed()
}

/// A structurally well-typed unsigned vCon object: every known member at
/// every level has the JSON type the model expects; values, extra members,
/// `null`s and member order are random. Always has `parties` (possibly
/// `null`) so that its form is unsigned.
pub fn any_vcon_object() -> BoxedStrategy<Map<String, Value>> {
    let top = object(vec![
        ("vcon", text()),
        ("uuid", text()),
        ("extensions", strings()),
        ("critical", strings()),
        ("created_at", text()),
        ("updated_at", text()),
        ("subject", text()),
        ("redacted", reference(true)),
        ("amended", reference(false)),
        ("dialog", array_of(dialog())),
        ("analysis", array_of(analysis())),
        ("attachments", array_of(attachment())),
    ]);
    (top, array_of(party()), any::<prop::sample::Index>())
        .prop_map(|(top, parties, at)| {
            // Insert `parties` at a random position.
            let mut all: Vec<(String, Value)> = top.into_iter().collect();
            let pos = at.index(all.len() + 1);
            all.insert(pos, ("parties".to_owned(), parties));
            all.into_iter().collect()
        })
        .boxed()
}
