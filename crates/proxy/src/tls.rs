//! The https listener: a TLS handshake (certificate picked by SNI from the live table, ALPN
//! `h2`/`http/1.1`, spec §3) in front of the same connection serving as plain HTTP, with the
//! scheme `https` (X-Forwarded-Proto, HSTS) and the https port.

use std::future::Future;
use std::sync::Arc;

use http::header::STRICT_TRANSPORT_SECURITY;
use http::Response;
use portico_tls::tokio_rustls::TlsAcceptor;
use portico_tls::{server_config, CertStore, SniResolver};
use tokio::net::TcpListener;

use crate::config::ConnInfo;
use crate::server::Proxy;
use crate::snapshot::Snapshot;

/// The TLS side of the proxy: the SNI resolver the live snapshot's certificates are swapped
/// into, and the acceptor using it. Handshakes read the resolver lock-free.
pub(crate) struct Tls {
    resolver: Arc<SniResolver>,
    /// `None` only if rustls refused its own configuration (logged; https is then not served).
    acceptor: Option<TlsAcceptor>,
}

// === impl Tls ===

impl Tls {
    /// Before the first table: every handshake gets the default (fake) certificate.
    pub(crate) fn new() -> Self {
        let (store, _) = CertStore::build(&[], None);
        let resolver = Arc::new(SniResolver::new(store));
        let acceptor = match server_config(resolver.clone()) {
            Ok(config) => Some(TlsAcceptor::from(config)),
            Err(error) => {
                tracing::error!(%error, "TLS is unavailable; the https listener will not serve");
                None
            }
        };
        Self { resolver, acceptor }
    }

    /// New handshakes see `snapshot`'s certificates; open connections keep theirs.
    pub(crate) fn swap(&self, snapshot: &Snapshot) {
        self.resolver.swap_shared(snapshot.certs.clone());
    }
}

// === impl Proxy ===

impl Proxy {
    /// Accepts TLS connections until `shutdown` resolves, like [`Proxy::serve_http`]: each
    /// handshake must finish within [`crate::ProxyConfig::tls_handshake_timeout`], then the
    /// connection is served as HTTP/2 (ALPN `h2`) or HTTP/1.1 with scheme `https`.
    pub async fn serve_https(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: impl Future<Output = ()>,
    ) {
        let Some(acceptor) = self.tls.acceptor.clone() else { return };
        let port = listener.local_addr().map_or(0, |addr| addr.port());
        let timeout = self.config.tls_handshake_timeout;
        self.accept_until(listener, shutdown, "TLS connections", |stream, peer, watcher| {
            let proxy = Arc::clone(&self);
            let acceptor = acceptor.clone();
            async move {
                let Some((stream, client)) = proxy.client_of(stream, peer).await else { return };
                match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => {
                        let conn = proxy.conn_info(client, port, true);
                        proxy.serve_connection(tls, conn, watcher).await;
                    }
                    Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, ?timeout, "TLS handshake timed out"),
                }
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
