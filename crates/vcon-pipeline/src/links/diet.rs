//! `diet`: makes the vCon smaller, with the conserver `diet` link's options:
//! empty dialog bodies (optionally after posting them to a media service),
//! drop all analysis, drop attachments by media type, and remove every
//! `system_prompt` member (against prompt injection into later LLM links).
//!
//! A dialog body is emptied as the conserver does (`body` becomes `""`).
//! With `post_media_to_url`, the body is first POSTed as
//! `{"content", "vcon_uuid", "dialog_id"}`; a 200 answer with a `url`
//! member replaces the body by a reference (`url`, and `body`/`encoding`
//! removed, which is core-03's external form); a failed post empties the
//! body, as the conserver does. The conserver's S3 upload options are not
//! implemented.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::document::VconDoc;
use crate::error::ConfigError;
use crate::link::{Flow, Link, LinkContext, LinkError};
use crate::registry::{BuildContext, LinkKind, example_of, link_options, option_error};

/// Registration.
pub const KIND: LinkKind = LinkKind {
    name: "diet",
    about: "strips dialog bodies, analysis, attachments by type, system prompts",
    build,
    example,
};

/// Options of the `diet` link.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DietOptions {
    /// Empty every dialog's `body`.
    pub remove_dialog_body: bool,
    /// Before emptying a body, POST it here; a `url` in the 200 answer
    /// replaces the body by a reference.
    pub post_media_to_url: Option<String>,
    /// Remove the whole `analysis` array.
    pub remove_analysis: bool,
    /// Remove attachments whose media type (`mediatype`, or the legacy
    /// `mimetype`/`mime_type`) is in this list.
    pub remove_attachment_types: BTreeSet<String>,
    /// Remove every `system_prompt` member, at any depth.
    pub remove_system_prompts: bool,
}

/// The `diet` link.
#[derive(Debug)]
pub struct DietLink {
    options: DietOptions,
    media_url: Option<reqwest::Url>,
    http: reqwest::Client,
}

impl DietLink {
    /// A link with these options.
    pub fn new(options: DietOptions, http: reqwest::Client) -> Result<Self, String> {
        let media_url = match options.post_media_to_url.as_deref() {
            None | Some("") => None,
            Some(u) => {
                Some(reqwest::Url::parse(u).map_err(|e| format!("post_media_to_url `{u}`: {e}"))?)
            }
        };
        Ok(Self {
            options,
            media_url,
            http,
        })
    }

    async fn post_media(
        &self,
        url: &reqwest::Url,
        uuid: &str,
        dialog_id: &Value,
        body: &Value,
    ) -> Option<String> {
        let payload = json!({"content": body, "vcon_uuid": uuid, "dialog_id": dialog_id});
        let response = self
            .http
            .post(url.clone())
            .timeout(Duration::from_secs(30))
            .json(&payload)
            .send()
            .await;
        match response {
            Ok(r) if r.status().as_u16() == 200 => match r.json::<Value>().await {
                Ok(Value::Object(m)) => m.get("url").and_then(Value::as_str).map(str::to_owned),
                _ => None,
            },
            Ok(r) => {
                metrics::counter!("vcon_pipeline_diet_media_post_failures_total").increment(1);
                tracing::warn!(uuid, status = %r.status(), "diet: posting a dialog body failed");
                None
            }
            Err(e) => {
                metrics::counter!("vcon_pipeline_diet_media_post_failures_total").increment(1);
                tracing::warn!(uuid, error = %e, "diet: posting a dialog body failed");
                None
            }
        }
    }
}

fn build(name: &str, options: &Value, ctx: &BuildContext) -> Result<Arc<dyn Link>, ConfigError> {
    let options: DietOptions = link_options(KIND.name, name, options)?;
    let link = DietLink::new(options, ctx.http.clone())
        .map_err(|m| option_error("links", KIND.name, name, m))?;
    Ok(Arc::new(link))
}

fn example() -> Value {
    example_of(&DietOptions {
        remove_dialog_body: true,
        post_media_to_url: None,
        remove_analysis: false,
        remove_attachment_types: BTreeSet::from(["image/jpeg".into()]),
        remove_system_prompts: true,
    })
}

/// Removes every `system_prompt` member at any depth.
pub fn remove_system_prompts(value: &mut Value) {
    match value {
        Value::Object(m) => {
            m.shift_remove("system_prompt");
            m.values_mut().for_each(remove_system_prompts);
        }
        Value::Array(items) => items.iter_mut().for_each(remove_system_prompts),
        _ => {}
    }
}

fn media_type(attachment: &Map<String, Value>) -> Option<&str> {
    ["mediatype", "mimetype", "mime_type"]
        .iter()
        .find_map(|k| attachment.get(*k).and_then(Value::as_str))
}

#[async_trait]
impl Link for DietLink {
    async fn process(&self, doc: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        let o = &self.options;
        let uuid = doc.uuid().to_owned();
        if o.remove_dialog_body {
            // Posting happens before editing so no borrow of the document
            // is held across an await.
            let mut posted: Vec<Option<String>> = Vec::new();
            if let (Some(url), Some(Value::Array(dialogs))) =
                (&self.media_url, doc.object().get("dialog"))
            {
                for dialog in dialogs {
                    let body = dialog.get("body").filter(|b| !is_empty_body(b));
                    posted.push(match body {
                        Some(body) => {
                            let id = dialog.get("id").cloned().unwrap_or(Value::from(""));
                            self.post_media(url, &uuid, &id, body).await
                        }
                        None => None,
                    });
                }
            }
            if let Some(Value::Array(dialogs)) = doc.object_mut().get_mut("dialog") {
                for (i, dialog) in dialogs.iter_mut().enumerate() {
                    let Value::Object(d) = dialog else { continue };
                    if !d.contains_key("body") {
                        continue;
                    }
                    match posted.get(i).cloned().flatten() {
                        Some(url) => {
                            d.shift_remove("body");
                            d.shift_remove("encoding");
                            d.insert("url".into(), Value::from(url));
                        }
                        None => {
                            d.insert("body".into(), Value::from(""));
                        }
                    }
                }
            }
        }
        if o.remove_analysis && doc.object().contains_key("analysis") {
            doc.object_mut().shift_remove("analysis");
        }
        if !o.remove_attachment_types.is_empty()
            && let Some(Value::Array(items)) = doc.object_mut().get_mut("attachments")
        {
            items.retain(|a| match a {
                Value::Object(a) => {
                    media_type(a).is_none_or(|t| !o.remove_attachment_types.contains(t))
                }
                _ => true,
            });
        }
        if o.remove_system_prompts {
            let mut value = Value::Object(std::mem::take(doc.object_mut()));
            remove_system_prompts(&mut value);
            if let Value::Object(m) = value {
                *doc.object_mut() = m;
            }
        }
        Ok(Flow::Continue)
    }
}

fn is_empty_body(body: &Value) -> bool {
    matches!(body, Value::Null) || body.as_str().is_some_and(str::is_empty)
}
