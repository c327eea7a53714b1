//! The native TOML configuration: defaults, unknown fields, cross checks.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vcon_pipeline::{BuildContext, ConfigError, Pipeline, PipelineConfig};

#[test]
fn defaults_fill_what_is_left_out() {
    let c = PipelineConfig::from_toml("[chains.c]\ningress = [\"in\"]\n").unwrap();
    let chain = &c.chains["c"];
    assert!(chain.enabled);
    assert_eq!((chain.concurrency, chain.timeout_secs), (1, 30.0));
    assert_eq!(c.retry.max_attempts, 5);
    assert_eq!(c.lease_secs, 300.0);
    // An empty section is a valid, empty pipeline.
    assert!(PipelineConfig::from_toml("").unwrap().chains.is_empty());
}

#[test]
fn unknown_fields_are_errors_everywhere() {
    for (text, needle) in [
        ("workers = 3", "workers"),
        ("[chains.c]\ningress = [\"in\"]\nlinkz = []", "linkz"),
        ("[links.l]\ntype = \"tag\"\nopts = {}", "opts"),
        ("[retry]\nattempts = 3", "attempts"),
    ] {
        let err = PipelineConfig::from_toml(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{err}");
    }
    // Link options too, at build time, naming the link.
    let c = PipelineConfig::from_toml("[links.l]\ntype = \"sampler\"\noptions = { rate = 3 }\n")
        .unwrap();
    let err = Pipeline::build(&c, &BuildContext::new(None))
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("links.l (sampler)") && err.contains("rate"),
        "{err}"
    );
}

#[test]
fn references_ranges_and_shared_lists_are_checked() {
    let err = PipelineConfig::from_toml("[chains.c]\ningress = [\"in\"]\nlinks = [\"nope\"]\n")
        .unwrap_err();
    assert_eq!(err.to_string(), "chains.c: link `nope` is not defined");
    let err = PipelineConfig::from_toml("[chains.c]\ningress = []\n").unwrap_err();
    assert!(err.to_string().contains("ingress"), "{err}");
    let err =
        PipelineConfig::from_toml("[chains.c]\ningress = [\"in\"]\nconcurrency = 0\n").unwrap_err();
    assert!(err.to_string().contains("concurrency"), "{err}");
    let err = PipelineConfig::from_toml(
        "lease_secs = 10\n[chains.c]\ningress = [\"in\"]\ntimeout_secs = 20\n",
    )
    .unwrap_err();
    assert!(err.to_string().contains("lease_secs"), "{err}");
    let err =
        PipelineConfig::from_toml("[chains.a]\ningress = [\"x\"]\n[chains.b]\ningress = [\"x\"]\n")
            .unwrap_err();
    assert!(matches!(err, ConfigError::SharedIngress { .. }), "{err}");
    // A disabled chain may share.
    PipelineConfig::from_toml(
        "[chains.a]\ningress = [\"x\"]\n[chains.b]\ningress = [\"x\"]\nenabled = false\n",
    )
    .unwrap();
    let err = PipelineConfig::from_toml("[links.l]\ntype = \"teleport\"\n")
        .map(|c| Pipeline::build(&c, &BuildContext::new(None)));
    let err = err.unwrap().unwrap_err().to_string();
    assert!(
        err.contains("unknown link type `teleport`") && err.contains("tag_router"),
        "{err}"
    );
}

#[test]
fn the_config_round_trips_through_toml() {
    let text = r#"
[links.t]
type = "tag"
options = { tags = ["a"] }
[storages.d]
type = "directory"
options = { path = "/tmp/x", gzip = true }
[chains.c]
ingress = ["in"]
links = ["t"]
storages = ["d"]
egress = ["out"]
retry = { max_attempts = 2, initial_backoff_ms = 10, multiplier = 3.0, max_backoff_ms = 100 }
"#;
    let c = PipelineConfig::from_toml(text).unwrap();
    let again = PipelineConfig::from_toml(&toml::to_string(&c).unwrap()).unwrap();
    assert_eq!(c, again);
    assert_eq!(c.chains["c"].retry.unwrap().backoff(2).as_millis(), 30);
}

#[test]
fn the_generated_example_names_every_type_and_parses_back() {
    let text = PipelineConfig::example_toml();
    let config = PipelineConfig::from_toml(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    for kind in vcon_pipeline::registry::LINKS {
        assert!(
            config.links.values().any(|l| l.kind == kind.name),
            "{} missing",
            kind.name
        );
    }
    for kind in vcon_pipeline::registry::STORAGES {
        assert!(
            config.storages.values().any(|s| s.kind == kind.name),
            "{} missing",
            kind.name
        );
    }
    assert_eq!(
        config.chains["main"].links.len(),
        vcon_pipeline::registry::LINKS.len()
    );
}
