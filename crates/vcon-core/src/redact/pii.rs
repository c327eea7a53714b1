//! Finding PII in text: the detectors of [`Scanner`] and their checks
//! (Luhn for card numbers, ISO 13616 mod-97 for IBANs, area/group/serial
//! ranges for US SSNs, address parsing for IPv6, month/day ranges for dates).
//!
//! Every detector works on UTF-8 text with byte offsets; matches never
//! overlap (the leftmost, then longest, then most specific one wins).
//!
//! ```
//! use vcon_core::redact::{PiiKind, PiiRules, PartyIds, Scanner};
//! let alice = PartyIds { tel: Some("+12345678901".into()), name: Some("Alice Smith".into()), ..Default::default() };
//! let scanner = Scanner::new(&PiiRules::default(), &[alice]).unwrap();
//! let (masked, kinds) = scanner.mask("Smith here, call 234-567-8901 or mail a@b.example").unwrap();
//! assert_eq!(masked, "[NAME] here, call [PHONE] or mail [EMAIL]");
//! assert_eq!(kinds, vec![PiiKind::PartyName, PiiKind::PartyTel, PiiKind::Email]);
//! // A 16-digit number failing the Luhn check is left alone.
//! assert!(scanner.mask("ref 4111 1111 1111 1112").is_none());
//! ```

use std::net::Ipv6Addr;

use regex::{Regex, RegexBuilder};

use super::checks::{
    bounded, digit_boundary, email_boundary, group_ranges, iban_ok, luhn, next_is, prev_is,
    valid_date, valid_ssn,
};
use super::party::{PartyIds, party_patterns};
use super::policy::{DobMode, PiiRules, PolicyError};

/// Largest compiled size of one custom pattern.
const CUSTOM_SIZE_LIMIT: usize = 1 << 20;

/// What a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PiiKind {
    /// A telephone number.
    Phone,
    /// An e-mail address.
    Email,
    /// A payment card number (Luhn-checked).
    Card,
    /// A US social security number.
    Ssn,
    /// An IBAN (mod-97-checked).
    Iban,
    /// An IPv4 or IPv6 address.
    Ip,
    /// A date of birth.
    Dob,
    /// A telephone number of one of the vCon's parties.
    PartyTel,
    /// An e-mail address of one of the vCon's parties.
    PartyEmail,
    /// A party's name or a word of it.
    PartyName,
    /// The custom pattern with this index in the policy.
    Custom(usize),
}

impl PiiKind {
    /// Lower wins when two candidates have the same span.
    fn priority(self) -> u8 {
        match self {
            Self::Custom(_) => 0,
            Self::PartyTel | Self::PartyEmail | Self::PartyName => 1,
            Self::Email | Self::Card | Self::Iban | Self::Ssn => 2,
            Self::Ip => 3,
            Self::Phone => 4,
            Self::Dob => 5,
        }
    }
}

/// One PII match: byte range and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PiiMatch {
    /// Start byte offset.
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// What was found.
    pub kind: PiiKind,
}

/// The compiled detectors of a [`PiiRules`] for one vCon.
#[derive(Debug, Clone)]
pub struct Scanner {
    rules: PiiRules,
    custom: Vec<(Regex, String)>,
    custom_names: Vec<String>,
    email: Regex,
    phone: Regex,
    digit_run: Regex,
    ssn: Regex,
    ssn_cue: Regex,
    iban: Regex,
    ipv4: Regex,
    ipv6: Regex,
    date: Regex,
    dob_cue: Regex,
    party_tel: Option<Regex>,
    party_email: Option<Regex>,
    party_name: Option<Regex>,
}

/// Compiles a custom pattern with the size limit of this module.
pub(crate) fn compile_custom(pattern: &str) -> Result<Regex, String> {
    RegexBuilder::new(pattern)
        .size_limit(CUSTOM_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("not a valid regular expression: {e}"))
}

fn builtin(pattern: &str) -> Result<Regex, PolicyError> {
    Regex::new(pattern)
        .map_err(|e| PolicyError::new("", format!("internal pattern does not compile: {e}")))
}

impl Scanner {
    /// Compiles the detectors of `rules`, with the identifiers of `parties`
    /// when [`PiiRules::party_identifiers`] is on.
    pub fn new(rules: &PiiRules, parties: &[PartyIds]) -> Result<Self, PolicyError> {
        let mut custom = Vec::new();
        for (i, c) in rules.custom.iter().enumerate() {
            let re = compile_custom(&c.pattern)
                .map_err(|e| PolicyError::new(format!("/pii/custom/{i}/pattern"), e))?;
            custom.push((re, c.mask()));
        }
        let (tel, mail, name) = if rules.party_identifiers {
            party_patterns(parties)
        } else {
            (None, None, None)
        };
        let optional = |p: Option<String>| p.map(|p| builtin(&p)).transpose();
        Ok(Self {
            rules: rules.clone(),
            custom,
            custom_names: rules.custom.iter().map(|c| c.name.clone()).collect(),
            email: builtin(
                r"(?i)(?:mailto:)?[a-z0-9._%+\-]+@[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?)*\.[a-z]{2,}",
            )?,
            phone: builtin(concat!(
                r"tel:\+?[0-9][0-9().\-]*[0-9]",
                r"|\+\(?[0-9]{1,4}\)?(?:[ .\-]?\(?[0-9]{1,5}\)?){1,7}",
                r"|(?:\+?1[ .\-]?)?(?:\([0-9]{3}\)[ .\-]?|[0-9]{3}[ .\-])[0-9]{3}[ .\-][0-9]{4}",
                r"|[0-9]{10,11}",
            ))?,
            digit_run: builtin(r"[0-9]+(?:[ \-][0-9]+)*")?,
            ssn: builtin(r"[0-9]{3}[\- ][0-9]{2}[\- ][0-9]{4}")?,
            ssn_cue: builtin(
                r"(?i)\b(?:ssn|social security(?: number| no\.?| #)?)\b[^0-9]{0,20}([0-9]{9})",
            )?,
            iban: builtin(r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,32}")?,
            ipv4: builtin(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")?,
            ipv6: builtin(r"[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")?,
            date: builtin(concat!(
                r"(?i)\b(?:[0-9]{4}-[0-9]{2}-[0-9]{2}",
                r"|[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-](?:[0-9]{4}|[0-9]{2})",
                r"|(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.? [0-9]{1,2}(?:st|nd|rd|th)?,? [0-9]{4}",
                r"|[0-9]{1,2}(?:st|nd|rd|th)? (?:of )?(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)\.?,? [0-9]{4})\b",
            ))?,
            dob_cue: builtin(
                r"(?i)\b(?:born|birth|birthday|birthdate|date of birth|dob|d\.o\.b)\b",
            )?,
            party_tel: optional(tel)?,
            party_email: optional(mail)?,
            party_name: optional(name)?,
        })
    }

    /// The mask written for `kind`.
    pub fn mask_of(&self, kind: PiiKind) -> &str {
        let m = &self.rules.masks;
        match kind {
            PiiKind::Phone | PiiKind::PartyTel => &m.phone,
            PiiKind::Email | PiiKind::PartyEmail => &m.email,
            PiiKind::Card => &m.card,
            PiiKind::Ssn => &m.ssn,
            PiiKind::Iban => &m.iban,
            PiiKind::Ip => &m.ip,
            PiiKind::Dob => &m.dob,
            PiiKind::PartyName => &m.name,
            PiiKind::Custom(i) => self.custom.get(i).map_or("[REDACTED]", |c| c.1.as_str()),
        }
    }

    /// The name of `kind` in reports: `phone`, `party_tel`, `custom:NAME`, ...
    pub fn label(&self, kind: PiiKind) -> String {
        match kind {
            PiiKind::Phone => "phone".into(),
            PiiKind::Email => "email".into(),
            PiiKind::Card => "card".into(),
            PiiKind::Ssn => "ssn".into(),
            PiiKind::Iban => "iban".into(),
            PiiKind::Ip => "ip".into(),
            PiiKind::Dob => "dob".into(),
            PiiKind::PartyTel => "party_tel".into(),
            PiiKind::PartyEmail => "party_email".into(),
            PiiKind::PartyName => "party_name".into(),
            PiiKind::Custom(i) => format!(
                "custom:{}",
                self.custom_names.get(i).map_or("?", String::as_str)
            ),
        }
    }

    /// Whether this scanner can find anything at all.
    pub fn is_active(&self) -> bool {
        self.rules.enabled
    }

    /// Every match in `text`, sorted, not overlapping.
    pub fn find(&self, text: &str) -> Vec<PiiMatch> {
        if !self.rules.enabled || text.is_empty() {
            return Vec::new();
        }
        let mut c: Vec<PiiMatch> = Vec::new();
        let mut push = |start: usize, end: usize, kind: PiiKind| {
            if end > start {
                c.push(PiiMatch { start, end, kind });
            }
        };
        for (i, (re, _)) in self.custom.iter().enumerate() {
            for m in re.find_iter(text) {
                push(m.start(), m.end(), PiiKind::Custom(i));
            }
        }
        if let Some(re) = &self.party_tel {
            for (s, e) in bounded(re, text, digit_boundary) {
                push(s, e, PiiKind::PartyTel);
            }
        }
        if let Some(re) = &self.party_email {
            for (s, e) in bounded(re, text, email_boundary) {
                push(s, e, PiiKind::PartyEmail);
            }
        }
        if let Some(re) = &self.party_name {
            for m in re.find_iter(text) {
                push(m.start(), m.end(), PiiKind::PartyName);
            }
        }
        let r = &self.rules;
        if r.email {
            for (s, e) in bounded(&self.email, text, email_boundary) {
                push(s, e, PiiKind::Email);
            }
        }
        if r.card {
            for (s, e) in self.cards(text) {
                push(s, e, PiiKind::Card);
            }
        }
        if r.iban {
            for (s, e) in self.ibans(text) {
                push(s, e, PiiKind::Iban);
            }
        }
        if r.ssn {
            for (s, e) in self.ssns(text) {
                push(s, e, PiiKind::Ssn);
            }
        }
        if r.ip {
            for (s, e) in self.ips(text) {
                push(s, e, PiiKind::Ip);
            }
        }
        if r.phone {
            for (s, e) in self.phones(text) {
                push(s, e, PiiKind::Phone);
            }
        }
        if r.dob != DobMode::Off {
            for (s, e) in self.dobs(text) {
                push(s, e, PiiKind::Dob);
            }
        }
        select(c)
    }

    /// `text` with every match replaced by its mask, and the kinds replaced
    /// in order; `None` when nothing was found.
    pub fn mask(&self, text: &str) -> Option<(String, Vec<PiiKind>)> {
        let found = self.find(text);
        if found.is_empty() {
            return None;
        }
        Some(self.apply(text, &found))
    }

    /// `text` with the given (sorted, disjoint) matches replaced.
    pub fn apply(&self, text: &str, found: &[PiiMatch]) -> (String, Vec<PiiKind>) {
        let mut out = String::with_capacity(text.len());
        let mut kinds = Vec::with_capacity(found.len());
        let mut pos = 0;
        for m in found {
            if m.start < pos || m.end > text.len() {
                continue;
            }
            out.push_str(text.get(pos..m.start).unwrap_or_default());
            out.push_str(self.mask_of(m.kind));
            kinds.push(m.kind);
            pos = m.end;
        }
        out.push_str(text.get(pos..).unwrap_or_default());
        (out, kinds)
    }

    fn phones(&self, text: &str) -> Vec<(usize, usize)> {
        bounded(&self.phone, text, digit_boundary)
            .into_iter()
            .filter(|&(s, e)| {
                let m = &text[s..e];
                let digits = m.bytes().filter(u8::is_ascii_digit).count();
                if m.starts_with("tel:") || m.starts_with('+') {
                    (7..=15).contains(&digits)
                } else if m.bytes().all(|b| b.is_ascii_digit()) {
                    digits == 10 || (digits == 11 && m.starts_with('1'))
                } else {
                    (10..=11).contains(&digits)
                }
            })
            .collect()
    }

    fn cards(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for m in self.digit_run.find_iter(text) {
            if !digit_boundary(text, m.start(), m.end()) {
                continue;
            }
            // Groups of digits with their byte ranges.
            let groups: Vec<(usize, usize)> = group_ranges(text, m.start(), m.end());
            let mut s = 0;
            while s < groups.len() {
                let mut found = None;
                let mut digits = String::new();
                for (e, g) in groups.iter().enumerate().skip(s) {
                    digits.push_str(&text[g.0..g.1]);
                    if digits.len() > 19 {
                        break;
                    }
                    if digits.len() >= 13 && luhn(&digits) {
                        found = Some(e);
                    }
                }
                match found {
                    Some(e) => {
                        out.push((groups[s].0, groups[e].1));
                        s = e + 1;
                    }
                    None => s += 1,
                }
            }
        }
        out
    }

    fn ssns(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = bounded(&self.ssn, text, digit_boundary)
            .into_iter()
            .filter(|&(s, e)| {
                let b = &text.as_bytes()[s..e];
                b[3] == b[6] && valid_ssn(&text[s..s + 3], &text[s + 4..s + 6], &text[s + 7..e])
            })
            .collect();
        for c in self.ssn_cue.captures_iter(text) {
            if let Some(g) = c.get(1) {
                let (s, e) = (g.start(), g.end());
                if digit_boundary(text, s, e)
                    && valid_ssn(&text[s..s + 3], &text[s + 3..s + 5], &text[s + 5..e])
                {
                    out.push((s, e));
                }
            }
        }
        out
    }

    fn ibans(&self, text: &str) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (s, e) in bounded(&self.iban, text, |t, s, _| {
            !prev_is(t, s, |c| c.is_alphanumeric())
        }) {
            // Try the longest prefix that passes mod-97 and ends a word.
            let chars: Vec<(usize, u8)> = text[s..e]
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b != b' ')
                .map(|(i, b)| (s + i, b))
                .collect();
            let max = chars.len().min(34);
            for len in (15..=max).rev() {
                let end = chars[len - 1].0 + 1;
                if next_is(text, end, |c| c.is_alphanumeric()) {
                    continue;
                }
                let code: Vec<u8> = chars[..len].iter().map(|c| c.1).collect();
                if iban_ok(&code) {
                    out.push((s, end));
                    break;
                }
            }
        }
        out
    }

    fn ips(&self, text: &str) -> Vec<(usize, usize)> {
        let v4_ok = |t: &str, s: usize, e: usize| {
            let glued_before = prev_is(t, s, |c| c.is_alphanumeric() || c == '.');
            let glued_after = next_is(t, e, char::is_alphanumeric)
                || (t[e..].starts_with('.')
                    && t[e + 1..].starts_with(|c: char| c.is_ascii_digit()));
            !(glued_before || glued_after)
        };
        let mut out: Vec<(usize, usize)> = bounded(&self.ipv4, text, v4_ok)
            .into_iter()
            .filter(|&(s, e)| {
                text[s..e]
                    .split('.')
                    .all(|o| o.parse::<u16>().is_ok_and(|n| n <= 255))
            })
            .collect();
        for m in self.ipv6.find_iter(text) {
            let (s, mut e) = (m.start(), m.end());
            while e > s && text[..e].ends_with('.') {
                e -= 1;
            }
            if prev_is(text, s, |c| c.is_alphanumeric())
                || next_is(text, e, |c| c.is_alphanumeric())
            {
                continue;
            }
            let cand = &text[s..e];
            let groups = cand.split(':').filter(|g| !g.is_empty()).count();
            if (groups >= 3 || cand.contains('.')) && cand.parse::<Ipv6Addr>().is_ok() {
                out.push((s, e));
            }
        }
        out
    }

    fn dobs(&self, text: &str) -> Vec<(usize, usize)> {
        let cues: Vec<usize> = if self.rules.dob == DobMode::Cue {
            self.dob_cue.find_iter(text).map(|m| m.end()).collect()
        } else {
            Vec::new()
        };
        if self.rules.dob == DobMode::Cue && cues.is_empty() {
            return Vec::new();
        }
        self.date
            .find_iter(text)
            .filter(|m| {
                let rest = &text[m.end()..];
                let timestamp = rest.starts_with(['T', 't'])
                    && rest[1..].starts_with(|c: char| c.is_ascii_digit());
                !timestamp
                    && valid_date(m.as_str())
                    && (self.rules.dob == DobMode::All
                        || cues.iter().any(|&c| c <= m.start() && m.start() - c <= 40))
            })
            .map(|m| (m.start(), m.end()))
            .collect()
    }
}

/// Keeps the leftmost, then longest, then most specific candidates that do not overlap.
fn select(mut c: Vec<PiiMatch>) -> Vec<PiiMatch> {
    c.sort_by_key(|m| (m.start, std::cmp::Reverse(m.end), m.kind.priority()));
    let mut out: Vec<PiiMatch> = Vec::with_capacity(c.len());
    let mut last_end = 0;
    for m in c {
        if out.is_empty() || m.start >= last_end {
            last_end = m.end;
            out.push(m);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner() -> Scanner {
        Scanner::new(&PiiRules::default(), &[]).unwrap()
    }

    fn kinds(text: &str) -> Vec<PiiKind> {
        scanner().find(text).iter().map(|m| m.kind).collect()
    }

    #[test]
    fn phones() {
        assert_eq!(kinds("call +1 (202) 555-0101 now"), vec![PiiKind::Phone]);
        assert_eq!(kinds("call 202-555-0101."), vec![PiiKind::Phone]);
        assert_eq!(kinds("number is 1234567890."), vec![PiiKind::Phone]);
        assert_eq!(kinds("tel:+442079460000"), vec![PiiKind::Phone]);
        assert!(kinds("id 1663969465698 and pi 3.1415926535").is_empty());
        assert!(kinds("boundary=----=_Part_388314_1108189513.1663969465698").is_empty());
    }

    #[test]
    fn cards_need_luhn() {
        assert_eq!(kinds("card 4111 1111 1111 1111 exp"), vec![PiiKind::Card]);
        assert_eq!(kinds("card 4111-1111-1111-1111"), vec![PiiKind::Card]);
        assert!(kinds("ref 4111 1111 1111 1112").is_empty());
    }

    #[test]
    fn ssn_ranges_and_cue() {
        assert_eq!(kinds("ssn 123-45-6789"), vec![PiiKind::Ssn]);
        assert!(kinds("x 000-45-6789, 666-12-3456, 123-00-4567").is_empty());
        assert!(kinds("x 123-45 6789").is_empty());
        assert_eq!(kinds("my SSN is 123456789"), vec![PiiKind::Ssn]);
        assert!(kinds("order 123456789").is_empty());
    }

    #[test]
    fn ibans() {
        assert_eq!(
            kinds("pay DE89 3704 0044 0532 0130 00 TODAY"),
            vec![PiiKind::Iban]
        );
        assert!(kinds("pay DE89 3704 0044 0532 0130 01").is_empty());
    }

    #[test]
    fn ips() {
        assert_eq!(kinds("from 192.168.10.200."), vec![PiiKind::Ip]);
        assert_eq!(kinds("from 2001:db8::8a2e:370:7334 ok"), vec![PiiKind::Ip]);
        assert!(kinds("at 12:30:45 v 1.2.3 and 300.1.1.1 and std::vec").is_empty());
    }

    #[test]
    fn dates_of_birth() {
        assert_eq!(kinds("born on March 3rd, 1980"), vec![PiiKind::Dob]);
        assert_eq!(kinds("DOB: 03/04/1980"), vec![PiiKind::Dob]);
        assert!(kinds("the meeting on 03/04/1980").is_empty());
        let all = Scanner::new(
            &PiiRules {
                dob: DobMode::All,
                ..Default::default()
            },
            &[],
        )
        .unwrap();
        assert_eq!(all.find("on 1980-03-04 we").len(), 1);
        assert!(all.find("at 2026-06-29T23:11:19Z").is_empty());
        assert!(all.find("on 13/13/1980").is_empty());
    }

    #[test]
    fn party_identifiers() {
        let ids = PartyIds {
            tel: Some("tel:+1-202-555-0101".into()),
            mailto: Some("mailto:Bob@Example.com".into()),
            name: Some("Bob O'Neil".into()),
        };
        let s = Scanner::new(&PiiRules::default(), &[ids]).unwrap();
        let (m, k) = s
            .mask("bob o'neil: (202) 555 0101, +12025550101, BOB@example.COM, o'neil")
            .unwrap();
        assert_eq!(m, "[NAME]: [PHONE], [PHONE], [EMAIL], [NAME]");
        assert!(k.iter().all(|k| matches!(
            k,
            PiiKind::PartyName | PiiKind::PartyTel | PiiKind::PartyEmail
        )));
        assert!(s.mask("bobby").is_none());
    }

    #[test]
    fn disabled_finds_nothing() {
        let s = Scanner::new(
            &PiiRules {
                enabled: false,
                ..Default::default()
            },
            &[],
        )
        .unwrap();
        assert!(s.mask("a@b.example 202-555-0101").is_none());
    }
}
