//! Reading a conserver `config.yml`: a small file in the conserver's
//! example format (links/storages with module + options, chains with
//! ingress_lists/egress_lists/links/storages/enabled/timeout).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::json;
use vcon_pipeline::conserver::from_conserver_yaml;
use vcon_pipeline::{BuildContext, ConfigError, Pipeline};

const CONFIG: &str = r#"
ingress_auth:
  support_calls:
    - "support-key-1"
    - "support-key-2"
  sales: "sales-key"

links:
  transcribe:
    module: links.transcribe
    options:
      vendor: openai
  tag:
    module: links.tag
    ingress-lists: []
    egress-lists: []
    options:
      tags:
        - Geddy
        - Alex
  router:
    module: links.tag_router
    options:
      tag_routes:
        Geddy: bass_players
      forward_original: true
  only_with_dialog:
    module: links.jq_link
    options:
      filter: ".dialog | length > 0"
      forward_matches: true
  sample:
    module: links.sampler
    options:
      method: percentage
      value: 50
      seed: null
  diet:
    module: links.diet
    options:
      remove_dialog_body: true
      post_media_to_url: ""
      remove_analysis: false
      remove_attachment_types: ["image/jpeg"]
      remove_system_prompts: true
      s3_bucket: ""
  expire:
    module: links.expire_vcon
    options:
      seconds: 3600
  notify:
    module: links.webhook
    options:
      webhook-urls:
        - https://hooks.example.com/vcon
      headers:
        x-conserver-api-token: abc
  broken_hook:
    module: links.webhook
    options:
      webhook-urls:
        - notreal.com

storages:
  file:
    module: storage.file
    options:
      path: /data/vcons
      organize_by_date: true
      compression: true
      max_file_size: 10485760
      file_permissions: 0o644
  mongo:
    module: storage.mongo
    options:
      url: mongodb://root:example@mongo:27017/
  hook:
    module: storage.webhook
    options:
      webhook-urls: [https://archive.example.com/in]

chains:
  main_chain:
    links:
      - transcribe
      - tag
      - router
      - only_with_dialog
      - sample:
          value: 10
      - diet
      - expire
      - notify
    storages:
      - file
      - mongo
      - hook
    ingress_lists:
      - support_calls
    egress_lists:
      - processed
    enabled: 1
    timeout: 120
  off_chain:
    links: [tag]
    ingress_lists: [old_list]
    enabled: 0
"#;

#[test]
fn implemented_modules_are_mapped_with_their_options() {
    let import = from_conserver_yaml(CONFIG).unwrap();
    let c = &import.config;
    let kinds: Vec<(&str, &str)> = c
        .links
        .iter()
        .map(|(n, d)| (n.as_str(), d.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("diet", "diet"),
            ("expire", "expire"),
            ("main_chain.sample", "sampler"),
            ("notify", "webhook"),
            ("only_with_dialog", "jq"),
            ("router", "tag_router"),
            ("sample", "sampler"),
            ("tag", "tag"),
        ]
    );
    assert_eq!(c.links["tag"].options, json!({"tags": ["Geddy", "Alex"]}));
    assert_eq!(
        c.links["router"].options,
        json!({"routes": {"Geddy": "bass_players"}, "forward_original": true})
    );
    assert_eq!(
        c.links["only_with_dialog"].options,
        json!({"filter": ".dialog | length > 0", "forward_matches": true, "on_error": "drop"})
    );
    assert_eq!(
        c.links["sample"].options,
        json!({"method": "percentage", "value": 50})
    );
    // The inline options of the chain override the named link's.
    assert_eq!(
        c.links["main_chain.sample"].options,
        json!({"method": "percentage", "value": 10})
    );
    assert_eq!(c.links["expire"].options, json!({"seconds": 3600}));
    assert_eq!(
        c.links["notify"].options,
        json!({"urls": ["https://hooks.example.com/vcon"], "headers": {"x-conserver-api-token": "abc"}})
    );
    assert_eq!(
        c.links["diet"].options,
        json!({"remove_dialog_body": true, "remove_analysis": false,
               "remove_attachment_types": ["image/jpeg"], "remove_system_prompts": true})
    );
    assert_eq!(
        c.storages["file"].options,
        json!({"path": "/data/vcons", "date_partition": true, "gzip": true,
               "max_file_size": 10485760, "extension": "json"})
    );
    assert_eq!(c.storages["hook"].kind, "webhook");

    let main = &c.chains["main_chain"];
    assert_eq!(main.ingress, vec!["support_calls"]);
    assert_eq!(main.egress, vec!["processed"]);
    assert_eq!(
        main.links,
        vec![
            "tag",
            "router",
            "only_with_dialog",
            "main_chain.sample",
            "diet",
            "expire",
            "notify"
        ]
    );
    assert_eq!(main.storages, vec!["file", "hook"]);
    assert_eq!(main.timeout_secs, 120.0);
    assert!(main.enabled);
    assert!(!c.chains["off_chain"].enabled);
    assert_eq!(
        import.ingress_auth["support_calls"],
        vec!["support-key-1", "support-key-2"]
    );
    assert_eq!(import.ingress_auth["sales"], vec!["sales-key"]);

    // What was mapped builds into a pipeline.
    let pipeline = Pipeline::build(c, &BuildContext::new(None)).unwrap();
    assert_eq!(pipeline.chain_for("support_calls").unwrap().links.len(), 7);
}

#[test]
fn what_is_not_implemented_is_named_in_the_warnings() {
    let import = from_conserver_yaml(CONFIG).unwrap();
    let warnings: Vec<String> = import.warnings.iter().map(ToString::to_string).collect();
    let has = |at: &str, needle: &str| {
        assert!(
            import
                .warnings
                .iter()
                .any(|w| w.at == at && w.message.contains(needle)),
            "no warning at {at} containing {needle:?} in {warnings:#?}"
        );
    };
    has(
        "links.transcribe",
        "module `links.transcribe` is not implemented",
    );
    has("links.broken_hook", "notreal.com");
    has(
        "storages.mongo",
        "module `storage.mongo` is not implemented",
    );
    has("storages.file.options.file_permissions", "not supported");
    has(
        "chains.main_chain.links[0]",
        "link `transcribe` is not available",
    );
    has(
        "chains.main_chain.storages",
        "storage `mongo` is not available",
    );
    assert!(
        !warnings.iter().any(|w| w.contains("links.tag")),
        "{warnings:#?}"
    );
    // Strict mode refuses to start with any of them.
    let err = from_conserver_yaml(CONFIG)
        .unwrap()
        .into_strict()
        .unwrap_err();
    assert!(err.to_string().contains("links.transcribe"), "{err}");
}

#[test]
fn a_fully_supported_config_imports_without_warnings() {
    let yaml = r#"
links:
  tag:
    module: links.tag
    options: {tags: [x]}
storages:
  file:
    module: storage.file
    options: {path: /tmp/vcons, organize_by_date: false}
chains:
  c:
    links: [tag]
    storages: [file]
    ingress_lists: [in]
    egress_lists: [out]
    enabled: true
"#;
    let config = from_conserver_yaml(yaml).unwrap().into_strict().unwrap();
    assert_eq!(config.chains["c"].timeout_secs, 30.0);
    assert_eq!(config.storages["file"].options["date_partition"], false);
}

#[test]
fn a_list_feeding_two_chains_goes_to_the_later_one_with_a_warning() {
    let yaml = r#"
links: {}
chains:
  first: {ingress_lists: [shared, own], enabled: 1}
  second: {ingress_lists: [shared], enabled: 1}
"#;
    let import = from_conserver_yaml(yaml).unwrap();
    assert_eq!(import.config.chains["first"].ingress, vec!["own"]);
    assert_eq!(import.config.chains["second"].ingress, vec!["shared"]);
    assert!(import.warnings.iter().any(|w| w.message.contains("shared")));
    import.config.check().unwrap();
}

#[test]
fn malformed_yaml_is_an_error_with_a_position() {
    let err = from_conserver_yaml("chains: [unclosed").unwrap_err();
    assert!(matches!(err, ConfigError::Yaml { .. }), "{err}");
    assert!(err.to_string().contains("line"), "{err}");
    let err = from_conserver_yaml("chains: 5").unwrap_err();
    assert!(
        err.to_string().contains("`chains` must be a mapping"),
        "{err}"
    );
}
