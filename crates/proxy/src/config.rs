//! Settings of the proxy process itself (not of the routing table), and per-connection facts.

use std::net::SocketAddr;
use std::time::Duration;

use std::sync::Arc;

use http::HeaderValue;
use portico_model::ClientLimits;

use crate::conn::ConnShared;
use crate::filters::client_cert::ConnCert;

/// Process-level proxy settings, fixed at start-up. Per-location behaviour comes from the table.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Port reported in `X-Forwarded-Port` for requests received over TLS: 443, as
    /// ingress-nginx, whatever port the HTTPS listener is bound to.
    pub https_port: u16,
    /// How long in-flight requests may run after shutdown starts before connections are cut.
    pub shutdown_grace: Duration,
    /// Time a client may take to complete a TLS handshake on the https listener.
    pub tls_handshake_timeout: Duration,
    /// Data-plane workers ([`crate::workers`]) that will serve this proxy: one upstream pool
    /// each. 0 or 1 when the listeners are served on the caller's runtime (tests).
    pub workers: usize,
    /// How ExternalName backends are resolved ([`crate::Resolver`]).
    pub dns: crate::DnsSettings,
}

/// Facts about one accepted client connection, computed once per connection.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    pub peer: SocketAddr,
    /// The request arrived over TLS: scheme `https`.
    pub tls: bool,
    /// Port reported in `X-Forwarded-Port` (the listener's port, or [`ProxyConfig::https_port`]).
    pub port: u16,
    /// `peer.ip()` rendered once, reused for X-Real-IP / X-Forwarded-For of every request.
    pub(crate) peer_ip: HeaderValue,
    /// `port` rendered once.
    pub(crate) port_value: HeaderValue,
    /// The client limits of the table live at accept; the connection keeps them to its end.
    pub(crate) limits: ClientLimits,
    /// What the request handler and the connection guard share (in-flight, request count).
    pub(crate) shared: Arc<ConnShared>,
    /// The client certificate, when the SNI host asks for one (`auth-tls-*`), verified once
    /// after the handshake.
    pub(crate) client_cert: Option<Arc<ConnCert>>,
}

// === impl ProxyConfig ===

impl Default for ProxyConfig {
    fn default() -> Self {
        Self {
            https_port: 443,
            shutdown_grace: Duration::from_secs(10),
            tls_handshake_timeout: Duration::from_secs(10),
            workers: 1,
            dns: crate::DnsSettings::default(),
        }
    }
}

// === impl ConnInfo ===

impl ConnInfo {
    pub fn new(peer: SocketAddr, port: u16, tls: bool) -> Self {
        let peer_ip = HeaderValue::try_from(peer.ip().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("0.0.0.0"));
        Self {
            peer,
            tls,
            port,
            peer_ip,
            port_value: HeaderValue::from(port),
            limits: ClientLimits::default(),
            shared: Arc::default(),
            client_cert: None,
        }
    }

    /// The same connection under `limits` (from the live table's ConfigMap).
    pub fn with_limits(mut self, limits: ClientLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The same connection with the client certificate its handshake presented.
    pub(crate) fn with_client_cert(mut self, cert: Option<Arc<ConnCert>>) -> Self {
        self.client_cert = cert;
        self
    }

    /// The connection's scheme: `https` over TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls {
            "https"
        } else {
            "http"
        }
    }
}
