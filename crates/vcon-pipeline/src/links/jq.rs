//! `jq`: a jq program (run by jaq) that keeps or drops the vCon, or
//! rewrites it.
//!
//! **Filter mode** (the default) follows the conserver's `jq_link`: the
//! program runs on the vCon; its first output decides (no output counts as
//! false; `null` and `false` are false, anything else true). The vCon goes
//! on when that truth equals `forward_matches` (default true) and the chain
//! stops otherwise. A run-time error drops the vCon when `on_error = "drop"`
//! (what the conserver does) and fails it permanently with `"fail"` (the
//! default here, so mistakes show up in the dead-letter list).
//!
//! **Transform mode** replaces the vCon with the program's first output,
//! which must be a vCon object of the same uuid; no output stops the chain.
//!
//! The program is compiled once, when the pipeline is built, with jaq's
//! standard library; a syntax error is a configuration error.

use std::sync::Arc;

use async_trait::async_trait;
use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, ValT, Vars, data, unwrap_valr};
use jaq_json::Val;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use vcon_core::Form;

use crate::document::VconDoc;
use crate::error::ConfigError;
use crate::link::{Flow, Link, LinkContext, LinkError};
use crate::registry::{BuildContext, LinkKind, example_of, link_options, option_error};

/// Registration.
pub const KIND: LinkKind = LinkKind {
    name: "jq",
    about: "keeps, drops or rewrites the vCon with a jq program",
    build,
    example,
};

/// What the program's output is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JqMode {
    /// Keep or drop the vCon by the truth of the first output.
    #[default]
    Filter,
    /// Replace the vCon with the first output.
    Transform,
}

/// What a run-time error does (filter mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnError {
    /// Fail the vCon permanently (dead-letter it).
    #[default]
    Fail,
    /// Drop the vCon (stop the chain), as the conserver does.
    Drop,
}

/// Options of the `jq` link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JqOptions {
    /// The jq program, e.g. `.dialog | length > 0`.
    pub filter: String,
    /// `filter` (default) or `transform`.
    #[serde(default)]
    pub mode: JqMode,
    /// Filter mode: forward the vCons whose result is true (default) or,
    /// when false, those whose result is false.
    #[serde(default = "yes")]
    pub forward_matches: bool,
    /// Filter mode: `fail` (default) or `drop` on a run-time error.
    #[serde(default)]
    pub on_error: OnError,
    /// Run on signed and encrypted vCons too (on their JWS/JWE JSON).
    /// Transform mode never does.
    #[serde(default)]
    pub envelopes: bool,
}

fn yes() -> bool {
    true
}

type JqFilter = jaq_core::Filter<data::JustLut<Val>>;

/// The `jq` link.
pub struct JqLink {
    options: JqOptions,
    filter: JqFilter,
}

impl std::fmt::Debug for JqLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JqLink")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl JqLink {
    /// Compiles the program; the error says what and where in it.
    pub fn new(options: JqOptions) -> Result<Self, String> {
        let filter = compile(&options.filter)?;
        Ok(Self { options, filter })
    }

    /// Runs the program on `input`; returns the first output, if any.
    fn first_output(&self, input: &Map<String, Value>) -> Result<Option<Val>, String> {
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let mut out = self
            .filter
            .id
            .run((ctx, to_val_object(input)))
            .map(unwrap_valr);
        match out.next() {
            None => Ok(None),
            Some(Ok(v)) => Ok(Some(v)),
            Some(Err(e)) => Err(e.to_string()),
        }
    }
}

/// Compiles a jq program with the core and standard definitions.
pub fn compile(code: &str) -> Result<JqFilter, String> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs()
        .chain(jaq_std::funs())
        .chain(jaq_json::funs());
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader
        .load(&arena, File { code, path: () })
        .map_err(|errs| format!("jq program does not parse: {}", describe(&errs)))?;
    Compiler::default()
        .with_funs(funs)
        .compile(modules)
        .map_err(|errs| format!("jq program does not compile: {}", describe(&errs)))
}

fn describe<T: std::fmt::Debug>(errs: &[T]) -> String {
    let text = format!("{errs:?}");
    text.chars().take(400).collect()
}

fn build(name: &str, options: &Value, _: &BuildContext) -> Result<Arc<dyn Link>, ConfigError> {
    let options: JqOptions = link_options(KIND.name, name, options)?;
    let link = JqLink::new(options).map_err(|m| option_error("links", KIND.name, name, m))?;
    Ok(Arc::new(link))
}

fn example() -> Value {
    example_of(&JqOptions {
        filter: r#".attachments // [] | any(.purpose == "tags")"#.into(),
        mode: JqMode::Filter,
        forward_matches: true,
        on_error: OnError::Fail,
        envelopes: false,
    })
}

/// A JSON value as a jaq value.
pub fn to_val(value: &Value) -> Val {
    match value {
        Value::Null => Val::Null,
        Value::Bool(b) => Val::Bool(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Val::Num(jaq_json::Num::from_integral(i))
            } else if let Some(u) = n.as_u64() {
                Val::Num(jaq_json::Num::from_integral(u))
            } else {
                Val::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => Val::from(s.clone()),
        Value::Array(items) => items.iter().map(to_val).collect(),
        Value::Object(m) => to_val_object(m),
    }
}

fn to_val_object(m: &Map<String, Value>) -> Val {
    Val::obj(
        m.iter()
            .map(|(k, v)| (Val::from(k.clone()), to_val(v)))
            .collect(),
    )
}

/// A jaq value as JSON (through its JSON text; byte strings and non-string
/// keys, which JSON lacks, are refused).
pub fn from_val(value: &Val) -> Result<Value, String> {
    serde_json::from_str(&value.to_string()).map_err(|e| format!("the output is not JSON: {e}"))
}

#[async_trait]
impl Link for JqLink {
    fn handles(&self, form: Form) -> bool {
        form == Form::Unsigned || (self.options.envelopes && self.options.mode == JqMode::Filter)
    }

    async fn process(&self, doc: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        let jq_error = |message: String| LinkError::Jq {
            filter: self.options.filter.clone(),
            message,
        };
        let output = self.first_output(doc.object());
        match self.options.mode {
            JqMode::Filter => {
                let truth = match output {
                    Ok(v) => v.is_some_and(|v| v.as_bool()),
                    Err(message) => match self.options.on_error {
                        OnError::Fail => return Err(jq_error(message)),
                        OnError::Drop => return Ok(Flow::stop(format!("jq error: {message}"))),
                    },
                };
                Ok(if truth == self.options.forward_matches {
                    Flow::Continue
                } else {
                    Flow::stop(format!(
                        "jq: result {truth}, forward_matches {}",
                        self.options.forward_matches
                    ))
                })
            }
            JqMode::Transform => {
                let Some(v) = output.map_err(jq_error)? else {
                    return Ok(Flow::stop("jq transform: no output"));
                };
                let Value::Object(object) = from_val(&v).map_err(jq_error)? else {
                    return Err(jq_error("transform output is not an object".into()));
                };
                if crate::document::uuid_of(&object).as_deref() != Some(doc.uuid()) {
                    return Err(jq_error(format!(
                        "transform output must keep the uuid {}",
                        doc.uuid()
                    )));
                }
                doc.replace_object(object)
                    .map_err(|e| jq_error(e.to_string()))?;
                Ok(Flow::Continue)
            }
        }
    }
}
