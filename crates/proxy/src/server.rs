//! The [`Proxy`]: holds the live snapshot and serves client connections.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwapOption;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use portico_metrics::Metrics;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use crate::config::{ConnInfo, ProxyConfig};
use crate::phases::Authenticator;
use crate::snapshot::Snapshot;
use crate::upstream::Pool;

/// The reverse proxy. One per process; shared by every listener.
///
/// Invariant: the snapshot is only ever replaced whole ([`Proxy::swap`]); a request loads it
/// once and keeps that `Arc` to its end, so no request sees two tables.
pub struct Proxy {
    pub(crate) config: ProxyConfig,
    pub(crate) metrics: Arc<Metrics>,
    snapshot: ArcSwapOption<Snapshot>,
    pub(crate) pool: Arc<Pool>,
    /// Basic-auth checks and their cache of successes, shared across tables.
    pub(crate) auth: Authenticator,
    /// The https listener's TLS: certificates of the live table, swapped with it.
    pub(crate) tls: crate::tls::Tls,
    builder: auto::Builder<TokioExecutor>,
}

// === impl Proxy ===

impl Proxy {
    pub fn new(config: ProxyConfig, metrics: Arc<Metrics>) -> Arc<Proxy> {
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(config.header_read_timeout);
        Arc::new(Proxy {
            config,
            metrics,
            snapshot: ArcSwapOption::empty(),
            pool: Arc::new(Pool::new()),
            auth: Authenticator::default(),
            tls: crate::tls::Tls::new(),
            builder,
        })
    }

    /// Makes `snapshot` the live table. Requests already running finish on the old one.
    pub fn swap(&self, mut snapshot: Snapshot) {
        snapshot.attach_metrics(&self.metrics);
        self.metrics.table_swapped(snapshot.generation);
        self.auth.retain(&snapshot.table);
        self.tls.swap(&snapshot);
        self.snapshot.store(Some(Arc::new(snapshot)));
    }

    /// A table is live (drives `/readyz`).
    pub fn is_ready(&self) -> bool {
        self.snapshot.load().is_some()
    }

    /// The live snapshot, if any.
    pub fn snapshot(&self) -> Option<Arc<Snapshot>> {
        self.snapshot.load_full()
    }

    /// Per-connection facts for a connection accepted on a listener bound to `local_port`;
    /// TLS connections report [`ProxyConfig::https_port`] in `X-Forwarded-Port`.
    pub fn conn_info(&self, peer: std::net::SocketAddr, local_port: u16, tls: bool) -> ConnInfo {
        let port = if tls { self.config.https_port } else { local_port };
        ConnInfo::new(peer, port, tls)
    }

    /// Accepts plain-HTTP connections (HTTP/1.1 with keep-alive, or h2c) until `shutdown`
    /// resolves; then stops accepting and lets in-flight requests finish, for at most
    /// [`ProxyConfig::shutdown_grace`].
    pub async fn serve_http(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) {
        let port = listener.local_addr().map_or(0, |addr| addr.port());
        self.accept_until(listener, shutdown, "connections", |stream, peer, watcher| {
            self.serve_connection(stream, self.conn_info(peer, port, false), watcher)
        })
        .await;
    }

    /// The accept loop of every proxy listener: accepts on `listener` (backing off after a
    /// failure such as EMFILE instead of spinning) until `shutdown` resolves, and spawns
    /// `serve(stream, peer, watcher)` for each connection (TCP_NODELAY set). Then drops the
    /// listener and waits for the watched connections, for at most
    /// [`ProxyConfig::shutdown_grace`]; `what` names them in the log if the wait runs out.
    pub(crate) async fn accept_until<F, S>(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
        what: &str,
        mut serve: F,
    ) where
        F: FnMut(TcpStream, SocketAddr, Watcher) -> S,
        S: Future<Output = ()> + Send + 'static,
    {
        let graceful = GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        // Typically EMFILE: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve(stream, peer, graceful.watcher()));
        }
        drop(listener);
        tokio::select! {
            () = graceful.shutdown() => {}
            () = tokio::time::sleep(self.config.shutdown_grace) => {
                tracing::warn!("shutdown grace period over; closing remaining {what}");
            }
        }
    }

    /// Serves one client connection over any byte stream (plain TCP now, TLS later), watched
    /// by `watcher` for graceful shutdown. The returned future ends with the connection.
    pub fn serve_connection<I>(
        self: &Arc<Self>,
        io: I,
        conn: ConnInfo,
        watcher: Watcher,
    ) -> impl Future<Output = ()> + Send + 'static
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let proxy = Arc::clone(self);
        let conn = Arc::new(conn);
        let peer = conn.peer;
        let service = service_fn(move |req| {
            let proxy = Arc::clone(&proxy);
            let conn = Arc::clone(&conn);
            async move { Ok::<_, Infallible>(proxy.handle(req, conn).await) }
        });
        let connection =
            self.builder.serve_connection_with_upgrades(TokioIo::new(io), service).into_owned();
        let connection = watcher.watch(connection);
        async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "client connection ended with an error");
            }
        }
    }
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let generation = self.snapshot.load().as_ref().map(|s| s.generation);
        f.debug_struct("Proxy")
            .field("config", &self.config)
            .field("generation", &generation)
            .finish_non_exhaustive()
    }
}
