//! The identifiers of the vCon's own parties, looked for in text: their
//! telephone numbers (with or without `+`, country code, trunk `0` or
//! formatting), e-mail addresses (with or without `mailto:`, any case) and
//! names (whole, and each word of two letters or more).
//!
//! ```
//! use vcon_core::redact::{PartyIds, PiiKind, PiiRules, Scanner};
//! let bob = PartyIds { tel: Some("tel:+44-20-7946-0000".into()), ..Default::default() };
//! let scanner = Scanner::new(&PiiRules::default(), &[bob]).unwrap();
//! for text in ["+44 20 7946 0000", "020 7946 0000", "(20) 7946-0000"] {
//!     assert_eq!(scanner.find(text)[0].kind, PiiKind::PartyTel, "{text}");
//! }
//! ```

/// Characters allowed between the digits of a telephone number.
const TEL_SEP: &str = r"[\s().\-]*";

/// The identifiers of one party that are looked for in text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartyIds {
    /// The party's `tel`.
    pub tel: Option<String>,
    /// The party's `mailto`.
    pub mailto: Option<String>,
    /// The party's `name`.
    pub name: Option<String>,
}

impl PartyIds {
    /// The identifiers of a party object (`tel`, `mailto`, `name` strings).
    pub fn of(party: &serde_json::Map<String, serde_json::Value>) -> Self {
        let s = |k: &str| party.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        Self {
            tel: s("tel"),
            mailto: s("mailto"),
            name: s("name"),
        }
    }
}

/// Patterns for the parties' own telephone numbers, e-mail addresses and names.
pub(super) fn party_patterns(
    parties: &[PartyIds],
) -> (Option<String>, Option<String>, Option<String>) {
    let mut tels: Vec<String> = Vec::new();
    let mut mails: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for p in parties {
        if let Some(tel) = &p.tel {
            tels.extend(tel_variants(tel));
        }
        if let Some(m) = &p.mailto {
            let addr = m.strip_prefix("mailto:").unwrap_or(m);
            let addr = addr.split('?').next().unwrap_or(addr).trim();
            if addr.contains('@') {
                mails.push(addr.to_lowercase());
            }
        }
        if let Some(n) = &p.name {
            let n = n.trim();
            if n.is_empty() || n.eq_ignore_ascii_case("anonymous") {
                continue;
            }
            names.push(n.to_owned());
            names.extend(
                n.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '-')
                    .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
                    .filter(|w| !w.eq_ignore_ascii_case("anonymous"))
                    .map(str::to_owned),
            );
        }
    }
    let alt = |mut items: Vec<String>, f: &dyn Fn(&str) -> String| {
        items.sort_by_key(|s| std::cmp::Reverse(s.len()));
        items.dedup();
        (!items.is_empty()).then(|| items.iter().map(|s| f(s)).collect::<Vec<_>>().join("|"))
    };
    let tel = alt(tels, &|digits| {
        let body: Vec<String> = digits.chars().map(|c| c.to_string()).collect();
        format!(r"(?:tel:)?(?:\+\s*)?\(?{}", body.join(TEL_SEP))
    });
    let mail = alt(mails, &|a| regex::escape(a)).map(|p| format!("(?i)(?:mailto:)?(?:{p})"));
    let name = alt(names, &|n| {
        n.split_whitespace()
            .map(regex::escape)
            .collect::<Vec<_>>()
            .join(r"\s+")
    })
    .map(|p| format!(r"(?i)\b(?:{p})\b"));
    (tel, mail, name)
}

/// Two-digit ITU-T E.164 country codes; 1 (NANP) and 7 are one digit, the
/// rest three.
const CC2: &[&str] = &[
    "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47",
    "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65",
    "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
];

/// Length of the country code at the start of an international number.
fn country_code_len(digits: &str) -> usize {
    if digits.starts_with(['1', '7']) {
        1
    } else if CC2.iter().any(|cc| digits.starts_with(cc)) {
        2
    } else {
        3
    }
}

/// The digit strings a telephone number may be written as: all its digits;
/// for an international number (`+`, or 11 digits starting with 1) also the
/// national number without the country code, and outside North America
/// with the trunk prefix `0`.
pub(super) fn tel_variants(tel: &str) -> Vec<String> {
    let t = tel.strip_prefix("tel:").unwrap_or(tel).trim();
    let t = t.split(';').next().unwrap_or(t);
    let digits: String = t.chars().filter(char::is_ascii_digit).collect();
    let mut out = Vec::new();
    if digits.len() < 7 {
        return out;
    }
    out.push(digits.clone());
    let nanp = digits.len() == 11 && digits.starts_with('1');
    if t.starts_with('+') || nanp {
        let cc = country_code_len(&digits);
        if let Some(national) = digits.get(cc..).filter(|n| n.len() >= 6) {
            out.push(national.to_owned());
            if cc != 1 || !digits.starts_with('1') {
                out.push(format!("0{national}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telephone_variants() {
        assert_eq!(tel_variants("+12025550101"), ["12025550101", "2025550101"]);
        assert_eq!(tel_variants("12025550101"), ["12025550101", "2025550101"]);
        assert_eq!(
            tel_variants("tel:+44-20-7946-0000;ext=1"),
            ["442079460000", "2079460000", "02079460000"]
        );
        assert_eq!(tel_variants("+353 1 234 5678")[1], "12345678");
        assert!(tel_variants("123").is_empty());
    }

    #[test]
    fn name_words() {
        let (_, _, names) = party_patterns(&[PartyIds {
            name: Some("Anonymous".into()),
            ..Default::default()
        }]);
        assert!(names.is_none());
        let (_, mail, names) = party_patterns(&[PartyIds {
            name: Some("Mary J. Blige".into()),
            mailto: Some("mailto:MJB@Example.com?subject=x".into()),
            ..Default::default()
        }]);
        let names = names.unwrap();
        assert!(names.contains("Mary") && names.contains("Blige") && !names.contains("|J|"));
        assert!(mail.unwrap().contains("mjb@example\\.com"));
    }
}
