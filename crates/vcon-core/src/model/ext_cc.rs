//! Typed views of the members the CC extension (draft-ietf-vcon-cc-extension)
//! adds to parties (`role`, `contact_list`) and dialogs (`campaign`,
//! `interaction_type`, `interaction_id`, `skill`). The members live in
//! `extra`; these views read and write them in place.

use serde_json::{Map, Value};

use super::dialog::Dialog;
use super::error::ModelError;
use super::json::{describe, string_enum};
use super::party::Party;

/// Name of the extension, as listed in `extensions`.
pub const CC_EXTENSION: &str = "CC";

string_enum! {
    /// A CC party `role`; the draft lists these values and allows others.
    pub enum CcRole {
        /// A contact-centre agent.
        Agent = "agent",
        /// The customer.
        Customer = "customer",
        /// A supervisor.
        Supervisor = "supervisor",
        /// A subject-matter expert.
        Sme = "sme",
        /// Any third party.
        Thirdparty = "thirdparty",
    }
}

/// A string member of `extra`: `None` when absent or `null`, an error naming
/// `/key` when it is not a string.
fn str_member<'a>(extra: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ModelError> {
    match extra.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(ModelError::WrongType {
            pointer: format!("/{key}"),
            expected: "a string",
            found: describe(other),
        }),
    }
}

/// Sets (or, with `None`, removes) a string member of `extra`, keeping its position.
fn set_str_member(extra: &mut Map<String, Value>, key: &str, value: Option<String>) {
    match value {
        Some(v) => {
            extra.insert(key.to_owned(), Value::String(v));
        }
        None => {
            extra.shift_remove(key);
        }
    }
}

/// The CC members of a [`Party`]. Errors point at the member, relative to the party.
#[derive(Debug, Clone, Copy)]
pub struct CcParty<'a> {
    extra: &'a Map<String, Value>,
}

impl<'a> CcParty<'a> {
    /// The `role` member.
    pub fn role(&self) -> Result<Option<CcRole>, ModelError> {
        Ok(str_member(self.extra, "role")?.map(CcRole::from))
    }

    /// The `contact_list` member.
    pub fn contact_list(&self) -> Result<Option<&'a str>, ModelError> {
        str_member(self.extra, "contact_list")
    }

    /// Whether any CC member is present.
    pub fn is_present(&self) -> bool {
        ["role", "contact_list"]
            .iter()
            .any(|k| self.extra.contains_key(*k))
    }
}

/// Writes the CC members of a [`Party`].
#[derive(Debug)]
pub struct CcPartyMut<'a> {
    extra: &'a mut Map<String, Value>,
}

impl CcPartyMut<'_> {
    /// Sets or removes `role`.
    pub fn set_role(&mut self, role: Option<CcRole>) -> &mut Self {
        set_str_member(self.extra, "role", role.map(|r| r.as_str().to_owned()));
        self
    }

    /// Sets or removes `contact_list`.
    pub fn set_contact_list(&mut self, list: Option<String>) -> &mut Self {
        set_str_member(self.extra, "contact_list", list);
        self
    }
}

impl Party {
    /// The CC extension members of this party.
    pub fn cc(&self) -> CcParty<'_> {
        CcParty { extra: &self.extra }
    }

    /// Writes the CC extension members of this party.
    pub fn cc_mut(&mut self) -> CcPartyMut<'_> {
        CcPartyMut {
            extra: &mut self.extra,
        }
    }
}

const DIALOG_MEMBERS: [&str; 4] = ["campaign", "interaction_type", "interaction_id", "skill"];

/// The CC members of a [`Dialog`]. Errors point at the member, relative to the dialog.
#[derive(Debug, Clone, Copy)]
pub struct CcDialog<'a> {
    extra: &'a Map<String, Value>,
}

impl<'a> CcDialog<'a> {
    /// The `campaign` member.
    pub fn campaign(&self) -> Result<Option<&'a str>, ModelError> {
        str_member(self.extra, "campaign")
    }

    /// The `interaction_type` member.
    pub fn interaction_type(&self) -> Result<Option<&'a str>, ModelError> {
        str_member(self.extra, "interaction_type")
    }

    /// The `interaction_id` member (legacy 0.0.1 `interaction` is not read here; migrate first).
    pub fn interaction_id(&self) -> Result<Option<&'a str>, ModelError> {
        str_member(self.extra, "interaction_id")
    }

    /// The `skill` member.
    pub fn skill(&self) -> Result<Option<&'a str>, ModelError> {
        str_member(self.extra, "skill")
    }

    /// Whether any CC member is present.
    pub fn is_present(&self) -> bool {
        DIALOG_MEMBERS.iter().any(|k| self.extra.contains_key(*k))
    }
}

/// Writes the CC members of a [`Dialog`].
#[derive(Debug)]
pub struct CcDialogMut<'a> {
    extra: &'a mut Map<String, Value>,
}

impl CcDialogMut<'_> {
    /// Sets or removes `campaign`.
    pub fn set_campaign(&mut self, value: Option<String>) -> &mut Self {
        set_str_member(self.extra, "campaign", value);
        self
    }

    /// Sets or removes `interaction_type`.
    pub fn set_interaction_type(&mut self, value: Option<String>) -> &mut Self {
        set_str_member(self.extra, "interaction_type", value);
        self
    }

    /// Sets or removes `interaction_id`.
    pub fn set_interaction_id(&mut self, value: Option<String>) -> &mut Self {
        set_str_member(self.extra, "interaction_id", value);
        self
    }

    /// Sets or removes `skill`.
    pub fn set_skill(&mut self, value: Option<String>) -> &mut Self {
        set_str_member(self.extra, "skill", value);
        self
    }
}

impl Dialog {
    /// The CC extension members of this dialog.
    pub fn cc(&self) -> CcDialog<'_> {
        CcDialog { extra: &self.extra }
    }

    /// Writes the CC extension members of this dialog.
    pub fn cc_mut(&mut self) -> CcDialogMut<'_> {
        CcDialogMut {
            extra: &mut self.extra,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn party_view_reads_and_writes_in_place() {
        let mut p =
            Party::try_from(json!({"role": "agent", "name": "A", "contact_list": "vip"})).unwrap();
        assert_eq!(p.cc().role().unwrap(), Some(CcRole::Agent));
        assert_eq!(p.cc().contact_list().unwrap(), Some("vip"));
        p.cc_mut()
            .set_role(Some(CcRole::Other("bot-operator".into())));
        p.cc_mut().set_contact_list(None);
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"role":"bot-operator","name":"A"}"#
        );
        assert!(!Party::default().cc().is_present());
    }

    #[test]
    fn wrong_type_is_reported() {
        let p = Party::try_from(json!({"role": 3})).unwrap();
        let e = p.cc().role().unwrap_err().within("/parties/0");
        assert_eq!(
            e.to_string(),
            "/parties/0/role: expected a string, found the number 3"
        );
        let d = Dialog::try_from(json!({"skill": null})).unwrap();
        assert_eq!(d.cc().skill().unwrap(), None);
    }

    #[test]
    fn dialog_view() {
        let mut d = Dialog::try_from(json!({"type": "recording", "campaign": "spring"})).unwrap();
        assert_eq!(d.cc().campaign().unwrap(), Some("spring"));
        d.cc_mut()
            .set_interaction_type(Some("inbound".into()))
            .set_interaction_id(Some("i-1".into()))
            .set_skill(Some("billing".into()));
        let c = d.cc();
        assert!(c.is_present());
        assert_eq!(c.interaction_type().unwrap(), Some("inbound"));
        assert_eq!(c.interaction_id().unwrap(), Some("i-1"));
        assert_eq!(c.skill().unwrap(), Some("billing"));
        d.cc_mut().set_campaign(None);
        assert_eq!(d.cc().campaign().unwrap(), None);
    }
}
