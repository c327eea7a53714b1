//! The fast parser behind [`Node`]: one pass over UTF-8-checked text,
//! strings borrowed, members collected on a shared stack.
//!
//! It accepts exactly the inputs that [`crate::read::parse_object`] accepts
//! and builds the same tree (same strings, same numbers, same member order),
//! or gives up with [`NotFast`]. It gives up on every input the bounded
//! reader refuses (malformed JSON, invalid UTF-8, a byte order mark, nesting
//! past the limit, a repeated member name, a non-object) and never explains
//! why: callers then run the bounded reader, whose error is the one to report.

use std::borrow::Cow;

use serde_json::Number;

use super::node::{Node, Obj};

/// The fast parser gave up at this byte offset; the bounded reader
/// ([`crate::read::read`]) is the one to say what is wrong, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("byte {offset}: not taken by the fast parser; the bounded reader decides")]
pub struct NotFast {
    /// Where the parser stopped.
    pub offset: usize,
}

/// serde_json refuses a 128th level of nesting whatever the configured limit
/// (its recursion limit), so the reader never takes more than 127.
const HARD_DEPTH: usize = 127;

/// Objects up to this many members are checked for repeated names pairwise.
const PAIRWISE_MAX: usize = 16;

/// Strings are scanned a word at a time up to this length, then with `memchr2`
/// (a multiple of 8).
const WORD_SCAN: usize = 64;

/// Parses `bytes` as one JSON object with at most `max_depth` levels of
/// nesting (the object itself is level 1), or gives up.
pub fn parse(bytes: &[u8], max_depth: usize) -> Result<Obj<'_>, NotFast> {
    let text = std::str::from_utf8(bytes).map_err(|e| NotFast {
        offset: e.valid_up_to(),
    })?;
    let mut p = Parser {
        text,
        bytes,
        pos: 0,
        max_depth: max_depth.min(HARD_DEPTH),
        // Enough for a typical vCon's open objects and arrays without regrowing.
        members: Vec::with_capacity(32),
        elements: Vec::with_capacity(16),
    };
    p.skip_ws();
    if p.peek() != Some(b'{') {
        return Err(p.fail());
    }
    let root = p.object(1)?;
    p.skip_ws();
    if p.pos != bytes.len() {
        return Err(p.fail());
    }
    Ok(root)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    max_depth: usize,
    /// Members of the objects being parsed, innermost last.
    members: Vec<(Cow<'a, str>, Node<'a>)>,
    /// Elements of the arrays being parsed, innermost last.
    elements: Vec<Node<'a>>,
}

impl<'a> Parser<'a> {
    fn fail(&self) -> NotFast {
        NotFast { offset: self.pos }
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.pos += 1;
        }
    }

    /// Skips whitespace and consumes `byte`, or gives up.
    #[inline]
    fn expect(&mut self, byte: u8) -> Result<(), NotFast> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.fail())
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node<'a>, NotFast> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => Ok(Node::Object(self.object(depth + 1)?)),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Node::String(self.string()?)),
            Some(b't') => self.literal(b"true", Node::Bool(true)),
            Some(b'f') => self.literal(b"false", Node::Bool(false)),
            Some(b'n') => self.literal(b"null", Node::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.fail()),
        }
    }

    fn literal(&mut self, word: &[u8], node: Node<'a>) -> Result<Node<'a>, NotFast> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(node)
        } else {
            Err(self.fail())
        }
    }

    /// An object whose `{` is at `pos`, at nesting level `depth`.
    fn object(&mut self, depth: usize) -> Result<Obj<'a>, NotFast> {
        if depth > self.max_depth {
            return Err(self.fail());
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Obj::default());
        }
        let start = self.members.len();
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.fail());
            }
            let name = self.string()?;
            self.expect(b':')?;
            let value = self.value(depth)?;
            self.members.push((name, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.fail()),
            }
        }
        if has_repeated_name(&self.members[start..]) {
            return Err(self.fail());
        }
        Ok(Obj {
            members: self.members.split_off(start),
        })
    }

    /// An array whose `[` is at `pos`, at nesting level `depth`.
    fn array(&mut self, depth: usize) -> Result<Node<'a>, NotFast> {
        if depth > self.max_depth {
            return Err(self.fail());
        }
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Node::Array(Vec::new()));
        }
        let start = self.elements.len();
        loop {
            let value = self.value(depth)?;
            self.elements.push(value);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.fail()),
            }
        }
        Ok(Node::Array(self.elements.split_off(start)))
    }

    /// A number at `pos`, read as serde_json reads it.
    fn number(&mut self) -> Result<Node<'a>, NotFast> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.fail()),
        }
        let int_end = self.pos;
        let mut plain = true;
        if self.peek() == Some(b'.') {
            plain = false;
            self.pos += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.fail());
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            plain = false;
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.fail());
            }
            self.digits();
        }
        // Non-negative integers that fit in u64 without doubt are read here;
        // everything else (negative, fractions, exponents, long) by serde_json
        // itself, so that `-0`, overflow and rounding come out exactly alike.
        if plain && !negative && int_end - start <= 19 {
            let n = self.bytes[start..int_end]
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
            return Ok(Node::Number(Number::from(n)));
        }
        self.text[start..self.pos]
            .parse::<Number>()
            .map(Node::Number)
            .map_err(|_| NotFast { offset: start })
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    /// A string whose opening `"` is at `pos`.
    fn string(&mut self) -> Result<Cow<'a, str>, NotFast> {
        let start = self.pos + 1;
        let (end, byte) = self.scan(start)?;
        if byte == b'"' {
            self.pos = end + 1;
            return Ok(Cow::Borrowed(&self.text[start..end]));
        }
        let mut out = String::with_capacity(end - start + 16);
        out.push_str(&self.text[start..end]);
        self.pos = end;
        loop {
            // `pos` is at a backslash.
            self.escape(&mut out)?;
            let from = self.pos;
            let (end, byte) = self.scan(from)?;
            out.push_str(&self.text[from..end]);
            self.pos = end;
            if byte == b'"' {
                self.pos += 1;
                return Ok(Cow::Owned(out));
            }
        }
    }

    /// The offset and value of the first `"` or `\` at or after `from`;
    /// gives up at a control character or at the end of the input.
    ///
    /// The first [`WORD_SCAN`] bytes are looked at eight at a time (most
    /// strings of a vCon, names and values alike, end there); longer strings
    /// go on with `memchr2` and a vectorised control-character check.
    #[inline]
    fn scan(&self, from: usize) -> Result<(usize, u8), NotFast> {
        let rest = &self.bytes[from..];
        let head = rest.len().min(WORD_SCAN);
        let mut i = 0;
        while let Some(word) = rest[i..head].first_chunk::<8>() {
            if let Some(k) = first_special(u64::from_le_bytes(*word)) {
                return special(from + i + k, rest[i + k]);
            }
            i += 8;
        }
        if head < WORD_SCAN {
            // Fewer than eight bytes are left before the end of the input.
            for (k, &c) in rest[i..].iter().enumerate() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    return special(from + i + k, c);
                }
            }
            return Err(NotFast {
                offset: self.bytes.len(),
            });
        }
        let tail = &rest[head..];
        let Some(k) = memchr::memchr2(b'"', b'\\', tail) else {
            return Err(NotFast {
                offset: self.bytes.len(),
            });
        };
        if has_control(&tail[..k]) {
            return Err(NotFast {
                offset: from + head,
            });
        }
        Ok((from + head + k, tail[k]))
    }

    /// Decodes the escape at `pos` into `out`.
    fn escape(&mut self, out: &mut String) -> Result<(), NotFast> {
        let c = match self.bytes.get(self.pos + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(out),
            _ => return Err(self.fail()),
        };
        out.push(c);
        self.pos += 2;
        Ok(())
    }

    /// `\uXXXX`, or a surrogate pair of two; a lone surrogate gives up.
    fn unicode_escape(&mut self, out: &mut String) -> Result<(), NotFast> {
        let first = self.hex4(self.pos + 2)?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos + 6..self.pos + 8) != Some(b"\\u") {
                    return Err(self.fail());
                }
                let second = self.hex4(self.pos + 8)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(self.fail());
                }
                self.pos += 6;
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.fail()),
            c => c,
        };
        let c = char::from_u32(code).ok_or_else(|| self.fail())?;
        out.push(c);
        self.pos += 6;
        Ok(())
    }

    fn hex4(&self, at: usize) -> Result<u32, NotFast> {
        let digits = self.bytes.get(at..at + 4).ok_or_else(|| self.fail())?;
        digits.iter().try_fold(0u32, |n, &d| {
            let v = char::from(d).to_digit(16).ok_or(NotFast { offset: at })?;
            Ok(n * 16 + v)
        })
    }
}

/// Bytes every byte of a word has.
const ONES: u64 = 0x0101_0101_0101_0101;
/// The high bit of every byte of a word.
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Index of the first byte of `word` (little-endian: byte 0 is the lowest)
/// that is `"`, `\` or a control character (below 0x20), if any.
///
/// Each test sets the high bit of the bytes that match: `v - ONES & !v` for a
/// zero byte of `v` (the word XORed with the byte sought), `w - 0x20 & !w` for
/// a byte below 0x20. A borrow can only run upwards from a byte that matched,
/// so bits set by a borrow lie above a true match and the lowest set bit is
/// always a true one.
#[inline]
fn first_special(word: u64) -> Option<usize> {
    let quote = word ^ (ONES * u64::from(b'"'));
    let backslash = word ^ (ONES * u64::from(b'\\'));
    let found = (quote.wrapping_sub(ONES) & !quote)
        | (backslash.wrapping_sub(ONES) & !backslash)
        | (word.wrapping_sub(ONES * 0x20) & !word);
    let found = found & HIGHS;
    (found != 0).then(|| (found.trailing_zeros() / 8) as usize)
}

/// What [`Parser::scan`] makes of the special byte `c` at `at`: the end of
/// the string or an escape, or a control character (the parser gives up).
#[inline]
fn special(at: usize, c: u8) -> Result<(usize, u8), NotFast> {
    if c < 0x20 {
        Err(NotFast { offset: at })
    } else {
        Ok((at, c))
    }
}

/// Whether any byte is a control character (below 0x20), 32 bytes at a time
/// so that the compiler vectorises it.
fn has_control(bytes: &[u8]) -> bool {
    let mut chunks = bytes.chunks_exact(32);
    for chunk in &mut chunks {
        if chunk.iter().fold(0u8, |a, &c| a | u8::from(c < 0x20)) != 0 {
            return true;
        }
    }
    chunks.remainder().iter().any(|&c| c < 0x20)
}

/// Whether two members share a name.
fn has_repeated_name(members: &[(Cow<'_, str>, Node<'_>)]) -> bool {
    if members.len() <= PAIRWISE_MAX {
        return members
            .iter()
            .enumerate()
            .any(|(i, (a, _))| members[..i].iter().any(|(b, _)| a == b));
    }
    let mut names: Vec<&str> = members.iter().map(|(k, _)| k.as_ref()).collect();
    names.sort_unstable();
    names.windows(2).any(|w| w[0] == w[1])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn first_special_bytewise(word: [u8; 8]) -> Option<usize> {
        word.iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
    }

    proptest! {
        /// The word test finds the same byte as a byte-by-byte look, over
        /// words drawn mostly from the bytes near the ones sought.
        #[test]
        fn first_special_is_the_first_special_byte(
            word in prop::array::uniform8(prop_oneof![
                Just(b'"'), Just(b'\\'), 0u8..0x21, 0x21u8..0x23, 0x5bu8..0x5e, any::<u8>()
            ])
        ) {
            prop_assert_eq!(first_special(u64::from_le_bytes(word)), first_special_bytewise(word));
        }
    }

    /// Names that share a prefix or a length are told apart; a repeated name
    /// is found wherever it is, in small (pairwise) and large (sorted) objects.
    #[test]
    fn repeated_names_are_found_in_small_and_large_objects() {
        let object = |names: &[&str]| {
            let members: Vec<String> = names.iter().map(|n| format!("\"{n}\":1")).collect();
            format!("{{{}}}", members.join(","))
        };
        let distinct = [
            "abcdefghX",
            "abcdefghY",
            "abcdefgh",
            "a",
            "",
            "b\\u0000",
            "b",
        ];
        assert!(parse(object(&distinct).as_bytes(), 4).is_ok());
        for count in [3, 5, 16, 17, 40] {
            let names: Vec<String> = (0..count).map(|i| format!("longname-{i:03}")).collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            assert!(parse(object(&names).as_bytes(), 4).is_ok(), "{count}");
            for (i, j) in [
                (0, count - 1),
                (count / 2, count / 2 + 1),
                (count - 2, count - 1),
            ] {
                let mut repeated = names.clone();
                repeated[j] = names[i];
                if i != j {
                    assert!(
                        parse(object(&repeated).as_bytes(), 4).is_err(),
                        "{count} {i} {j}"
                    );
                }
            }
        }
    }

    /// Strings of every length around the word and `memchr2` boundaries, with
    /// an escape, a raw control character or nothing special at every
    /// position: parsed as serde_json parses them, or refused when it refuses.
    #[test]
    fn strings_of_every_length_and_special_position() {
        for len in 0..150 {
            for at in 0..=len {
                for special in ["", "\\\"", "\\\\", "\\u00e9", "\n", "\u{1}", "é"] {
                    let mut s = "a".repeat(len);
                    s.insert_str(at, special);
                    let text = format!("{{\"{s}\":\"{s}\"}}");
                    let ours = parse(text.as_bytes(), 64).map(|o| Node::Object(o).to_value());
                    let theirs = serde_json::from_str::<serde_json::Value>(&text);
                    match (ours, theirs) {
                        (Ok(a), Ok(b)) => assert_eq!(a, b, "{text:?}"),
                        (Err(_), Err(_)) => {}
                        (a, b) => panic!("{text:?}: fast {a:?}, serde_json {b:?}"),
                    }
                }
            }
        }
    }
}
