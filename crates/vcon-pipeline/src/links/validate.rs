//! `validate`: checks the vCon against draft-ietf-vcon-vcon-core-03 with
//! `vcon-core` (strict or lenient profile). An invalid vCon fails
//! permanently: it goes to the dead-letter list at once, the error listing
//! the findings (rule id, JSON pointer, message). Signed vCons are checked
//! as JWS and through their payload; encrypted ones as a JWE envelope.

use std::collections::BTreeSet;
use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vcon_core::validate::{Options, Profile, validate_object};
use vcon_core::{Form, Severity};

use crate::document::VconDoc;
use crate::error::ConfigError;
use crate::link::{Flow, Link, LinkContext, LinkError};
use crate::registry::{BuildContext, LinkKind, example_of, link_options};

/// Registration.
pub const KIND: LinkKind = LinkKind {
    name: "validate",
    about: "validates against core-03 (strict or lenient); invalid goes to the dead-letter list",
    build,
    example,
};

/// Options of the `validate` link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ValidateOptions {
    /// `strict` (default: every MUST is an error) or `lenient` (what the
    /// draft's own examples do is a warning).
    pub profile: ProfileName,
    /// Extensions this deployment supports; a `critical` extension outside
    /// the list is an error. Empty: vcon-core's defaults.
    pub supported_extensions: BTreeSet<String>,
    /// Also fail on warnings.
    pub deny_warnings: bool,
}

/// A validation profile, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileName {
    /// Every MUST of core-03 is an error.
    #[default]
    Strict,
    /// What the draft's own examples do is a warning.
    Lenient,
}

impl From<ProfileName> for Profile {
    fn from(p: ProfileName) -> Self {
        match p {
            ProfileName::Strict => Profile::Strict,
            ProfileName::Lenient => Profile::Lenient,
        }
    }
}

impl Default for ValidateOptions {
    fn default() -> Self {
        Self {
            profile: ProfileName::Strict,
            supported_extensions: BTreeSet::new(),
            deny_warnings: false,
        }
    }
}

/// The `validate` link.
#[derive(Debug)]
pub struct ValidateLink {
    options: Options,
    deny_warnings: bool,
}

impl ValidateLink {
    /// A link with these options.
    pub fn new(options: &ValidateOptions) -> Self {
        let mut o = Options::with_profile(options.profile.into());
        if !options.supported_extensions.is_empty() {
            o.supported_extensions = options.supported_extensions.clone();
        }
        Self {
            options: o,
            deny_warnings: options.deny_warnings,
        }
    }
}

fn build(name: &str, options: &Value, _: &BuildContext) -> Result<Arc<dyn Link>, ConfigError> {
    let options: ValidateOptions = link_options(KIND.name, name, options)?;
    Ok(Arc::new(ValidateLink::new(&options)))
}

fn example() -> Value {
    example_of(&ValidateOptions {
        profile: ProfileName::Lenient,
        ..ValidateOptions::default()
    })
}

#[async_trait]
impl Link for ValidateLink {
    fn handles(&self, _: Form) -> bool {
        true
    }

    async fn process(&self, doc: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        let report = validate_object(doc.object(), &self.options);
        let failed =
            !report.is_valid() || (self.deny_warnings && report.count(Severity::Warning) > 0);
        if failed {
            return Err(LinkError::Invalid {
                findings: report.findings,
            });
        }
        Ok(Flow::Continue)
    }
}
