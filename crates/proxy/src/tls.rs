//! The https listener: a TLS handshake (certificate picked by SNI from the live table, ALPN
//! `h2`/`http/1.1`, spec §3) in front of the same connection serving as plain HTTP, with the
//! scheme `https` (X-Forwarded-Proto, HSTS) and the https port.
//!
//! The ClientHello is read before the configuration is chosen: a host with `ssl-ciphers` or
//! `ssl-prefer-server-ciphers` gets its own suites or order; a host with `auth-tls-*` gets
//! its own configuration (with those settings too), which asks for a client certificate; the
//! certificate is verified against that host's CA right after the handshake and kept in the
//! connection's [`ConnInfo`] for the access phase. Other hosts are never asked for one.

use std::future::Future;
use std::sync::Arc;

use arc_swap::{ArcSwap, ArcSwapOption};
use http::header::STRICT_TRANSPORT_SECURITY;
use http::Response;
use portico_model::TlsSettings;
use portico_tls::rustls::server::Acceptor;
use portico_tls::rustls::ServerConfig;
use portico_tls::tokio_rustls::server::TlsStream;
use portico_tls::tokio_rustls::LazyConfigAcceptor;
use portico_tls::{
    server_config, server_config_with, CertStore, ClientAuthStore, HostConfigs, SniResolver,
};
use tokio::net::{TcpListener, TcpStream};

use crate::config::ConnInfo;
use crate::conn::proxy_protocol::Prefixed;
use crate::filters::client_cert::ConnCert;
use crate::server::Proxy;
use crate::snapshot::Snapshot;

/// The TLS side of the proxy: the SNI resolver the live snapshot's certificates are swapped
/// into, the client-certificate settings per host, and the default configuration. Handshakes
/// read both lock-free.
pub(crate) struct Tls {
    resolver: Arc<SniResolver>,
    /// The configuration of hosts without client certificates, for the live table's TLS
    /// settings. `None` only if rustls refused the default one (logged; https is not served).
    config: ArcSwapOption<ServerConfig>,
    /// The settings `config` was built with.
    settings: ArcSwap<TlsSettings>,
    client_auth: ArcSwap<ClientAuthStore>,
    /// Hosts with their own `ssl-ciphers` / `ssl-prefer-server-ciphers`.
    hosts: ArcSwap<HostConfigs>,
}

// === impl Tls ===

impl Tls {
    /// Before the first table: every handshake gets the default (fake) certificate.
    pub(crate) fn new() -> Self {
        let (store, _) = CertStore::build(&[], None);
        let resolver = Arc::new(SniResolver::new(store));
        let config = match server_config(resolver.clone()) {
            Ok(config) => Some(config),
            Err(error) => {
                tracing::error!(%error, "TLS is unavailable; the https listener will not serve");
                None
            }
        };
        Self {
            resolver,
            config: ArcSwapOption::new(config),
            settings: ArcSwap::default(),
            client_auth: ArcSwap::default(),
            hosts: ArcSwap::default(),
        }
    }

    /// New handshakes see `snapshot`'s certificates and client-certificate settings; open
    /// connections keep theirs.
    pub(crate) fn swap(&self, snapshot: &Snapshot) {
        self.resolver.swap_shared(snapshot.certs.clone());
        let settings = &snapshot.table.global.tls;
        if **self.settings.load() != *settings {
            match server_config_with(self.resolver.clone(), settings) {
                Ok(config) => self.config.store(Some(config)),
                Err(error) => tracing::error!(%error, "TLS settings unusable; keeping the last"),
            }
            self.settings.store(Arc::new(settings.clone()));
        }
        let previous = self.client_auth.load();
        let (store, errors) = ClientAuthStore::build(&snapshot.table, &self.resolver, &previous);
        for (host, error) in errors {
            tracing::error!(%host, %error, "client CA unusable; its client certificates fail");
        }
        self.client_auth.store(Arc::new(store));
        let previous = self.hosts.load();
        let (hosts, errors) = HostConfigs::build(&snapshot.table, &self.resolver, &previous);
        for (host, error) in errors {
            tracing::error!(%host, %error, "host TLS settings unusable; it keeps the listener's");
        }
        self.hosts.store(Arc::new(hosts));
    }

    /// The handshake of one connection: the configuration of the SNI host (its client
    /// certificates, else its ciphers, else the listener's), then the client certificate
    /// verified when that host asks for one.
    async fn handshake(
        &self,
        default: Arc<ServerConfig>,
        stream: Prefixed<TcpStream>,
    ) -> std::io::Result<(TlsStream<Prefixed<TcpStream>>, Option<Arc<ConnCert>>)> {
        let start = LazyConfigAcceptor::new(Acceptor::default(), stream).await?;
        let (config, verifier) = self.config_for(start.client_hello().server_name(), default);
        let tls = start.into_stream(config).await?;
        let cert = verifier.map(|verifier| {
            let peer = verifier.verify(tls.get_ref().1.peer_certificates());
            Arc::new(ConnCert::new(peer))
        });
        Ok((tls, cert))
    }
}

impl Tls {
    /// The configuration of a handshake with this SNI, and the client verifier of its host
    /// when that host asks for a client certificate.
    fn config_for(
        &self,
        sni: Option<&str>,
        default: Arc<ServerConfig>,
    ) -> (Arc<ServerConfig>, Option<Arc<portico_tls::ClientVerifier>>) {
        if let Some(verifier) = self.client_auth.load().lookup(sni) {
            return (verifier.server_config().clone(), Some(verifier.clone()));
        }
        let hosts = self.hosts.load();
        match hosts.is_empty() {
            true => (default, None),
            false => (hosts.lookup(sni).cloned().unwrap_or(default), None),
        }
    }
}

// === impl Proxy ===

impl Proxy {
    /// Accepts TLS connections until `shutdown` resolves, like [`Proxy::serve_http`]: each
    /// handshake (with the passthrough peek before it, which may splice the connection away
    /// instead, see [`crate::passthrough`]) must finish within
    /// [`crate::ProxyConfig::tls_handshake_timeout`], then the
    /// connection is served as HTTP/2 (ALPN `h2`) or HTTP/1.1 with scheme `https`.
    pub async fn serve_https(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) {
        if self.tls.config.load().is_none() {
            return;
        }
        let port = listener.local_addr().map_or(0, |addr| addr.port());
        let timeout = self.config.tls_handshake_timeout;
        self.accept_until(listener, shutdown, "TLS connections", |stream, peer, watcher| {
            let proxy = Arc::clone(&self);
            async move {
                // Boxed: the set-up's state (PROXY header, passthrough peek, handshake) is
                // kilobytes the connection's task would otherwise keep for its whole life.
                let set_up = Box::pin(async {
                    let config = proxy.tls.config.load_full()?;
                    let (stream, client) = proxy.client_of(stream, peer).await?;
                    let deadline = tokio::time::Instant::now() + timeout;
                    let stream = proxy.passthrough(stream, client, deadline).await?;
                    let handshake = proxy.tls.handshake(config, stream);
                    match tokio::time::timeout_at(deadline, handshake).await {
                        Ok(Ok((tls, cert))) => Some((tls, cert, client)),
                        Ok(Err(error)) => {
                            tracing::debug!(%peer, %error, "TLS handshake failed");
                            None
                        }
                        Err(_) => {
                            tracing::debug!(%peer, ?timeout, "TLS handshake timed out");
                            None
                        }
                    }
                });
                let Some((tls, cert, client)) = set_up.await else { return };
                let conn = proxy.conn_info(client, port, true).with_client_cert(cert);
                proxy.serve_connection(tls, conn, watcher).await;
            }
        })
        .await;
    }
}

/// HSTS (§3.3): on every response to a request that arrived over TLS (the real scheme, not
/// X-Forwarded-Proto), replacing any upstream `Strict-Transport-Security`, when `hsts` is on.
/// Sent for hosts served the default certificate too, as ingress-nginx does: clients ignore STS
/// received over a certificate they do not trust (RFC 6797 §8.1).
pub(crate) fn hsts<B>(response: &mut Response<B>, snapshot: Option<&Snapshot>, conn: &ConnInfo) {
    if !conn.tls {
        return;
    }
    if let Some(value) = snapshot.and_then(|snapshot| snapshot.hsts.as_ref()) {
        response.headers_mut().insert(STRICT_TRANSPORT_SECURITY, value.clone());
    }
}
