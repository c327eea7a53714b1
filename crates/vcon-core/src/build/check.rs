//! The checks [`super::VconBuilder::build`] runs before strict validation:
//! required members and every index into `parties`, `dialog` and
//! `attachments`, reported as a [`BuildError`] naming the member.

use super::error::BuildError;
use crate::model::{Analysis, Attachment, Date, Dialog, DialogParties, IndexOrList, Vcon};
use crate::validate::primitives::{is_https_url, is_mediatype};

/// Sizes of the arrays indices point into.
#[derive(Clone, Copy)]
struct Counts {
    parties: usize,
    dialogs: usize,
    attachments: usize,
}

impl Counts {
    fn party(&self, pointer: impl FnOnce() -> String, index: u64) -> Result<(), BuildError> {
        if in_range(index, self.parties) {
            Ok(())
        } else {
            Err(BuildError::PartyIndex {
                pointer: pointer(),
                index,
                count: self.parties,
            })
        }
    }

    fn dialog(
        &self,
        pointer: impl FnOnce() -> String,
        index: u64,
        rule: &'static str,
    ) -> Result<(), BuildError> {
        if in_range(index, self.dialogs) {
            Ok(())
        } else {
            Err(BuildError::DialogIndex {
                pointer: pointer(),
                index,
                count: self.dialogs,
                rule,
            })
        }
    }
}

fn in_range(index: u64, len: usize) -> bool {
    usize::try_from(index).is_ok_and(|i| i < len)
}

fn date(pointer: impl FnOnce() -> String, d: &Date, rule: &'static str) -> Result<(), BuildError> {
    if d.is_valid() {
        Ok(())
    } else {
        Err(BuildError::BadDate {
            pointer: pointer(),
            value: d.as_str().to_owned(),
            rule,
        })
    }
}

fn required<T>(
    field: Option<&T>,
    pointer: &str,
    member: &'static str,
    rule: &'static str,
) -> Result<(), BuildError> {
    match field {
        Some(_) => Ok(()),
        None => Err(BuildError::Missing {
            pointer: pointer.to_owned(),
            member,
            rule,
        }),
    }
}

/// Checks `mediatype`, `url` and `content_hash` of one content-bearing object.
fn content(
    base: &str,
    mediatype: Option<&String>,
    url: Option<&String>,
    has_hash: bool,
) -> Result<(), BuildError> {
    if let Some(m) = mediatype
        && !is_mediatype(m)
    {
        return Err(BuildError::BadMediatype {
            pointer: format!("{base}/mediatype"),
            value: m.clone(),
        });
    }
    if let Some(u) = url {
        if !is_https_url(u) {
            return Err(BuildError::NotHttps {
                pointer: format!("{base}/url"),
                url: u.clone(),
            });
        }
        if !has_hash {
            return Err(BuildError::Missing {
                pointer: base.to_owned(),
                member: "content_hash",
                rule: "R-30",
            });
        }
    }
    Ok(())
}

fn each_index(list: Option<&IndexOrList>) -> impl Iterator<Item = u64> + '_ {
    list.into_iter().flat_map(IndexOrList::iter)
}

fn dialog(counts: Counts, i: usize, d: &Dialog) -> Result<(), BuildError> {
    let base = format!("/dialog/{i}");
    required(d.r#type.as_ref(), &base, "type", "R-13")?;
    required(d.start.as_ref(), &base, "start", "R-15")?;
    if let Some(start) = &d.start {
        date(|| format!("{base}/start"), start, "R-15")?;
    }
    match &d.parties {
        Some(DialogParties::One(p)) => counts.party(|| format!("{base}/parties"), *p)?,
        Some(DialogParties::List(list)) => {
            for (k, p) in list.iter().enumerate() {
                counts.party(|| format!("{base}/parties/{k}"), *p)?;
            }
        }
        Some(DialogParties::Channels(channels)) => {
            for (c, channel) in channels.iter().enumerate() {
                match channel {
                    Some(IndexOrList::One(p)) => {
                        counts.party(|| format!("{base}/parties/{c}"), *p)?;
                    }
                    Some(IndexOrList::List(list)) => {
                        for (k, p) in list.iter().enumerate() {
                            counts.party(|| format!("{base}/parties/{c}/{k}"), *p)?;
                        }
                    }
                    None => {}
                }
            }
        }
        None => {}
    }
    let singles = [
        ("originator", d.originator),
        ("transferee", d.transferee),
        ("transferor", d.transferor),
    ];
    for (member, index) in singles {
        if let Some(p) = index {
            counts.party(|| format!("{base}/{member}"), p)?;
        }
    }
    for p in each_index(d.transfer_target.as_ref()) {
        counts.party(|| format!("{base}/transfer_target"), p)?;
    }
    for (k, h) in d.party_history().iter().enumerate() {
        let at = format!("{base}/party_history/{k}");
        required(h.party.as_ref(), &at, "party", "R-28")?;
        required(h.time.as_ref(), &at, "time", "R-28")?;
        required(h.event.as_ref(), &at, "event", "R-28")?;
        if let Some(p) = h.party {
            counts.party(|| format!("{at}/party"), p)?;
        }
        if let Some(t) = &h.time {
            date(|| format!("{at}/time"), t, "R-28")?;
        }
    }
    let dialog_lists = [
        ("original", d.original.as_ref()),
        ("consultation", d.consultation.as_ref()),
        ("target_dialog", d.target_dialog.as_ref()),
    ];
    for (member, list) in dialog_lists {
        for x in each_index(list) {
            counts.dialog(|| format!("{base}/{member}"), x, "R-19")?;
        }
    }
    for (k, x) in d.recordings.iter().flatten().enumerate() {
        counts.dialog(|| format!("{base}/recordings/{k}"), *x, "R-23")?;
    }
    if let Some(x) = d.recording_set {
        counts.dialog(|| format!("{base}/recording_set"), x, "R-23")?;
    }
    content(
        &base,
        d.mediatype.as_ref(),
        d.url.as_ref(),
        d.content_hash.is_some(),
    )
}

fn analysis(counts: Counts, i: usize, a: &Analysis) -> Result<(), BuildError> {
    let base = format!("/analysis/{i}");
    required(a.r#type.as_ref(), &base, "type", "R-34")?;
    required(a.vendor.as_ref(), &base, "vendor", "R-34")?;
    for x in each_index(a.dialog.as_ref()) {
        counts.dialog(|| format!("{base}/dialog"), x, "R-35")?;
    }
    for x in each_index(a.attachment.as_ref()) {
        if !in_range(x, counts.attachments) {
            return Err(BuildError::AttachmentIndex {
                pointer: format!("{base}/attachment"),
                index: x,
                count: counts.attachments,
            });
        }
    }
    content(
        &base,
        a.mediatype.as_ref(),
        a.url.as_ref(),
        a.content_hash.is_some(),
    )
}

fn attachment(counts: Counts, i: usize, a: &Attachment) -> Result<(), BuildError> {
    let base = format!("/attachments/{i}");
    required(a.start.as_ref(), &base, "start", "R-36")?;
    required(a.party.as_ref(), &base, "party", "R-36")?;
    required(a.dialog.as_ref(), &base, "dialog", "R-36")?;
    if let Some(start) = &a.start {
        date(|| format!("{base}/start"), start, "R-36")?;
    }
    if let Some(p) = a.party {
        counts.party(|| format!("{base}/party"), p)?;
    }
    if let Some(x) = a.dialog {
        counts.dialog(|| format!("{base}/dialog"), x, "R-36")?;
    }
    content(
        &base,
        a.mediatype.as_ref(),
        a.url.as_ref(),
        a.content_hash.is_some(),
    )
}

/// Runs every check on an assembled vCon, stopping at the first problem.
pub(super) fn check(vcon: &Vcon) -> Result<(), BuildError> {
    if vcon.uuid.is_none() {
        return Err(BuildError::MissingUuid);
    }
    required(vcon.created_at.as_ref(), "", "created_at", "R-3")?;
    if let Some(c) = &vcon.created_at {
        date(|| "/created_at".to_owned(), c, "R-3")?;
    }
    let counts = Counts {
        parties: vcon.parties().len(),
        dialogs: vcon.dialogs().len(),
        attachments: vcon.attachments().len(),
    };
    for (i, d) in vcon.dialogs().iter().enumerate() {
        dialog(counts, i, d)?;
    }
    for (i, a) in vcon.analyses().iter().enumerate() {
        analysis(counts, i, a)?;
    }
    for (i, a) in vcon.attachments().iter().enumerate() {
        attachment(counts, i, a)?;
    }
    Ok(())
}
