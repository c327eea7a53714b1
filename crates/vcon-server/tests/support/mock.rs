//! vCons shaped as the conserver's `generate_mock_vcon()` makes them.

use serde_json::{Value, json};

use super::new_uuid;

/// A small deterministic generator (xorshift), so that failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    /// In `lo..=hi`, as Python's `random.randint`.
    pub fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + (self.next() % 10) as u8))
            .collect()
    }
    /// Like Faker's `iso8601()`: a naive date-time.
    pub fn iso8601(&mut self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.int(1971, 2024),
            self.int(1, 12),
            self.int(1, 28),
            self.int(0, 23),
            self.int(0, 59),
            self.int(0, 59)
        )
    }
    /// Like Faker's `phone_number()` (its en_US formats).
    pub fn phone(&mut self) -> String {
        let (a, b, c) = (self.digits(3), self.digits(3), self.digits(4));
        match self.int(0, 4) {
            0 => format!("({a}){b}-{c}"),
            1 => format!("{a}.{b}.{c}"),
            2 => format!("+1-{a}-{b}-{c}x{}", self.digits(3)),
            3 => format!("001-{a}-{b}-{c}"),
            _ => format!("{a}-{b}-{c}"),
        }
    }
}

/// The shape of the conserver's `generate_mock_vcon()`: a 0.0.1 vCon with
/// nulls, 2-5 parties, 1-5 recordings, 1-5 analyses (whose `dialog` may be
/// out of range), 0-5 attachments.
pub fn mock_vcon(rng: &mut Rng) -> Value {
    let names = ["Jane Doe", "John Roe", "Ann Lee", "Raj Patel", "Eva Kim"];
    let parties: Vec<Value> = (0..rng.int(2, 5))
        .map(|i| {
            json!({"tel": rng.phone(), "meta": {"role": rng.pick(&["agent", "customer"])},
                   "name": names[i as usize], "stir": null, "jcard": null, "gmlpos": null,
                   "mailto": format!("user{}@example.org", rng.digits(6)), "timezone": null,
                   "validation": null, "civicaddress": null})
        })
        .collect();
    let dialogs = rng.int(1, 5);
    let dialog: Vec<Value> = (0..dialogs)
        .map(|_| {
            json!({"alg": "SHA-512", "url": format!("https://www.example.com/{}", rng.digits(4)),
                   "body": null,
                   "meta": {"direction": rng.pick(&["in", "out"]),
                            "disposition": rng.pick(&["ANSWERED", "FAILED", "NO ANSWER", "BUSY"])},
                   "type": "recording", "start": rng.iso8601(), "parties": [0, 1],
                   "duration": rng.int(60, 600), "encoding": null, "filename": null,
                   "mimetype": "audio/x-wav", "signature": rng.digits(64)})
        })
        .collect();
    let analysis: Vec<Value> = (0..rng.int(1, 5))
        .map(|_| {
            let body = json!({"words": [], "confidence": 0.5, "paragraphs": {"paragraphs": []},
                              "transcript": "Hello there, how can I help?"});
            json!({"body": body.to_string(), "type": rng.pick(&["transcript", "summary"]),
                   "dialog": rng.int(0, dialogs), "vendor": rng.pick(&["ibm", "google", "amazon"]),
                   "encoding": "json"})
        })
        .collect();
    let attachments: Vec<Value> = (0..rng.int(0, 5))
        .map(|_| {
            json!({"alg": null, "url": null, "body": "Some dealer text.", "type": "strolid_dealer",
                   "party": null, "encoding": "none", "filename": null, "mimetype": null,
                   "signature": null})
        })
        .collect();
    json!({"uuid": new_uuid(), "vcon": "0.0.1", "group": [], "dialog": dialog, "parties": parties,
           "subject": null, "analysis": analysis, "appended": null, "redacted": {},
           "created_at": rng.iso8601(), "attachments": attachments})
}
