//! Checks of the primitive types of core-03 §JSON Notation: Date, UUID,
//! Mediatype, HTTPS URL, UnsignedInt, base64url. Fast, allocation-free predicates.

use std::fmt;

/// Whether `s` is an RFC 3339 date-time with `Z` or a numeric offset
/// (fractional seconds optional). Naive times are refused.
pub fn is_date(s: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

/// Whether `s` is a UUID in 8-4-4-4-12 hexadecimal text form (either case).
pub fn is_uuid_text(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Whether `s` is a session UUID as SessionId values carry them: the RFC 7989
/// §5 form (32 hexadecimal digits) or the 8-4-4-4-12 text form.
pub fn is_session_uuid(s: &str) -> bool {
    (s.len() == 32 && s.bytes().all(|c| c.is_ascii_hexdigit())) || is_uuid_text(s)
}

/// The version nibble of a UUID in text form (`is_uuid_text` must hold).
pub fn uuid_version(s: &str) -> Option<u8> {
    s.as_bytes()
        .get(14)
        .and_then(|c| (*c as char).to_digit(16))
        .and_then(|d| u8::try_from(d).ok())
}

/// RFC 2045 token characters: any CHAR except SPACE, CTLs and tspecials.
const TOKEN_CHARS: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0x21;
    while c < 0x7f {
        table[c] = true;
        c += 1;
    }
    let tspecials = b"()<>@,;:\\\"/[]?=";
    let mut i = 0;
    while i < tspecials.len() {
        table[tspecials[i] as usize] = false;
        i += 1;
    }
    table
};

fn is_token_char(c: u8) -> bool {
    TOKEN_CHARS[usize::from(c)]
}

/// Whitespace tolerated around parameters, including folded header lines.
fn is_ows(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Length of the RFC 2045 token at the start of `b`.
fn token_len(b: &[u8]) -> usize {
    b.iter().take_while(|c| is_token_char(**c)).count()
}

/// Length of the quoted-string (RFC 822) at the start of `b`, quotes included.
fn quoted_len(b: &[u8]) -> Option<usize> {
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// Whether `s` is `type "/" subtype` with optional `; attribute=value` parts
/// (RFC 2045 §5.1); values are tokens or quoted strings, and whitespace
/// (folded lines included) is tolerated around the `;` separators.
///
/// ```
/// use vcon_core::validate::primitives::is_mediatype;
/// assert!(is_mediatype("multipart/mixed; \n\tboundary=\"a;b\""));
/// assert!(!is_mediatype("not a valid mimetype!"));
/// ```
pub fn is_mediatype(s: &str) -> bool {
    let b = s.as_bytes();
    let ty = token_len(b);
    if ty == 0 || b.get(ty) != Some(&b'/') {
        return false;
    }
    let mut i = ty + 1;
    let sub = token_len(&b[i..]);
    if sub == 0 {
        return false;
    }
    i += sub;
    loop {
        while b.get(i).is_some_and(|c| is_ows(*c)) {
            i += 1;
        }
        match b.get(i) {
            None => return true,
            Some(b';') => i += 1,
            Some(_) => return false,
        }
        while b.get(i).is_some_and(|c| is_ows(*c)) {
            i += 1;
        }
        let attribute = token_len(&b[i..]);
        if attribute == 0 || b.get(i + attribute) != Some(&b'=') {
            return false;
        }
        i += attribute + 1;
        let rest = &b[i..];
        let value = match quoted_len(rest) {
            Some(n) => n,
            None if rest.first() == Some(&b'"') => return false,
            None => token_len(rest),
        };
        if value == 0 {
            return false;
        }
        i += value;
    }
}

/// The `type/subtype` part of a media type, without parameters or surrounding
/// whitespace. Compare it case-insensitively.
pub fn mediatype_essence(s: &str) -> &str {
    s.split(';').next().unwrap_or(s).trim()
}

/// The dialog media types core-03 §Dialog/mediatype recommends.
pub const RECOMMENDED_DIALOG_MEDIATYPES: &[&str] = &[
    "text/plain",
    "audio/x-wav",
    "audio/x-mp3",
    "audio/x-mp4",
    "audio/ogg",
    "video/x-mp4",
    "video/ogg",
    "multipart/mixed",
];

/// Whether the essence of `s` is one of [`RECOMMENDED_DIALOG_MEDIATYPES`]
/// (case-insensitive; parameters such as `boundary` are ignored).
pub fn is_recommended_dialog_mediatype(s: &str) -> bool {
    let essence = mediatype_essence(s);
    RECOMMENDED_DIALOG_MEDIATYPES
        .iter()
        .any(|r| r.eq_ignore_ascii_case(essence))
}

/// Whether `s` is an absolute `https:` URL with a host.
pub fn is_https_url(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("https://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    !host.is_empty()
        && !host.starts_with(':')
        && !s
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
}

/// The value as an UnsignedInt (a non-negative JSON integer).
pub fn as_unsigned(v: &serde_json::Value) -> Option<u64> {
    v.as_u64()
}

/// Why a string is not decodable base64url (RFC 7515 §2, RFC 4648 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base64UrlError {
    /// A byte outside the alphabet `A-Z a-z 0-9 - _` (or `=` before the end).
    Byte {
        /// Offset of the byte in the string.
        offset: usize,
        /// The byte.
        byte: u8,
    },
    /// The length leaves a single dangling character (length mod 4 is 1), or
    /// `=` padding does not complete a group of four.
    Length {
        /// Length of the string, padding included.
        len: usize,
    },
    /// The last character carries non-zero bits past the end of the data,
    /// so the text is not a canonical encoding and strict decoders refuse it.
    TrailingBits {
        /// Offset of the last data character.
        offset: usize,
    },
}

impl fmt::Display for Base64UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Byte { offset, byte } if byte.is_ascii_graphic() || byte == b' ' => write!(
                f,
                "character {:?} at offset {offset} is not in the base64url alphabet",
                byte as char
            ),
            Self::Byte { offset, byte } => write!(
                f,
                "byte 0x{byte:02x} at offset {offset} is not in the base64url alphabet"
            ),
            Self::Length { len } => write!(
                f,
                "a length of {len} characters cannot be base64url (a dangling character or broken padding)"
            ),
            Self::TrailingBits { offset } => write!(
                f,
                "the last character (offset {offset}) has non-zero unused bits, so it is not a canonical encoding"
            ),
        }
    }
}

/// Whether `b` is in the base64url alphabet. Branch-free so that loops over
/// it vectorise.
#[inline(always)]
fn is_b64url_byte(b: u8) -> bool {
    let letter = (b | 0x20).wrapping_sub(b'a') < 26;
    let digit = b.wrapping_sub(b'0') < 10;
    letter | digit | (b == b'-') | (b == b'_')
}

/// The 6-bit value of a base64url character (which must be in the alphabet).
fn b64url_value(b: u8) -> u8 {
    match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'-' => 62,
        _ => 63,
    }
}

/// Offset of the first byte of `b` outside the base64url alphabet. Scans
/// 64-byte blocks without branches (near memory speed on multi-megabyte
/// bodies) and only looks byte by byte inside a failing block.
fn first_non_b64url(b: &[u8]) -> Option<usize> {
    const BLOCK: usize = 64;
    let mut blocks = b.chunks_exact(BLOCK);
    let mut offset = 0;
    for block in &mut blocks {
        let mut bad = 0u8;
        for &c in block {
            bad |= u8::from(!is_b64url_byte(c));
        }
        if bad != 0 {
            return block
                .iter()
                .position(|c| !is_b64url_byte(*c))
                .map(|p| offset + p);
        }
        offset += BLOCK;
    }
    blocks
        .remainder()
        .iter()
        .position(|c| !is_b64url_byte(*c))
        .map(|p| offset + p)
}

/// Checks that `s` decodes as base64url: alphabet, length, and zero unused
/// bits in the last character. Unpadded is the norm; one or two `=` at the
/// end are tolerated when they complete a group of four. Allocation-free.
///
/// ```
/// use vcon_core::validate::primitives::{check_base64url, Base64UrlError};
/// assert_eq!(check_base64url("SGk"), Ok(()));
/// assert_eq!(check_base64url("SGk="), Ok(()));
/// assert_eq!(check_base64url("SG+k"), Err(Base64UrlError::Byte { offset: 2, byte: b'+' }));
/// assert_eq!(check_base64url("SGkhS"), Err(Base64UrlError::Length { len: 5 }));
/// ```
pub fn check_base64url(s: &str) -> Result<(), Base64UrlError> {
    let all = s.as_bytes();
    let data = s.trim_end_matches('=').as_bytes();
    let padding = all.len() - data.len();
    if let Some(offset) = first_non_b64url(data) {
        return Err(Base64UrlError::Byte {
            offset,
            byte: data[offset],
        });
    }
    let rem = data.len() % 4;
    if rem == 1 || padding > 2 || (padding > 0 && (rem == 0 || !all.len().is_multiple_of(4))) {
        return Err(Base64UrlError::Length { len: all.len() });
    }
    let unused_mask = match rem {
        2 => 0x0f,
        3 => 0x03,
        _ => 0,
    };
    match data.last() {
        Some(&last) if b64url_value(last) & unused_mask != 0 => Err(Base64UrlError::TrailingBits {
            offset: data.len() - 1,
        }),
        _ => Ok(()),
    }
}

/// Whether `s` is decodable base64url (see [`check_base64url`]).
pub fn is_base64url(s: &str) -> bool {
    check_base64url(s).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(is_date("2022-06-21T17:53:26.000+00:00"));
        assert!(is_date("2024-01-01T00:00:00Z"));
        assert!(!is_date("2024-01-01T00:00:00"));
        assert!(!is_date("2024-13-01T00:00:00Z"));
        assert!(!is_date(""));
    }

    #[test]
    fn uuids() {
        assert!(is_uuid_text("019f15a6-a752-826f-b9a2-279e0d16bc46"));
        assert_eq!(
            uuid_version("019f15a6-a752-826f-b9a2-279e0d16bc46"),
            Some(8)
        );
        assert!(!is_uuid_text("SAMPLE-1234-abcd-5678"));
        assert!(is_session_uuid("00000000000000000000000000000000"));
        assert!(is_session_uuid("00000000-0000-0000-0000-000000000000"));
        assert!(is_session_uuid("ab30317f1a784dc48ff824d0d3715d86"));
        assert!(!is_session_uuid("ab30317f1a784dc48ff824d0d3715d8"));
        assert!(!is_session_uuid("a84b4c76e66710"));
    }

    #[test]
    fn mediatypes() {
        assert!(is_mediatype("audio/x-wav"));
        assert!(is_mediatype("text/plain; charset=UTF-8"));
        assert!(is_mediatype("multipart/mixed; \n\tboundary=\"abc\""));
        assert!(is_mediatype(
            "multipart/mixed; \n\tboundary=\"----=_Part_388314_1108189513.1663969465698\""
        ));
        assert!(is_mediatype(
            "multipart/mixed; boundary=\"a;b\"; charset=x "
        ));
        assert!(is_mediatype("text/plain;charset=\"q\\\"x\""));
        assert!(!is_mediatype("not a valid mimetype!"));
        assert!(!is_mediatype("audio/"));
        assert!(!is_mediatype("/wav"));
        assert!(!is_mediatype("audio"));
        assert!(!is_mediatype(" audio/wav"));
        assert!(!is_mediatype("audio/wav/x"));
        assert!(!is_mediatype("text/plain; charset"));
        assert!(!is_mediatype("text/plain; charset="));
        assert!(!is_mediatype("text/plain;"));
        assert!(!is_mediatype("text/plain; a=\"unterminated"));
        assert!(!is_mediatype("text/plain; a=b c"));
        assert!(!is_mediatype(""));
    }

    #[test]
    fn mediatype_essence_and_recommended() {
        assert_eq!(mediatype_essence(" text/plain ; charset=x"), "text/plain");
        assert!(is_recommended_dialog_mediatype("Audio/X-WAV"));
        assert!(is_recommended_dialog_mediatype(
            "multipart/mixed; \n\tboundary=\"abc\""
        ));
        assert!(!is_recommended_dialog_mediatype("audio/wav"));
        assert!(!is_recommended_dialog_mediatype("application/wav"));
    }

    #[test]
    fn urls() {
        assert!(is_https_url("https://example.com/a.mp3"));
        assert!(!is_https_url("http://example.com/a.mp3"));
        assert!(!is_https_url("s3://bucket/a"));
        assert!(!is_https_url("not-a-url"));
        assert!(!is_https_url("https:///x"));
    }

    #[test]
    fn base64url() {
        assert!(is_base64url(""));
        assert!(is_base64url("UklGRg"));
        assert!(is_base64url("QQ=="));
        assert!(is_base64url("QUI="));
        assert!(is_base64url("QUJD"));
        assert!(is_base64url("-_-_"));
        assert!(!is_base64url("ab+c"));
        assert!(!is_base64url("ab/c"));
        assert!(!is_base64url("abcde"));
        assert!(!is_base64url("QQ==="));
        assert!(!is_base64url("QUJD===="));
        assert!(!is_base64url("QQ=A"));
        assert!(!is_base64url("Q==="));
        assert!(!is_base64url("QUI=="));
        assert!(!is_base64url("QR"), "non-zero unused bits");
        assert!(!is_base64url("QUJ"), "non-zero unused bits");
        assert!(!is_base64url("ab\ncd"));
        assert!(!is_base64url("abc é"));
    }

    #[test]
    fn base64url_reports_the_first_bad_byte_in_long_input() {
        let mut s = "A".repeat(1000);
        s.replace_range(700..701, "+");
        s.replace_range(900..901, "/");
        assert_eq!(
            check_base64url(&s),
            Err(Base64UrlError::Byte {
                offset: 700,
                byte: b'+'
            })
        );
        let msg = Base64UrlError::Byte {
            offset: 700,
            byte: b'+',
        }
        .to_string();
        assert!(msg.contains("'+'") && msg.contains("700"), "{msg}");
    }

    #[test]
    fn base64url_agrees_with_the_base64_crate() {
        use base64::Engine as _;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 % 256) as u8).collect();
            let text = URL_SAFE_NO_PAD.encode(&bytes);
            assert!(is_base64url(&text), "{text}");
        }
        for s in [
            "QR", "QUJ", "A", "AB", "ABC", "ABCDE", "QQ", "QUI", "zz", "zzz",
        ] {
            assert_eq!(
                is_base64url(s),
                URL_SAFE_NO_PAD.decode(s).is_ok(),
                "disagreement on {s}"
            );
        }
    }
}
