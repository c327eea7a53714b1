//! Masking PII in e-mail bodies (RFC 2045/2046) without breaking them:
//! multipart bodies are walked part by part, boundaries and structural
//! headers (`Content-Type`, `Content-Transfer-Encoding`, `MIME-Version`,
//! `Content-ID`) are copied as they are, other header values are masked,
//! text parts are masked after undoing their transfer encoding
//! (quoted-printable and base64 are decoded, masked and encoded again),
//! and non-text parts (images, PDFs) are left alone and listed.
//!
//! ```
//! use vcon_core::redact::{PiiRules, Scanner};
//! use vcon_core::redact::mime::mask_body;
//! let scanner = Scanner::new(&PiiRules::default(), &[]).unwrap();
//! let body = "--b1\r\nContent-Type: text/plain\r\n\r\nCall 202-555-0101\r\n--b1--\r\n";
//! let out = mask_body(body, Some("multipart/mixed; boundary=\"b1\""), &scanner);
//! assert_eq!(out.text, "--b1\r\nContent-Type: text/plain\r\n\r\nCall [PHONE]\r\n--b1--\r\n");
//! assert_eq!(out.kinds.len(), 1);
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::pii::{PiiKind, Scanner};

/// Headers copied without masking: they carry structure, not personal data.
const STRUCTURAL: &[&str] = &[
    "content-type",
    "content-transfer-encoding",
    "mime-version",
    "content-id",
];

/// Deepest multipart nesting walked; deeper parts are left alone and listed.
const MAX_DEPTH: usize = 16;

/// The result of masking a body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MimeOutcome {
    /// The masked body (equal to the input when nothing was found).
    pub text: String,
    /// What was masked, in order.
    pub kinds: Vec<PiiKind>,
    /// Parts that were not scanned, described (type and why), never their content.
    pub skipped: Vec<String>,
}

struct Walker<'s> {
    scanner: &'s Scanner,
    kinds: Vec<PiiKind>,
    skipped: Vec<String>,
}

/// Masks an `encoding: none` body whose media type is `mediatype`:
/// `multipart/*` (with a boundary) part by part, `message/rfc822` as headers
/// and body, any other type as plain text.
pub fn mask_body(body: &str, mediatype: Option<&str>, scanner: &Scanner) -> MimeOutcome {
    let mut w = Walker {
        scanner,
        kinds: Vec::new(),
        skipped: Vec::new(),
    };
    let ess = mediatype.map(essence).unwrap_or_default();
    let text = if ess.starts_with("multipart/") {
        match mediatype.and_then(|m| param(m, "boundary")) {
            Some(b) => w.multipart(body, &b, 0),
            None => w.plain(body),
        }
    } else if ess == "message/rfc822" {
        w.entity(body, 0)
    } else {
        w.plain(body)
    };
    MimeOutcome {
        text,
        kinds: w.kinds,
        skipped: w.skipped,
    }
}

/// The lower-case `type/subtype` of a media type.
pub fn essence(mediatype: &str) -> String {
    mediatype
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A parameter of a media type (quotes removed), such as `boundary`.
pub fn param(mediatype: &str, name: &str) -> Option<String> {
    mediatype.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

fn is_text_type(ess: &str) -> bool {
    ess.starts_with("text/")
        || ess.starts_with("message/")
        || matches!(ess, "application/json" | "application/xml")
}

/// Splits off a trailing line break.
fn split_newline(s: &str) -> (&str, &str) {
    if let Some(t) = s.strip_suffix("\r\n") {
        (t, "\r\n")
    } else if let Some(t) = s.strip_suffix('\n') {
        (t, "\n")
    } else {
        (s, "")
    }
}

impl Walker<'_> {
    fn plain(&mut self, text: &str) -> String {
        match self.scanner.mask(text) {
            Some((masked, kinds)) => {
                self.kinds.extend(kinds);
                masked
            }
            None => text.to_owned(),
        }
    }

    fn multipart(&mut self, body: &str, boundary: &str, depth: usize) -> String {
        let delim = format!("--{boundary}");
        let starts: Vec<usize> = body
            .match_indices(&delim)
            .map(|(i, _)| i)
            .filter(|&i| i == 0 || body[..i].ends_with('\n'))
            .collect();
        let Some(&first) = starts.first() else {
            return self.plain(body);
        };
        let mut out = self.plain(&body[..first]);
        for (k, &p) in starts.iter().enumerate() {
            let line_end = body[p..].find('\n').map_or(body.len(), |n| p + n + 1);
            let line = &body[p..line_end];
            out.push_str(line);
            if line[delim.len()..].starts_with("--") {
                out.push_str(&self.plain(&body[line_end..]));
                return out;
            }
            let next = starts.get(k + 1).copied().unwrap_or(body.len());
            if next < line_end {
                continue;
            }
            let (part, newline) = if next == body.len() {
                (&body[line_end..next], "")
            } else {
                split_newline(&body[line_end..next])
            };
            out.push_str(&self.entity(part, depth + 1));
            out.push_str(newline);
        }
        out
    }

    /// One MIME entity: header fields, a blank line, a body.
    fn entity(&mut self, text: &str, depth: usize) -> String {
        let (headers, sep, body) = if let Some(rest) = text.strip_prefix("\r\n") {
            ("", "\r\n", rest)
        } else if let Some(rest) = text.strip_prefix('\n') {
            ("", "\n", rest)
        } else {
            match (text.find("\r\n\r\n"), text.find("\n\n")) {
                (Some(c), l) if l.is_none_or(|l| c < l) => (&text[..c + 2], "\r\n", &text[c + 4..]),
                (_, Some(l)) => (&text[..=l], "\n", &text[l + 2..]),
                _ => return self.plain(text),
            }
        };
        let mut content_type = None;
        let mut cte = None;
        let mut out = String::with_capacity(text.len());
        for field in fields(headers) {
            let (name, value) = field.split_once(':').unwrap_or((field, ""));
            let lname = name.trim().to_ascii_lowercase();
            let unfolded = value.split_whitespace().collect::<Vec<_>>().join(" ");
            match lname.as_str() {
                "content-type" => content_type = Some(unfolded),
                "content-transfer-encoding" => cte = Some(unfolded.to_ascii_lowercase()),
                _ => {}
            }
            if STRUCTURAL.contains(&lname.as_str()) || !field.contains(':') {
                out.push_str(field);
            } else {
                out.push_str(name);
                out.push(':');
                out.push_str(&self.plain(value));
            }
        }
        out.push_str(sep);
        let ct = content_type.unwrap_or_else(|| "text/plain".to_owned());
        out.push_str(&self.entity_body(body, &ct, cte.as_deref(), depth));
        out
    }

    fn entity_body(&mut self, body: &str, ct: &str, cte: Option<&str>, depth: usize) -> String {
        let ess = essence(ct);
        if depth > MAX_DEPTH {
            self.skipped
                .push(format!("{ess} part nested deeper than {MAX_DEPTH} levels"));
            return body.to_owned();
        }
        if ess.starts_with("multipart/")
            && let Some(b) = param(ct, "boundary")
        {
            return self.multipart(body, &b, depth);
        }
        if ess == "message/rfc822" {
            return self.entity(body, depth + 1);
        }
        if !is_text_type(&ess) {
            self.skipped
                .push(format!("{ess} part (not text) left as is"));
            return body.to_owned();
        }
        match cte.unwrap_or("7bit") {
            "7bit" | "8bit" | "binary" => self.plain(body),
            "quoted-printable" => {
                let Ok(text) = String::from_utf8(qp_decode(body)) else {
                    self.skipped
                        .push(format!("{ess} part: quoted-printable text is not UTF-8"));
                    return body.to_owned();
                };
                match self.scanner.mask(&text) {
                    Some((masked, kinds)) => {
                        self.kinds.extend(kinds);
                        qp_encode(&masked)
                    }
                    None => body.to_owned(),
                }
            }
            "base64" => {
                let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
                let text = STANDARD
                    .decode(compact.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                let Some(text) = text else {
                    self.skipped.push(format!(
                        "{ess} part: base64 text is not UTF-8 or not base64"
                    ));
                    return body.to_owned();
                };
                match self.scanner.mask(&text) {
                    Some((masked, kinds)) => {
                        self.kinds.extend(kinds);
                        let trailing = &body[body.trim_end().len()..];
                        let encoded = STANDARD.encode(masked.as_bytes());
                        let lines: Vec<&str> = encoded
                            .as_bytes()
                            .chunks(76)
                            .map(|c| std::str::from_utf8(c).unwrap_or_default())
                            .collect();
                        format!("{}{trailing}", lines.join("\r\n"))
                    }
                    None => body.to_owned(),
                }
            }
            other => {
                self.skipped.push(format!(
                    "{ess} part with transfer encoding `{other}` left as is"
                ));
                body.to_owned()
            }
        }
    }
}

/// Header fields, each with its continuation lines and line breaks.
fn fields(headers: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut pos = 0;
    for line in headers.split_inclusive('\n') {
        if pos > 0 && !line.starts_with([' ', '\t']) {
            out.push(&headers[start..pos]);
            start = pos;
        }
        pos += line.len();
    }
    if start < headers.len() {
        out.push(&headers[start..]);
    }
    out
}

/// Decodes quoted-printable text (soft line breaks removed, `=XX` decoded).
fn qp_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b[i + 1..].starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if b[i + 1..].starts_with(b"\n") {
                i += 2;
                continue;
            }
            let hex = b
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// Encodes text as quoted-printable, lines of at most 76 characters.
fn qp_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    let lines: Vec<&str> = s.split('\n').collect();
    for (n, line) in lines.iter().enumerate() {
        let (line, cr) = match line.strip_suffix('\r') {
            Some(l) => (l, true),
            None => (*line, false),
        };
        let bytes = line.as_bytes();
        let mut width = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let last = i + 1 == bytes.len();
            let encode = ((b == b' ' || b == b'\t') && last)
                || b == b'='
                || (!(32..=126).contains(&b) && b != b'\t');
            let token = if encode {
                format!("={b:02X}")
            } else {
                char::from(b).to_string()
            };
            if width + token.len() > 75 {
                out.push_str("=\r\n");
                width = 0;
            }
            width += token.len();
            out.push_str(&token);
        }
        if n + 1 < lines.len() {
            out.push_str(if cr { "\r\n" } else { "\n" });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::PiiRules;

    fn scanner() -> Scanner {
        Scanner::new(&PiiRules::default(), &[]).unwrap()
    }

    #[test]
    fn boundaries_with_long_digit_runs_survive() {
        let b = "----=_Part_1_1108189513.1663969465698";
        let body = format!(
            "--{b}\r\nContent-Type: text/plain\r\nFrom: Bob <b@example.com>\r\n\r\nmail me at b@example.com\r\n--{b}\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n\r\n--{b}--\r\n"
        );
        let out = mask_body(
            &body,
            Some(&format!("multipart/mixed; \n\tboundary=\"{b}\"")),
            &scanner(),
        );
        assert_eq!(out.kinds.len(), 2);
        assert_eq!(out.text.matches(b).count(), 3);
        assert!(out.text.contains("From: Bob <[EMAIL]>\r\n"));
        assert!(out.text.contains("iVBORw0KGgo=\r\n\r\n--"));
        assert_eq!(
            out.skipped,
            vec!["image/png part (not text) left as is".to_owned()]
        );
    }

    #[test]
    fn quoted_printable_and_base64_text_parts() {
        let qp = "--x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCall 202-555-=\r\n0101 caf=C3=A9\r\n--x--";
        let out = mask_body(qp, Some("multipart/mixed; boundary=x"), &scanner());
        assert_eq!(out.kinds, vec![PiiKind::Phone]);
        assert!(
            out.text.contains("Call [PHONE] caf=C3=A9\r\n--x--"),
            "{}",
            out.text
        );
        let b64 = STANDARD.encode("write to a@b.example");
        let body = format!(
            "--x\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--x--"
        );
        let out = mask_body(&body, Some("multipart/alternative; boundary=x"), &scanner());
        let expected = STANDARD.encode("write to [EMAIL]");
        assert!(out.text.contains(&expected));
    }

    #[test]
    fn nested_multipart_and_rfc822() {
        let body = "--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n--i\r\n\r\nip 10.0.0.1\r\n--i--\r\n--o--\r\n";
        let out = mask_body(body, Some("multipart/mixed; boundary=o"), &scanner());
        assert_eq!(out.kinds, vec![PiiKind::Ip]);
        assert!(out.text.contains("\r\n\r\nip [IP]\r\n--i--"));
        let msg = "From: a@b.example\nSubject: hi\n\ncall 202-555-0101";
        let out = mask_body(msg, Some("message/rfc822"), &scanner());
        assert_eq!(out.text, "From: [EMAIL]\nSubject: hi\n\ncall [PHONE]");
    }

    #[test]
    fn qp_round_trip() {
        let s = "a=b tail \r\nline2\u{e9}";
        assert_eq!(String::from_utf8(qp_decode(&qp_encode(s))).unwrap(), s);
        let long = "x".repeat(200);
        assert!(qp_encode(&long).split("\r\n").all(|l| l.len() <= 76));
    }
}
