//! Global settings from the controller ConfigMap that the proxy reads at request time.

mod headers;

use std::time::Duration;

use crate::{
    AccessLogSettings, Compression, LbAlgorithm, LocationPolicy, TlsSettings, TracingSettings,
};

pub use headers::HeaderSettings;

/// ConfigMap-derived settings. Per-location defaults live in [`GlobalConfig::location_defaults`];
/// the compiler starts every location's policy from them before applying annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalConfig {
    /// `http-redirect-code`: 301, 302, 307 or 308 (default 308).
    pub http_redirect_code: u16,
    /// `use-forwarded-headers`: trust incoming X-Forwarded-Proto/-Port/-Host/-For.
    pub use_forwarded_headers: bool,
    /// `compute-full-forwarded-for`: append the peer to the incoming X-Forwarded-For.
    pub compute_full_forwarded_for: bool,
    /// How the client address (`$remote_addr`) is found: PROXY protocol, trusted proxies and
    /// the header naming the client.
    pub real_ip: RealIp,
    /// `allow-snippet-annotations`: read `configuration-snippet`/`server-snippet` (their safe
    /// subset); off by default, as ingress-nginx ≥ 1.9.
    pub allow_snippet_annotations: bool,
    /// `generate-request-id`: add X-Request-ID when the client sent none.
    pub generate_request_id: bool,
    /// `no-tls-redirect-locations`: location path prefixes exempt from HTTPS redirects.
    pub no_tls_redirect_locations: Vec<String>,
    /// `no-auth-locations`: location path prefixes exempt from authentication.
    pub no_auth_locations: Vec<String>,
    /// `allow-cross-namespace-resources`: annotations may reference Secrets of other namespaces.
    pub allow_cross_namespace_resources: bool,
    /// `load-balance`: default algorithm of every backend.
    pub load_balance: LbAlgorithm,
    /// Client connection limits: header/body/keep-alive timeouts and request-head sizes.
    pub client: ClientLimits,
    /// `worker-shutdown-timeout`: grace period of in-flight requests and upgraded connections
    /// on shutdown; `None` = the `--shutdown-grace-secs` flag decides.
    pub shutdown_grace: Option<Duration>,
    /// `upstream-keepalive-connections`: idle pooled connections kept per upstream host.
    pub upstream_keepalive_connections: usize,
    /// `upstream-keepalive-timeout`: how long a pooled upstream connection may stay idle.
    pub upstream_keepalive_timeout: Duration,
    pub hsts: Hsts,
    /// `use-gzip`, `enable-brotli` and their settings.
    pub compression: Compression,
    /// `ssl-protocols`, `ssl-ciphers`, `ssl-session-*`, `use-http2`, `http2-*`.
    pub tls: TlsSettings,
    /// `disable-access-log`, `access-log-path`, `log-format-upstream`, ...
    pub access_log: AccessLogSettings,
    /// `server-tokens`, `add-headers`, `proxy-set-headers`, `hide-headers`.
    pub headers: HeaderSettings,
    /// The statuses and defaults of the `limit-*` annotations.
    pub limits: LimitDefaults,
    /// OpenTelemetry export and sampling (`otlp-collector-*`, `otel-*`); whether a location
    /// traces is its policy's [`crate::LocationTracing`].
    pub tracing: TracingSettings,
    /// Defaults of every location (`ssl-redirect`, `proxy-body-size`, timeouts, ...).
    pub location_defaults: LocationPolicy,
}

/// nginx's realip settings as ingress-nginx renders them (`use-proxy-protocol`,
/// `proxy-real-ip-cidr`, `forwarded-for-header`, `enable-real-ip`; `use-forwarded-headers`
/// turns the header on too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealIp {
    /// `use-proxy-protocol`: every connection on the HTTP and HTTPS listeners starts with a
    /// PROXY protocol (v1 or v2) header; its source address is the client's.
    pub proxy_protocol: bool,
    /// `enable-real-ip`: the client address comes from [`RealIp::header`] (without trusting
    /// the other forwarded headers, which `use-forwarded-headers` does).
    pub enable: bool,
    /// `forwarded-for-header` (default `X-Forwarded-For`), lowercase.
    pub header: String,
    /// `proxy-real-ip-cidr` (default `0.0.0.0/0`): peers trusted to name the client; the
    /// header is walked from the right past trusted addresses (`real_ip_recursive on`).
    pub trusted: Vec<crate::IpNet>,
}

/// ConfigMap keys of the `limit-*` annotations (nginx's `limit_req_status`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitDefaults {
    /// `limit-req-status-code`: the answer past `limit-rps`/`limit-rpm` (503).
    pub req_status: u16,
    /// `limit-conn-status-code`: the answer past `limit-connections` (503).
    pub conn_status: u16,
    /// `limit-rate`: default of the annotation, in KB/s (0 = none).
    pub rate: u64,
    /// `limit-rate-after`: default of the annotation, in KB.
    pub rate_after: u64,
}

impl Default for LimitDefaults {
    fn default() -> Self {
        Self { req_status: 503, conn_status: 503, rate: 0, rate_after: 0 }
    }
}

/// What one client connection may cost, from the ConfigMap (nginx's `client_*` and
/// `keepalive_*` directives). Read when a connection is accepted; it keeps them to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// `client-header-timeout`: from accept (or the first byte of a later request) to the end
    /// of the request head.
    pub header_timeout: Duration,
    /// `client-body-timeout`: longest wait between two reads of the request body.
    pub body_timeout: Duration,
    /// `keep-alive`: idle time allowed between requests; zero disables keep-alive.
    pub keepalive: Duration,
    /// `keep-alive-requests`: requests served on one connection before it is closed.
    pub keepalive_requests: u64,
    /// `client-header-buffer-size`: nginx's first header buffer; validated, no limit of its own.
    pub header_buffer_size: u64,
    /// `large-client-header-buffers`: how many buffers of which size a request head may use.
    /// The request line and each header line must fit in one; the whole head in all of them.
    pub large_header_buffers: (u64, u64),
}

/// `Strict-Transport-Security` settings (`hsts`, `hsts-max-age`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hsts {
    pub enabled: bool,
    pub max_age: u64,
    pub include_subdomains: bool,
    pub preload: bool,
}

// === impl GlobalConfig ===

impl Default for GlobalConfig {
    fn default() -> Self {
        Self {
            http_redirect_code: 308,
            use_forwarded_headers: false,
            compute_full_forwarded_for: false,
            real_ip: RealIp::default(),
            allow_snippet_annotations: false,
            generate_request_id: true,
            no_tls_redirect_locations: vec!["/.well-known/acme-challenge".to_string()],
            no_auth_locations: vec!["/.well-known/acme-challenge".to_string()],
            allow_cross_namespace_resources: false,
            load_balance: LbAlgorithm::RoundRobin,
            client: ClientLimits::default(),
            shutdown_grace: None,
            upstream_keepalive_connections: 320,
            upstream_keepalive_timeout: Duration::from_secs(60),
            hsts: Hsts::default(),
            compression: Compression::default(),
            tls: TlsSettings::default(),
            access_log: AccessLogSettings::default(),
            headers: HeaderSettings::default(),
            limits: LimitDefaults::default(),
            tracing: TracingSettings::default(),
            location_defaults: LocationPolicy::default(),
        }
    }
}

impl Default for RealIp {
    fn default() -> Self {
        Self {
            proxy_protocol: false,
            enable: false,
            header: "x-forwarded-for".to_string(),
            trusted: vec![crate::IpNet::V4(Default::default())],
        }
    }
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(60),
            keepalive: Duration::from_secs(75),
            keepalive_requests: 1000,
            header_buffer_size: 1024,
            large_header_buffers: (4, 8192),
        }
    }
}

// === impl ClientLimits ===

impl ClientLimits {
    /// The longest request line or header line (one large buffer).
    pub fn line_max(&self) -> usize {
        usize::try_from(self.large_header_buffers.1).unwrap_or(usize::MAX)
    }

    /// The largest request head (all large buffers).
    pub fn head_max(&self) -> usize {
        let (count, size) = self.large_header_buffers;
        usize::try_from(count.saturating_mul(size)).unwrap_or(usize::MAX)
    }
}

impl Default for Hsts {
    fn default() -> Self {
        Self { enabled: true, max_age: 31_536_000, include_subdomains: true, preload: false }
    }
}

// === impl Hsts ===

impl Hsts {
    /// The header value, e.g. `max-age=31536000; includeSubDomains`.
    pub fn header_value(&self) -> String {
        let mut value = format!("max-age={}", self.max_age);
        if self.include_subdomains {
            value.push_str("; includeSubDomains");
        }
        if self.preload {
            value.push_str("; preload");
        }
        value
    }
}
