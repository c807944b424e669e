//! Global settings from the controller ConfigMap that the proxy reads at request time.

use std::time::Duration;

use crate::{LbAlgorithm, LocationPolicy};

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
    /// `keep-alive`: idle timeout of client connections.
    pub client_keepalive: Duration,
    /// `upstream-keepalive-connections`: idle pooled connections kept per upstream host.
    pub upstream_keepalive_connections: usize,
    /// `upstream-keepalive-timeout`: how long a pooled upstream connection may stay idle.
    pub upstream_keepalive_timeout: Duration,
    pub hsts: Hsts,
    /// Defaults of every location (`ssl-redirect`, `proxy-body-size`, timeouts, ...).
    pub location_defaults: LocationPolicy,
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
            generate_request_id: true,
            no_tls_redirect_locations: vec!["/.well-known/acme-challenge".to_string()],
            no_auth_locations: vec!["/.well-known/acme-challenge".to_string()],
            allow_cross_namespace_resources: false,
            load_balance: LbAlgorithm::RoundRobin,
            client_keepalive: Duration::from_secs(75),
            upstream_keepalive_connections: 320,
            upstream_keepalive_timeout: Duration::from_secs(60),
            hsts: Hsts::default(),
            location_defaults: LocationPolicy::default(),
        }
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
