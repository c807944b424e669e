//! The [`Proxy`]: holds the live snapshot and serves client connections.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, ArcSwapOption};
use hyper::server::conn::{http1, http2};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use portico_metrics::Metrics;
use portico_model::TlsSettings;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use crate::access_log::AccessOutput;
use crate::config::{ConnInfo, ProxyConfig};
use crate::conn::evict::Registry;
use crate::conn::proxy_protocol::{self, Prefixed};
use crate::conn::Guarded;
use crate::drain::{Drain, DrainWatch};
use crate::filters::external_auth::ExternalAuthState;
use crate::forwarded::is_trusted;
use crate::phases::Authenticator;
use crate::snapshot::Snapshot;
use crate::upgrade::Tunnels;
use crate::upstream::Pool;

/// hyper's read buffer per connection. The guard bounds request heads well below it
/// (`large-client-header-buffers`), so this only bounds body read-ahead.
const MAX_READ_BUFFER: usize = 256 * 1024;
/// Header fields per request hyper can hold. nginx limits heads by size only; at the default
/// 32 KiB head this is reached only by fields averaging under 64 bytes (HAProxy and Envoy
/// stop at about 100 fields). hyper prepares room for this many fields before every parse
/// (about 5 instructions a field): at 1024 that was a quarter of the proxy's instructions
/// per request.
const MAX_REQUEST_HEADERS: usize = 512;
/// HTTP/2 `SETTINGS_MAX_HEADER_LIST_SIZE`.
const MAX_H2_HEADER_LIST: u32 = 64 * 1024;

/// The reverse proxy. One per process; shared by every listener.
///
/// Invariant: the snapshot is only ever replaced whole ([`Proxy::swap`]); a request loads it
/// once and keeps that `Arc` to its end, so no request sees two tables.
pub struct Proxy {
    pub(crate) config: ProxyConfig,
    pub(crate) metrics: Arc<Metrics>,
    snapshot: ArcSwapOption<Snapshot>,
    /// Upstream connection pools: one per data-plane worker ([`crate::workers`]), and one (the
    /// first) for requests served on any other thread. A worker's connections are driven by
    /// its own runtime, so it never uses another worker's.
    pools: Vec<Arc<Pool>>,
    /// ExternalName addresses (the pools share it), kept resolved for the live table.
    resolver: Arc<crate::Resolver>,
    /// Basic-auth checks and their cache of successes, shared across tables.
    pub(crate) auth: Authenticator,
    /// External auth (`auth-url`): the client to auth services and the answer cache.
    pub(crate) external_auth: ExternalAuthState,
    /// `mirror-target`: the bound on copies in flight.
    pub(crate) mirrors: crate::mirror::Mirrors,
    /// The https listener's TLS: certificates of the live table, swapped with it.
    pub(crate) tls: crate::tls::Tls,
    /// The `limit-*` zones of the live table, kept across swaps for unchanged limits.
    zones: crate::filters::limits::Zones,
    /// Open client connections, for closing idle ones when descriptors run out.
    conns: Arc<Registry>,
    /// When an accept failure was last logged (by any worker's accept loop).
    accept_logged: parking_lot::Mutex<Option<tokio::time::Instant>>,
    /// Upgraded connections (WebSocket tunnels), which shutdown waits for too.
    pub(crate) tunnels: Arc<Tunnels>,
    /// hyper's connection settings, rebuilt when the table's HTTP/2 settings change.
    builder: ArcSwap<ConnBuilder>,
    /// Where access-log lines go, rebuilt when the table's access-log settings change.
    pub(crate) access: ArcSwap<AccessOutput>,
    /// The OpenTelemetry tracer, rebuilt when the table's export settings change.
    tracing: crate::telemetry::Tracing,
    /// Frees replaced snapshots off the request path.
    retirer: crate::retire::Retirer,
}

/// hyper's server side of one client connection, with the HTTP/2 settings it was built for.
pub(crate) struct ConnBuilder {
    /// HTTP/1.1, one connection per round ([`crate::rounds`]).
    pub(crate) h1: http1::Builder,
    /// HTTP/2 after its preface (used only when `settings.http2`).
    pub(crate) h2: http2::Builder<TokioExecutor>,
    pub(crate) settings: TlsSettings,
}

// === impl Proxy ===

impl Proxy {
    pub fn new(config: ProxyConfig, metrics: Arc<Metrics>) -> Arc<Proxy> {
        let builder = ConnBuilder::new(&TlsSettings::default());
        let tracing = crate::telemetry::Tracing::new(&metrics);
        let resolver = Arc::new(crate::Resolver::new(config.dns.clone()));
        Arc::new(Proxy {
            pools: (0..=config.workers).map(|_| Arc::new(Pool::new(resolver.clone()))).collect(),
            resolver,
            config,
            auth: Authenticator::counted(metrics.auth_cache().basic),
            external_auth: ExternalAuthState::counted(metrics.auth_cache().external),
            metrics,
            snapshot: ArcSwapOption::empty(),
            mirrors: crate::mirror::Mirrors::default(),
            tls: crate::tls::Tls::new(),
            zones: Default::default(),
            conns: Arc::default(),
            tunnels: Arc::default(),
            accept_logged: parking_lot::Mutex::new(None),
            builder: ArcSwap::from_pointee(builder),
            access: ArcSwap::default(),
            tracing,
            retirer: Default::default(),
        })
    }

    /// Makes `snapshot` the live table. Requests already running finish on the old one, which
    /// is freed off the request path ([`crate::retire`]).
    pub fn swap(&self, mut snapshot: Snapshot) {
        snapshot.attach_metrics(&self.metrics, self.snapshot.load().as_deref());
        snapshot.attach_limits(&self.zones, &self.metrics);
        snapshot.keep_balancers(self.snapshot.load().as_deref());
        snapshot.attach_upstream_tls(self.snapshot.load().as_deref());
        snapshot.tracer = self.tracing.for_table(&snapshot.table);
        self.metrics.table_swapped(snapshot.generation);
        self.auth.retain(&snapshot.table);
        self.resolver.track(&snapshot.table);
        self.tls.swap(&snapshot);
        let settings = &snapshot.table.global.tls;
        if !self.builder.load().serves(settings) {
            self.builder.store(Arc::new(ConnBuilder::new(settings)));
        }
        let access = &snapshot.table.global.access_log;
        if !self.access.load().serves(access) {
            self.access.store(Arc::new(AccessOutput::new(access)));
        }
        if let Some(old) = self.snapshot.swap(Some(Arc::new(snapshot))) {
            self.retirer.retire(old);
        }
    }

    /// The upstream pool of the worker running this request (see [`Proxy::pools`]).
    pub(crate) fn pool(&self) -> &Arc<Pool> {
        let index = crate::workers::current();
        self.pools.get(index).unwrap_or(&self.pools[0])
    }

    /// Exports the spans still queued (`enable-opentelemetry`), once requests are done.
    pub async fn flush_traces(&self) {
        self.tracing.flush().await;
    }

    /// Client connections open now (`nginx_process_connections{state="active"}`).
    pub fn open_connections(&self) -> usize {
        self.conns.len()
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
        let limits = self.snapshot.load().as_ref().map(|s| s.table.global.client);
        ConnInfo::new(peer, port, tls).with_limits(limits.unwrap_or_default())
    }

    /// How long shutdown waits for in-flight requests and tunnels: the live table's
    /// `worker-shutdown-timeout` when set, else [`ProxyConfig::shutdown_grace`].
    pub fn shutdown_grace(&self) -> Duration {
        let configured = self.snapshot.load().as_ref().and_then(|s| s.table.global.shutdown_grace);
        configured.unwrap_or(self.config.shutdown_grace)
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
            let proxy = Arc::clone(&self);
            async move {
                // Boxed: the PROXY header reader's state is not kept for the connection's life.
                let accepted = Box::pin(proxy.client_of(stream, peer)).await;
                let Some((stream, client)) = accepted else { return };
                proxy.serve_connection(stream, proxy.conn_info(client, port, false), watcher).await;
            }
        })
        .await;
    }

    /// The accepted connection's client: with `use-proxy-protocol`, the source its PROXY header
    /// names when the peer is a trusted proxy (`proxy-real-ip-cidr`), and the stream after the
    /// header; `None`: no valid header came within `client-header-timeout` (closed, logged).
    pub(crate) async fn client_of(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
    ) -> Option<(Prefixed<TcpStream>, SocketAddr)> {
        let snapshot = self.snapshot.load_full();
        let global = snapshot.as_ref().map(|s| &s.table.global);
        let Some(global) = global.filter(|g| g.real_ip.proxy_protocol) else {
            return Some((Prefixed::plain(stream), peer));
        };
        match proxy_protocol::read(stream, global.client.header_timeout).await {
            Ok((Some(source), stream)) if is_trusted(peer.ip(), &global.real_ip.trusted) => {
                Some((stream, source))
            }
            Ok((_, stream)) => Some((stream, peer)),
            Err(error) => {
                tracing::info!(%peer, %error, "connection refused: use-proxy-protocol is on");
                None
            }
        }
    }

    /// The accept loop of every proxy listener: accepts on `listener` until `shutdown`
    /// resolves, and spawns `serve(stream, peer, watcher)` for each connection (TCP_NODELAY
    /// set). Out of descriptors, it closes the oldest idle client connections and tries again.
    /// Then it drops the listener and waits for the watched connections and the upgraded
    /// tunnels, for at most [`Proxy::shutdown_grace`]; `what` names them in the log if the
    /// wait runs out.
    pub(crate) async fn accept_until<F, S>(
        &self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
        what: &str,
        mut serve: F,
    ) where
        F: FnMut(TcpStream, SocketAddr, DrainWatch) -> S,
        S: Future<Output = ()> + Send + 'static,
    {
        let graceful = Drain::new();
        let mut shutdown = std::pin::pin!(shutdown);
        let mut failures = AcceptFailures::default();
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        let backoff = self.accept_failed(&error, &mut failures);
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve(stream, peer, graceful.watcher()));
        }
        drop(listener);
        let grace = self.shutdown_grace();
        let drained = async {
            graceful.shutdown().await;
            self.tunnels.wait_idle().await;
        };
        if tokio::time::timeout(grace, drained).await.is_err() {
            tracing::warn!(?grace, "shutdown grace period over; closing remaining {what}");
        }
    }

    /// After a failed accept: out of descriptors, asks idle connections to close (oldest first)
    /// and retries soon; otherwise backs off instead of spinning. Logs at most once a second.
    fn accept_failed(&self, error: &std::io::Error, failures: &mut AcceptFailures) -> Duration {
        let exhausted = is_out_of_descriptors(error);
        let evicted = if exhausted {
            let open = self.conns.len();
            self.conns.evict_idle((open / 16).max(16))
        } else {
            0
        };
        failures.suppressed += 1;
        let now = tokio::time::Instant::now();
        // One line a second for the process: every worker's accept loop fails at once.
        let mut logged = self.accept_logged.lock();
        if logged.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1)) {
            tracing::warn!(
                %error,
                failures = failures.suppressed,
                evicted_idle = evicted,
                open = self.conns.len(),
                "accept failed"
            );
            *logged = Some(now);
            failures.suppressed = 0;
        }
        if evicted > 0 {
            Duration::from_millis(5)
        } else {
            Duration::from_millis(50)
        }
    }

    /// Serves one client connection over any byte stream (plain TCP now, TLS later), watched
    /// by `watcher` for graceful shutdown. The returned future ends with the connection.
    pub(crate) fn serve_connection<I>(
        self: &Arc<Self>,
        io: I,
        conn: ConnInfo,
        watcher: DrainWatch,
    ) -> impl Future<Output = ()> + Send + 'static
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let proxy = Arc::clone(self);
        let registration = self.conns.register(&conn.shared);
        let builder = self.builder.load_full();
        let mut io =
            Guarded::new(io, conn.peer, &conn.limits, Arc::clone(&conn.shared), Some(registration));
        if !builder.settings.http2 {
            io = io.refuse_http2();
        }
        let io = io.log_to(self.access.load_full());
        let conn = Arc::new(conn);
        let peer = conn.peer;
        let service = service_fn(move |req| {
            let proxy = Arc::clone(&proxy);
            let conn = Arc::clone(&conn);
            async move { Ok::<_, Infallible>(proxy.handle(req, conn).await) }
        });
        crate::rounds::serve(io, service, builder, watcher, peer)
    }
}

// === impl ConnBuilder ===

impl ConnBuilder {
    /// HTTP/1.1 always; HTTP/2 (h2 after ALPN, h2c by preface) unless `use-http2: false`, with
    /// `http2-max-concurrent-streams`.
    fn new(settings: &TlsSettings) -> Self {
        let mut h1 = http1::Builder::new();
        // Head timeouts and limits are the guard's (crate::conn); hyper's would add a timer
        // per request and answer 431 where nginx answers 400 or 414.
        h1.timer(TokioTimer::new())
            .header_read_timeout(None)
            .max_buf_size(MAX_READ_BUFFER)
            .max_headers(MAX_REQUEST_HEADERS);
        let mut h2 = http2::Builder::new(TokioExecutor::new());
        h2.timer(TokioTimer::new())
            .max_header_list_size(MAX_H2_HEADER_LIST)
            .max_concurrent_streams(settings.http2_max_concurrent_streams);
        Self { h1, h2, settings: settings.clone() }
    }

    /// Whether this builder already has `settings`' HTTP/2 behaviour.
    fn serves(&self, settings: &TlsSettings) -> bool {
        self.settings.http2 == settings.http2
            && self.settings.http2_max_concurrent_streams == settings.http2_max_concurrent_streams
    }
}

/// One accept loop's failures since the last log line.
#[derive(Debug, Default)]
struct AcceptFailures {
    suppressed: u64,
}

/// EMFILE or ENFILE: the process or the system is out of file descriptors.
fn is_out_of_descriptors(error: &std::io::Error) -> bool {
    const EMFILE: i32 = 24;
    const ENFILE: i32 = 23;
    matches!(error.raw_os_error(), Some(EMFILE | ENFILE))
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
