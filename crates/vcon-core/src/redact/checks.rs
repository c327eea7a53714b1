//! The checks a candidate PII match must pass before it is masked:
//! checksums ([`luhn`] for card numbers, [`iban_ok`] for IBANs), value
//! ranges (US SSN area/group/serial, month and day of dates) and boundaries
//! (a number touching letters or other digits is part of something else).
//!
//! ```
//! use vcon_core::redact::{iban_ok, luhn};
//! assert!(luhn("4111111111111111"));
//! assert!(!luhn("4111111111111112"));
//! assert!(iban_ok(b"GB82WEST12345698765432"));
//! assert!(!iban_ok(b"GB82WEST12345698765433"));
//! ```

use regex::Regex;

/// Matches of `re` accepted by `ok(text, start, end)`; a refused match is
/// retried one character further on, so that a bounded match inside it is found.
pub(super) fn bounded(
    re: &Regex,
    text: &str,
    ok: impl Fn(&str, usize, usize) -> bool,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at <= text.len() {
        let Some(m) = re.find_at(text, at) else { break };
        if m.end() > m.start() && ok(text, m.start(), m.end()) {
            out.push((m.start(), m.end()));
            at = m.end();
        } else {
            at = next_char(text, m.start());
        }
    }
    out
}

pub(super) fn next_char(text: &str, i: usize) -> usize {
    text[i..]
        .chars()
        .next()
        .map_or(text.len() + 1, |c| i + c.len_utf8())
}

pub(super) fn prev_is(text: &str, i: usize, f: impl Fn(char) -> bool) -> bool {
    text[..i].chars().next_back().is_some_and(f)
}

pub(super) fn next_is(text: &str, i: usize, f: impl Fn(char) -> bool) -> bool {
    text[i..].chars().next().is_some_and(f)
}

/// A number stands alone: no letter or digit touches it, it does not follow
/// `+`, and it is not part of a decimal number (`3.1234567890`).
pub(super) fn digit_boundary(text: &str, s: usize, e: usize) -> bool {
    let before = text[..s].chars().next_back();
    let after = text[e..].chars().next();
    if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '+') {
        return false;
    }
    if after.is_some_and(|c| c.is_alphanumeric() || c == '_') {
        return false;
    }
    let decimal_before = matches!(before, Some('.' | ',')) && {
        let t = &text[..s];
        t[..t.len() - 1].ends_with(|c: char| c.is_ascii_digit())
    };
    let decimal_after =
        matches!(after, Some('.' | ',')) && text[e + 1..].starts_with(|c: char| c.is_ascii_digit());
    !decimal_before && !decimal_after
}

pub(super) fn email_boundary(text: &str, s: usize, e: usize) -> bool {
    let local = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    !prev_is(text, s, local) && !next_is(text, e, |c| c.is_alphanumeric() || c == '-' || c == '_')
}

/// Byte ranges of the digit groups in `text[s..e]` (separated by ` ` or `-`).
pub(super) fn group_ranges(text: &str, s: usize, e: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, b) in text[s..e].bytes().enumerate() {
        match (b.is_ascii_digit(), start) {
            (true, None) => start = Some(s + i),
            (false, Some(st)) => {
                out.push((st, s + i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, e));
    }
    out
}

/// The Luhn check of a string of ASCII digits.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// The ISO 13616 check of an IBAN given without spaces (upper case).
pub fn iban_ok(code: &[u8]) -> bool {
    if !(15..=34).contains(&code.len()) || !code.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (head, tail) = code.split_at(4);
    let mut rem = 0u32;
    for &b in tail.iter().chain(head) {
        if b.is_ascii_digit() {
            rem = (rem * 10 + u32::from(b - b'0')) % 97;
        } else if b.is_ascii_uppercase() {
            let v = u32::from(b - b'A') + 10;
            rem = (rem * 100 + v) % 97;
        } else {
            return false;
        }
    }
    rem == 1
}

pub(super) fn valid_ssn(area: &str, group: &str, serial: &str) -> bool {
    area != "000" && area != "666" && !area.starts_with('9') && group != "00" && serial != "0000"
}

/// Whether a matched date names a real month and day.
pub(super) fn valid_date(s: &str) -> bool {
    let nums: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    let has_letters = s.chars().any(char::is_alphabetic);
    let day_ok = |d: u32| (1..=31).contains(&d);
    let month_ok = |m: u32| (1..=12).contains(&m);
    match nums.as_slice() {
        [y, m, d] if *y >= 1000 => month_ok(*m) && day_ok(*d),
        [a, b, _] if !has_letters => (month_ok(*a) && day_ok(*b)) || (day_ok(*a) && month_ok(*b)),
        [d, _] => day_ok(*d),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_iban_checks() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("79927398713"));
        assert!(!luhn("4111111111111112"));
        assert!(!luhn(""));
        assert!(!luhn("4111a"));
        assert!(iban_ok(b"DE89370400440532013000"));
        assert!(iban_ok(b"GB82WEST12345698765432"));
        assert!(!iban_ok(b"DE89370400440532013001"));
        assert!(!iban_ok(b"DE8937"));
    }

    #[test]
    fn ranges() {
        assert!(valid_ssn("123", "45", "6789"));
        assert!(!valid_ssn("000", "45", "6789") || !valid_ssn("666", "45", "6789"));
        assert!(!valid_ssn("923", "45", "6789"));
        assert!(!valid_ssn("123", "00", "6789") && !valid_ssn("123", "45", "0000"));
        assert!(
            valid_date("1980-02-29") && valid_date("March 3, 1980") && valid_date("31/12/1999")
        );
        assert!(!valid_date("1980-13-01") && !valid_date("32/13/1999"));
    }

    #[test]
    fn boundaries() {
        assert!(digit_boundary("call 2025550101.", 5, 15));
        assert!(!digit_boundary("x12025550101", 2, 12));
        assert!(!digit_boundary("3.2025550101", 2, 12));
        assert!(!digit_boundary("2025550101.5", 0, 10));
        assert!(email_boundary("<a@b.example>", 1, 12));
        assert!(!email_boundary("xa@b.example", 1, 12));
        assert_eq!(group_ranges("41 11-1", 0, 7), vec![(0, 2), (3, 5), (6, 7)]);
    }
}
