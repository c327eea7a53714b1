//! The structural steps of a redaction: parties, media content, whole
//! analyses and attachments, each removed entry leaving a `{}` placeholder
//! so that indices stay valid (core-03 §Redacted Object).
//!
//! ```
//! use serde_json::json;
//! use vcon_core::redact::{RedactionPolicy, RedactionReport};
//! use vcon_core::redact::structure::apply;
//! let mut v = json!({"parties": [{"name": "A", "tel": "+12025550101"}, {"name": "B"}],
//!                    "dialog": [{"type": "recording", "url": "https://x.example/a.mp3",
//!                                "content_hash": "sha512-x"}]});
//! let mut policy = RedactionPolicy::default();
//! policy.parties.remove = vec![1];
//! policy.parties.drop_members = vec!["tel".into()];
//! policy.media.dialog_types = vec!["recording".into()];
//! let mut report = RedactionReport::default();
//! apply(v.as_object_mut().unwrap(), &policy, &mut report).unwrap();
//! assert_eq!(v["parties"], json!([{"name": "A"}, {}]));
//! assert_eq!(v["dialog"][0], json!({"type": "recording", "content_hash": "sha512-x"}));
//! ```

use serde_json::{Map, Value};

use super::mime::essence;
use super::policy::{PolicyError, RedactionPolicy};
use super::report::{Action, RedactionReport};
use crate::validate::pointer_join;

/// Members that carry an object's content; `content_hash` is kept on removal.
const CONTENT: [&str; 3] = ["body", "encoding", "url"];

/// Applies the party, media, analysis and attachment rules of `policy` to a
/// vCon object. Indices named by the policy must exist.
pub fn apply(
    vcon: &mut Map<String, Value>,
    policy: &RedactionPolicy,
    report: &mut RedactionReport,
) -> Result<(), PolicyError> {
    parties(vcon, policy, report)?;
    media(vcon, policy, report)?;
    remove_entries(vcon, "analysis", "analysis", report, |a| {
        str_member(a, "type").is_some_and(|t| policy.analysis.remove_types.iter().any(|r| r == t))
    });
    remove_entries(vcon, "attachments", "attachment", report, |a| {
        purposes(a).any(|p| policy.attachments.remove_purposes.iter().any(|r| r == p))
    });
    Ok(())
}

fn str_member<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k).and_then(Value::as_str)
}

/// An attachment's `purpose` and legacy/lawful_basis `type`.
fn purposes(a: &Map<String, Value>) -> impl Iterator<Item = &str> {
    ["purpose", "type"]
        .into_iter()
        .filter_map(|k| str_member(a, k))
}

fn array_len(vcon: &Map<String, Value>, name: &str) -> usize {
    vcon.get(name).and_then(Value::as_array).map_or(0, Vec::len)
}

fn check_indices(
    indices: &[usize],
    len: usize,
    policy_ptr: &str,
    what: &str,
) -> Result<(), PolicyError> {
    for (k, &i) in indices.iter().enumerate() {
        if i >= len {
            return Err(PolicyError::new(
                format!("{policy_ptr}/{k}"),
                format!("{what} {i} does not exist: the vCon has {len}"),
            ));
        }
    }
    Ok(())
}

fn parties(
    vcon: &mut Map<String, Value>,
    policy: &RedactionPolicy,
    report: &mut RedactionReport,
) -> Result<(), PolicyError> {
    let rules = &policy.parties;
    check_indices(
        &rules.remove,
        array_len(vcon, "parties"),
        "/parties/remove",
        "party",
    )?;
    let Some(Value::Array(items)) = vcon.get_mut("parties") else {
        return Ok(());
    };
    for (i, item) in items.iter_mut().enumerate() {
        let Value::Object(p) = item else { continue };
        let at = format!("/parties/{i}");
        if rules.remove.contains(&i) {
            if !p.is_empty() {
                p.clear();
                report.record(at, Action::Removed, "party", 1);
            }
            continue;
        }
        for m in &rules.drop_members {
            if p.shift_remove(m).is_some() {
                report.record(
                    pointer_join(&at, m),
                    Action::Removed,
                    format!("party_member:{m}"),
                    1,
                );
            }
        }
        for (m, text) in &rules.replace_members {
            if let Some(v) = p.get_mut(m)
                && v.as_str() != Some(text)
            {
                *v = Value::String(text.clone());
                report.record(
                    pointer_join(&at, m),
                    Action::Replaced,
                    format!("party_member:{m}"),
                    1,
                );
            }
        }
    }
    Ok(())
}

/// Whether `mediatype` matches a policy entry (`audio/*`, `audio/`, or exact).
fn mediatype_matches(mediatype: &str, entries: &[String]) -> bool {
    let ess = essence(mediatype);
    entries.iter().any(|e| {
        let e = e.to_ascii_lowercase();
        match e
            .strip_suffix('*')
            .or_else(|| e.strip_suffix('/').map(|_| e.as_str()))
        {
            Some(prefix) => ess.starts_with(prefix),
            None => ess == e,
        }
    })
}

/// Removes `body`, `encoding` and `url` (keeping `content_hash`); returns
/// the member that held the content (`body` or `url`), `None` when there was none.
pub fn clear_content(o: &mut Map<String, Value>) -> Option<&'static str> {
    let had = if o.get("body").is_some_and(|b| !b.is_null()) {
        Some("body")
    } else if o.get("url").is_some_and(|u| !u.is_null()) {
        Some("url")
    } else {
        None
    };
    for k in CONTENT {
        o.shift_remove(k);
    }
    had
}

fn media(
    vcon: &mut Map<String, Value>,
    policy: &RedactionPolicy,
    report: &mut RedactionReport,
) -> Result<(), PolicyError> {
    let rules = &policy.media;
    check_indices(
        &rules.dialogs,
        array_len(vcon, "dialog"),
        "/media/dialogs",
        "dialog",
    )?;
    if let Some(Value::Array(items)) = vcon.get_mut("dialog") {
        for (i, item) in items.iter_mut().enumerate() {
            let Value::Object(d) = item else { continue };
            let chosen = rules.dialogs.contains(&i)
                || str_member(d, "type").is_some_and(|t| rules.dialog_types.iter().any(|r| r == t))
                || str_member(d, "mediatype")
                    .is_some_and(|m| mediatype_matches(m, &rules.mediatypes));
            if let Some(member) = chosen.then(|| clear_content(d)).flatten() {
                report.record(format!("/dialog/{i}/{member}"), Action::Removed, "media", 1);
            }
        }
    }
    if let Some(Value::Array(items)) = vcon.get_mut("attachments") {
        for (i, item) in items.iter_mut().enumerate() {
            let Value::Object(a) = item else { continue };
            let chosen = purposes(a).any(|p| rules.attachment_purposes.iter().any(|r| r == p))
                || str_member(a, "mediatype")
                    .is_some_and(|m| mediatype_matches(m, &rules.mediatypes));
            if let Some(member) = chosen.then(|| clear_content(a)).flatten() {
                report.record(
                    format!("/attachments/{i}/{member}"),
                    Action::Removed,
                    "media",
                    1,
                );
            }
        }
    }
    Ok(())
}

fn remove_entries(
    vcon: &mut Map<String, Value>,
    array: &str,
    kind: &str,
    report: &mut RedactionReport,
    chosen: impl Fn(&Map<String, Value>) -> bool,
) {
    let Some(Value::Array(items)) = vcon.get_mut(array) else {
        return;
    };
    for (i, item) in items.iter_mut().enumerate() {
        if let Value::Object(o) = item
            && !o.is_empty()
            && chosen(o)
        {
            o.clear();
            report.record(format!("/{array}/{i}"), Action::Removed, kind, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_keep_indices() {
        let mut v = json!({
            "analysis": [{"type": "summary", "vendor": "x"}, {"type": "transcript", "vendor": "y"}],
            "attachments": [{"purpose": "tags"}, {"type": "lawful_basis"}, {"purpose": "invoice"}]
        });
        let mut p = RedactionPolicy::default();
        p.analysis.remove_types = vec!["summary".into()];
        p.attachments.remove_purposes = vec!["lawful_basis".into(), "invoice".into()];
        let mut r = RedactionReport::default();
        apply(v.as_object_mut().unwrap(), &p, &mut r).unwrap();
        assert_eq!(
            v["analysis"],
            json!([{}, {"type": "transcript", "vendor": "y"}])
        );
        assert_eq!(v["attachments"], json!([{"purpose": "tags"}, {}, {}]));
        assert_eq!(r.counts["attachment"], 2);
        assert_eq!(r.items[0].pointer, "/analysis/0");
    }

    #[test]
    fn replace_members_and_bad_indices() {
        let mut v = json!({"parties": [{"name": "Alice", "mailto": "a@b.example"}]});
        let mut p = RedactionPolicy::default();
        p.parties
            .replace_members
            .insert("name".into(), "[NAME]".into());
        p.parties.drop_members.push("mailto".into());
        let mut r = RedactionReport::default();
        apply(v.as_object_mut().unwrap(), &p, &mut r).unwrap();
        assert_eq!(v["parties"][0], json!({"name": "[NAME]"}));
        p.parties.remove = vec![0, 3];
        let e = apply(v.as_object_mut().unwrap(), &p, &mut r).unwrap_err();
        assert_eq!(e.pointer, "/parties/remove/1");
        assert!(e.message.contains("the vCon has 1"));
    }

    #[test]
    fn mediatype_patterns() {
        let e = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(mediatype_matches("audio/x-wav", &e(&["audio/*"])));
        assert!(mediatype_matches("Audio/x-wav; rate=8000", &e(&["audio/"])));
        assert!(mediatype_matches("text/plain", &e(&["text/plain"])));
        assert!(!mediatype_matches(
            "text/html",
            &e(&["text/plain", "audio/*"])
        ));
    }
}
