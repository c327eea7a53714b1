//! The request bodies of `vcon bench-server`: vCon templates serialised
//! once, each with the byte range of its `uuid` value, so a request costs
//! one copy and a 36-byte overwrite (a fresh uuid), not a serialisation.
//!
//! Templates come from a corpus directory (`--corpus`) or are generated:
//! realistic call vCons of about 2.2 KB (two or three parties, a recording
//! by reference with its content hash, a transcript, often a summary, tags).

use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use serde_json::{Value, json};

/// The uuid written into generated templates, replaced per request.
const PLACEHOLDER: &str = "00000000-0000-8000-8000-000000000000";

/// One serialised vCon and where its uuid is.
#[derive(Debug, Clone)]
pub struct Template {
    /// The JSON bytes.
    pub bytes: Bytes,
    /// The 36 bytes of the uuid value, when it can be replaced (not in
    /// signed or encrypted vCons, which are sent as they are).
    pub uuid_at: Option<Range<usize>>,
}

/// Requests with fresh uuids, from a set of templates: each template is
/// kept as a whole request (its HTTP head, then its body), so a request
/// costs one copy into the connection's buffer and a 36-byte overwrite.
#[derive(Debug)]
pub struct Bodies {
    templates: Vec<Template>,
    next: AtomicU64,
    start_ms: u64,
    run_bits: u64,
}

impl Bodies {
    /// Requests from `templates` (at least one), each body preceded by
    /// `head(body length)` (empty for bare bodies).
    pub fn new(templates: Vec<Template>, head: impl Fn(usize) -> Vec<u8>) -> Result<Self> {
        if templates.is_empty() {
            bail!("no vCon to send");
        }
        let templates = templates
            .into_iter()
            .map(|t| {
                let mut bytes = head(t.bytes.len());
                let offset = bytes.len();
                bytes.extend_from_slice(&t.bytes);
                Template {
                    bytes: Bytes::from(bytes),
                    uuid_at: t.uuid_at.map(|r| r.start + offset..r.end + offset),
                }
            })
            .collect();
        let start_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
        // 64 random bits per run: uuids of two runs against one server differ.
        let run_bits = uuid::Uuid::new_v4().as_u64_pair().1;
        Ok(Self {
            templates,
            next: AtomicU64::new(0),
            start_ms,
            run_bits,
        })
    }

    /// Templates available.
    pub fn len(&self) -> usize {
        self.templates.len()
    }

    /// Writes the next request into `out` (replacing its contents) and
    /// returns its uuid (text). Every call gives a new uuid unless the
    /// template's uuid cannot be replaced (`None`).
    pub fn next_into(&self, out: &mut Vec<u8>) -> Option<[u8; 36]> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let index = usize::try_from(n % self.templates.len() as u64).unwrap_or(0);
        let template = &self.templates[index];
        out.clear();
        out.extend_from_slice(&template.bytes);
        let at = template.uuid_at.clone()?;
        // A UUIDv8 as core-03 recommends: time-ordered from the run's start,
        // 4096 per millisecond, unique within the run by the counter.
        let id = vcon_core::id::uuid8_from_parts(
            self.start_ms + (n >> 12),
            u16::try_from(n & 0xfff).unwrap_or(0),
            self.run_bits,
        );
        let mut text = [0u8; 36];
        id.hyphenated().encode_lower(&mut text);
        out.get_mut(at)?.copy_from_slice(&text);
        Some(text)
    }
}

/// `count` generated realistic vCons (`seed` varies their content).
pub fn generated(count: usize, seed: u64) -> Vec<Template> {
    (0..count as u64)
        .filter_map(|i| {
            let bytes = serde_json::to_vec(&realistic(seed.wrapping_add(i))).ok()?;
            let uuid_at = find_uuid(&bytes, PLACEHOLDER)?;
            Some(Template {
                bytes: Bytes::from(bytes),
                uuid_at: Some(uuid_at),
            })
        })
        .collect()
}

/// The templates of every `*.vcon`, `*.json` file in `dir` (not recursive).
pub fn from_dir(dir: &Path) -> Result<Vec<Template>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading the corpus directory {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "vcon" || e == "json"))
        .collect();
    paths.sort();
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        out.push(template_of(bytes).with_context(|| format!("{}", path.display()))?);
    }
    if out.is_empty() {
        bail!(
            "the corpus directory {} holds no *.vcon or *.json file",
            dir.display()
        );
    }
    Ok(out)
}

/// A corpus file as a template: compact JSON with its uuid made
/// replaceable, or, for a signed or encrypted vCon, the bytes as they are.
fn template_of(bytes: Vec<u8>) -> Result<Template> {
    let mut value: Value = serde_json::from_slice(&bytes).context("not JSON")?;
    let Some(object) = value.as_object_mut() else {
        bail!("not a JSON object");
    };
    let sealed = object.contains_key("payload") || object.contains_key("ciphertext");
    if sealed || !object.contains_key("uuid") {
        return Ok(Template {
            bytes: Bytes::from(bytes),
            uuid_at: None,
        });
    }
    object.insert("uuid".into(), Value::String(PLACEHOLDER.into()));
    let bytes = serde_json::to_vec(&value)?;
    let uuid_at = find_uuid(&bytes, PLACEHOLDER).context("uuid not found after serialising")?;
    Ok(Template {
        bytes: Bytes::from(bytes),
        uuid_at: Some(uuid_at),
    })
}

/// The byte range of `"uuid":"<placeholder>"`'s value.
fn find_uuid(bytes: &[u8], placeholder: &str) -> Option<Range<usize>> {
    let needle = format!("\"uuid\":\"{placeholder}\"");
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())?;
    let start = at + "\"uuid\":\"".len();
    Some(start..start + placeholder.len())
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(i).copied().unwrap_or_default()
    }
}

const FIRST: &[&str] = &[
    "Alice", "Bruno", "Chen", "Dana", "Emeka", "Fatima", "Giulia", "Hiro", "Ines", "Jonas",
];
const LAST: &[&str] = &[
    "Martin", "Okafor", "Nakamura", "Schmidt", "Garcia", "Kowalski", "Haddad", "Larsen",
];
const COMPANIES: &[&str] = &["acme", "globex", "initech", "umbrella", "hooli"];
const SENTENCES: &[&str] = &[
    "Thank you for calling, how can I help you today?",
    "I ordered a replacement part last week and it has not arrived yet.",
    "Let me look that up for you, can you confirm the order number?",
    "The tracking shows the parcel is held at the regional depot.",
    "I can arrange a redelivery for tomorrow morning between nine and noon.",
    "That works for me, will I get a confirmation by email?",
    "Yes, you will receive it within the next few minutes.",
    "Is there anything else I can help you with today?",
    "No, that is everything, thanks for sorting it out so quickly.",
    "I have also applied a discount to your next order for the trouble.",
];
const SUMMARIES: &[&str] = &[
    "Customer reported a late delivery; agent arranged a redelivery and applied a discount.",
    "Billing question about a duplicate charge; refund issued, confirmation sent by email.",
    "Customer asked to change the delivery address; updated and confirmed.",
];

fn rfc3339(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One realistic call vCon (about 2.2 KB compact), uuid = [`PLACEHOLDER`].
fn realistic(seed: u64) -> Value {
    let mut rng = Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ 0x5eed);
    let company = rng.pick(COMPANIES);
    let start_ms = 1_767_225_600_000 + i64::try_from(rng.below(180 * 86_400_000)).unwrap_or(0);
    let duration_cs = 3_000 + rng.below(90_000);
    let created_ms = start_ms + i64::try_from(duration_cs * 10).unwrap_or(0) + 4_211;
    let caller = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
    let agent = format!("{} {}", rng.pick(FIRST), rng.pick(LAST));
    let mut parties = vec![
        json!({"tel": format!("+1555{:07}", rng.below(10_000_000)), "name": caller, "role": "customer"}),
        json!({"tel": format!("+1800{:07}", rng.below(10_000_000)), "name": agent,
               "mailto": format!("agent{}@{company}.example", rng.below(500)), "role": "agent"}),
    ];
    if rng.below(10) < 3 {
        parties.push(json!({"mailto": format!("supervisor@{company}.example"),
                            "name": "Supervisor", "role": "supervisor"}));
    }
    let party_indexes: Vec<usize> = (0..parties.len()).collect();
    let rec_id = rng.next();
    let hash = vcon_core::hash::ContentHash::compute(
        vcon_core::hash::HashAlg::Sha512,
        &rec_id.to_le_bytes(),
    )
    .to_string();
    let mut transcript = String::new();
    for i in 0..12 + rng.below(5) {
        let who = if i % 2 == 0 { "Agent" } else { "Customer" };
        transcript.push_str(&format!("{who}: {} ", rng.pick(SENTENCES)));
    }
    let mut analysis = vec![json!({
        "type": "transcript", "dialog": 0, "vendor": "deepgram", "product": "nova-2",
        "mediatype": "text/plain", "encoding": "none", "body": transcript.trim_end(),
    })];
    let overall = rng.pick(&["positive", "neutral", "negative"]);
    analysis.push(json!({
        "type": "sentiment", "dialog": 0, "vendor": "vconkit-bench", "encoding": "json",
        "body": {"overall": overall,
                 "score": rng.below(100) as f64 / 100.0, "escalation": rng.below(10) == 0},
    }));
    if rng.below(10) < 6 {
        analysis.push(json!({
            "type": "summary", "dialog": 0, "vendor": "openai", "product": "gpt-4o-mini",
            "mediatype": "text/plain", "encoding": "none", "body": rng.pick(SUMMARIES),
        }));
    }
    json!({
        "vcon": "0.4.0",
        "uuid": PLACEHOLDER,
        "created_at": rfc3339(created_ms),
        "subject": format!("Support call {:06}", rng.below(1_000_000)),
        "parties": parties,
        "dialog": [{
            "type": "recording", "start": rfc3339(start_ms),
            "duration": duration_cs as f64 / 100.0, "parties": party_indexes,
            "mediatype": "audio/x-wav", "filename": format!("{rec_id:016x}.wav"),
            "url": format!("https://recordings.{company}.example/calls/{rec_id:016x}.wav"),
            "content_hash": hash,
        }],
        "analysis": analysis,
        "attachments": [{
            "purpose": "tags", "start": rfc3339(created_ms), "party": 0, "dialog": 0,
            "encoding": "json", "body": ["category:support", format!("company:{company}")],
        }],
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn generated_vcons_are_about_2_kb_and_valid() {
        let templates = generated(50, 7);
        assert_eq!(templates.len(), 50);
        let mean = templates.iter().map(|t| t.bytes.len()).sum::<usize>() / templates.len();
        assert!((2_000..2_500).contains(&mean), "mean size {mean}");
        let bodies = Bodies::new(templates, |_| Vec::new()).unwrap();
        let options = vcon_core::validate::Options::default();
        let mut body = Vec::new();
        for _ in 0..50 {
            let uuid = bodies.next_into(&mut body).unwrap();
            let value: Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(value["uuid"], std::str::from_utf8(&uuid).unwrap());
            let report = vcon_core::validate::validate_bytes(&body, &options);
            assert!(report.is_valid(), "{:?}", report.findings);
        }
    }

    #[test]
    fn every_body_gets_a_new_uuid() {
        let bodies = Bodies::new(generated(3, 1), |_| Vec::new()).unwrap();
        let mut seen = std::collections::HashSet::new();
        let mut body = Vec::new();
        for _ in 0..10_000 {
            assert!(seen.insert(bodies.next_into(&mut body).unwrap()));
        }
    }

    #[test]
    fn requests_are_the_head_then_the_body_with_its_fresh_uuid() {
        let head = |len: usize| format!("POST / HTTP/1.1\r\ncontent-length: {len}\r\n\r\n");
        let templates = generated(2, 3);
        let sizes: Vec<usize> = templates.iter().map(|t| t.bytes.len()).collect();
        let bodies = Bodies::new(templates, |len| head(len).into_bytes()).unwrap();
        let mut request = Vec::new();
        for size in sizes {
            let uuid = bodies.next_into(&mut request).unwrap();
            let (h, body) = request.split_at(head(size).len());
            assert_eq!(h, head(size).as_bytes());
            let value: Value = serde_json::from_slice(body).unwrap();
            assert_eq!(value["uuid"], std::str::from_utf8(&uuid).unwrap());
        }
    }

    #[test]
    fn corpus_files_get_a_replaceable_uuid_and_sealed_ones_are_kept() {
        let plain = br#"{"uuid":"019f15a6-a752-826f-b9a2-279e0d16bc46", "parties":[]}"#.to_vec();
        let t = template_of(plain).unwrap();
        assert!(t.uuid_at.is_some());
        let signed = br#"{"payload":"e30","signatures":[]}"#.to_vec();
        let t = template_of(signed.clone()).unwrap();
        assert!(t.uuid_at.is_none());
        assert_eq!(&t.bytes[..], &signed[..]);
    }
}
