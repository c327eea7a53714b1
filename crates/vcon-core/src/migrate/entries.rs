//! Members of the array entries: parties, dialog, attachments and analysis.

use serde_json::{Map, Value};

use super::util::{join, stash, type_name};
use super::{ChangeKind, Migrator};

/// Party members defined by the CC extension.
const CC_PARTY: &[&str] = &["role", "contact_list"];
/// Dialog members defined by the CC extension.
const CC_DIALOG: &[&str] = &["campaign", "interaction_type", "interaction_id", "skill"];

/// Whether `s` is a UUID as RFC 7989 writes it (32 hex digits) or in the
/// 8-4-4-4-12 text form.
fn is_session_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len() {
        32 => b.iter().all(u8::is_ascii_hexdigit),
        36 => b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        }),
        _ => false,
    }
}

/// Parses an RFC 7989 Session-ID string, `local` or `local;remote=<remote>`,
/// into a SessionId object. A missing remote half is the nil UUID written in
/// the same form as the local half. `None` when the string is anything else
/// (other parameters included: they would be lost).
pub(super) fn parse_session_id(text: &str) -> Option<Value> {
    let mut parts = text.split(';');
    let local = parts.next()?.trim();
    if !is_session_uuid(local) {
        return None;
    }
    let mut remote = None;
    for param in parts {
        let (key, value) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("remote") || remote.is_some() {
            return None;
        }
        remote = Some(value.trim());
    }
    let remote = match remote {
        Some(r) if is_session_uuid(r) => r.to_owned(),
        Some(_) => return None,
        None if local.len() == 32 => "0".repeat(32),
        None => "00000000-0000-0000-0000-000000000000".to_owned(),
    };
    let mut object = Map::new();
    object.insert("local".to_owned(), Value::String(local.to_owned()));
    object.insert("remote".to_owned(), Value::String(remote));
    Some(Value::Object(object))
}

/// Whether a `session_id` value holds a legacy string anywhere.
fn has_string(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Array(items) => items.iter().any(has_string),
        _ => false,
    }
}

/// Converts every string of a `session_id` value (single or shaped like
/// `parties`); `None` if one of them cannot be parsed.
fn upgrade_session_id(value: &Value) -> Option<Value> {
    match value {
        Value::String(s) => parse_session_id(s),
        Value::Array(items) => items
            .iter()
            .map(upgrade_session_id)
            .collect::<Option<Vec<_>>>()
            .map(Value::Array),
        Value::Object(_) | Value::Null => Some(value.clone()),
        _ => None,
    }
}

impl Migrator {
    /// One party object.
    pub(super) fn party(&mut self, party: &Map<String, Value>) {
        for key in CC_PARTY.iter().filter(|k| party.contains_key(**k)) {
            self.cc_members.insert(key);
        }
    }

    /// One dialog object.
    pub(super) fn dialog(&mut self, dialog: &mut Map<String, Value>, ptr: &str) {
        self.content(dialog, ptr, true);
        self.rename(dialog, ptr, "transfer-target", "transfer_target", |_| true);
        self.rename(dialog, ptr, "target-dialog", "target_dialog", |_| true);
        self.session_id(dialog, ptr);
        self.rename(
            dialog,
            ptr,
            "interaction",
            "interaction_id",
            Value::is_string,
        );
        for key in CC_DIALOG.iter().filter(|k| dialog.contains_key(**k)) {
            self.cc_members.insert(key);
        }
    }

    /// One attachment object: content, and `type` → `purpose` (but a
    /// `lawful_basis` attachment keeps `type`, which that extension defines).
    /// The value moves as it is, so a wrongly typed one stays visible to the validator.
    pub(super) fn attachment(&mut self, attachment: &mut Map<String, Value>, ptr: &str) {
        self.content(attachment, ptr, true);
        if attachment.get("type").and_then(Value::as_str) != Some("lawful_basis") {
            self.rename(attachment, ptr, "type", "purpose", |_| true);
        }
    }

    /// One analysis object: content, and `schema_version` / `vendor_schema` →
    /// `schema`. Only a string can become `schema`; a vendor's non-string
    /// settings object is preserved rather than turned into an invalid `schema`.
    pub(super) fn analysis(&mut self, analysis: &mut Map<String, Value>, ptr: &str) {
        self.content(analysis, ptr, true);
        self.rename(analysis, ptr, "schema_version", "schema", Value::is_string);
        self.rename(analysis, ptr, "vendor_schema", "schema", Value::is_string);
    }

    /// A 0.3.0 string `session_id` (RFC 7989 form) → `{local, remote}`.
    fn session_id(&mut self, dialog: &mut Map<String, Value>, ptr: &str) {
        let Some(value) = dialog.get("session_id") else {
            return;
        };
        if !has_string(value) {
            return;
        }
        let at = join(ptr, "session_id");
        if let Some(upgraded) = upgrade_session_id(value) {
            dialog.insert("session_id".to_owned(), upgraded);
            self.note(
                at,
                ChangeKind::SessionIdParsed,
                "RFC 7989 Session-ID string(s) `local;remote=…` parsed into {local, remote}"
                    .to_owned(),
            );
            return;
        }
        let found = type_name(value);
        if let Some(old) = dialog.shift_remove("session_id") {
            let stored = stash(dialog, "session_id", old);
            self.note(
                format!("{ptr}{stored}"),
                ChangeKind::Preserved,
                format!(
                    "`session_id` ({found}) is not in RFC 7989 form `local;remote=…`; kept under `{}`",
                    super::PRESERVED_MEMBER
                ),
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn session_id_forms() {
        let l = "ab30317f1a784dc48ff824d0d3715d86";
        let r = "47755a9de7794ba387653f2099600ef2";
        assert_eq!(
            parse_session_id(&format!("{l};remote={r}")),
            Some(json!({"local": l, "remote": r}))
        );
        assert_eq!(
            parse_session_id(l),
            Some(json!({"local": l, "remote": "00000000000000000000000000000000"}))
        );
        let hy = "019f15a6-a752-826f-b9a2-279e0d16bc46";
        assert_eq!(
            parse_session_id(hy),
            Some(json!({"local": hy, "remote": "00000000-0000-0000-0000-000000000000"}))
        );
        assert_eq!(parse_session_id(&format!("{l};remote={r};x=1")), None);
        assert_eq!(parse_session_id("call-1234"), None);
        assert_eq!(parse_session_id(&format!("{l};remote=nope")), None);
    }

    #[test]
    fn dialog_session_id_parsed_or_preserved() {
        let l = "ab30317f1a784dc48ff824d0d3715d86";
        let mut m = Migrator::default();
        let mut d = obj(json!({"type": "recording", "session_id": [l, null, [l]]}));
        m.dialog(&mut d, "/dialog/3");
        assert_eq!(d["session_id"][0]["local"], l);
        assert_eq!(d["session_id"][1], Value::Null);
        assert_eq!(d["session_id"][2][0]["local"], l);
        assert_eq!(m.changes[0].kind, ChangeKind::SessionIdParsed);
        assert_eq!(m.changes[0].pointer, "/dialog/3/session_id");

        let mut m = Migrator::default();
        let mut d = obj(json!({"type": "recording", "session_id": "sip-abc"}));
        m.dialog(&mut d, "/dialog/0");
        assert!(!d.contains_key("session_id"));
        assert_eq!(d["legacy_preserved"]["session_id"], "sip-abc");
        assert_eq!(m.changes[0].kind, ChangeKind::Preserved);
        assert_eq!(
            m.changes[0].pointer,
            "/dialog/0/legacy_preserved/session_id"
        );
    }

    #[test]
    fn transfer_members_renamed_in_place() {
        let mut m = Migrator::default();
        let mut d = obj(
            json!({"type": "transfer", "transferee": 0, "transfer-target": 2, "target-dialog": [1], "original": 0}),
        );
        m.dialog(&mut d, "/dialog/1");
        assert_eq!(
            d.keys().collect::<Vec<_>>(),
            [
                "type",
                "transferee",
                "transfer_target",
                "target_dialog",
                "original"
            ]
        );
        assert_eq!(d["target_dialog"], json!([1]));
        assert_eq!(m.changes.len(), 2);
        assert!(m.changes.iter().all(|c| c.kind == ChangeKind::Renamed));
        assert!(m.cc_members.is_empty());
    }

    #[test]
    fn interaction_becomes_cc_interaction_id() {
        let mut m = Migrator::default();
        let mut d = obj(json!({"type": "text", "interaction": "A-17"}));
        m.dialog(&mut d, "/dialog/0");
        assert_eq!(d["interaction_id"], "A-17");
        assert!(!m.cc_members.is_empty());
        let mut m = Migrator::default();
        let mut d = obj(json!({"type": "text", "interaction": {"id": 3}}));
        m.dialog(&mut d, "/dialog/0");
        assert_eq!(d["legacy_preserved"]["interaction"], json!({"id": 3}));
        assert!(m.cc_members.is_empty());
    }

    #[test]
    fn attachment_type_to_purpose_except_lawful_basis() {
        let mut m = Migrator::default();
        let mut a = obj(json!({"type": "ingress_info", "body": "{\"source\": \"bria\"}"}));
        m.attachment(&mut a, "/attachments/2");
        assert_eq!(
            a,
            obj(
                json!({"purpose": "ingress_info", "body": "{\"source\": \"bria\"}", "encoding": "none"})
            )
        );
        let mut a = obj(json!({"type": "lawful_basis", "encoding": "json", "body": {}}));
        let before = a.clone();
        m.attachment(&mut a, "/attachments/3");
        assert_eq!(a, before);
        let mut a = obj(json!({"type": "x", "purpose": "x"}));
        m.attachment(&mut a, "/attachments/4");
        assert_eq!(a, obj(json!({"purpose": "x"})));
    }

    #[test]
    fn analysis_schema_members() {
        let mut m = Migrator::default();
        let mut a =
            obj(json!({"type": "summary", "vendor": "openai", "vendor_schema": "{\"model\": 1}"}));
        m.analysis(&mut a, "/analysis/0");
        assert_eq!(a["schema"], "{\"model\": 1}");
        let mut a = obj(json!({"type": "t", "schema_version": "1", "vendor_schema": "v"}));
        m.analysis(&mut a, "/analysis/1");
        assert_eq!(a["schema"], "1");
        assert_eq!(a["legacy_preserved"]["vendor_schema"], "v");
    }

    #[test]
    fn party_cc_members() {
        let mut m = Migrator::default();
        m.party(&obj(json!({"name": "A", "meta": {"role": "agent"}})));
        assert!(m.cc_members.is_empty());
        m.party(&obj(json!({"name": "A", "role": "agent"})));
        assert!(!m.cc_members.is_empty());
    }
}
