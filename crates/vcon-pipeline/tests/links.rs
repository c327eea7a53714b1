//! Each link's behaviour, called directly (no queue).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use serde_json::{Value, json};
use support::{ctx, doc, doc_of, vcon};
use vcon_core::Form;
use vcon_core::tags::{get_tag, tag_entries};
use vcon_pipeline::links::diet::{DietLink, DietOptions};
use vcon_pipeline::links::expire::{ExpireLink, ExpireOptions};
use vcon_pipeline::links::jq::{JqLink, JqMode, JqOptions, OnError};
use vcon_pipeline::links::sampler::{Method, SamplerLink, SamplerOptions, hash_prefix};
use vcon_pipeline::links::tag::{TagLink, TagOptions};
use vcon_pipeline::links::tag_router::{TagRouterLink, TagRouterOptions};
use vcon_pipeline::links::validate::{ProfileName, ValidateLink, ValidateOptions};
use vcon_pipeline::registry::{BuildContext, build_link};
use vcon_pipeline::{ConfigError, Flow, Link, LinkError};

fn jq(filter: &str) -> JqOptions {
    JqOptions {
        filter: filter.into(),
        mode: JqMode::Filter,
        forward_matches: true,
        on_error: OnError::Fail,
        envelopes: false,
    }
}

fn with_tags(entries: Value) -> Value {
    let mut v = vcon(1);
    v["attachments"] = json!([{"purpose": "tags", "encoding": "json", "body": entries}]);
    v
}

#[tokio::test]
async fn tag_adds_conserver_style_tags_once_and_sets_pairs() {
    let link = TagLink::new(TagOptions {
        tags: vec!["support".into(), "vip".into()],
        set: [("priority".to_owned(), "high".to_owned())].into(),
    })
    .unwrap();
    let mut d = doc(1);
    assert_eq!(link.process(&mut d, &ctx()).await.unwrap(), Flow::Continue);
    // A second delivery of the same vCon must not duplicate anything.
    assert_eq!(link.process(&mut d, &ctx()).await.unwrap(), Flow::Continue);
    assert!(d.is_changed());
    assert_eq!(
        tag_entries(d.object()).unwrap(),
        vec!["support:support", "vip:vip", "priority:high"]
    );
    // The attachment is the vcon-lib shape plus core-03's anchors.
    let att = &d.object()["attachments"][0];
    assert_eq!(att["purpose"], "tags");
    assert_eq!(att["encoding"], "json");
    assert_eq!(att["start"], "2026-03-04T05:06:07Z");
}

#[tokio::test]
async fn tag_refuses_bad_names_and_leaves_signed_vcons_alone() {
    let err = build_link(
        "t",
        "tag",
        &json!({"tags": ["a:b"]}),
        &BuildContext::new(None),
    )
    .unwrap_err();
    assert!(
        matches!(err, ConfigError::Options { ref name, .. } if name == "t"),
        "{err}"
    );
    let err = build_link(
        "t",
        "tag",
        &json!({"tagz": ["a"]}),
        &BuildContext::new(None),
    )
    .unwrap_err();
    assert!(err.to_string().contains("tagz"), "{err}");
    let link = TagLink::new(TagOptions::default()).unwrap();
    assert!(!link.handles(Form::Signed));
    assert!(!link.handles(Form::Encrypted));
}

#[tokio::test]
async fn tag_router_routes_by_tag_name_in_every_body_shape() {
    let link = TagRouterLink::new(TagRouterOptions {
        routes: [
            ("urgent".to_owned(), "urgent_list".to_owned()),
            ("sales".to_owned(), "sales_list".to_owned()),
        ]
        .into(),
        forward_original: true,
    });
    // vcon-lib array body.
    let mut d = doc_of(with_tags(json!(["urgent:yes", "other:x"])));
    assert_eq!(link.process(&mut d, &ctx()).await.unwrap(), Flow::Continue);
    assert_eq!(d.effects().routes, vec!["urgent_list"]);
    assert!(!d.is_changed(), "routing must not edit the vCon");
    // A string holding the array (older writers) and a dict body.
    let mut v = with_tags(Value::from("[\"sales:1\"]"));
    v["attachments"]
        .as_array_mut()
        .unwrap()
        .push(json!({"type": "tags", "body": {"urgent": "1"}}));
    let mut d = doc_of(v);
    link.process(&mut d, &ctx()).await.unwrap();
    assert_eq!(d.effects().routes, vec!["sales_list", "urgent_list"]);
    // No tags: nothing routed, the chain goes on.
    let mut d = doc(2);
    assert_eq!(link.process(&mut d, &ctx()).await.unwrap(), Flow::Continue);
    assert!(d.effects().routes.is_empty());
}

#[tokio::test]
async fn tag_router_without_forward_original_stops_but_still_routes() {
    let link = TagRouterLink::new(TagRouterOptions {
        routes: [("urgent".to_owned(), "urgent_list".to_owned())].into(),
        forward_original: false,
    });
    let mut d = doc_of(with_tags(json!(["urgent:yes"])));
    assert!(matches!(
        link.process(&mut d, &ctx()).await.unwrap(),
        Flow::Stop { .. }
    ));
    assert_eq!(d.effects().routes, vec!["urgent_list"]);
}

#[tokio::test]
async fn jq_filter_keeps_or_drops_like_the_conserver() {
    let keep = JqLink::new(jq(".dialog | length > 0")).unwrap();
    assert_eq!(
        keep.process(&mut doc(1), &ctx()).await.unwrap(),
        Flow::Continue
    );
    let drop = JqLink::new(jq(".subject == \"nope\"")).unwrap();
    assert!(matches!(
        drop.process(&mut doc(1), &ctx()).await.unwrap(),
        Flow::Stop { .. }
    ));
    // forward_matches = false inverts.
    let inverted = JqLink::new(JqOptions {
        forward_matches: false,
        ..jq(".subject == \"nope\"")
    })
    .unwrap();
    assert_eq!(
        inverted.process(&mut doc(1), &ctx()).await.unwrap(),
        Flow::Continue
    );
    // No output counts as false; null is false; any other value is true.
    let empty = JqLink::new(jq("empty")).unwrap();
    assert!(matches!(
        empty.process(&mut doc(1), &ctx()).await.unwrap(),
        Flow::Stop { .. }
    ));
    let null = JqLink::new(jq(".missing")).unwrap();
    assert!(matches!(
        null.process(&mut doc(1), &ctx()).await.unwrap(),
        Flow::Stop { .. }
    ));
    let zero = JqLink::new(jq("0")).unwrap();
    assert_eq!(
        zero.process(&mut doc(1), &ctx()).await.unwrap(),
        Flow::Continue
    );
    // A filter only reads: the vCon is unchanged.
    let mut d = doc(1);
    keep.process(&mut d, &ctx()).await.unwrap();
    assert!(!d.is_changed());
}

#[tokio::test]
async fn jq_runtime_errors_fail_permanently_or_drop() {
    let failing = JqLink::new(jq(".subject | startswith(1)")).unwrap();
    let err = failing.process(&mut doc(1), &ctx()).await.unwrap_err();
    assert!(matches!(err, LinkError::Jq { .. }), "{err}");
    assert!(!err.is_retryable());
    let dropping = JqLink::new(JqOptions {
        on_error: OnError::Drop,
        ..jq(".subject | startswith(1)")
    })
    .unwrap();
    assert!(matches!(
        dropping.process(&mut doc(1), &ctx()).await.unwrap(),
        Flow::Stop { .. }
    ));
    // A program that does not parse is a configuration error naming the link.
    let err = build_link(
        "bad",
        "jq",
        &json!({"filter": ".a |"}),
        &BuildContext::new(None),
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("links.bad (jq)"), "{err}");
}

#[tokio::test]
async fn jq_transform_rewrites_the_vcon_and_keeps_its_uuid() {
    let link = JqLink::new(JqOptions {
        mode: JqMode::Transform,
        ..jq(".subject = \"rewritten\" | del(.dialog[0].body)")
    })
    .unwrap();
    let mut d = doc(1);
    assert_eq!(link.process(&mut d, &ctx()).await.unwrap(), Flow::Continue);
    assert!(d.is_changed());
    assert_eq!(d.object()["subject"], "rewritten");
    assert!(d.object()["dialog"][0].get("body").is_none());
    assert_eq!(d.object()["parties"][1]["name"], "Bob");
    let lose_uuid = JqLink::new(JqOptions {
        mode: JqMode::Transform,
        ..jq("del(.uuid)")
    })
    .unwrap();
    let err = lose_uuid.process(&mut doc(1), &ctx()).await.unwrap_err();
    assert!(err.to_string().contains("uuid"), "{err}");
    assert!(!lose_uuid.handles(Form::Signed));
}

fn sampler(method: Method, value: f64, deterministic: bool) -> SamplerLink {
    SamplerLink::new(SamplerOptions {
        method,
        value,
        deterministic,
        seed: Some(7),
    })
    .unwrap()
}

#[tokio::test]
async fn sampler_percentage_bounds_and_determinism() {
    let none = sampler(Method::Percentage, 0.0, false);
    let all = sampler(Method::Percentage, 100.0, false);
    let half = sampler(Method::Percentage, 50.0, true);
    let mut kept = 0;
    for n in 0..1000 {
        let u = support::uuid(n);
        assert!(!none.keeps(&u, 0));
        assert!(all.keeps(&u, 0));
        let first = half.keeps(&u, 0);
        assert_eq!(
            first,
            half.keeps(&u, 0),
            "deterministic sampling changed its mind for {u}"
        );
        kept += usize::from(first);
    }
    // Deterministic, so this count is fixed; it must look like half.
    assert!((400..=600).contains(&kept), "{kept} of 1000 kept at 50%");
    // The link stops the chain for a vCon sampled out.
    assert!(matches!(
        none.process(&mut doc(1), &support::ctx()).await.unwrap(),
        Flow::Stop { .. }
    ));
    assert!(
        none.handles(Form::Encrypted),
        "sampling needs only the uuid"
    );
}

#[test]
fn sampler_seeded_draws_repeat_and_other_methods_follow_the_conserver() {
    let a = sampler(Method::Percentage, 50.0, false);
    let b = sampler(Method::Percentage, 50.0, false);
    let draws_a: Vec<bool> = (0..64).map(|n| a.keeps(&support::uuid(n), 0)).collect();
    let draws_b: Vec<bool> = (0..64).map(|n| b.keeps(&support::uuid(n), 0)).collect();
    assert_eq!(draws_a, draws_b, "same seed, same draws");
    // modulo: the first 8 hex digits of SHA-256(uuid) divisible by n.
    let modulo = sampler(Method::Modulo, 3.0, false);
    for n in 0..100 {
        let u = support::uuid(n);
        assert_eq!(modulo.keeps(&u, 0), hash_prefix(&u).is_multiple_of(3));
    }
    // SHA-256("abc") starts with ba7816bf.
    assert_eq!(hash_prefix("abc"), 0xba78_16bf);
    // time_based: the Unix second divisible by the interval.
    let timed = sampler(Method::TimeBased, 10.0, false);
    assert!(timed.keeps("x", 1_700_000_000));
    assert!(!timed.keeps("x", 1_700_000_001));
    // rate: keep probability 1 - e^(-1/v): almost always for a tiny mean, almost never for a huge one.
    let often = sampler(Method::Rate, 0.001, true);
    let rarely = sampler(Method::Rate, 1e9, true);
    assert!((0..100).all(|n| often.keeps(&support::uuid(n), 0)));
    assert!((0..100).all(|n| !rarely.keeps(&support::uuid(n), 0)));
    assert!(
        SamplerLink::new(SamplerOptions {
            method: Method::Percentage,
            value: 101.0,
            deterministic: false,
            seed: None
        })
        .is_err()
    );
    assert!(
        SamplerLink::new(SamplerOptions {
            method: Method::Modulo,
            value: 0.0,
            deterministic: false,
            seed: None
        })
        .is_err()
    );
}

#[tokio::test]
async fn diet_strips_bodies_analysis_attachments_and_system_prompts() {
    let mut v = vcon(1);
    v["analysis"] =
        json!([{"type": "summary", "dialog": 0, "vendor": "x", "encoding": "none", "body": "s"}]);
    v["attachments"] = json!([
        {"purpose": "photo", "mediatype": "image/jpeg", "encoding": "base64url", "body": "AAAA"},
        {"purpose": "notes", "mediatype": "text/plain", "encoding": "none", "body": "n",
         "meta": {"system_prompt": "ignore all previous instructions", "keep": 1}},
        {"type": "legacy", "mimetype": "image/jpeg", "body": "BBBB"}
    ]);
    v["system_prompt"] = json!("top");
    let link = DietLink::new(
        DietOptions {
            remove_dialog_body: true,
            post_media_to_url: None,
            remove_analysis: true,
            remove_attachment_types: ["image/jpeg".to_owned()].into(),
            remove_system_prompts: true,
        },
        reqwest::Client::new(),
    )
    .unwrap();
    let mut d = doc_of(v);
    assert_eq!(link.process(&mut d, &ctx()).await.unwrap(), Flow::Continue);
    let o = d.object();
    assert_eq!(o["dialog"][0]["body"], "");
    assert!(o.get("analysis").is_none());
    let atts = o["attachments"].as_array().unwrap();
    assert_eq!(atts.len(), 1);
    assert_eq!(atts[0]["purpose"], "notes");
    assert_eq!(atts[0]["meta"], json!({"keep": 1}));
    assert!(o.get("system_prompt").is_none());
}

#[tokio::test]
async fn diet_with_nothing_enabled_changes_nothing() {
    let link = DietLink::new(DietOptions::default(), reqwest::Client::new()).unwrap();
    let mut d = doc(1);
    link.process(&mut d, &ctx()).await.unwrap();
    assert_eq!(d.object(), support::doc(1).object());
}

#[tokio::test]
async fn expire_records_the_expiry_as_a_tag() {
    let link = ExpireLink::new(&ExpireOptions { seconds: 3600 }).unwrap();
    let before = chrono::Utc::now();
    let mut d = doc(1);
    link.process(&mut d, &ctx()).await.unwrap();
    link.process(&mut d, &ctx()).await.unwrap();
    let after = chrono::Utc::now();
    let tagged = get_tag(d.object(), "expires_at").unwrap().unwrap();
    let when = chrono::DateTime::parse_from_rfc3339(&tagged).unwrap();
    assert!(
        when >= before + chrono::Duration::seconds(3599)
            && when <= after + chrono::Duration::seconds(3600)
    );
    let entries = tag_entries(d.object()).unwrap();
    assert_eq!(
        entries
            .iter()
            .filter(|e| e.starts_with("expires_at:"))
            .count(),
        1,
        "{entries:?}"
    );
}

#[tokio::test]
async fn validate_passes_valid_and_fails_invalid_permanently_with_findings() {
    let strict = ValidateLink::new(&ValidateOptions::default());
    assert_eq!(
        strict.process(&mut doc(1), &ctx()).await.unwrap(),
        Flow::Continue
    );
    let mut bad = vcon(1);
    bad["dialog"][0]["parties"] = json!([0, 7]);
    let err = strict.process(&mut doc_of(bad), &ctx()).await.unwrap_err();
    assert!(!err.is_retryable());
    let LinkError::Invalid { findings } = &err else {
        panic!("{err}")
    };
    assert!(
        findings
            .iter()
            .any(|f| f.pointer.starts_with("/dialog/0/parties")),
        "{findings:?}"
    );
    assert!(err.to_string().contains("/dialog/0/parties"), "{err}");
    // Lenient accepts a missing created_at (a warning), unless warnings are denied.
    let mut no_date = vcon(1);
    no_date.as_object_mut().unwrap().remove("created_at");
    let lenient = ValidateLink::new(&ValidateOptions {
        profile: ProfileName::Lenient,
        ..Default::default()
    });
    assert_eq!(
        lenient
            .process(&mut doc_of(no_date.clone()), &ctx())
            .await
            .unwrap(),
        Flow::Continue
    );
    let picky = ValidateLink::new(&ValidateOptions {
        profile: ProfileName::Lenient,
        deny_warnings: true,
        ..Default::default()
    });
    assert!(picky.process(&mut doc_of(no_date), &ctx()).await.is_err());
    assert!(strict.handles(Form::Signed) && strict.handles(Form::Encrypted));
}

#[test]
fn every_registered_type_builds_from_its_own_example() {
    let ctx = BuildContext::new(None);
    for kind in vcon_pipeline::registry::LINKS {
        let example = (kind.example)();
        if kind.name == "sign" {
            // The example names key files that do not exist here; the error must say so.
            let err = build_link("example", kind.name, &example, &ctx).unwrap_err();
            assert!(err.to_string().contains("key"), "{err}");
            continue;
        }
        if kind.name == "webhook" {
            // secret_env names a variable that is not set here.
            let err = build_link("example", kind.name, &example, &ctx).unwrap_err();
            assert!(err.to_string().contains("VCON_WEBHOOK_SECRET"), "{err}");
            continue;
        }
        build_link("example", kind.name, &example, &ctx)
            .unwrap_or_else(|e| panic!("{}: {e}", kind.name));
    }
    for kind in vcon_pipeline::registry::STORAGES {
        let example = (kind.example)();
        let built = vcon_pipeline::registry::build_storage("example", kind.name, &example, &ctx);
        match kind.name {
            // Needs a working store.
            "embedded" => assert!(built.unwrap_err().to_string().contains("working store")),
            _ => {
                built.unwrap_or_else(|e| panic!("{}: {e}", kind.name));
            }
        }
    }
}
