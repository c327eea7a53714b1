//! One keep-alive HTTP/1.1 connection of `vcon bench-server`, as a load
//! generator needs it: a request is prepared bytes written with one
//! `write_all`; the answer is read into a buffer the connection keeps and
//! parsed in place with `httparse` (status line, `Content-Length` or
//! `chunked`, `Connection: close`). There is no task per connection, no
//! header map and, once the buffers have grown, no allocation per request.
//! The answer is read whole before [`Conn::send`] returns, so a latency
//! measured around it runs from the send to the last byte of the answer.

use std::ops::Range;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// Headers parsed per answer (more is an error: no vCon server sends that many).
const MAX_HEADERS: usize = 64;
/// Largest answer read (a stored vCon is at most 64 MiB by default).
const MAX_ANSWER_BYTES: usize = 1 << 30;
/// The read buffer's first size: an ingest answer fits several times.
const INITIAL_BUFFER: usize = 16 * 1024;

/// One keep-alive connection, opened at the first request and reopened
/// after an error or a `Connection: close`.
pub struct Conn {
    authority: String,
    stream: Option<TcpStream>,
    /// Bytes read from the stream; `[..filled]` hold data.
    buf: Vec<u8>,
    filled: usize,
    /// The decoded body of a `chunked` answer.
    chunked: Vec<u8>,
}

/// The answer to one request.
#[derive(Debug)]
pub struct Answer<'a> {
    /// The HTTP status.
    pub status: u16,
    /// The body (decoded when it was `chunked`).
    pub body: &'a [u8],
}

/// How an answer's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body (1xx, 204, 304).
    Empty,
    /// `Content-Length` bytes.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// The head of an answer.
#[derive(Debug, Clone, Copy)]
struct Head {
    status: u16,
    len: usize,
    framing: Framing,
    close: bool,
}

/// Where the body of an answer is.
enum BodyAt {
    Buffer(Range<usize>),
    Chunked,
}

impl Conn {
    /// A connection to `authority` (`host:port`), opened at the first request.
    pub fn new(authority: &str) -> Self {
        Self {
            authority: authority.to_owned(),
            stream: None,
            buf: Vec::new(),
            filled: 0,
            chunked: Vec::new(),
        }
    }

    /// Sends `request` (a whole HTTP/1.1 request: head and body) and reads
    /// the whole answer. A transport or protocol error closes the
    /// connection; the next request reconnects.
    pub async fn send(&mut self, request: &[u8]) -> Result<Answer<'_>> {
        match self.exchange(request).await {
            Ok((status, at, close)) => {
                if close {
                    self.stream = None;
                }
                let body = match at {
                    BodyAt::Buffer(range) => self.buf.get(range).unwrap_or_default(),
                    BodyAt::Chunked => &self.chunked[..],
                };
                Ok(Answer { status, body })
            }
            Err(e) => {
                self.stream = None;
                Err(e)
            }
        }
    }

    async fn exchange(&mut self, request: &[u8]) -> Result<(u16, BodyAt, bool)> {
        if self.stream.is_none() {
            self.stream = Some(open(&self.authority).await?);
        }
        if self.buf.is_empty() {
            self.buf.resize(INITIAL_BUFFER, 0);
        }
        // One request at a time: nothing of an earlier answer is left over.
        self.filled = 0;
        let Some(stream) = self.stream.as_mut() else {
            bail!("no connection to {}", self.authority);
        };
        stream
            .write_all(request)
            .await
            .context("sending the request")?;
        loop {
            let head = self.read_head().await?;
            if head.framing == Framing::Empty && (100..200).contains(&head.status) {
                // An interim answer (100 Continue): the real one follows.
                self.consume(head.len);
                continue;
            }
            let at = match head.framing {
                Framing::Empty => BodyAt::Buffer(head.len..head.len),
                Framing::Length(n) => {
                    let end = head
                        .len
                        .checked_add(n)
                        .filter(|&e| e <= MAX_ANSWER_BYTES)
                        .with_context(|| format!("Content-Length {n} is too large"))?;
                    while self.filled < end {
                        self.read_more(end).await?;
                    }
                    BodyAt::Buffer(head.len..end)
                }
                Framing::Chunked => {
                    self.read_chunked(head.len).await?;
                    BodyAt::Chunked
                }
                Framing::UntilClose => {
                    while self.read_some().await? > 0 {}
                    return Ok((head.status, BodyAt::Buffer(head.len..self.filled), true));
                }
            };
            return Ok((head.status, at, head.close));
        }
    }

    /// Reads until the head of an answer is complete, and parses it.
    async fn read_head(&mut self) -> Result<Head> {
        loop {
            if self.filled > 0
                && let Some(head) = parse_head(&self.buf[..self.filled])?
            {
                return Ok(head);
            }
            if self.read_some().await? == 0 {
                bail!("the server closed the connection before answering");
            }
        }
    }

    /// Decodes a chunked body starting at `start` into `self.chunked`.
    async fn read_chunked(&mut self, start: usize) -> Result<()> {
        self.chunked.clear();
        let mut pos = start;
        loop {
            match httparse::parse_chunk_size(&self.buf[pos..self.filled]) {
                Ok(httparse::Status::Complete((size_len, size))) => {
                    let size = usize::try_from(size)
                        .ok()
                        .filter(|&s| s <= MAX_ANSWER_BYTES - self.chunked.len())
                        .context("a chunk of the answer is too large")?;
                    let data = pos + size_len;
                    if size == 0 {
                        // Trailers (usually none), then an empty line.
                        self.read_trailers(data).await?;
                        return Ok(());
                    }
                    let end = data + size + 2;
                    while self.filled < end {
                        self.read_more(end).await?;
                    }
                    if &self.buf[end - 2..end] != b"\r\n" {
                        bail!("a chunk of the answer does not end with CRLF");
                    }
                    self.chunked.extend_from_slice(&self.buf[data..end - 2]);
                    pos = end;
                }
                Ok(httparse::Status::Partial) => {
                    if self.read_some().await? == 0 {
                        bail!("the server closed the connection inside a chunked answer");
                    }
                }
                Err(_) => bail!("the answer's chunk size is not valid"),
            }
        }
    }

    /// Reads the trailer section starting at `pos` up to its empty line.
    async fn read_trailers(&mut self, mut pos: usize) -> Result<()> {
        loop {
            if let Some(eol) = self.buf[pos..self.filled]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                if eol == 0 {
                    return Ok(());
                }
                pos += eol + 2;
                continue;
            }
            if self.read_some().await? == 0 {
                bail!("the server closed the connection inside the answer's trailers");
            }
        }
    }

    /// Drops the first `n` bytes of the buffer.
    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }

    /// Reads until at least one more byte is in, with room for `want` bytes;
    /// an end of stream is an error here.
    async fn read_more(&mut self, want: usize) -> Result<()> {
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        if self.read_some().await? == 0 {
            bail!("the server closed the connection inside the answer");
        }
        Ok(())
    }

    /// One read into the free part of the buffer (grown when full);
    /// returns the bytes read, 0 at the end of the stream.
    async fn read_some(&mut self) -> Result<usize> {
        if self.filled == self.buf.len() {
            if self.buf.len() >= MAX_ANSWER_BYTES {
                bail!("the answer is over {MAX_ANSWER_BYTES} bytes");
            }
            let grown = (self.buf.len() * 2).clamp(INITIAL_BUFFER, MAX_ANSWER_BYTES);
            self.buf.resize(grown, 0);
        }
        let Some(stream) = self.stream.as_mut() else {
            bail!("no connection to {}", self.authority);
        };
        let n = stream
            .read(&mut self.buf[self.filled..])
            .await
            .context("reading the answer")?;
        self.filled += n;
        Ok(n)
    }
}

async fn open(authority: &str) -> Result<TcpStream> {
    let stream = tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(authority))
        .await
        .with_context(|| format!("connecting to {authority}: timed out"))?
        .with_context(|| format!("connecting to {authority}"))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Parses the head at the start of `bytes`: `None` while it is incomplete.
fn parse_head(bytes: &[u8]) -> Result<Option<Head>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(bytes) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => bail!("the answer is not HTTP/1.x: {e}"),
    };
    let status = response.code.context("the answer has no status")?;
    // HTTP/1.0 closes unless it says keep-alive; HTTP/1.1 keeps unless it says close.
    let mut close = response.version != Some(1);
    let mut length = None;
    let mut chunked = false;
    for h in response.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let text = std::str::from_utf8(h.value).unwrap_or("");
            let n: usize = text
                .trim()
                .parse()
                .with_context(|| format!("Content-Length `{text}` is not a number"))?;
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = has_token(h.value, "chunked");
        } else if h.name.eq_ignore_ascii_case("connection") {
            if has_token(h.value, "close") {
                close = true;
            } else if has_token(h.value, "keep-alive") {
                close = false;
            }
        }
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        close = true;
        Framing::UntilClose
    };
    Ok(Some(Head {
        status,
        len,
        framing,
        close,
    }))
}

/// Whether the comma-separated header `value` holds `token` (any case).
fn has_token(value: &[u8], token: &str) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn heads_give_status_and_framing() {
        let h = parse_head(b"HTTP/1.1 201 Created\r\ncontent-length: 12\r\n\r\n{}")
            .unwrap()
            .unwrap();
        assert_eq!(
            (h.status, h.framing, h.close),
            (201, Framing::Length(12), false)
        );
        assert_eq!(h.len, 44);
        let h = parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(h.framing, Framing::Chunked);
        let h = parse_head(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!((h.framing, h.close), (Framing::UntilClose, true));
        let h = parse_head(b"HTTP/1.0 304 Not Modified\r\ncontent-length: 5\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!((h.framing, h.close), (Framing::Empty, true));
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\ncontent-le")
                .unwrap()
                .is_none()
        );
        assert!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n").is_err());
    }

    /// A server that answers each request (read up to its empty line; the
    /// test requests have no body) with the next of `answers`, written in
    /// pieces of `piece` bytes, then closes.
    async fn serve(answers: Vec<&'static [u8]>, piece: usize) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            for answer in answers {
                let mut seen = Vec::new();
                while !seen.ends_with(b"\r\n\r\n") {
                    let mut b = [0u8; 256];
                    let n = s.read(&mut b).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    seen.extend_from_slice(&b[..n]);
                }
                for part in answer.chunks(piece) {
                    s.write_all(part).await.unwrap();
                    s.flush().await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
        });
        addr
    }

    #[tokio::test]
    async fn answers_are_read_whole_in_every_framing() {
        let answers: Vec<&'static [u8]> = vec![
            b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\nto the end",
        ];
        for piece in [1, 7, 4096] {
            let addr = serve(answers.clone(), piece).await;
            let mut conn = Conn::new(&addr);
            let get = b"GET / HTTP/1.1\r\nhost: x\r\n\r\n";
            let a = conn.send(get).await.unwrap();
            assert_eq!((a.status, a.body), (201, &b"hello"[..]));
            let a = conn.send(get).await.unwrap();
            assert_eq!((a.status, a.body), (200, &b"abcde"[..]));
            let a = conn.send(get).await.unwrap();
            assert_eq!((a.status, a.body), (204, &b""[..]));
            let a = conn.send(get).await.unwrap();
            assert_eq!((a.status, a.body), (200, &b"to the end"[..]));
            assert!(conn.stream.is_none(), "read to the end: closed");
        }
    }

    #[tokio::test]
    async fn a_closed_connection_is_an_error_and_the_next_request_reconnects() {
        let addr = serve(
            vec![b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort"],
            4096,
        )
        .await;
        let mut conn = Conn::new(&addr);
        assert!(conn.send(b"GET / HTTP/1.1\r\n\r\n").await.is_err());
        assert!(conn.stream.is_none());
    }
}
