//! How a location talks to its backend: the protocol (`backend-protocol`), TLS toward the
//! backend (`proxy-ssl-*`) and the Host sent upstream (`upstream-vhost`).
//!
//! These are properties of the location, not of the backend: two Ingresses may reach the same
//! Service port over different protocols, so the backend registry is not split by them. The
//! proxy keys its upstream connections by address *and* these settings.

use std::sync::Arc;

use crate::ObjectRef;

/// The upstream side of a location.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Upstream {
    pub protocol: UpstreamProtocol,
    /// `proxy-ssl-*` from a usable `proxy-ssl-secret`; `None`: nginx's defaults toward HTTPS
    /// backends (any certificate accepted, no SNI, no client certificate).
    pub tls: Option<Arc<UpstreamTls>>,
    /// `upstream-vhost`: the Host header sent upstream instead of the client's.
    pub vhost: Option<String>,
    /// `proxy-redirect-*`, `proxy-cookie-*`: rewriting of the upstream's response headers.
    pub rewrite: ResponseRewrite,
    /// `connection-proxy-header`: the `Connection` header sent to an HTTP/1 upstream instead
    /// of Portico's own (nothing, or `upgrade` for an upgrade).
    pub connection: Option<ConnectionHeader>,
}

/// The values `connection-proxy-header` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnectionHeader {
    /// `close`: the upstream connection is closed after the exchange (never pooled).
    Close,
    /// `keep-alive`.
    KeepAlive,
}

// === impl ConnectionHeader ===

impl ConnectionHeader {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionHeader::Close => "close",
            ConnectionHeader::KeepAlive => "keep-alive",
        }
    }
}

/// nginx's `proxy_redirect` and `proxy_cookie_domain`/`proxy_cookie_path` with one literal
/// pair each (ingress-nginx allows no variables or regexes there).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ResponseRewrite {
    /// `Location` and `Refresh` (`url=`) values starting with `from` (case-sensitive) get it
    /// replaced by `to`.
    pub redirect: Option<Replace>,
    /// A `Set-Cookie` `Domain` equal to `from` (case-insensitive, leading dots ignored on both
    /// sides) becomes `to`.
    pub cookie_domain: Option<Replace>,
    /// A `Set-Cookie` `Path` starting with `from` (case-sensitive) gets it replaced by `to`.
    pub cookie_path: Option<Replace>,
}

/// One literal replacement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Replace {
    pub from: String,
    pub to: String,
}

/// `backend-protocol` (ingress-nginx's set, case-insensitive; `FCGI` denies the location).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UpstreamProtocol {
    /// HTTP/1.1 in clear text (the default).
    #[default]
    Http,
    /// HTTP/1.1 over TLS.
    Https,
    /// `AUTO_HTTP`: the client's scheme (`$scheme://`): HTTPS for requests that came over TLS.
    AutoHttp,
    /// HTTP/2 in clear text with prior knowledge (nginx's `grpc_pass grpc://`).
    Grpc,
    /// HTTP/2 over TLS, ALPN `h2` (`grpc_pass grpcs://`).
    Grpcs,
}

/// TLS toward the backend, as ingress-nginx renders `proxy_ssl_*` from a `proxy-ssl-secret`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UpstreamTls {
    /// The Secret the settings came from, for diagnostics.
    pub secret: ObjectRef,
    /// `ca.crt`: trust anchors when `verify` is on.
    pub ca_pem: Option<Arc<[u8]>>,
    /// `tls.crt` + `tls.key`: the client certificate presented to the backend.
    pub client_cert: Option<ClientCert>,
    /// `proxy-ssl-verify: on` (only with `ca.crt`, as nginx renders it only then).
    pub verify: bool,
    /// `proxy-ssl-verify-depth`: intermediate certificates allowed (OpenSSL's depth), >= 1.
    pub verify_depth: u32,
    /// The name verified and, with `server_name`, sent as SNI. nginx's default is `$proxy_host`,
    /// which ingress-nginx renders as `upstream_balancer`.
    pub name: String,
    /// `proxy-ssl-server-name: on`: send SNI.
    pub server_name: bool,
    pub versions: TlsVersions,
    /// `proxy-ssl-ciphers` names (OpenSSL spelling) that rustls implements, for TLS 1.2; empty
    /// = rustls' default suites. TLS 1.3 suites are not set by it (as OpenSSL's cipher list).
    pub ciphers: Vec<String>,
}

/// PEM of a client certificate chain and its private key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClientCert {
    pub cert_pem: Arc<[u8]>,
    pub key_pem: Arc<[u8]>,
}

/// TLS versions offered to the backend (`proxy-ssl-protocols`); at least one is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TlsVersions {
    pub tls12: bool,
    pub tls13: bool,
}

/// nginx's `$proxy_host` in ingress-nginx's `proxy_pass http://upstream_balancer`.
pub const DEFAULT_PROXY_SSL_NAME: &str = "upstream_balancer";

// === impl ResponseRewrite ===

impl ResponseRewrite {
    /// Nothing to rewrite (the common case: the response is not looked at).
    pub fn is_empty(&self) -> bool {
        self.redirect.is_none() && self.cookie_domain.is_none() && self.cookie_path.is_none()
    }
}

// === impl UpstreamProtocol ===

impl UpstreamProtocol {
    /// The protocol of a request that came over TLS (`tls`) or not.
    pub fn resolve(self, tls: bool) -> Self {
        match self {
            Self::AutoHttp if tls => Self::Https,
            Self::AutoHttp => Self::Http,
            other => other,
        }
    }

    /// HTTP/2 toward the backend (the gRPC protocols).
    pub fn is_h2(self) -> bool {
        matches!(self, Self::Grpc | Self::Grpcs)
    }

    /// TLS toward the backend.
    pub fn is_tls(self) -> bool {
        matches!(self, Self::Https | Self::Grpcs)
    }

    /// ingress-nginx's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "HTTP",
            Self::Https => "HTTPS",
            Self::AutoHttp => "AUTO_HTTP",
            Self::Grpc => "GRPC",
            Self::Grpcs => "GRPCS",
        }
    }
}

// === impl TlsVersions ===

impl Default for TlsVersions {
    /// Both versions rustls implements (nginx's default list minus TLSv1 and TLSv1.1).
    fn default() -> Self {
        Self { tls12: true, tls13: true }
    }
}
