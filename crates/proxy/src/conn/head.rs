//! A byte-level watcher of an HTTP/1.1 client stream, run on every byte hyper reads, *before*
//! hyper parses it: it bounds the request head as nginx's header buffers do and refuses the
//! framing tricks that lead to request smuggling, so none of it reaches a route or a backend.
//!
//! It follows the stream request by request: the head line by line (request line ≤ one large
//! buffer else 414, each header line ≤ one large buffer and the head ≤ all of them else 400
//! "Request Header Or Cookie Too Large"; duplicate `Host`/`Content-Length`/`Transfer-Encoding`,
//! `Content-Length` with `Transfer-Encoding`, HTTP/1.1 without a host: 400; a
//! `Transfer-Encoding` other than `chunked`: 501), then the body by its framing (`Content-Length`
//! bytes, or chunks up to the last chunk and trailers) to find where the next head starts.
//!
//! Invariant: it never rejects what it does not understand. Where it loses track (an h2c
//! preface, a `CONNECT` request, a malformed chunk that hyper will refuse itself, a protocol
//! upgrade the guard is told about) it goes [`State::Opaque`] for the rest of the connection
//! and lets everything through. An `Upgrade` request the upstream declines is followed like any
//! other, so it cannot switch the guard off.

/// Why a request is refused, and so what Portico answers before closing the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reject {
    /// 414: the request line does not fit in one large header buffer.
    UriTooLong,
    /// 400 "Request Header Or Cookie Too Large": a header line does not fit in one buffer, or
    /// the head not in all of them.
    HeaderTooLarge,
    /// 400: ambiguous framing or host (the `&str` says which, for the log).
    BadRequest(&'static str),
    /// 501: a `Transfer-Encoding` other than `chunked`.
    NotImplemented,
}

/// Sizes from `large-client-header-buffers`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeadLimits {
    /// Longest request line or header line, in bytes (line break excluded).
    pub line_max: usize,
    /// Largest head, all lines and line breaks included.
    pub head_max: usize,
}

/// The scanner: where in the stream the next byte falls.
#[derive(Debug)]
pub(crate) struct HeadScanner {
    limits: HeadLimits,
    state: State,
    /// Request heads completed so far (every one of them gets a response or closes).
    heads: u64,
    /// No request has started on this connection yet (h2c prior-knowledge detection).
    first: bool,
    /// `use-http2: false`: an HTTP/2 preface is refused (400) instead of passed to hyper.
    refuse_h2: bool,
    line: Line,
    head: HeadFacts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between requests: the next byte starts a head (empty lines before it are skipped).
    Idle,
    /// Inside a head.
    Head,
    /// Inside a `Content-Length` body: this many bytes remain.
    Body(u64),
    /// Inside a chunked body.
    Chunked(Chunk),
    /// Not HTTP/1.1 requests any more (a tunnel) or lost track: pass everything.
    Opaque,
    /// HTTP/2 from the first byte: pass everything (the connection is idle when no stream is
    /// in flight, which the guard knows without reading frames).
    Http2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunk {
    /// Reading the hex size (`digits` so far), then any extension up to the line feed.
    Size { size: u64, digits: u8, ext: bool, len: usize },
    /// This many data bytes remain.
    Data(u64),
    /// The CRLF after data; `seen` bytes of it so far.
    DataEnd { seen: u8 },
    /// Trailer lines after the last chunk, up to an empty line; `len` of the current line.
    Trailer { len: usize },
}

/// The line being read: its length so far and its first bytes (enough for the names and
/// values the scanner looks at).
#[derive(Debug, Clone, Copy)]
struct Line {
    len: usize,
    prefix: [u8; PREFIX],
    /// Its last bytes: the request line's version and a CR.
    tail: [u8; TAIL],
}

const PREFIX: usize = 48;
const TAIL: usize = 9;

/// What the head said so far.
#[derive(Debug, Clone, Copy)]
struct HeadFacts {
    /// Bytes of the head so far, line breaks included.
    len: usize,
    /// Lines completed (0 while in the request line).
    lines: usize,
    http11: bool,
    absolute_form: bool,
    tunnel: bool,
    host: bool,
    content_length: Option<u64>,
    chunked: bool,
    /// The request line's first bytes, for the access log of a refusal.
    request_line: [u8; PREFIX],
    request_line_len: usize,
}

// === impl HeadScanner ===

impl HeadScanner {
    pub(crate) fn new(limits: HeadLimits) -> Self {
        Self {
            limits,
            state: State::Idle,
            heads: 0,
            first: true,
            refuse_h2: false,
            line: Line::new(),
            head: HeadFacts::default(),
        }
    }

    /// `use-http2: false`: a connection opening with the HTTP/2 preface is refused.
    pub(crate) fn refuse_http2(&mut self) {
        self.refuse_h2 = true;
    }

    /// Between requests, nothing of the next one seen yet (so the connection is idle as far as
    /// the client's bytes go).
    pub(crate) fn is_idle(&self) -> bool {
        self.state == State::Idle
    }

    /// Request heads seen complete so far.
    pub(crate) fn heads(&self) -> u64 {
        self.heads
    }

    /// Inside a request head (its timeout applies).
    pub(crate) fn in_head(&self) -> bool {
        self.state == State::Head
    }

    /// The first bytes of the current request's line (while still in it: what came so far).
    pub(crate) fn request_line_text(&self) -> &[u8] {
        if self.state == State::Head && self.head.lines == 0 {
            self.line.text()
        } else {
            &self.head.request_line[..self.head.request_line_len]
        }
    }

    /// Gave up following the stream (h2c, tunnel): no limits, no timeouts from here on.
    pub(crate) fn is_opaque(&self) -> bool {
        matches!(self.state, State::Opaque | State::Http2)
    }

    /// The connection is HTTP/2 (prior knowledge or ALPN): it has streams, not a head.
    pub(crate) fn is_http2(&self) -> bool {
        self.state == State::Http2
    }

    /// Stops following the stream (it is HTTP/2 from its first byte, or a tunnel now).
    pub(crate) fn set_opaque(&mut self) {
        self.state = State::Opaque;
    }

    /// Feeds the next bytes of the stream. `Err((offset, why))`: the byte at `offset` of
    /// `bytes` is where the request became unacceptable; nothing from there on may be served.
    pub(crate) fn feed(&mut self, bytes: &[u8]) -> Result<(), (usize, Reject)> {
        let mut at = 0;
        while at < bytes.len() {
            let rest = &bytes[at..];
            let used = match self.state {
                State::Opaque | State::Http2 => return Ok(()),
                State::Idle => self.idle(rest),
                State::Head => self.head_bytes(rest).map_err(|why| (at, why))?,
                State::Body(left) => self.body(rest, left),
                State::Chunked(chunk) => self.chunked(rest, chunk),
            };
            at += used;
        }
        Ok(())
    }

    /// Skips line breaks between requests; anything else starts a head.
    fn idle(&mut self, bytes: &[u8]) -> usize {
        match bytes.iter().position(|&b| b != b'\r' && b != b'\n') {
            Some(skip) => {
                self.state = State::Head;
                self.line = Line::new();
                self.head = HeadFacts::default();
                skip
            }
            None => bytes.len(),
        }
    }

    /// Consumes head bytes up to and including the next line feed (or all of `bytes`).
    fn head_bytes(&mut self, bytes: &[u8]) -> Result<usize, Reject> {
        let end = memchr::memchr(b'\n', bytes);
        let take = end.map_or(bytes.len(), |i| i + 1);
        let content = &bytes[..end.unwrap_or(bytes.len())];
        self.line.push(content);
        self.head.len += take;
        let line_len =
            self.line.len.saturating_sub(usize::from(end.is_some() && self.line.ends_cr()));
        let in_request_line = self.head.lines == 0;
        if line_len > self.limits.line_max || self.head.len > self.limits.head_max {
            return Err(if in_request_line { Reject::UriTooLong } else { Reject::HeaderTooLarge });
        }
        if end.is_some() {
            self.end_of_line()?;
        }
        Ok(take)
    }

    /// A complete head line is in `self.line`.
    fn end_of_line(&mut self) -> Result<(), Reject> {
        let line = self.line;
        self.line = Line::new();
        let text = line.text();
        if self.head.lines == 0 {
            self.head.lines = 1;
            return self.request_line(&line, text);
        }
        self.head.lines += 1;
        if text.is_empty() && line.len <= 1 {
            return self.end_of_head();
        }
        self.header_line(&line, text)
    }

    fn request_line(&mut self, line: &Line, text: &[u8]) -> Result<(), Reject> {
        self.head.request_line_len = text.len();
        self.head.request_line[..text.len()].copy_from_slice(text);
        let first = std::mem::replace(&mut self.first, false);
        if first && text == b"PRI * HTTP/2.0" {
            if self.refuse_h2 {
                return Err(Reject::BadRequest("HTTP/2 is off (use-http2: false)"));
            }
            self.state = State::Http2;
            return Ok(());
        }
        let mut words = text.split(|&b| b == b' ').filter(|w| !w.is_empty());
        let method = words.next().unwrap_or_default();
        let target = words.next().unwrap_or_default();
        self.head.tunnel = method == b"CONNECT";
        self.head.absolute_form = starts_with_ignore_case(target, b"http://")
            || starts_with_ignore_case(target, b"https://");
        self.head.http11 = line.version() == Some(*b"HTTP/1.1");
        Ok(())
    }

    fn header_line(&mut self, line: &Line, text: &[u8]) -> Result<(), Reject> {
        let Some(colon) = text.iter().position(|&b| b == b':') else { return Ok(()) };
        let name = &text[..colon];
        let value = || text[colon + 1..].trim_ascii();
        // A value longer than the prefix we keep is not one we can read: treat it as garbage.
        let whole = line.len <= PREFIX;
        if name.eq_ignore_ascii_case(b"host") {
            if std::mem::replace(&mut self.head.host, true) {
                return Err(Reject::BadRequest("duplicate Host header"));
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            if self.head.content_length.is_some() {
                return Err(Reject::BadRequest("duplicate Content-Length header"));
            }
            let length = parse_decimal(value()).filter(|_| whole);
            self.head.content_length =
                Some(length.ok_or(Reject::BadRequest("invalid Content-Length header"))?);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            if self.head.chunked {
                return Err(Reject::BadRequest("duplicate Transfer-Encoding header"));
            }
            if !whole || !value().eq_ignore_ascii_case(b"chunked") {
                return Err(Reject::NotImplemented);
            }
            self.head.chunked = true;
        }
        Ok(())
    }

    fn end_of_head(&mut self) -> Result<(), Reject> {
        let head = self.head;
        if head.chunked && head.content_length.is_some() {
            return Err(Reject::BadRequest("both Content-Length and Transfer-Encoding"));
        }
        if head.http11 && !head.host && !head.absolute_form {
            return Err(Reject::BadRequest("HTTP/1.1 request without Host"));
        }
        self.heads += 1;
        self.state = if head.tunnel {
            State::Opaque
        } else if head.chunked {
            State::Chunked(Chunk::Size { size: 0, digits: 0, ext: false, len: 0 })
        } else {
            match head.content_length {
                Some(length) if length > 0 => State::Body(length),
                _ => State::Idle,
            }
        };
        Ok(())
    }

    fn body(&mut self, bytes: &[u8], left: u64) -> usize {
        let take = usize::try_from(left).map_or(bytes.len(), |left| left.min(bytes.len()));
        let left = left - take as u64;
        self.state = if left == 0 { State::Idle } else { State::Body(left) };
        take
    }

    /// One step of the chunked body; malformed framing turns the scanner opaque (hyper
    /// refuses that body itself, and the connection with it).
    fn chunked(&mut self, bytes: &[u8], chunk: Chunk) -> usize {
        let (next, used) = match step_chunk(bytes, chunk, self.limits) {
            Some(step) => step,
            None => (State::Opaque, bytes.len()),
        };
        self.state = next;
        used
    }
}

/// The chunked-body state machine: the next state and how many bytes it consumed, `None` for
/// malformed framing.
fn step_chunk(bytes: &[u8], chunk: Chunk, limits: HeadLimits) -> Option<(State, usize)> {
    let byte = *bytes.first()?;
    let chunked = |c| Some((State::Chunked(c), 1));
    match chunk {
        Chunk::Size { size, digits, ext, len } => {
            if len > limits.line_max {
                return None;
            }
            let len = len + 1;
            match byte {
                b'\n' if digits == 0 => None,
                b'\n' if size == 0 => chunked(Chunk::Trailer { len: 0 }),
                b'\n' => chunked(Chunk::Data(size)),
                _ if ext => chunked(Chunk::Size { size, digits, ext, len }),
                b';' | b' ' | b'\t' | b'\r' if digits > 0 => {
                    chunked(Chunk::Size { size, digits, ext: true, len })
                }
                _ => {
                    let digit = (byte as char).to_digit(16)?;
                    if digits >= 15 {
                        return None;
                    }
                    let size = size * 16 + u64::from(digit);
                    chunked(Chunk::Size { size, digits: digits + 1, ext, len })
                }
            }
        }
        Chunk::Data(left) => {
            let take = usize::try_from(left).map_or(bytes.len(), |left| left.min(bytes.len()));
            let left = left - take as u64;
            let next = if left == 0 { Chunk::DataEnd { seen: 0 } } else { Chunk::Data(left) };
            Some((State::Chunked(next), take))
        }
        Chunk::DataEnd { seen } => match (byte, seen) {
            (b'\r', 0) => chunked(Chunk::DataEnd { seen: 1 }),
            (b'\n', _) => chunked(Chunk::Size { size: 0, digits: 0, ext: false, len: 0 }),
            _ => None,
        },
        Chunk::Trailer { len } => match byte {
            b'\n' if len == 0 => Some((State::Idle, 1)),
            b'\n' => chunked(Chunk::Trailer { len: 0 }),
            b'\r' if len == 0 => chunked(Chunk::Trailer { len: 0 }),
            _ if len >= limits.line_max => None,
            _ => chunked(Chunk::Trailer { len: len + 1 }),
        },
    }
}

// === impl HeadFacts ===

impl Default for HeadFacts {
    fn default() -> Self {
        Self {
            len: 0,
            lines: 0,
            http11: false,
            absolute_form: false,
            tunnel: false,
            host: false,
            content_length: None,
            chunked: false,
            request_line: [0; PREFIX],
            request_line_len: 0,
        }
    }
}

// === impl Line ===

impl Line {
    fn new() -> Self {
        Self { len: 0, prefix: [0; PREFIX], tail: [0; TAIL] }
    }

    /// Appends a piece of the line (no line feed in it).
    fn push(&mut self, piece: &[u8]) {
        if self.len < PREFIX {
            let n = piece.len().min(PREFIX - self.len);
            self.prefix[self.len..self.len + n].copy_from_slice(&piece[..n]);
        }
        if piece.len() >= TAIL {
            self.tail.copy_from_slice(&piece[piece.len() - TAIL..]);
        } else {
            self.tail.rotate_left(piece.len());
            self.tail[TAIL - piece.len()..].copy_from_slice(piece);
        }
        self.len += piece.len();
    }

    fn ends_cr(&self) -> bool {
        self.len > 0 && self.tail[TAIL - 1] == b'\r'
    }

    /// The kept prefix without a trailing CR (the whole line when it is short).
    fn text(&self) -> &[u8] {
        let kept = &self.prefix[..self.len.min(PREFIX)];
        match kept {
            [rest @ .., b'\r'] if self.len <= PREFIX => rest,
            _ => kept,
        }
    }

    /// The line's last 8 bytes before any trailing CR (the request line's version).
    fn version(&self) -> Option<[u8; 8]> {
        let cr = usize::from(self.ends_cr());
        if self.len < 8 + cr {
            return None;
        }
        let mut version = [0u8; 8];
        version.copy_from_slice(&self.tail[TAIL - 8 - cr..TAIL - cr]);
        Some(version)
    }
}

fn starts_with_ignore_case(bytes: &[u8], prefix: &[u8]) -> bool {
    bytes.len() >= prefix.len() && bytes[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Decimal digits only (as nginx and RFC 9110's `1*DIGIT`), within `u64`.
fn parse_decimal(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(value).ok()?.parse().ok()
}
