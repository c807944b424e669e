//! Upstream HTTP/2 connections (`backend-protocol: GRPC`/`GRPCS`): one multiplexed connection
//! per [`PoolKey`], shared by every request to it, replaced once it closes or has carried no
//! new request for `upstream-keepalive-timeout` (then it closes when its last stream ends).
//! `upstream-keepalive-connections: 0` keeps none: each request gets its own connection.
//!
//! The map is behind a short `parking_lot` critical section (no await, no I/O inside). Two
//! requests finding no connection at the same time may each open one; the later replaces the
//! earlier in the map and both finish their exchanges.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use hyper::client::conn::http2::{self, SendRequest};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use parking_lot::Mutex;
use tokio::time::Instant;

use super::pool::{open, within, KeepAlive, PoolKey};
use super::tls::Connector;
use crate::body::RequestBody;
use crate::error::ProxyError;

/// The request body over h2: hyper's h2 client needs an `Unpin` body.
pub(crate) type H2Body = std::pin::Pin<Box<RequestBody>>;

/// Live h2 connections by address and TLS settings.
#[derive(Debug, Default)]
pub(crate) struct H2Pool {
    conns: Mutex<HashMap<PoolKey, Shared>>,
}

/// A pooled connection and when it last started a request.
#[derive(Debug)]
struct Shared {
    sender: SendRequest<H2Body>,
    used: Instant,
}

/// A handle on a multiplexed connection.
#[derive(Debug)]
pub(crate) struct H2Conn {
    pub sender: SendRequest<H2Body>,
    /// Came from the pool (it may have been closed by the upstream in the meantime).
    pub reused: bool,
}

// === impl H2Pool ===

impl H2Pool {
    /// The live connection for `key`, else a new one over `tls` within `timeout`.
    pub(crate) async fn connect(
        &self,
        key: PoolKey,
        timeout: Duration,
        keepalive: KeepAlive,
        tls: Option<&Connector>,
    ) -> Result<H2Conn, ProxyError> {
        if let Some(sender) = self.take(key, keepalive.idle_timeout) {
            return Ok(H2Conn { sender, reused: true });
        }
        self.connect_new(key, timeout, keepalive, tls).await
    }

    fn take(&self, key: PoolKey, idle_timeout: Duration) -> Option<SendRequest<H2Body>> {
        let mut conns = self.conns.lock();
        let shared = conns.get_mut(&key)?;
        if shared.sender.is_closed() || shared.used.elapsed() >= idle_timeout {
            conns.remove(&key);
            return None;
        }
        shared.used = Instant::now();
        Some(shared.sender.clone())
    }

    /// A new connection for `key`, replacing the pooled one (and pruning closed and idle ones).
    pub(crate) async fn connect_new(
        &self,
        key: PoolKey,
        timeout: Duration,
        keepalive: KeepAlive,
        tls: Option<&Connector>,
    ) -> Result<H2Conn, ProxyError> {
        // Boxed: the handshake's state is kilobytes, and every request's future would carry
        // it inline (and copy it when moved) though few requests open a connection.
        let sender = Box::pin(connect(key.addr, timeout, tls)).await?;
        if keepalive.max_idle > 0 {
            let mut conns = self.conns.lock();
            conns.retain(|_, s| !s.sender.is_closed() && s.used.elapsed() < keepalive.idle_timeout);
            conns.insert(key, Shared { sender: sender.clone(), used: Instant::now() });
        }
        Ok(H2Conn { sender, reused: false })
    }
}

/// TCP (and TLS) within the connect timeout, then the h2 handshake (prior knowledge in clear
/// text, ALPN `h2` over TLS); the connection task is spawned.
async fn connect(
    addr: SocketAddr,
    timeout: Duration,
    tls: Option<&Connector>,
) -> Result<SendRequest<H2Body>, ProxyError> {
    match tls {
        None => handshake(addr, open(addr, timeout).await?).await,
        Some(tls) => {
            let stream = within(addr, timeout, async {
                let tcp = open(addr, timeout).await?;
                tls.handshake(addr, tcp).await
            })
            .await?;
            handshake(addr, stream).await
        }
    }
}

async fn handshake<T>(addr: SocketAddr, io: T) -> Result<SendRequest<H2Body>, ProxyError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = http2::Builder::new(TokioExecutor::new())
        .timer(TokioTimer::new())
        .handshake(TokioIo::new(io))
        .await
        .map_err(|source| ProxyError::Upstream { addr, source })?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%addr, %error, "upstream h2 connection ended with an error");
        }
    });
    Ok(sender)
}
