//! Reading a conserver `config.yml` (vcon-dev/vcon-server) into a
//! [`PipelineConfig`].
//!
//! The conserver file has `links:` and `storages:` (each `name: {module,
//! options}`) and `chains:` (`name: {links, storages, ingress_lists,
//! egress_lists, enabled, timeout}`). Modules this crate implements are
//! mapped with their options translated; everything else is reported in
//! [`ConserverImport::warnings`] (and left out), never silently dropped.
//! [`ConserverImport::into_strict`] turns any warning into an error.
//!
//! | conserver module | here | notes |
//! |---|---|---|
//! | `links.tag` | `tag` | `tags` |
//! | `links.tag_router` | `tag_router` | `tag_routes` (or the documented `rules: [{tag, queue}]`), `forward_original` |
//! | `links.jq_link` | `jq` | `filter`, `forward_matches`; errors drop the vCon as there |
//! | `links.sampler` | `sampler` | `method`, `value`, `seed` |
//! | `links.diet` | `diet` | all but the S3 upload options |
//! | `links.expire_vcon` | `expire` | `seconds` |
//! | `links.webhook` | `webhook` | `webhook-urls`, `headers` |
//! | `storage.file` | `directory` | `path`, `organize_by_date`, `compression`, `max_file_size`; extension `json` |
//! | `storage.webhook` | `webhook` | `webhook-urls`, `headers` |
//!
//! A chain link may carry options inline (`- sampler: {value: 10}`), as the
//! conserver documentation shows; such a link becomes its own instance
//! named `<chain>.<link>` with the options merged over the named link's.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::config::{ChainConfig, LinkDef, PipelineConfig, StorageDef};
use crate::error::ConfigError;
use crate::registry::{BuildContext, build_link, build_storage};

/// The result of reading a conserver config.
#[derive(Debug, Clone, PartialEq)]
pub struct ConserverImport {
    /// The pipeline, with what could be mapped.
    pub config: PipelineConfig,
    /// What was not mapped, or mapped with a difference, and where.
    pub warnings: Vec<ImportWarning>,
    /// The `ingress_auth` section (list → API keys), for the server.
    pub ingress_auth: BTreeMap<String, Vec<String>>,
}

/// Something in the conserver config that was left out or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportWarning {
    /// Where, as a dotted path (`links.transcribe`, `chains.main.links[2]`).
    pub at: String,
    /// What happened.
    pub message: String,
    /// The line of `at` in the file (1-based), when it could be found
    /// ([`crate::yaml_place::line_of`]).
    pub line: Option<usize>,
}

impl std::fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl ImportWarning {
    /// The warning with its line when known: `line 7: links.x: …`.
    pub fn located(&self) -> String {
        match self.line {
            Some(line) => format!("line {line}: {self}"),
            None => self.to_string(),
        }
    }
}

impl ConserverImport {
    /// The config, or an error listing every warning (with its line) when
    /// there is one.
    pub fn into_strict(self) -> Result<PipelineConfig, ConfigError> {
        if self.warnings.is_empty() {
            return Ok(self.config);
        }
        Err(ConfigError::Unmapped(
            self.warnings.iter().map(ImportWarning::located).collect(),
        ))
    }
}

struct Importer {
    warnings: Vec<ImportWarning>,
    ctx: BuildContext,
}

impl Importer {
    fn warn(&mut self, at: impl Into<String>, message: impl Into<String>) {
        self.warnings.push(ImportWarning {
            at: at.into(),
            message: message.into(),
            line: None,
        });
    }
}

/// Warnings given their line; the rest (a file of thousands of unmapped
/// entries) go without one.
const MAX_LOCATED: usize = 256;

/// Reads conserver YAML. Errors only when the text is not YAML or the
/// sections have the wrong shape; everything else becomes a warning.
pub fn from_conserver_yaml(text: &str) -> Result<ConserverImport, ConfigError> {
    let root: Value = serde_norway::from_str(text).map_err(|e| ConfigError::Yaml {
        message: e.to_string(),
    })?;
    let root = match root {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => {
            return Err(ConfigError::Yaml {
                message: format!("the top level must be a mapping, found {}", kind(&other)),
            });
        }
    };
    let mut imp = Importer {
        warnings: Vec::new(),
        ctx: BuildContext::new(None),
    };
    let mut config = PipelineConfig::default();
    for (key, value) in &root {
        match key.as_str() {
            "links" | "storages" | "chains" | "ingress_auth" => {}
            "imports" | "tracers" | "followers" if !is_empty(value) => {
                imp.warn(key.as_str(), "not supported (Python modules, tracers and followers have no equivalent); ignored");
            }
            "imports" | "tracers" | "followers" => {}
            other => imp.warn(other, "unknown section; ignored"),
        }
    }
    for (name, def) in section(&root, "links")? {
        if let Some(link) = map_link(&mut imp, &name, def) {
            config.links.insert(name, link);
        }
    }
    for (name, def) in section(&root, "storages")? {
        if let Some(storage) = map_storage(&mut imp, &name, def) {
            config.storages.insert(name, storage);
        }
    }
    let raw_links = section(&root, "links")?;
    let mut fed_by: BTreeMap<String, String> = BTreeMap::new();
    for (name, def) in section(&root, "chains")? {
        let chain = map_chain(&mut imp, &mut config, &raw_links, &name, def);
        if chain.enabled {
            for list in &chain.ingress {
                if let Some(previous) = fed_by.insert(list.clone(), name.clone()) {
                    imp.warn(
                        format!("chains.{previous}.ingress_lists"),
                        format!("list `{list}` also feeds chain `{name}`; as in the conserver, the later chain gets it"),
                    );
                    if let Some(p) = config.chains.get_mut(&previous) {
                        p.ingress.retain(|l| l != list);
                    }
                }
            }
        }
        config.chains.insert(name, chain);
    }
    config.chains.retain(|name, chain| {
        let keep = !chain.ingress.is_empty();
        if !keep {
            imp.warnings.push(ImportWarning {
                at: format!("chains.{name}"),
                message: "no ingress list left; chain dropped".into(),
                line: None,
            });
        }
        keep
    });
    let ingress_auth = ingress_auth(&mut imp, root.get("ingress_auth"));
    // Each look reads the text once: bounded, whatever the file holds.
    for w in imp.warnings.iter_mut().take(MAX_LOCATED) {
        w.line = crate::yaml_place::line_of(text, &w.at);
    }
    Ok(ConserverImport {
        config,
        warnings: imp.warnings,
        ingress_auth,
    })
}

fn kind(v: &Value) -> &'static str {
    vcon_core::read::json_type(v)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn section(root: &Map<String, Value>, name: &str) -> Result<Vec<(String, Value)>, ConfigError> {
    match root.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => Ok(m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
        Some(other) => Err(ConfigError::Yaml {
            message: format!("`{name}` must be a mapping, found {}", kind(other)),
        }),
    }
}

fn options_of(def: &Value) -> Map<String, Value> {
    match def.get("options") {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// Moves the conserver options named in `renames` (from → to) into a new
/// object; the rest are reported as ignored.
fn translate(
    imp: &mut Importer,
    at: &str,
    mut options: Map<String, Value>,
    renames: &[(&str, &str)],
) -> Map<String, Value> {
    let mut out = Map::new();
    for (from, to) in renames {
        if let Some(v) = options.shift_remove(*from) {
            out.insert((*to).to_owned(), v);
        }
    }
    for (key, value) in options {
        if !is_empty(&value) {
            imp.warn(
                format!("{at}.options.{key}"),
                "option not supported; ignored",
            );
        }
    }
    out
}

fn map_link(imp: &mut Importer, name: &str, def: Value) -> Option<LinkDef> {
    let at = format!("links.{name}");
    let module = def.get("module").and_then(Value::as_str).unwrap_or("");
    for key in ["ingress-lists", "egress-lists"] {
        if def.get(key).is_some_and(|v| !is_empty(v)) {
            imp.warn(
                format!("{at}.{key}"),
                "per-link lists are not supported; ignored",
            );
        }
    }
    let options = options_of(&def);
    let (kind, options) = match module {
        "links.tag" => ("tag", translate(imp, &at, options, &[("tags", "tags")])),
        "links.tag_router" => {
            let mut options = options;
            if let Some(Value::Array(rules)) = options.shift_remove("rules") {
                let routes: Map<String, Value> = rules
                    .iter()
                    .filter_map(|r| {
                        Some((r.get("tag")?.as_str()?.to_owned(), r.get("queue")?.clone()))
                    })
                    .collect();
                options.entry("tag_routes").or_insert(Value::Object(routes));
            }
            let out = translate(
                imp,
                &at,
                options,
                &[
                    ("tag_routes", "routes"),
                    ("forward_original", "forward_original"),
                ],
            );
            ("tag_router", out)
        }
        "links.jq_link" => {
            let mut out = translate(
                imp,
                &at,
                options,
                &[("filter", "filter"), ("forward_matches", "forward_matches")],
            );
            out.entry("filter").or_insert(Value::from("."));
            out.insert("on_error".into(), Value::from("drop"));
            ("jq", out)
        }
        "links.sampler" => {
            let mut out = translate(
                imp,
                &at,
                options,
                &[("method", "method"), ("value", "value"), ("seed", "seed")],
            );
            if out.get("seed").is_some_and(Value::is_null) {
                out.shift_remove("seed");
            }
            ("sampler", out)
        }
        "links.diet" => {
            let mut options = options;
            if options.get("s3_bucket").is_some_and(|v| !is_empty(v)) {
                imp.warn(
                    format!("{at}.options.s3_bucket"),
                    "S3 upload of dialog bodies is not implemented; bodies are emptied instead",
                );
            }
            for key in [
                "s3_bucket",
                "s3_path",
                "aws_access_key_id",
                "aws_secret_access_key",
                "aws_region",
                "presigned_url_expiration",
            ] {
                options.shift_remove(key);
            }
            let mut out = translate(
                imp,
                &at,
                options,
                &[
                    ("remove_dialog_body", "remove_dialog_body"),
                    ("post_media_to_url", "post_media_to_url"),
                    ("remove_analysis", "remove_analysis"),
                    ("remove_attachment_types", "remove_attachment_types"),
                    ("remove_system_prompts", "remove_system_prompts"),
                ],
            );
            if out.get("post_media_to_url").is_some_and(is_empty) {
                out.shift_remove("post_media_to_url");
            }
            ("diet", out)
        }
        "links.expire_vcon" => (
            "expire",
            translate(imp, &at, options, &[("seconds", "seconds")]),
        ),
        "links.webhook" => (
            "webhook",
            translate(
                imp,
                &at,
                options,
                &[("webhook-urls", "urls"), ("headers", "headers")],
            ),
        ),
        other => return unmapped(imp, at, other),
    };
    let def = LinkDef {
        kind: kind.to_owned(),
        options: Value::Object(options),
    };
    let built = build_link(name, &def.kind, &def.options, &imp.ctx).map(drop);
    kept_if_built(imp, at, def, built)
}

fn map_storage(imp: &mut Importer, name: &str, def: Value) -> Option<StorageDef> {
    let at = format!("storages.{name}");
    let module = def.get("module").and_then(Value::as_str).unwrap_or("");
    let mut options = options_of(&def);
    let (kind, options) = match module {
        "storage.file" => {
            for key in ["file_permissions", "dir_permissions"] {
                if options.shift_remove(key).is_some() {
                    imp.warn(
                        format!("{at}.options.{key}"),
                        "not supported; files and directories get the process umask",
                    );
                }
            }
            let mut out = translate(
                imp,
                &at,
                options,
                &[
                    ("path", "path"),
                    ("organize_by_date", "date_partition"),
                    ("compression", "gzip"),
                    ("max_file_size", "max_file_size"),
                ],
            );
            out.entry("path").or_insert(Value::from("/data/vcons"));
            out.insert("extension".into(), Value::from("json"));
            ("directory", out)
        }
        "storage.webhook" => (
            "webhook",
            translate(
                imp,
                &at,
                options,
                &[("webhook-urls", "urls"), ("headers", "headers")],
            ),
        ),
        other => return unmapped(imp, at, other),
    };
    let def = StorageDef {
        kind: kind.to_owned(),
        options: Value::Object(options),
    };
    let built = build_storage(name, &def.kind, &def.options, &imp.ctx).map(drop);
    kept_if_built(imp, at, def, built)
}

/// A `module` that is missing or not implemented: left out, with a warning.
fn unmapped<T>(imp: &mut Importer, at: String, module: &str) -> Option<T> {
    if module.is_empty() {
        imp.warn(at, "no `module`; left out");
    } else {
        imp.warn(
            at,
            format!("module `{module}` is not implemented; left out"),
        );
    }
    None
}

/// Keeps a mapped definition only when it builds, so that options which
/// cannot work are reported at import rather than at start.
fn kept_if_built<T>(
    imp: &mut Importer,
    at: String,
    def: T,
    built: Result<(), ConfigError>,
) -> Option<T> {
    match built {
        Ok(()) => Some(def),
        Err(e) => {
            imp.warn(at, format!("left out: {e}"));
            None
        }
    }
}

fn strings(imp: &mut Importer, at: &str, v: Option<&Value>) -> Vec<String> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                other => {
                    imp.warn(
                        at,
                        format!("expected a name, found {}; ignored", kind(other)),
                    );
                    None
                }
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(other) => {
            imp.warn(
                at,
                format!("expected a list, found {}; ignored", kind(other)),
            );
            Vec::new()
        }
    }
}

fn map_chain(
    imp: &mut Importer,
    config: &mut PipelineConfig,
    raw_links: &[(String, Value)],
    name: &str,
    def: Value,
) -> ChainConfig {
    let at = format!("chains.{name}");
    let mut links = Vec::new();
    if let Some(Value::Array(items)) = def.get("links") {
        for (i, item) in items.iter().enumerate() {
            let here = format!("{at}.links[{i}]");
            let (link, inline) = match item {
                Value::String(s) => (s.clone(), None),
                Value::Object(m) if m.len() == 1 => match m.iter().next() {
                    Some((k, v)) => (k.clone(), Some(v.clone())),
                    None => continue,
                },
                other => {
                    imp.warn(
                        here,
                        format!("expected a link name, found {}; ignored", kind(other)),
                    );
                    continue;
                }
            };
            match inline {
                None if config.links.contains_key(&link) => links.push(link),
                None => imp.warn(here, format!("link `{link}` is not available (see links.{link}); the chain runs without it")),
                Some(extra) => {
                    let base = raw_links
                        .iter()
                        .find(|(n, _)| *n == link)
                        .map(|(_, d)| d.clone())
                        .unwrap_or_else(|| json!({"module": format!("links.{link}")}));
                    let mut merged = base;
                    if let (Some(Value::Object(opts)), Value::Object(extra)) = (merged.get_mut("options"), &extra) {
                        opts.extend(extra.clone());
                    } else if let Value::Object(m) = &mut merged {
                        m.insert("options".into(), extra);
                    }
                    let instance = format!("{name}.{link}");
                    match map_link(imp, &instance, merged) {
                        Some(d) => {
                            config.links.insert(instance.clone(), d);
                            links.push(instance);
                        }
                        None => imp.warn(here, format!("link `{link}` with inline options is not available; the chain runs without it")),
                    }
                }
            }
        }
    }
    let mut storages = Vec::new();
    for s in strings(imp, &format!("{at}.storages"), def.get("storages")) {
        if config.storages.contains_key(&s) {
            storages.push(s);
        } else {
            imp.warn(format!("{at}.storages"), format!("storage `{s}` is not available (see storages.{s}); the chain does not write to it"));
        }
    }
    if def.get("tracers").is_some_and(|v| !is_empty(v)) {
        imp.warn(
            format!("{at}.tracers"),
            "tracers are not supported; ignored",
        );
    }
    let enabled = match def.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(other) => {
            imp.warn(
                format!("{at}.enabled"),
                format!(
                    "expected 1/0 or true/false, found {}; chain disabled",
                    kind(other)
                ),
            );
            false
        }
    };
    let mut chain = ChainConfig {
        ingress: strings(
            imp,
            &format!("{at}.ingress_lists"),
            def.get("ingress_lists"),
        ),
        links,
        storages,
        egress: strings(imp, &format!("{at}.egress_lists"), def.get("egress_lists")),
        timeout_secs: 30.0,
        enabled,
        concurrency: 1,
        retry: None,
    };
    match def.get("timeout").and_then(Value::as_f64) {
        Some(t) if t > 0.0 && t < config.lease_secs => chain.timeout_secs = t,
        Some(t) => imp.warn(
            format!("{at}.timeout"),
            format!(
                "{t} is not a usable timeout (0 < t < {}); 30 s used",
                config.lease_secs
            ),
        ),
        None => {}
    }
    chain
}

fn ingress_auth(imp: &mut Importer, v: Option<&Value>) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let Some(Value::Object(m)) = v else {
        return out;
    };
    for (list, keys) in m {
        out.insert(
            list.clone(),
            strings(imp, &format!("ingress_auth.{list}"), Some(keys)),
        );
    }
    out
}
