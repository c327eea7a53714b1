//! The typed vCon model (draft-ietf-vcon-vcon-core-03, syntax `"0.4.0"`).
//!
//! Every object of core-03 is a struct with one `pub Option<T>` field per
//! member, named after the member (`r#type` for `type`), plus `extra` for
//! every other member (extensions, legacy names, unknown members). The order
//! members were read in is recorded, so reading and writing a vCon gives back
//! the same JSON value with the same member order. Members set later are
//! written after the recorded ones, in declaration order, then new `extra`
//! members.
//!
//! `null` reads as absent: the typed field stays `None` and the `null` is
//! kept in `extra` so that it is written back in place. `{}` and `[]` read as
//! empty values; [`Vcon::redacted_ref`], [`Vcon::amended_ref`] and the slice
//! accessors ([`Vcon::parties`], ...) treat them as absent.
//!
//! Values are kept as written: dates ([`Date`]), content hashes
//! ([`ContentHashValue`]), durations (as [`serde_json::Number`], so `30` and
//! `30.0` both round-trip) and unregistered enum values (`Other(String)`).
//! Only JSON types are checked on conversion; whether values follow the
//! rules is the validator's business ([`crate::validate`]).
//!
//! ```
//! use vcon_core::model::{Dialog, DialogType, Party, Vcon};
//! let mut v = Vcon { uuid: Some("019f15a6-a752-826f-b9a2-279e0d16bc46".into()), ..Default::default() };
//! let alice = v.push_party(Party { name: Some("Alice".into()), ..Default::default() });
//! let mut d = Dialog { r#type: Some(DialogType::Text), parties: Some((alice as u64).into()), ..Default::default() };
//! d.set_inline_text("Hi");
//! v.push_dialog(d);
//! let back = Vcon::from_slice(&v.to_vec().unwrap()).unwrap();
//! assert_eq!(back, v);
//! assert_eq!(back.dialogs()[0].decoded_body().unwrap(), b"Hi");
//! ```

mod analysis;
mod attachment;
mod content;
mod dialog;
mod error;
mod ext_cc;
mod ext_lawful_basis;
mod ext_wtf;
mod indices;
pub(crate) mod json;
mod lineage;
mod party;
mod session;
mod values;
mod vcon;

pub use analysis::Analysis;
pub use attachment::Attachment;
pub use content::{Content, ContentOwner};
pub use dialog::{Dialog, PartyHistory};
pub use error::ModelError;
pub use ext_cc::{CC_EXTENSION, CcDialog, CcDialogMut, CcParty, CcPartyMut, CcRole};
pub use ext_lawful_basis::{
    LAWFUL_BASIS_EXTENSION, LawfulBasis, LawfulBasisHash, LawfulBasisKind, ProofMechanism,
    ProofType, PurposeGrant, Registry,
};
pub use ext_wtf::{
    WTF_EXTENSION, WtfAudio, WtfMetadata, WtfSegment, WtfTranscript, WtfTranscription, WtfWord,
};
pub use indices::{DialogParties, IndexOrList};
#[doc(hidden)]
pub use json::MemberOrder;
pub use lineage::{Amended, Redacted};
pub use party::{CivicAddress, Party};
pub use session::{SessionId, SessionIdSlot, SessionIds};
pub use values::{ContentHashValue, Date, DialogType, Disposition, Encoding, PartyEvent};
pub use vcon::Vcon;
