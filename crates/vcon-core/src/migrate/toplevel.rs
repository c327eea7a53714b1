//! Top-level members: `vcon`, `must_support`/`must_understand`, `appended`,
//! `amended`, `redacted`, `group`, and the `CC` entry of `extensions`.

use serde_json::{Map, Value};

use super::util::{insert_after, is_empty_leftover, join, rename_in_place, stash, type_name};
use super::{ChangeKind, Migrator, PRESERVED_MEMBER};
use crate::version::Syntax;

/// Members of a 0.0.1/0.0.2 Redacted or Appended object that carried the prior
/// vCon inline; core-00 and later objects are references only.
const INLINE: &[&str] = &["body", "encoding", "mimetype", "mediatype", "filename"];

impl Migrator {
    /// Runs every top-level step, in an order where each sees the result of the previous.
    pub(super) fn top_level(&mut self, obj: &mut Map<String, Value>) {
        self.version_member(obj);
        self.critical(obj);
        self.reference(obj, "redacted");
        self.reference(obj, "amended");
        self.appended(obj);
        self.group(obj);
    }

    /// `vcon` "0.0.1"/"0.0.2"/"0.3.0" → "0.4.0"; an unknown value is preserved.
    fn version_member(&mut self, obj: &mut Map<String, Value>) {
        let old = match obj.get("vcon") {
            None => return,
            Some(Value::String(s)) if s == Syntax::V0_4_0.as_str() => return,
            Some(Value::Null) => {
                obj.shift_remove("vcon");
                self.note(
                    "/vcon".to_owned(),
                    ChangeKind::EmptyRemoved,
                    "null `vcon` removed".to_owned(),
                );
                return;
            }
            Some(old) => old.clone(),
        };
        obj.insert("vcon".to_owned(), Value::String("0.4.0".to_owned()));
        let known = old.as_str().and_then(Syntax::from_str_opt);
        self.note(
            "/vcon".to_owned(),
            ChangeKind::VersionSet,
            format!("`vcon` {old} set to \"0.4.0\""),
        );
        if known.is_none() {
            let at = stash(obj, "vcon", old);
            self.note(
                at,
                ChangeKind::Preserved,
                format!("unknown former `vcon` value kept under `{PRESERVED_MEMBER}`"),
            );
        }
    }

    /// `must_support` (0.3.0) and `must_understand` (vcon-dev docs) → `critical`.
    fn critical(&mut self, obj: &mut Map<String, Value>) {
        for alias in ["must_support", "must_understand"] {
            let Some(value) = obj.get(alias) else {
                continue;
            };
            let ptr = join("", alias);
            if is_empty_leftover(value) {
                obj.shift_remove(alias);
                self.note(
                    ptr,
                    ChangeKind::EmptyRemoved,
                    format!("empty `{alias}` removed"),
                );
                continue;
            }
            let Value::Array(names) = value.clone() else {
                let why = format!("`{alias}` is {}, not an array of names", type_name(value));
                self.stash_all(obj, "", &[alias], &why);
                continue;
            };
            match obj.get_mut("critical") {
                None | Some(Value::Null) => {
                    rename_in_place(obj, alias, "critical");
                    self.note(
                        "/critical".to_owned(),
                        ChangeKind::Renamed,
                        format!("`{alias}` renamed to `critical`"),
                    );
                }
                Some(Value::Array(existing)) => {
                    let before = existing.len();
                    for name in names {
                        if !existing.contains(&name) {
                            existing.push(name);
                        }
                    }
                    let added = existing.len() - before;
                    obj.shift_remove(alias);
                    let kind = if added == 0 {
                        ChangeKind::DuplicateRemoved
                    } else {
                        ChangeKind::Renamed
                    };
                    self.note(
                        "/critical".to_owned(),
                        kind,
                        format!("`{alias}` merged into `critical` ({added} name(s) added)"),
                    );
                }
                Some(_) => {
                    self.stash_all(obj, "", &[alias], "`critical` is present but not an array")
                }
            }
        }
    }

    /// A `redacted` or `amended` member: empty leftovers removed; inline
    /// content and a `url` without `content_hash` moved under the
    /// preservation member of the object; `alg` + `signature` mapped.
    fn reference(&mut self, obj: &mut Map<String, Value>, name: &str) {
        let Some(value) = obj.get(name) else {
            return;
        };
        let ptr = join("", name);
        if is_empty_leftover(value) {
            obj.shift_remove(name);
            self.note(
                ptr,
                ChangeKind::EmptyRemoved,
                format!("empty `{name}` leftover removed (R-44)"),
            );
            return;
        }
        if !value.is_object() {
            let why = format!("`{name}` is {}, not an object", type_name(value));
            self.stash_all(obj, "", &[name], &why);
            return;
        }
        let Some(Value::Object(reference)) = obj.get_mut(name) else {
            return;
        };
        self.content_hash(reference, &ptr);
        let mut moved: Vec<&str> = INLINE
            .iter()
            .copied()
            .filter(|k| reference.contains_key(*k))
            .collect();
        if reference.contains_key("url") && !reference.contains_key("content_hash") {
            moved.push("url");
        }
        self.stash_all(
            reference,
            &ptr,
            &moved,
            "a 0.4.0 Redacted/Amended object only references the prior vCon (uuid, url + content_hash)",
        );
    }

    /// `appended` → `amended`, unless an `amended` or `redacted` is present
    /// (they are mutually exclusive, R-8): then it is preserved whole.
    fn appended(&mut self, obj: &mut Map<String, Value>) {
        let Some(value) = obj.get("appended") else {
            return;
        };
        if is_empty_leftover(value) {
            obj.shift_remove("appended");
            self.note(
                "/appended".to_owned(),
                ChangeKind::EmptyRemoved,
                "empty `appended` leftover removed (R-44)".to_owned(),
            );
            return;
        }
        if let Some(other) = ["amended", "redacted"]
            .into_iter()
            .find(|k| obj.get(*k).is_some_and(|v| !is_empty_leftover(v)))
        {
            let why = format!("`{other}` is present and excludes `amended` (R-8)");
            self.stash_all(obj, "", &["appended"], &why);
            return;
        }
        if let Some(Value::Array(items)) = obj.get_mut("appended")
            && items.len() == 1
            && items.first().is_some_and(Value::is_object)
            && let Some(only) = items.pop()
        {
            obj.insert("appended".to_owned(), only);
        }
        if !obj.get("appended").is_some_and(Value::is_object) {
            let why = "`appended` is not a single object".to_owned();
            self.stash_all(obj, "", &["appended"], &why);
            return;
        }
        rename_in_place(obj, "appended", "amended");
        self.note(
            "/amended".to_owned(),
            ChangeKind::Renamed,
            "`appended` renamed to `amended`".to_owned(),
        );
        self.reference(obj, "amended");
    }

    /// `group: []` removed; a non-empty `group` (removed from core in core-02)
    /// has its entries' content members upgraded and is preserved.
    fn group(&mut self, obj: &mut Map<String, Value>) {
        let Some(value) = obj.get("group") else {
            return;
        };
        if is_empty_leftover(value) {
            obj.shift_remove("group");
            self.note(
                "/group".to_owned(),
                ChangeKind::EmptyRemoved,
                "empty `group` leftover removed (R-44)".to_owned(),
            );
            return;
        }
        let Some(mut group) = obj.shift_remove("group") else {
            return;
        };
        let mut inner = Migrator::default();
        if let Value::Array(items) = &mut group {
            for (i, item) in items.iter_mut().enumerate() {
                if let Value::Object(entry) = item {
                    inner.content(entry, &join("", i), false);
                }
            }
        }
        let at = stash(obj, "group", group);
        self.note(
            at.clone(),
            ChangeKind::Preserved,
            format!(
                "non-empty `group` (no longer part of core since core-02) kept under `{PRESERVED_MEMBER}`"
            ),
        );
        for mut change in inner.changes {
            change.pointer = format!("{at}{}", change.pointer);
            self.changes.push(change);
        }
    }

    /// Adds `CC` to `extensions` when CC members were seen. A party `role`
    /// alone does not count when `agent_session` (which defines `role:
    /// "agent"`) is already declared.
    pub(super) fn declare_cc(&mut self, obj: &mut Map<String, Value>) {
        let declared = |name: &str| matches!(obj.get("extensions"), Some(Value::Array(names)) if names.iter().any(|n| n == name));
        let only_role = self.cc_members.iter().all(|m| *m == "role");
        if self.cc_members.is_empty() || declared("CC") || (only_role && declared("agent_session"))
        {
            return;
        }
        let seen: Vec<&str> = self.cc_members.iter().copied().collect();
        let why = format!("CC extension members are present ({})", seen.join(", "));
        match obj.get_mut("extensions") {
            Some(Value::Array(names)) => {
                if !names.iter().any(|n| n == "CC") {
                    let at = join("/extensions", names.len());
                    names.push(Value::String("CC".to_owned()));
                    self.note(
                        at,
                        ChangeKind::ExtensionDeclared,
                        format!("`CC` added: {why}"),
                    );
                }
            }
            None | Some(Value::Null) => {
                let anchor = if obj.contains_key("uuid") {
                    "uuid"
                } else {
                    "vcon"
                };
                insert_after(
                    obj,
                    anchor,
                    "extensions",
                    Value::Array(vec![Value::String("CC".to_owned())]),
                );
                self.note(
                    "/extensions".to_owned(),
                    ChangeKind::ExtensionDeclared,
                    format!("`extensions: [\"CC\"]` added: {why}"),
                );
            }
            Some(_) => {}
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> (Map<String, Value>, Migrator) {
        let mut m = v.as_object().cloned().unwrap();
        let mut mig = Migrator::default();
        mig.top_level(&mut m);
        (m, mig)
    }

    fn kinds(m: &Migrator) -> Vec<ChangeKind> {
        m.changes.iter().map(|c| c.kind).collect()
    }

    #[test]
    fn version_and_leftovers() {
        let (m, mig) = run(
            json!({"vcon": "0.0.1", "uuid": "u", "group": [], "redacted": {}, "appended": null, "parties": []}),
        );
        assert_eq!(
            m,
            json!({"vcon": "0.4.0", "uuid": "u", "parties": []})
                .as_object()
                .cloned()
                .unwrap()
        );
        assert_eq!(
            kinds(&mig),
            [
                ChangeKind::VersionSet,
                ChangeKind::EmptyRemoved,
                ChangeKind::EmptyRemoved,
                ChangeKind::EmptyRemoved
            ]
        );
        let (m, mig) = run(json!({"vcon": "1.2"}));
        assert_eq!(m["vcon"], "0.4.0");
        assert_eq!(m["legacy_preserved"]["vcon"], "1.2");
        assert_eq!(kinds(&mig), [ChangeKind::VersionSet, ChangeKind::Preserved]);
    }

    #[test]
    fn must_support_and_must_understand() {
        let (m, _) = run(json!({"uuid": "u", "must_support": ["x"], "parties": []}));
        assert_eq!(
            m.keys().collect::<Vec<_>>(),
            ["uuid", "critical", "parties"]
        );
        let (m, mig) =
            run(json!({"critical": ["x"], "must_support": ["x", "y"], "must_understand": ["x"]}));
        assert_eq!(
            m,
            json!({"critical": ["x", "y"]})
                .as_object()
                .cloned()
                .unwrap()
        );
        assert_eq!(
            kinds(&mig),
            [ChangeKind::Renamed, ChangeKind::DuplicateRemoved]
        );
        let (m, _) = run(json!({"must_support": "x"}));
        assert_eq!(m["legacy_preserved"]["must_support"], "x");
    }

    #[test]
    fn appended_reference_keeps_mappable_members() {
        let sig = "ab".repeat(64);
        let (m, mig) = run(json!({
            "uuid": "u",
            "appended": {"uuid": "p", "url": "https://e/p.vcon", "alg": "SHA-512", "signature": sig,
                         "body": "eyJ9", "encoding": "base64url"},
            "parties": []
        }));
        assert_eq!(m.keys().collect::<Vec<_>>(), ["uuid", "amended", "parties"]);
        let amended = &m["amended"];
        assert_eq!(amended["uuid"], "p");
        assert_eq!(amended["url"], "https://e/p.vcon");
        assert!(
            amended["content_hash"]
                .as_str()
                .unwrap()
                .starts_with("sha512-")
        );
        assert_eq!(
            amended["legacy_preserved"],
            json!({"body": "eyJ9", "encoding": "base64url"})
        );
        assert!(
            mig.changes
                .iter()
                .any(|c| c.pointer == "/amended/legacy_preserved/body")
        );
    }

    #[test]
    fn inline_appended_without_hash_keeps_url_aside() {
        let (m, _) = run(json!({"appended": {"uuid": "p", "url": "https://e/p"}}));
        assert_eq!(
            m["amended"],
            json!({"uuid": "p", "legacy_preserved": {"url": "https://e/p"}})
        );
    }

    #[test]
    fn appended_conflicting_with_redacted_is_preserved() {
        let (m, mig) =
            run(json!({"redacted": {"uuid": "r", "type": "PII"}, "appended": {"uuid": "a"}}));
        assert_eq!(m["redacted"], json!({"uuid": "r", "type": "PII"}));
        assert!(!m.contains_key("amended"));
        assert_eq!(m["legacy_preserved"]["appended"], json!({"uuid": "a"}));
        assert!(mig.changes[0].description.contains("R-8"));
    }

    #[test]
    fn redacted_inline_original_moved_aside() {
        let (m, _) =
            run(json!({"redacted": {"uuid": "r", "type": "PII", "body": "x", "encoding": "none"}}));
        assert_eq!(
            m["redacted"],
            json!({"uuid": "r", "type": "PII", "legacy_preserved": {"body": "x", "encoding": "none"}})
        );
    }

    #[test]
    fn non_empty_group_preserved_with_entries_upgraded() {
        let sig = "cd".repeat(64);
        let (m, mig) = run(
            json!({"group": [{"uuid": "g", "url": "https://e/g", "alg": "SHA-512", "signature": sig}]}),
        );
        assert!(!m.contains_key("group"));
        let g = &m["legacy_preserved"]["group"][0];
        assert!(g["content_hash"].as_str().unwrap().starts_with("sha512-"));
        assert_eq!(mig.changes[0].pointer, "/legacy_preserved/group");
        assert_eq!(
            mig.changes[1].pointer,
            "/legacy_preserved/group/0/content_hash"
        );
    }

    #[test]
    fn cc_declared_once() {
        let mut m = json!({"uuid": "u", "parties": []})
            .as_object()
            .cloned()
            .unwrap();
        let mut mig = Migrator::default();
        mig.cc_members.insert("role");
        mig.declare_cc(&mut m);
        mig.declare_cc(&mut m);
        assert_eq!(
            m.keys().collect::<Vec<_>>(),
            ["uuid", "extensions", "parties"]
        );
        assert_eq!(m["extensions"], json!(["CC"]));
        assert_eq!(mig.changes.len(), 1);
        let mut m = json!({"extensions": ["lawful_basis"]})
            .as_object()
            .cloned()
            .unwrap();
        mig.declare_cc(&mut m);
        assert_eq!(m["extensions"], json!(["lawful_basis", "CC"]));
        assert_eq!(mig.changes[1].pointer, "/extensions/1");
        assert!(mig.changes[1].description.contains("(role)"));
        let mut m = json!({"extensions": ["agent_session"]})
            .as_object()
            .cloned()
            .unwrap();
        mig.declare_cc(&mut m);
        assert_eq!(
            m["extensions"],
            json!(["agent_session"]),
            "role is agent_session's too"
        );
        mig.cc_members.insert("skill");
        mig.declare_cc(&mut m);
        assert_eq!(m["extensions"], json!(["agent_session", "CC"]));
    }
}
