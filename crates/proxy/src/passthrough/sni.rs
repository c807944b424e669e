//! The server name of a TLS ClientHello, read from the first bytes of a connection without
//! consuming them (RFC 8446 §4.1.2, RFC 6066 §3). Only the fields before and in the
//! `server_name` extension are read; every length is bounds-checked, so any input is safe.
//!
//! A ClientHello may be split across several handshake records (allowed, rare): the fragments
//! are then joined in a buffer; the common single-record case reads in place.

use std::borrow::Cow;

/// TLS record header: type, version, length.
const RECORD_HEADER: usize = 5;
const CONTENT_HANDSHAKE: u8 = 0x16;
const HANDSHAKE_CLIENT_HELLO: u8 = 0x01;
const EXTENSION_SERVER_NAME: u16 = 0x0000;
const NAME_TYPE_HOST: u8 = 0x00;
/// The largest ClientHello read: larger ones are not looked at (served as terminated TLS).
pub(crate) const MAX_HELLO: usize = 32 * 1024;

/// What the bytes read so far say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Peeked {
    /// A ClientHello has started but is not complete: read more.
    NeedMore,
    /// A complete ClientHello, with its host name (ASCII, lowercased) when it sends one.
    Hello(Option<String>),
    /// Not a ClientHello (or a malformed one): TLS termination decides what to do with it.
    NotHello,
}

/// Reads the ClientHello at the start of `bytes`.
pub(crate) fn peek(bytes: &[u8]) -> Peeked {
    let message = match handshake_message(bytes) {
        Ok(message) => message,
        Err(peeked) => return peeked,
    };
    match server_name(&message) {
        Some(name) => Peeked::Hello(name),
        None => Peeked::NotHello,
    }
}

/// The whole ClientHello handshake message (its body, after the 4-byte header), joining record
/// fragments when needed; `Err` when incomplete or not a ClientHello.
fn handshake_message(bytes: &[u8]) -> Result<Cow<'_, [u8]>, Peeked> {
    let mut joined: Option<Vec<u8>> = None;
    let mut rest = bytes;
    let mut first: &[u8] = &[];
    loop {
        let Some(header) = rest.get(..RECORD_HEADER) else { return Err(Peeked::NeedMore) };
        if header[0] != CONTENT_HANDSHAKE || header[1] != 0x03 {
            return Err(Peeked::NotHello);
        }
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if len == 0 {
            return Err(Peeked::NotHello);
        }
        let Some(fragment) = rest.get(RECORD_HEADER..RECORD_HEADER + len) else {
            return Err(Peeked::NeedMore);
        };
        rest = &rest[RECORD_HEADER + len..];
        match joined.as_mut() {
            Some(joined) => joined.extend_from_slice(fragment),
            None if first.is_empty() => first = fragment,
            None => joined = Some([first, fragment].concat()),
        }
        let so_far = joined.as_deref().unwrap_or(first);
        let Some(&[kind, a, b, c]) = so_far.get(..4) else { continue };
        if kind != HANDSHAKE_CLIENT_HELLO {
            return Err(Peeked::NotHello);
        }
        let body = usize::from(a) << 16 | usize::from(b) << 8 | usize::from(c);
        if body > MAX_HELLO {
            return Err(Peeked::NotHello);
        }
        if so_far.len() < 4 + body {
            continue;
        }
        return Ok(match joined {
            Some(mut joined) => {
                joined.truncate(4 + body);
                joined.drain(..4);
                Cow::Owned(joined)
            }
            None => Cow::Borrowed(&first[4..4 + body]),
        });
    }
}

/// The host name of a ClientHello body: `Some(None)` when it sends none, `None` when the body
/// is malformed.
fn server_name(body: &[u8]) -> Option<Option<String>> {
    let mut r = Reader(body);
    r.skip(2 + 32)?; // legacy_version, random
    r.vec8()?; // legacy_session_id
    r.vec16()?; // cipher_suites
    r.vec8()?; // legacy_compression_methods
    if r.0.is_empty() {
        return Some(None); // no extensions (TLS 1.2 may omit them)
    }
    let mut extensions = Reader(r.vec16()?);
    while !extensions.0.is_empty() {
        let kind = extensions.u16()?;
        let data = extensions.vec16()?;
        if kind == EXTENSION_SERVER_NAME {
            return host_name(data).map(Some);
        }
    }
    Some(None)
}

/// The first `host_name` of a `server_name` extension, lowercased; `None` when malformed or
/// not ASCII.
fn host_name(data: &[u8]) -> Option<String> {
    let mut list = Reader(Reader(data).vec16()?);
    while !list.0.is_empty() {
        let kind = list.u8()?;
        let name = list.vec16()?;
        if kind == NAME_TYPE_HOST {
            if name.is_empty() || !name.is_ascii() {
                return None;
            }
            let name = std::str::from_utf8(name).ok()?;
            return Some(name.trim_end_matches('.').to_ascii_lowercase());
        }
    }
    None
}

/// A bounds-checked cursor over a byte slice.
struct Reader<'a>(&'a [u8]);

// === impl Reader ===

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.0.get(..n)?, self.0.get(n..)?);
        self.0 = rest;
        Some(head)
    }

    fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(drop)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }

    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }

    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
