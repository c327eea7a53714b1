//! Silencing inline recordings where masked words were spoken: the spans
//! found in word-timed transcripts ([`super::walk::Spans`]) are applied to
//! the dialog each transcript analysis names, when that dialog holds an
//! inline (`base64url`) PCM WAV recording. The body is encoded again and a
//! `content_hash` on the dialog, if any, is recomputed for the new bytes.
//!
//! A recording that needs silencing but cannot be silenced (external `url`,
//! not WAV, not PCM 8/16-bit, or an analysis naming several dialogs) is
//! refused or has its content removed, as [`Unsupported`] says.
//!
//! ```
//! use base64::Engine as _;
//! use serde_json::json;
//! use std::collections::BTreeMap;
//! use vcon_core::redact::{AudioRules, RedactionReport};
//! use vcon_core::redact::audio::silence_dialogs;
//! use vcon_core::redact::wav::{Wav, pcm16_mono};
//! let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
//! let wav = pcm16_mono(100, &[7; 100]);
//! let mut v = json!({"dialog": [{"type": "recording", "mediatype": "audio/x-wav",
//!     "encoding": "base64url", "body": b64.encode(&wav)}]});
//! let spans = BTreeMap::from([(0, vec![(0.5, 0.6)])]);
//! let mut report = RedactionReport::default();
//! silence_dialogs(v.as_object_mut().unwrap(), &spans, &AudioRules::default(), &mut report).unwrap();
//! let out = b64.decode(v["dialog"][0]["body"].as_str().unwrap()).unwrap();
//! let w = Wav::parse(&out).unwrap();
//! assert_eq!(w.sample(&out, 49, 0), Some(7));
//! assert_eq!(w.sample(&out, 50, 0), Some(0));
//! assert_eq!(w.sample(&out, 60, 0), Some(7));
//! ```

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::policy::{AudioRules, Unsupported};
use super::report::{Action, RedactionReport};
use super::structure::clear_content;
use super::wav::Wav;
use crate::hash::{ContentHash, ContentHashes, HashAlg};

/// A recording that had to be silenced and could not be, under [`Unsupported::Refuse`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{pointer}: masked words were spoken in this recording but it cannot be silenced: {reason}; \
     remove its content (policy [media] dialogs) or set [audio] unsupported = \"remove\""
)]
pub struct AudioError {
    /// JSON pointer of the dialog.
    pub pointer: String,
    /// Why it cannot be silenced.
    pub reason: String,
}

/// The dialog an analysis is about: its `dialog` member when it names exactly one.
pub fn target_dialog(analysis: &Map<String, Value>) -> Option<usize> {
    let one = |v: &Value| v.as_u64().and_then(|n| usize::try_from(n).ok());
    match analysis.get("dialog")? {
        Value::Array(items) if items.len() == 1 => one(&items[0]),
        v => one(v),
    }
}

/// Silences, in each dialog of `spans` (dialog index → spans in seconds),
/// every span (padded by [`AudioRules::pad_seconds`]).
pub fn silence_dialogs(
    vcon: &mut Map<String, Value>,
    spans: &BTreeMap<usize, Vec<(f64, f64)>>,
    rules: &AudioRules,
    report: &mut RedactionReport,
) -> Result<(), AudioError> {
    for (&d, list) in spans {
        if list.is_empty() {
            continue;
        }
        let pointer = format!("/dialog/{d}");
        let Some(Value::Object(dialog)) = vcon
            .get_mut("dialog")
            .and_then(Value::as_array_mut)
            .and_then(|a| a.get_mut(d))
        else {
            unsupported(
                None,
                &pointer,
                "the analysis names a dialog that does not exist".into(),
                rules,
                report,
            )?;
            continue;
        };
        let kind = dialog.get("type").and_then(Value::as_str);
        if kind.is_some_and(|t| t != "recording") {
            report.note(
                pointer,
                format!(
                    "masked words have timings but this is a {} dialog, not a recording: nothing to silence",
                    kind.unwrap_or_default()
                ),
            );
            continue;
        }
        match silence_one(dialog, list, rules.pad_seconds) {
            Ok(Some(seconds)) => {
                report.record(
                    format!("{pointer}/body"),
                    Action::Silenced,
                    "audio",
                    list.len(),
                );
                *report.silenced_seconds.entry(pointer).or_default() += seconds;
            }
            Ok(None) => {}
            Err(reason) => unsupported(Some(dialog), &pointer, reason, rules, report)?,
        }
    }
    Ok(())
}

/// Applies an unsupported-recording decision.
pub(crate) fn unsupported(
    dialog: Option<&mut Map<String, Value>>,
    pointer: &str,
    reason: String,
    rules: &AudioRules,
    report: &mut RedactionReport,
) -> Result<(), AudioError> {
    match rules.unsupported {
        Unsupported::Refuse => Err(AudioError {
            pointer: pointer.to_owned(),
            reason,
        }),
        Unsupported::Remove => {
            if let Some(member) = dialog.and_then(clear_content) {
                report.record(format!("{pointer}/{member}"), Action::Removed, "media", 1);
            }
            report.note(
                pointer,
                format!("recording content removed instead of silenced: {reason}"),
            );
            Ok(())
        }
    }
}

/// Silences one dialog; returns the seconds silenced, `None` when it has no
/// content left to silence.
fn silence_one(
    dialog: &mut Map<String, Value>,
    spans: &[(f64, f64)],
    pad: f64,
) -> Result<Option<f64>, String> {
    let body = dialog.get("body").filter(|b| !b.is_null());
    let url = dialog.get("url").filter(|u| !u.is_null());
    let Some(body) = body else {
        return match url {
            Some(_) => Err("it is external (`url`); only inline recordings can be silenced".into()),
            None => Ok(None),
        };
    };
    if dialog.get("encoding").and_then(Value::as_str) != Some("base64url") {
        return Err("its body is not base64url-encoded audio".into());
    }
    let text = body.as_str().ok_or("its body is not a string")?;
    let mut bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|e| format!("its body is not valid base64url: {e}"))?;
    if !Wav::sniff(&bytes) {
        let mt = dialog
            .get("mediatype")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        return Err(format!("it is not a WAVE file (mediatype {mt})"));
    }
    let wav = Wav::parse(&bytes).map_err(|e| e.to_string())?;
    let padded: Vec<(f64, f64)> = spans.iter().map(|&(s, e)| (s - pad, e + pad)).collect();
    let frames = wav.silence(&mut bytes, &padded);
    dialog.insert("body".into(), Value::String(URL_SAFE_NO_PAD.encode(&bytes)));
    if let Some(hash) = dialog.get_mut("content_hash") {
        *hash = rehash(hash, &bytes);
    }
    Ok(Some(frames as f64 / f64::from(wav.sample_rate)))
}

/// A `content_hash` value recomputed for `bytes`, with the same known
/// algorithms (sha512 when none is known), in the same shape.
pub fn rehash(old: &Value, bytes: &[u8]) -> Value {
    let mut algs: Vec<HashAlg> = ContentHashes::from_value(old)
        .map(|h| h.0.iter().filter_map(|t| t.alg).collect())
        .unwrap_or_default();
    if !algs.contains(&HashAlg::Sha512) {
        algs.push(HashAlg::Sha512);
    }
    algs.dedup();
    let hashes = ContentHashes(
        algs.into_iter()
            .map(|a| ContentHash::compute(a, bytes))
            .collect(),
    );
    match (old, hashes.to_value()) {
        (Value::Array(_), Value::String(s)) => Value::Array(vec![Value::String(s)]),
        (_, v) => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::wav::pcm16_mono;
    use serde_json::json;

    fn dialog(bytes: &[u8]) -> Value {
        json!({"type": "recording", "mediatype": "audio/x-wav", "encoding": "base64url",
               "body": URL_SAFE_NO_PAD.encode(bytes),
               "content_hash": ContentHash::compute(HashAlg::Sha512, bytes).to_string()})
    }

    #[test]
    fn rehashes_and_reports() {
        let wav = pcm16_mono(10, &[3; 20]);
        let mut v = json!({"dialog": [dialog(&wav)]});
        let spans = BTreeMap::from([(0, vec![(0.0, 1.0)])]);
        let mut r = RedactionReport::default();
        silence_dialogs(
            v.as_object_mut().unwrap(),
            &spans,
            &AudioRules::default(),
            &mut r,
        )
        .unwrap();
        let body = URL_SAFE_NO_PAD
            .decode(v["dialog"][0]["body"].as_str().unwrap())
            .unwrap();
        let h = ContentHashes::from_value(&v["dialog"][0]["content_hash"]).unwrap();
        assert!(h.verify(&body).is_ok());
        assert_eq!(r.silenced_seconds["/dialog/0"], 1.0);
        assert_eq!(r.counts["audio"], 1);
    }

    #[test]
    fn external_and_compressed_are_refused_or_removed() {
        let mut v = json!({"dialog": [{"type": "recording", "url": "https://x.example/a.wav", "content_hash": "sha512-x"}]});
        let spans = BTreeMap::from([(0, vec![(0.0, 1.0)])]);
        let mut r = RedactionReport::default();
        let e = silence_dialogs(
            v.as_object_mut().unwrap(),
            &spans,
            &AudioRules::default(),
            &mut r,
        )
        .unwrap_err();
        assert_eq!(e.pointer, "/dialog/0");
        assert!(e.to_string().contains("external"));
        let rules = AudioRules {
            unsupported: Unsupported::Remove,
            ..Default::default()
        };
        silence_dialogs(v.as_object_mut().unwrap(), &spans, &rules, &mut r).unwrap();
        assert_eq!(
            v["dialog"][0],
            json!({"type": "recording", "content_hash": "sha512-x"})
        );
        let mut gsm = pcm16_mono(8000, &[0; 4]);
        gsm[20..22].copy_from_slice(&0x31u16.to_le_bytes());
        let mut v = json!({"dialog": [dialog(&gsm)]});
        let e = silence_dialogs(
            v.as_object_mut().unwrap(),
            &spans,
            &AudioRules::default(),
            &mut r,
        )
        .unwrap_err();
        assert!(e.reason.contains("GSM 6.10"), "{e}");
    }

    #[test]
    fn only_recordings_are_silenced() {
        let mut v = json!({"dialog": [{"type": "text", "encoding": "none", "body": "hi"}]});
        let spans = BTreeMap::from([(0, vec![(0.0, 1.0)])]);
        let mut r = RedactionReport::default();
        silence_dialogs(
            v.as_object_mut().unwrap(),
            &spans,
            &AudioRules::default(),
            &mut r,
        )
        .unwrap();
        assert_eq!(v["dialog"][0]["body"], "hi");
        assert!(r.notes[0].message.contains("text dialog"));
    }

    #[test]
    fn target_dialog_needs_exactly_one() {
        let a = |v: Value| target_dialog(v.as_object().unwrap());
        assert_eq!(a(json!({"dialog": 2})), Some(2));
        assert_eq!(a(json!({"dialog": [1]})), Some(1));
        assert_eq!(a(json!({"dialog": [0, 1]})), None);
        assert_eq!(a(json!({})), None);
    }
}
