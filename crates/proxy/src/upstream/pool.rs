//! Upstream HTTP/1.1 connections, pooled per endpoint address and TLS settings ([`PoolKey`]).
//!
//! Why our own pool rather than hyper-util's client: retries need to know that a failure
//! happened while *connecting*, before the request body was handed over. Here a connection is
//! obtained first (pooled or new, bounded by the connect timeout) and only then is the request
//! sent; `try_send_request` hands the request back if a pooled connection turns out dead.
//!
//! Idle connections are kept per address, at most `upstream-keepalive-connections`, for at
//! most `upstream-keepalive-timeout` (checked when they are taken out or another is put back).
//! The map is sharded behind short `parking_lot` critical sections: no await, no I/O inside.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::tls::Connector;
use crate::body::RequestBody;
use crate::error::ProxyError;

const SHARDS: usize = 16;
/// Header fields an upstream response may carry (room prepared before every parse, see
/// `MAX_REQUEST_HEADERS` in `server.rs`): 100 `Set-Cookie` lines and the usual fields fit.
const MAX_RESPONSE_HEADERS: usize = 256;
/// hyper's read buffer per upstream connection (bounds a response head before it is parsed).
const MAX_RESPONSE_BUFFER: usize = 256 * 1024;

/// Idle upstream connections by address and TLS settings; the multiplexed h2 connections.
#[derive(Debug)]
pub(crate) struct Pool {
    shards: [Mutex<HashMap<PoolKey, Vec<Idle>>>; SHARDS],
    pub(crate) h2: super::h2::H2Pool,
    /// ExternalName addresses, shared by every worker's pool.
    pub(crate) resolver: Arc<crate::Resolver>,
}

/// What makes two upstream connections interchangeable: the address, and the TLS settings
/// they were made with (`None`: clear text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PoolKey {
    pub addr: SocketAddr,
    /// [`Connector::id`].
    pub tls: Option<u64>,
}

/// Keep-alive bounds from the live table's global config.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeepAlive {
    pub max_idle: usize,
    pub idle_timeout: Duration,
}

/// A connection ready to send one request.
#[derive(Debug)]
pub(crate) struct Conn {
    pub sender: SendRequest<RequestBody>,
    /// Came from the pool (it may have been closed by the upstream in the meantime).
    pub reused: bool,
}

#[derive(Debug)]
struct Idle {
    sender: SendRequest<RequestBody>,
    since: Instant,
}

// === impl Pool ===

impl Pool {
    pub(crate) fn new(resolver: Arc<crate::Resolver>) -> Self {
        Self {
            shards: std::array::from_fn(|_| Mutex::new(HashMap::new())),
            h2: super::h2::H2Pool::default(),
            resolver,
        }
    }

    fn shard(&self, key: &PoolKey) -> &Mutex<HashMap<PoolKey, Vec<Idle>>> {
        let addr = key.addr;
        let ip_bits = match addr.ip() {
            std::net::IpAddr::V4(v4) => u32::from(v4) as usize,
            std::net::IpAddr::V6(v6) => u128::from(v6) as usize,
        };
        &self.shards[(ip_bits ^ usize::from(addr.port())) % SHARDS]
    }

    /// A pooled connection for `key` if a live one is idle, else a new one (over `tls`, whose
    /// id is `key.tls`).
    pub(crate) async fn connect(
        &self,
        key: PoolKey,
        timeout: Duration,
        keepalive: KeepAlive,
        tls: Option<&Connector>,
    ) -> Result<Conn, ProxyError> {
        if let Some(sender) = self.take_idle(key, keepalive.idle_timeout) {
            return Ok(Conn { sender, reused: true });
        }
        connect_new(key.addr, timeout, tls).await
    }

    /// The most recently pooled live connection that is ready for a request. One that is not
    /// ready yet (its last response just ended, its hyper task has not run since) stays.
    fn take_idle(&self, key: PoolKey, idle_timeout: Duration) -> Option<SendRequest<RequestBody>> {
        let now = Instant::now();
        let mut shard = self.shard(&key).lock();
        let idle = shard.get_mut(&key)?;
        let mut index = idle.len();
        while index > 0 {
            index -= 1;
            let Some(entry) = idle.get(index) else { break };
            if now.duration_since(entry.since) >= idle_timeout {
                idle.drain(..=index); // this one and every older one expired
                return None;
            }
            if entry.sender.is_ready() {
                return Some(idle.remove(index).sender);
            }
            if entry.sender.is_closed() {
                idle.remove(index);
            }
        }
        None
    }

    /// What returns `sender` to the pool once its exchange is over: the response body, which
    /// calls [`Reuse::done`] when it has been read to its end. `None` with keep-alive off.
    pub(crate) fn reuse(
        self: &Arc<Self>,
        sender: SendRequest<RequestBody>,
        key: PoolKey,
        keepalive: KeepAlive,
    ) -> Option<Reuse> {
        (keepalive.max_idle > 0).then(|| Reuse { pool: Arc::clone(self), key, sender, keepalive })
    }

    fn put(&self, key: PoolKey, sender: SendRequest<RequestBody>, keepalive: KeepAlive) {
        let now = Instant::now();
        let live = |e: &Idle| now.duration_since(e.since) < keepalive.idle_timeout;
        let mut shard = self.shard(&key).lock();
        if !shard.contains_key(&key) {
            // A new address or TLS settings (rare): drop keys whose connections all died or
            // expired (endpoints gone, settings changed), so the map does not grow with them.
            shard.retain(|_, idle| {
                idle.retain(|e| live(e) && !e.sender.is_closed());
                !idle.is_empty()
            });
        }
        let idle = shard.entry(key).or_default();
        // The oldest first: once one is live, the newer ones are too.
        let expired = idle.iter().take_while(|e| !live(e)).count();
        idle.drain(..expired);
        if idle.len() >= keepalive.max_idle {
            idle.remove(0);
        }
        idle.push(Idle { sender, since: now });
    }
}

/// An upstream connection whose response is still being read; [`Reuse::done`] pools it.
/// Dropped instead (the body was not read to its end), the connection closes.
#[derive(Debug)]
pub(crate) struct Reuse {
    pool: Arc<Pool>,
    key: PoolKey,
    sender: SendRequest<RequestBody>,
    keepalive: KeepAlive,
}

impl Reuse {
    /// The response body was read to its end: the connection is idle (or about to be, once
    /// its hyper task has run; [`Pool::connect`] takes only connections that are ready).
    pub(crate) fn done(self) {
        if !self.sender.is_closed() {
            self.pool.put(self.key, self.sender, self.keepalive);
        }
    }
}

/// Opens a TCP connection (and the TLS handshake over `tls`) within `timeout`, then runs the
/// HTTP/1.1 handshake. The connection task is spawned with upgrades enabled so a `101` can
/// become a tunnel.
pub(crate) async fn connect_new(
    addr: SocketAddr,
    timeout: Duration,
    tls: Option<&Connector>,
) -> Result<Conn, ProxyError> {
    // Boxed: the TLS and HTTP handshakes' state is kilobytes, and every request's future would
    // carry it inline (and copy it when moved) though few requests open a connection.
    Box::pin(open_and_handshake(addr, timeout, tls)).await
}

async fn open_and_handshake(
    addr: SocketAddr,
    timeout: Duration,
    tls: Option<&Connector>,
) -> Result<Conn, ProxyError> {
    let sender = match tls {
        None => handshake(addr, open(addr, timeout).await?).await?,
        Some(tls) => {
            let stream = within(addr, timeout, async {
                let tcp = open(addr, timeout).await?;
                tls.handshake(addr, tcp).await
            })
            .await?;
            handshake(addr, stream).await?
        }
    };
    Ok(Conn { sender, reused: false })
}

/// `connect` bounded by the connect timeout: a TLS handshake counts as connecting, as nginx's
/// `proxy_connect_timeout`.
pub(super) async fn within<T>(
    addr: SocketAddr,
    timeout: Duration,
    connect: impl std::future::Future<Output = Result<T, ProxyError>>,
) -> Result<T, ProxyError> {
    tokio::time::timeout(timeout, connect).await.map_err(|_| ProxyError::ConnectTimeout { addr })?
}

/// A TCP connection to `addr` within `timeout`, without Nagle.
pub(super) async fn open(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, ProxyError> {
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(source)) => return Err(ProxyError::Connect { addr, source }),
        Err(_) => return Err(ProxyError::ConnectTimeout { addr }),
    };
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

async fn handshake<T>(addr: SocketAddr, io: T) -> Result<SendRequest<RequestBody>, ProxyError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    // Response heads are bounded by size (`proxy-buffer-size`, checked on the parsed head),
    // not by a field count: 100 Set-Cookie lines must pass, as in nginx.
    let (sender, connection) = http1::Builder::new()
        .max_headers(MAX_RESPONSE_HEADERS)
        .max_buf_size(MAX_RESPONSE_BUFFER)
        .handshake(TokioIo::new(io))
        .await
        .map_err(|source| ProxyError::Upstream { addr, source })?;
    tokio::spawn(async move {
        if let Err(error) = connection.with_upgrades().await {
            tracing::debug!(%addr, %error, "upstream connection ended with an error");
        }
    });
    Ok(sender)
}
