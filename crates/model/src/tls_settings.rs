//! TLS and HTTP/2 settings of the client listeners from the controller ConfigMap
//! (`ssl-protocols`, `ssl-ciphers`, `ssl-session-*`, `use-http2`, `http2-*`).

/// How the https listener negotiates (nginx's `ssl_*` directives as ingress-nginx renders
/// them). Invariant: at least one of `tls12`/`tls13` is on, `tls12_suites` is not empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// `ssl-protocols` offers TLSv1.2.
    pub tls12: bool,
    /// `ssl-protocols` offers TLSv1.3.
    pub tls13: bool,
    /// `ssl-ciphers`: the TLS 1.2 suites offered, IANA names in server preference order (as
    /// OpenSSL's `ssl_ciphers`, it leaves TLS 1.3's suites alone).
    pub tls12_suites: Vec<String>,
    /// `ssl-session-cache`: resume sessions from a server-side cache.
    pub session_cache: bool,
    /// `ssl-session-cache-size`, as a number of sessions (nginx: about 4000 per megabyte).
    pub session_cache_entries: usize,
    /// `ssl-session-tickets`: stateless TLS session tickets (off, as ingress-nginx).
    pub session_tickets: bool,
    /// `use-http2` (on): ALPN offers `h2` and cleartext connections may speak h2c.
    pub http2: bool,
    /// `http2-max-concurrent-streams` (128).
    pub http2_max_concurrent_streams: u32,
}

/// ingress-nginx's default `ssl-ciphers`, mapped: its ECDHE suites in its order (its DHE
/// suites have no rustls implementation).
pub const DEFAULT_TLS12_SUITES: [&str; 6] = [
    "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
    "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
];

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            tls12: true,
            tls13: true,
            tls12_suites: DEFAULT_TLS12_SUITES.iter().map(|s| s.to_string()).collect(),
            session_cache: true,
            session_cache_entries: 40_960,
            session_tickets: false,
            http2: true,
            http2_max_concurrent_streams: 128,
        }
    }
}
