//! PROXY protocol (v1 text and v2 binary, `use-proxy-protocol`): a load balancer in front of
//! the listeners starts every connection with a header naming the client. It is read before
//! anything else (before TLS on the HTTPS listener); the bytes read past it are handed on.
//! A connection without a valid header is closed, as nginx does with `proxy_protocol` on.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ppp::{v1, v2, HeaderResult, PartialResult};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

/// The largest header accepted: v1's 107 bytes, v2 with a few TLVs.
const MAX_HEADER: usize = 1024;

/// A stream whose first bytes were read already (past the PROXY header).
#[derive(Debug)]
pub struct Prefixed<S> {
    rest: Vec<u8>,
    at: usize,
    inner: S,
}

/// Why a connection was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProxyHeaderError {
    #[error("no PROXY protocol header within {0:?}")]
    Timeout(Duration),
    #[error("invalid PROXY protocol header")]
    Invalid,
    #[error("reading the PROXY protocol header: {0}")]
    Io(#[from] io::Error),
}

/// Reads the PROXY header from `stream` within `timeout`: the source address it names
/// (`None` for `UNKNOWN`/`LOCAL`, a health check) and the stream with the bytes after it.
pub async fn read<S: AsyncRead + Unpin>(
    mut stream: S,
    timeout: Duration,
) -> Result<(Option<SocketAddr>, Prefixed<S>), ProxyHeaderError> {
    let mut buf = Vec::with_capacity(256);
    let read = async {
        loop {
            let mut chunk = [0u8; 256];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Err(ProxyHeaderError::Invalid);
            }
            buf.extend_from_slice(&chunk[..n]);
            match parse(&buf) {
                Parsed::Done(len, source) => return Ok((len, source)),
                Parsed::Incomplete if buf.len() < MAX_HEADER => continue,
                _ => return Err(ProxyHeaderError::Invalid),
            }
        }
    };
    let (len, source) = match tokio::time::timeout(timeout, read).await {
        Ok(result) => result?,
        Err(_) => return Err(ProxyHeaderError::Timeout(timeout)),
    };
    Ok((source, Prefixed { rest: buf, at: len, inner: stream }))
}

enum Parsed {
    Done(usize, Option<SocketAddr>),
    Incomplete,
    Invalid,
}

fn parse(bytes: &[u8]) -> Parsed {
    let header = HeaderResult::parse(bytes);
    if header.is_incomplete() {
        return Parsed::Incomplete;
    }
    match header {
        HeaderResult::V1(Ok(h)) => Parsed::Done(h.header.len(), v1_source(&h.addresses)),
        HeaderResult::V2(Ok(h)) => {
            let source = match h.command {
                v2::Command::Proxy => v2_source(&h.addresses),
                v2::Command::Local => None,
            };
            Parsed::Done(h.len(), source)
        }
        _ => Parsed::Invalid,
    }
}

fn v1_source(addresses: &v1::Addresses) -> Option<SocketAddr> {
    match addresses {
        v1::Addresses::Tcp4(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        v1::Addresses::Tcp6(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        v1::Addresses::Unknown => None,
    }
}

fn v2_source(addresses: &v2::Addresses) -> Option<SocketAddr> {
    match addresses {
        v2::Addresses::IPv4(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        v2::Addresses::IPv6(a) => Some(SocketAddr::from((a.source_address, a.source_port))),
        v2::Addresses::Unspecified | v2::Addresses::Unix(_) => None,
    }
}

// === impl Prefixed ===

impl<S> Prefixed<S> {
    /// `stream` as it is (no PROXY header expected).
    pub fn plain(stream: S) -> Self {
        Self { rest: Vec::new(), at: 0, inner: stream }
    }

    /// The bytes read ahead and not consumed yet: reads return them first.
    pub fn buffered(&self) -> &[u8] {
        &self.rest[self.at..]
    }

    /// Reads more of the stream into [`Prefixed::buffered`] without consuming anything (a
    /// peek, for TLS passthrough's ClientHello); `Ok(0)` at end of stream.
    pub async fn peek_more(&mut self) -> io::Result<usize>
    where
        S: AsyncRead + Unpin,
    {
        if self.at > 0 {
            self.rest.drain(..self.at);
            self.at = 0;
        }
        self.rest.reserve(4096);
        self.inner.read_buf(&mut self.rest).await
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.at < this.rest.len() {
            let n = (this.rest.len() - this.at).min(buf.remaining());
            buf.put_slice(&this.rest[this.at..this.at + n]);
            this.at += n;
            if this.at == this.rest.len() {
                this.rest = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    async fn roundtrip(input: &[u8]) -> Result<(Option<SocketAddr>, Vec<u8>), ProxyHeaderError> {
        let (source, mut rest) = read(input, Duration::from_secs(1)).await?;
        let mut after = Vec::new();
        rest.read_to_end(&mut after).await.unwrap();
        Ok((source, after))
    }

    #[tokio::test]
    async fn v1_and_v2_headers_name_the_client() {
        let (source, after) =
            roundtrip(b"PROXY TCP4 192.0.2.7 10.0.0.1 5555 80\r\nGET / HTTP/1.1\r\n")
                .await
                .unwrap();
        assert_eq!(source, Some("192.0.2.7:5555".parse().unwrap()));
        assert_eq!(after, b"GET / HTTP/1.1\r\n");
        let (source, _) = roundtrip(b"PROXY TCP6 2001:db8::7 ::1 5555 443\r\n").await.unwrap();
        assert_eq!(source, Some("[2001:db8::7]:5555".parse().unwrap()));
        let (source, _) = roundtrip(b"PROXY UNKNOWN\r\n").await.unwrap();
        assert_eq!(source, None);

        let header = v2::Builder::with_addresses(
            v2::Version::Two | v2::Command::Proxy,
            v2::Protocol::Stream,
            (
                "198.51.100.9:4242".parse::<SocketAddr>().unwrap(),
                "10.0.0.1:443".parse::<SocketAddr>().unwrap(),
            ),
        )
        .build()
        .unwrap();
        let mut input = header.clone();
        input.extend_from_slice(b"\x16\x03\x01");
        let (source, after) = roundtrip(&input).await.unwrap();
        assert_eq!(source, Some("198.51.100.9:4242".parse().unwrap()));
        assert_eq!(after, b"\x16\x03\x01", "the TLS ClientHello after it is kept");
    }

    #[tokio::test]
    async fn anything_else_is_refused() {
        for input in
            [&b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"[..], b"PROXY TCP4 nonsense\r\n", b"PROX"]
        {
            assert!(roundtrip(input).await.is_err(), "{:?}", String::from_utf8_lossy(input));
        }
    }
}
