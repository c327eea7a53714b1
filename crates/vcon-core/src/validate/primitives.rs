//! Checks of the primitive types of core-03 §JSON Notation: Date, UUID,
//! Mediatype, HTTPS URL, UnsignedInt. Fast, allocation-free predicates.

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

/// The version nibble of a UUID in text form (`is_uuid_text` must hold).
pub fn uuid_version(s: &str) -> Option<u8> {
    s.as_bytes()
        .get(14)
        .and_then(|c| (*c as char).to_digit(16))
        .and_then(|d| u8::try_from(d).ok())
}

fn is_token_char(c: u8) -> bool {
    // RFC 2045 token: any CHAR except SPACE, CTLs and tspecials.
    c.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&c)
}

/// Whether `s` is `type "/" subtype` with optional `; parameter` parts
/// (RFC 2045 §5.1); folded whitespace around parameters is tolerated.
pub fn is_mediatype(s: &str) -> bool {
    let (essence, params) = match s.split_once(';') {
        Some((e, p)) => (e, Some(p)),
        None => (s, None),
    };
    let Some((ty, sub)) = essence.trim_end().split_once('/') else {
        return false;
    };
    let token = |t: &str| !t.is_empty() && t.bytes().all(is_token_char);
    if !token(ty) || !token(sub) {
        return false;
    }
    match params {
        None => true,
        Some(p) => p.split(';').all(|param| {
            let param = param.trim_matches(|c: char| c.is_ascii_whitespace());
            match param.split_once('=') {
                Some((k, v)) => token(k) && !v.is_empty(),
                None => false,
            }
        }),
    }
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
        && !s.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
}

/// The value as an UnsignedInt (a non-negative JSON integer).
pub fn as_unsigned(v: &serde_json::Value) -> Option<u64> {
    v.as_u64()
}

/// Whether `s` uses only the base64url alphabet (tolerating `=` padding at the end).
pub fn is_base64url(s: &str) -> bool {
    let trimmed = s.trim_end_matches('=');
    s.len() - trimmed.len() <= 2
        && trimmed.len() % 4 != 1
        && trimmed
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
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
        assert_eq!(uuid_version("019f15a6-a752-826f-b9a2-279e0d16bc46"), Some(8));
        assert!(!is_uuid_text("SAMPLE-1234-abcd-5678"));
    }

    #[test]
    fn mediatypes() {
        assert!(is_mediatype("audio/x-wav"));
        assert!(is_mediatype("multipart/mixed; \n\tboundary=\"abc\""));
        assert!(!is_mediatype("not a valid mimetype!"));
        assert!(!is_mediatype("audio/"));
        assert!(!is_mediatype("text/plain; charset"));
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
        assert!(is_base64url("UklGRi"));
        assert!(is_base64url("QQ=="));
        assert!(!is_base64url("ab+c"));
        assert!(!is_base64url("abcde"));
    }
}
