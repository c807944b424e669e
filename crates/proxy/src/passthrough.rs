//! TLS passthrough (`ssl-passthrough` with `--enable-ssl-passthrough`), as ingress-nginx's
//! `pkg/tcpproxy`: on the https listener, after the PROXY header (if any), the ClientHello is
//! peeked ([`sni`]) without being consumed; when its SNI names a passthrough host, the
//! connection is spliced as TCP to the backend of the host's `/` path, the peeked bytes first,
//! without termination. Everything else (other hosts, no SNI, not TLS) goes on to the TLS
//! handshake with the same bytes.
//!
//! Cost: nothing when no host of the live table is passthrough; otherwise one read of the
//! first bytes per connection (usually the whole ClientHello), parsed in place.
//!
//! Differences from ingress-nginx, on purpose: it dials the Service's ClusterIP; Portico dials
//! the endpoints itself (rotating, next on failure, `proxy-connect-timeout` of the ConfigMap).
//! Its splice has no idle timeout; Portico closes one after [`IDLE_TIMEOUT`] without a byte
//! either way (nginx stream's `proxy_timeout` default), so silent peers cannot pin it forever.
//! Spliced connections are counted with the WebSocket tunnels: shutdown waits for them for
//! the same grace period.

mod sni;
mod splice;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use portico_model::{Endpoint, HostPattern, RouteTable};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::conn::proxy_protocol::Prefixed;
use crate::server::Proxy;
use crate::upgrade::Tunnels;
use sni::Peeked;

/// How long a spliced connection may carry no byte either way (nginx stream `proxy_timeout`).
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

/// The passthrough hosts of one table, by lowercase host name. Built with the snapshot.
#[derive(Debug, Default)]
pub(crate) struct Hosts(HashMap<String, Arc<Route>>);

/// Where one passthrough host's connections go.
#[derive(Debug)]
pub(crate) struct Route {
    /// The upstream name, for logs.
    backend: String,
    endpoints: Vec<Endpoint>,
    /// Rotates the first endpoint tried.
    next: AtomicUsize,
    connect_timeout: Duration,
}

// === impl Hosts ===

impl Hosts {
    /// The passthrough hosts of `table` ([`portico_model::Server::passthrough`]).
    pub(crate) fn build(table: &RouteTable) -> Self {
        let connect_timeout = table.global.location_defaults.timeouts.connect;
        let hosts = table.servers.iter().filter_map(|server| {
            let HostPattern::Exact(host) = &server.host else { return None };
            let backend = table.backend(server.passthrough?)?;
            let route = Route {
                backend: backend.name.clone(),
                endpoints: backend.endpoints.clone(),
                next: AtomicUsize::new(0),
                connect_timeout,
            };
            Some((host.clone(), Arc::new(route)))
        });
        Self(hosts.collect())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

// === impl Route ===

impl Route {
    /// A connection to one of the endpoints: each tried once, starting with the next in turn.
    async fn connect(&self) -> Option<TcpStream> {
        let count = self.endpoints.len();
        let first = self.next.fetch_add(1, Ordering::Relaxed);
        for i in 0..count {
            let endpoint = &self.endpoints[(first + i) % count];
            let connect = async {
                match endpoint {
                    Endpoint::Addr(addr) => TcpStream::connect(addr).await,
                    Endpoint::Dns { host, port } => {
                        TcpStream::connect((host.as_str(), *port)).await
                    }
                }
            };
            match tokio::time::timeout(self.connect_timeout, connect).await {
                Ok(Ok(stream)) => return Some(stream),
                Ok(Err(error)) => {
                    tracing::warn!(backend = %self.backend, %endpoint, %error, "passthrough connect failed");
                }
                Err(_) => {
                    tracing::warn!(backend = %self.backend, %endpoint, "passthrough connect timed out");
                }
            }
        }
        if count == 0 {
            tracing::warn!(backend = %self.backend, "passthrough backend has no endpoints");
        }
        None
    }
}

// === impl Proxy ===

impl Proxy {
    /// The passthrough phase of an https connection, after the PROXY header and before the TLS
    /// handshake: `Some(stream)` (the peeked bytes still unread) when it is to be terminated;
    /// `None` when it was handed to a spliced tunnel, or closed (no ClientHello by
    /// `deadline`, or a read error).
    pub(crate) async fn passthrough(
        &self,
        mut stream: Prefixed<TcpStream>,
        client: SocketAddr,
        deadline: Instant,
    ) -> Option<Prefixed<TcpStream>> {
        let Some(snapshot) = self.snapshot().filter(|s| !s.passthrough.is_empty()) else {
            return Some(stream); // no table yet, or no passthrough host: nothing to peek for
        };
        let name = match tokio::time::timeout_at(deadline, server_name(&mut stream)).await {
            Ok(Ok(name)) => name,
            Ok(Err(error)) => {
                tracing::debug!(%client, %error, "reading the ClientHello failed");
                return None;
            }
            Err(_) => {
                tracing::debug!(%client, "no ClientHello before the TLS handshake timeout");
                return None;
            }
        };
        let Some(route) = name.as_deref().and_then(|name| snapshot.passthrough.0.get(name)) else {
            return Some(stream);
        };
        tokio::spawn(tunnel(Arc::clone(route), stream, client, Arc::clone(&self.tunnels)));
        None
    }
}

/// The SNI of the ClientHello at the start of `stream`, read into its buffer and left there;
/// `None` without SNI, or when the bytes are not a ClientHello (the handshake reports that).
async fn server_name<S>(stream: &mut Prefixed<S>) -> std::io::Result<Option<String>>
where
    S: tokio::io::AsyncRead + Unpin,
{
    loop {
        match sni::peek(stream.buffered()) {
            Peeked::Hello(name) => return Ok(name),
            Peeked::NotHello => return Ok(None),
            Peeked::NeedMore if stream.buffered().len() > sni::MAX_HELLO => return Ok(None),
            Peeked::NeedMore => {}
        }
        if stream.peek_more().await? == 0 {
            return Ok(None);
        }
    }
}

/// Splices `client` to an endpoint of `route`, replaying the peeked bytes first; counted in
/// `tunnels` until both sides are done or the connection idles out.
async fn tunnel(
    route: Arc<Route>,
    mut client: Prefixed<TcpStream>,
    peer: SocketAddr,
    tunnels: Arc<Tunnels>,
) {
    let _open = tunnels.open();
    let Some(mut backend) = route.connect().await else { return };
    let _ = backend.set_nodelay(true);
    match splice::copy_until_idle(&mut client, &mut backend, IDLE_TIMEOUT).await {
        Ok(Some((up, down))) => {
            tracing::debug!(%peer, backend = %route.backend, up, down, "passthrough closed");
        }
        Ok(None) => tracing::debug!(%peer, backend = %route.backend, "passthrough idle: closed"),
        Err(error) => tracing::debug!(%peer, %error, "passthrough ended with an error"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A ClientHello for `sni.test` by hand: record, handshake header, the fields before the
    /// extensions, and the `server_name` extension alone.
    fn hello() -> Vec<u8> {
        let name = b"sni.test";
        let mut sni = vec![0x00, 0x00]; // extension type server_name
        let list_len = 3 + name.len();
        sni.extend_from_slice(&u16::try_from(list_len + 2).unwrap().to_be_bytes());
        sni.extend_from_slice(&u16::try_from(list_len).unwrap().to_be_bytes());
        sni.push(0x00); // host_name
        sni.extend_from_slice(&u16::try_from(name.len()).unwrap().to_be_bytes());
        sni.extend_from_slice(name);
        let mut body = vec![0x03, 0x03];
        body.extend_from_slice(&[7u8; 32]); // random
        body.extend_from_slice(&[0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]); // id, suites, compression
        body.extend_from_slice(&u16::try_from(sni.len()).unwrap().to_be_bytes());
        body.extend_from_slice(&sni);
        let mut handshake = vec![0x01, 0x00];
        handshake.extend_from_slice(&u16::try_from(body.len()).unwrap().to_be_bytes());
        handshake.extend_from_slice(&body);
        let mut record = vec![0x16, 0x03, 0x01];
        record.extend_from_slice(&u16::try_from(handshake.len()).unwrap().to_be_bytes());
        record.extend_from_slice(&handshake);
        record
    }

    #[tokio::test]
    async fn the_peek_reads_a_trickled_hello_and_keeps_every_byte() {
        let hello = hello();
        let (mut client, server) = tokio::io::duplex(7); // a few bytes per read
        let mut stream = Prefixed::plain(server);
        let sent = hello.clone();
        let writer = tokio::spawn(async move {
            client.write_all(&sent).await.unwrap();
            client.write_all(b"after").await.unwrap();
            client
        });
        assert_eq!(server_name(&mut stream).await.unwrap().as_deref(), Some("sni.test"));
        let _client = writer.await.unwrap();
        let mut replayed = vec![0u8; hello.len() + 5];
        stream.read_exact(&mut replayed).await.unwrap();
        assert_eq!(&replayed[..hello.len()], &hello[..], "the peeked bytes are read again");
        assert_eq!(&replayed[hello.len()..], b"after");
    }

    #[tokio::test]
    async fn not_tls_or_an_early_close_is_left_to_the_handshake() {
        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let mut stream = Prefixed::plain(server);
        assert_eq!(server_name(&mut stream).await.unwrap(), None);
        assert_eq!(stream.buffered(), b"GET / HTTP/1.1\r\n");

        let (mut client, server) = tokio::io::duplex(64);
        client.write_all(&hello()[..10]).await.unwrap();
        drop(client);
        let mut stream = Prefixed::plain(server);
        assert_eq!(server_name(&mut stream).await.unwrap(), None, "closed mid-hello");
    }
}
