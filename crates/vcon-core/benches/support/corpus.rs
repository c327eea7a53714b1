//! Deterministic generator of benchmark and fuzzing corpora.
//!
//! Shared by the criterion benches (`benches/*.rs`, as `mod corpus`) and by
//! `examples/gen_corpus.rs` (through `#[path]`), so that `bench/compare.sh`
//! and the benches measure exactly the same bytes.
//!
//! Two kinds of vCon are produced, both valid under the strict profile:
//!
//! * **realistic call vCons** (about 2.2 KB of compact JSON each): 2–3
//!   parties with `tel`/`name`/`mailto`, one recording dialog referencing an
//!   external `https:` URL with a `sha512` `content_hash` and a `duration`,
//!   sometimes a text dialog, a transcript analysis and sometimes a summary,
//!   a `lawful_basis` or a `tags` attachment, `created_at` and a UUIDv8.
//!   [`realistic`] is a pure function of `(seed, index)`.
//! * **inline-recording vCons** of several megabytes: one recording dialog
//!   whose `body` is the base64url of a WAV-like byte stream
//!   ([`inline_recording`]).

#![allow(dead_code)] // each including target uses a different subset

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use sha1::Digest as _;
use vcon_core::hash::{ContentHash, HashAlg};

/// SplitMix64: small, fast, deterministic, good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A generator for item `index` of the corpus of `seed`.
    pub fn for_item(seed: u64, index: u64) -> Self {
        let mut r = Self(seed ^ 0x6a09_e667_f3bc_c908);
        r.0 = r.0.wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        r.next_u64();
        r
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty slice.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let i = usize::try_from(self.below(items.len() as u64)).unwrap_or(0);
        items.get(i).copied().unwrap_or("")
    }
}

const FIRST: &[&str] = &[
    "Alice", "Bob", "Carol", "Dmitri", "Elena", "Farid", "Grace", "Hiroshi", "Ines", "Jamal",
    "Keiko", "Liam", "Maria", "Nikolai", "Olivia", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
];
const LAST: &[&str] = &[
    "Smith", "Johnson", "Garcia", "Müller", "Nguyen", "Okafor", "Rossi", "Kowalski", "Tanaka",
    "Haddad", "Silva", "Andersen", "Dubois", "Novak", "Fischer", "Moreau",
];
const COMPANIES: &[&str] = &[
    "acme", "globex", "initech", "umbrella", "hooli", "vandelay", "wayne", "stark",
];
const VENDORS: &[(&str, &str, &str)] = &[
    ("deepgram", "nova-3", "deepgram-v1"),
    ("openai", "whisper-1", "verbose_json"),
    ("assemblyai", "universal-2", "assemblyai-v2"),
    ("google", "chirp-2", "speech-v2"),
];
const TOPICS: &[&str] = &[
    "billing",
    "upgrade",
    "cancellation",
    "outage",
    "password-reset",
    "shipping",
    "refund",
    "roaming",
    "porting",
    "new-line",
];
const PHRASES: &[&str] = &[
    "Thank you for calling, how can I help you today?",
    "I would like to check the status of my last order.",
    "Can you give me your name and phone number so I can look up your account?",
    "Sure, my account number ends in four seven two.",
    "I see the charge on your statement from the twelfth.",
    "Let me transfer you to the right department.",
    "I have applied a credit of fifteen dollars to your account.",
    "Is there anything else I can help you with?",
    "No, that is everything, thank you very much.",
    "The technician will arrive between nine and eleven tomorrow.",
    "Could you confirm the e-mail address we have on file?",
    "Your new plan takes effect at the start of the next billing cycle.",
    "I understand, and I am sorry for the inconvenience.",
    "Please hold for a moment while I check that for you.",
    "You will receive a confirmation message shortly.",
    "Have a nice day, goodbye.",
];
const SUMMARIES: &[&str] = &[
    "Customer called about an unexpected charge; agent explained the pro-rated fee and applied a goodwill credit.",
    "Caller asked to upgrade the plan; agent confirmed eligibility and scheduled the change for the next cycle.",
    "Customer reported a service outage; agent opened a ticket and booked a technician visit.",
    "Caller requested cancellation; agent offered a retention discount which the customer accepted.",
    "Customer could not log in; agent verified identity and sent a password reset link.",
];

/// The base of every generated timestamp: 2025-01-01T00:00:00Z.
const EPOCH_2025: i64 = 1_735_689_600;

fn rfc3339(unix_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(unix_ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_else(|| "2025-01-01T00:00:00.000Z".to_owned())
}

/// A UUIDv8 built as core-03 §uuid recommends (vcon-lib variant): 48-bit Unix
/// milliseconds, 12 bits of `rand_a`, then the first 8 bytes of SHA-1(domain).
pub fn uuid_v8(unix_ms: i64, rand_a: u16, domain: &str) -> String {
    let mut b = [0u8; 16];
    let ms = u64::try_from(unix_ms).unwrap_or(0).to_be_bytes();
    b[..6].copy_from_slice(&ms[2..]);
    b[6..8].copy_from_slice(&rand_a.to_be_bytes());
    let digest = sha1::Sha1::digest(domain.as_bytes());
    b[8..].copy_from_slice(&digest[..8]);
    uuid::Uuid::new_v8(b).to_string()
}

fn phone(rng: &mut Rng) -> String {
    format!(
        "+1{}{:03}{:04}",
        200 + rng.below(799),
        rng.below(1000),
        rng.below(10_000)
    )
}

fn person(rng: &mut Rng) -> Map<String, Value> {
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    let mut p = Map::new();
    p.insert("tel".into(), phone(rng).into());
    p.insert("name".into(), format!("{first} {last}").into());
    p.insert(
        "mailto".into(),
        format!(
            "{}.{}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        )
        .into(),
    );
    p.insert("validation".into(), "none".into());
    p.insert("type".into(), "person".into());
    p
}

fn agent(rng: &mut Rng, company: &str) -> Map<String, Value> {
    let mut p = person(rng);
    p.insert(
        "mailto".into(),
        format!("agent{}@{company}.example", rng.below(900) + 100).into(),
    );
    p.insert("org".into(), company.into());
    p.insert("dept".into(), "customer-care".into());
    p
}

fn transcript(rng: &mut Rng, sentences: u64) -> String {
    let mut out = String::new();
    for i in 0..sentences {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(if i % 2 == 0 { "Agent: " } else { "Customer: " });
        out.push_str(rng.pick(PHRASES));
    }
    out
}

/// Realistic call vCon number `index` of the corpus of `seed`, as a JSON value.
pub fn realistic(seed: u64, index: u64) -> Value {
    let mut rng = Rng::for_item(seed, index);
    let company = rng.pick(COMPANIES);
    let domain = format!("vcon.{company}.example");
    let start_ms = (EPOCH_2025 + i64::try_from(rng.below(365 * 86_400)).unwrap_or(0)) * 1000 + 137;
    let duration_cs = 3_000 + rng.below(90_000); // 30 s to 15 min, centiseconds
    let duration = duration_cs as f64 / 100.0;
    let created_ms = start_ms + i64::try_from(duration_cs * 10).unwrap_or(0) + 4_211;
    let rand_a = u16::try_from(rng.below(4096)).unwrap_or(0);
    let uuid = uuid_v8(created_ms, rand_a, &domain);

    let mut parties = vec![
        Value::Object(person(&mut rng)),
        Value::Object(agent(&mut rng, company)),
    ];
    let three = rng.chance(30);
    if three {
        parties.push(Value::Object(agent(&mut rng, company)));
    }
    let dialog_parties: Vec<u64> = (0..parties.len() as u64).collect();

    let rec_id = rng.next_u64();
    let url = format!("https://recordings.{company}.example/calls/{rec_id:016x}.wav");
    let hash = ContentHash::compute(HashAlg::Sha512, &rec_id.to_le_bytes()).to_string();
    let mut dialog = vec![json!({
        "type": "recording",
        "start": rfc3339(start_ms),
        "duration": duration,
        "parties": dialog_parties,
        "mediatype": "audio/x-wav",
        "filename": format!("{rec_id:016x}.wav"),
        "url": url,
        "content_hash": hash,
    })];
    let with_text = rng.chance(35);
    if with_text {
        dialog.push(json!({
            "type": "text",
            "start": rfc3339(created_ms - 2_000),
            "parties": [1, 0],
            "mediatype": "text/plain",
            "encoding": "none",
            "body": format!("Your ticket {:06} is open. {}", rng.below(1_000_000), rng.pick(PHRASES)),
        }));
    }

    let (vendor, product, schema) =
        VENDORS[usize::try_from(rng.below(VENDORS.len() as u64)).unwrap_or(0)];
    let sentences = 7 + rng.below(9);
    let mut analysis = vec![json!({
        "type": "transcript",
        "dialog": 0,
        "vendor": vendor,
        "product": product,
        "schema": schema,
        "mediatype": "text/plain",
        "encoding": "none",
        "body": transcript(&mut rng, sentences),
    })];
    if rng.chance(60) {
        analysis.push(json!({
            "type": "summary",
            "dialog": 0,
            "vendor": "openai",
            "product": "gpt-4o-mini",
            "mediatype": "text/plain",
            "encoding": "none",
            "body": rng.pick(SUMMARIES),
        }));
    }

    let lawful = rng.chance(50);
    let attachment = if lawful {
        let granted_at = rfc3339(start_ms + 5_000);
        json!({
            "type": "lawful_basis",
            "start": granted_at,
            "party": 0,
            "dialog": 0,
            "mediatype": "application/json",
            "encoding": "json",
            "body": {
                "lawful_basis": "consent",
                "expiration": rfc3339(start_ms + 365 * 86_400_000),
                "purpose_grants": [
                    {"purpose": "recording", "granted": true, "granted_at": granted_at},
                    {"purpose": "transcription", "granted": true, "granted_at": granted_at},
                    {"purpose": "sentiment_analysis", "granted": rng.chance(50), "granted_at": granted_at},
                ],
                "terms_of_service": format!("https://{company}.example/terms/v2025.1"),
            },
        })
    } else {
        let topic = rng.pick(TOPICS);
        json!({
            "purpose": "tags",
            "start": rfc3339(created_ms),
            "party": 1,
            "dialog": 0,
            "mediatype": "application/json",
            "encoding": "json",
            "body": [
                format!("topic:{topic}"),
                format!("queue:{company}-care"),
                format!("csat:{}", 1 + rng.below(5)),
            ],
        })
    };

    let mut top = Map::new();
    top.insert("vcon".into(), "0.4.0".into());
    top.insert("uuid".into(), uuid.into());
    top.insert("created_at".into(), rfc3339(created_ms).into());
    if lawful {
        top.insert("extensions".into(), json!(["lawful_basis"]));
    }
    top.insert(
        "subject".into(),
        format!("Inbound call to {company} support").into(),
    );
    top.insert("parties".into(), Value::Array(parties));
    top.insert("dialog".into(), Value::Array(dialog));
    top.insert("analysis".into(), Value::Array(analysis));
    top.insert("attachments".into(), Value::Array(vec![attachment]));
    Value::Object(top)
}

/// Realistic call vCon number `index` of the corpus of `seed`, as compact JSON bytes.
pub fn realistic_bytes(seed: u64, index: u64) -> Vec<u8> {
    serde_json::to_vec(&realistic(seed, index)).unwrap_or_default()
}

/// `count` realistic vCons, as compact JSON bytes.
pub fn realistic_corpus(seed: u64, count: u64) -> Vec<Vec<u8>> {
    (0..count).map(|i| realistic_bytes(seed, i)).collect()
}

/// A WAV-like byte stream of `len` bytes: a 44-byte RIFF/PCM header, then
/// 8 kHz 16-bit mono samples of a noisy tone (not compressible to nothing,
/// like real audio).
pub fn wav_like(seed: u64, len: usize) -> Vec<u8> {
    let len = len.max(44);
    let data_len = u32::try_from(len - 44).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(data_len.saturating_add(36)).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&8_000u32.to_le_bytes());
    out.extend_from_slice(&16_000u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    let mut rng = Rng::new(seed);
    let mut phase: i32 = 0;
    while out.len() < len {
        phase = (phase + 1) % 40;
        let tri = if phase < 20 { phase - 10 } else { 30 - phase } * 800;
        let noise = i32::try_from(rng.below(2048)).unwrap_or(0) - 1024;
        let s = i16::try_from(tri + noise).unwrap_or(0);
        out.extend_from_slice(&s.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A vCon carrying one inline recording whose base64url `body` is about
/// `body_bytes` long (the raw WAV-like media is 3/4 of that).
pub fn inline_recording(seed: u64, body_bytes: usize) -> Value {
    let media = wav_like(seed, body_bytes / 4 * 3);
    let body = URL_SAFE_NO_PAD.encode(&media);
    let mut rng = Rng::for_item(seed, u64::MAX);
    let start_ms = EPOCH_2025 * 1000 + i64::try_from(rng.below(86_400_000)).unwrap_or(0);
    let seconds = (media.len().saturating_sub(44) / 16_000) as f64;
    let created_ms = start_ms + (seconds as i64) * 1000 + 1_500;
    let mut parties = vec![
        Value::Object(person(&mut rng)),
        Value::Object(agent(&mut rng, "acme")),
    ];
    parties.truncate(2);
    json!({
        "vcon": "0.4.0",
        "uuid": uuid_v8(created_ms, 0x123, "vcon.acme.example"),
        "created_at": rfc3339(created_ms),
        "subject": "Inbound call with inline recording",
        "parties": parties,
        "dialog": [{
            "type": "recording",
            "start": rfc3339(start_ms),
            "duration": seconds,
            "parties": [0, 1],
            "mediatype": "audio/x-wav",
            "filename": "call.wav",
            "encoding": "base64url",
            "body": body,
        }],
        "analysis": [{
            "type": "summary",
            "dialog": 0,
            "vendor": "openai",
            "product": "gpt-4o-mini",
            "mediatype": "text/plain",
            "encoding": "none",
            "body": SUMMARIES[0],
        }],
    })
}

/// [`inline_recording`] as compact JSON bytes.
pub fn inline_recording_bytes(seed: u64, body_bytes: usize) -> Vec<u8> {
    serde_json::to_vec(&inline_recording(seed, body_bytes)).unwrap_or_default()
}

/// One MiB.
pub const MIB: usize = 1024 * 1024;

/// Rebuilds `map` with the member `from` renamed to `to`, in place of order.
fn rename(map: &mut Map<String, Value>, from: &str, to: &str) {
    if !map.contains_key(from) {
        return;
    }
    let old = std::mem::take(map);
    for (k, v) in old {
        if k == from {
            map.insert(to.to_owned(), v);
        } else {
            map.insert(k, v);
        }
    }
}

/// Realistic call vCon number `index`, rewritten in the legacy 0.0.1 syntax
/// by [`to_legacy`].
pub fn legacy(seed: u64, index: u64) -> Value {
    to_legacy(realistic(seed, index))
}

/// Rewrites a generated 0.4.0 vCon in the legacy 0.0.1 syntax that `migrate`
/// upgrades: `mimetype`, `alg`+`signature` instead of `content_hash`,
/// attachment `type` instead of `purpose`, analysis `vendor_schema`, and the
/// empty `group`/`redacted` leftovers that vcon-lib used to write.
pub fn to_legacy(mut v: Value) -> Value {
    let Some(top) = v.as_object_mut() else {
        return v;
    };
    top.insert("vcon".into(), "0.0.1".into());
    top.shift_remove("extensions");
    top.insert("group".into(), json!([]));
    top.insert("redacted".into(), json!({}));
    for (array, schema_key) in [
        ("dialog", None),
        ("analysis", Some("schema")),
        ("attachments", None),
    ] {
        let Some(Value::Array(items)) = top.get_mut(array) else {
            continue;
        };
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            rename(item, "mediatype", "mimetype");
            if let Some(key) = schema_key {
                rename(item, key, "vendor_schema");
            }
            if array == "attachments" {
                rename(item, "purpose", "type");
            }
            if let Some(Value::String(token)) = item.shift_remove("content_hash") {
                let digest = token.strip_prefix("sha512-").unwrap_or(&token).to_owned();
                item.insert("alg".into(), "SHA-512".into());
                item.insert("signature".into(), digest.into());
            }
        }
    }
    v
}

/// [`legacy`] as compact JSON bytes.
pub fn legacy_bytes(seed: u64, index: u64) -> Vec<u8> {
    serde_json::to_vec(&legacy(seed, index)).unwrap_or_default()
}
