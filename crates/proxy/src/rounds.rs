//! Serving one client connection in rounds, so that an idle keep-alive connection holds no
//! hyper state (nginx frees a connection's buffers between requests too).
//!
//! A round starts when the client's next bytes arrive: they are read into a buffer that
//! lives only during the read, then a hyper connection is made for them. When that
//! connection has waited [`crate::conn::RELEASE_AFTER`] for another request with nothing in
//! flight, the guard ([`crate::conn::Guarded`]) ends it as if the stream had ended, without
//! closing the stream; hyper hands the stream back ([`hyper::server::conn::http1::Parts`])
//! and its read and write buffers (8 KiB each) and state are freed. The connection then waits
//! with only the guard, whose timers (keep-alive, client-header-timeout) and eviction apply
//! as before. A connection that has not sent its first bytes has no hyper state either.
//!
//! An HTTP/2 connection (its preface first, by prior knowledge or after ALPN) is served by
//! one hyper connection for its whole life: streams, not rounds.

use std::future::Future;

use bytes::{Bytes, BytesMut};
use hyper::body::Incoming;
use hyper::service::HttpService;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::body::ResponseBody;
use crate::conn::Guarded;
use crate::drain::DrainWatch;
use crate::server::ConnBuilder;

/// The client connection preface of HTTP/2 (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Room for the first bytes of a round, on the stack while the read runs; a longer request
/// is read on by hyper.
const FIRST_READ: usize = 4096;

/// Serves `io` until the client closes, a timeout or error ends it, the connection upgrades
/// (the tunnel has the stream then) or `drain` signals shutdown (an idle connection closes at
/// once; a busy one finishes its requests).
pub(crate) async fn serve<I, S>(
    mut io: Guarded<I>,
    mut service: S,
    builder: std::sync::Arc<ConnBuilder>,
    mut drain: DrainWatch,
    peer: std::net::SocketAddr,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: HttpService<Incoming, ResBody = ResponseBody> + Unpin + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut first = true;
    loop {
        let read = tokio::select! {
            read = next_bytes(&mut io, first && builder.settings.http2) => read,
            () = drain.signaled() => return,
        };
        match read {
            Ok(bytes) if bytes.is_empty() => {
                let _ = io.shutdown().await; // the client closed (or was evicted while idle)
                return;
            }
            Ok(bytes) if first && builder.settings.http2 && bytes.starts_with(H2_PREFACE) => {
                io.unread(bytes);
                // Boxed: inline, hyper's HTTP/2 state would size every connection's task.
                let mut conn = Box::pin(builder.h2.serve_connection(TokioIo::new(io), service));
                let _ = finish(conn.as_mut(), &mut drain, peer, |c| c.graceful_shutdown()).await;
                return;
            }
            Ok(bytes) => io.unread(bytes),
            Err(error) => {
                tracing::debug!(%peer, %error, "client connection ended with an error");
                return;
            }
        }
        first = false;
        io.arm_release();
        // Boxed: freed when the round ends, so an idle connection's task does not keep it.
        let mut conn =
            Box::new(builder.h1.serve_connection(TokioIo::new(io), service).with_upgrades());
        let round = std::pin::Pin::new(&mut *conn);
        if finish(round, &mut drain, peer, |c| c.graceful_shutdown()).await != Some(false) {
            return; // failed, or shutting down
        }
        let Some(parts) = conn.into_parts() else { return }; // upgraded: the tunnel has it
        io = parts.io.into_inner();
        if !io.take_released() {
            return; // hyper closed the connection (Connection: close, HTTP/1.0, an error)
        }
        io.unread(parts.read_buf);
        service = parts.service;
    }
}

/// Drives a connection to its end; on shutdown, asks it to finish gracefully first.
/// `Some(drained)` when it ended without error (`true`: because of shutdown); errors are
/// logged.
async fn finish<C, E>(
    mut conn: std::pin::Pin<&mut C>,
    drain: &mut DrainWatch,
    peer: std::net::SocketAddr,
    graceful: impl FnOnce(std::pin::Pin<&mut C>),
) -> Option<bool>
where
    C: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let (result, drained) = tokio::select! {
        biased;
        result = conn.as_mut() => (result, false),
        () = drain.signaled() => {
            graceful(conn.as_mut());
            (conn.await, true)
        }
    };
    match result {
        Ok(()) => Some(drained),
        Err(error) => {
            tracing::debug!(%peer, %error, "client connection ended with an error");
            None
        }
    }
}

/// The next bytes from the client (empty: end of stream). On a connection that may be
/// HTTP/2, reads on while what came is a proper start of the preface.
async fn next_bytes<I>(io: &mut Guarded<I>, may_be_h2: bool) -> std::io::Result<Bytes>
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    let mut got = read_some(io).await?;
    while may_be_h2 && !got.is_empty() && got.len() < H2_PREFACE.len() {
        if !H2_PREFACE.starts_with(&got) {
            break;
        }
        let more = read_some(io).await?;
        if more.is_empty() {
            break;
        }
        let mut joined = BytesMut::from(&got[..]);
        joined.extend_from_slice(&more);
        got = joined.freeze();
    }
    Ok(got)
}

/// One read into a buffer on the stack (kept only while the read is polled, not while it
/// waits), copied out at the size it came in.
async fn read_some<I>(io: &mut Guarded<I>) -> std::io::Result<Bytes>
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    std::future::poll_fn(|cx| {
        let mut room = [0u8; FIRST_READ];
        let mut buf = ReadBuf::new(&mut room);
        let read = std::pin::Pin::new(&mut *io).poll_read(cx, &mut buf);
        read.map_ok(|()| Bytes::copy_from_slice(buf.filled()))
    })
    .await
}
