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
    /// The server's suite order decides, not the client's (nginx's `ssl_prefer_server_ciphers`;
    /// off for the listener, a host turns it on with `ssl-prefer-server-ciphers`).
    pub prefer_server_ciphers: bool,
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
            prefer_server_ciphers: false,
            session_cache: true,
            session_cache_entries: 40_960,
            session_tickets: false,
            http2: true,
            http2_max_concurrent_streams: 128,
        }
    }
}

/// `ssl-ciphers` and `ssl-prefer-server-ciphers` of one host (nginx's server-level
/// `ssl_ciphers` and `ssl_prefer_server_ciphers`, from the oldest Ingress of the host setting
/// each): what its TLS handshakes (chosen by SNI) use instead of the listener's settings.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HostTls {
    /// The TLS 1.2 suites, IANA names in preference order (never empty); `None`: the
    /// ConfigMap's `ssl-ciphers`.
    pub tls12_suites: Option<Vec<String>>,
    /// `None`: the listener's order rule.
    pub prefer_server_ciphers: Option<bool>,
}

// === impl HostTls ===

impl HostTls {
    /// The host keeps the listener's settings.
    pub fn is_default(&self) -> bool {
        self.tls12_suites.is_none() && self.prefer_server_ciphers.is_none()
    }

    /// `listener` with this host's overrides.
    pub fn apply(&self, listener: &TlsSettings) -> TlsSettings {
        let mut settings = listener.clone();
        if let Some(suites) = &self.tls12_suites {
            settings.tls12_suites.clone_from(suites);
        }
        if let Some(prefer) = self.prefer_server_ciphers {
            settings.prefer_server_ciphers = prefer;
        }
        settings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_overrides_only_what_it_sets() {
        let listener = TlsSettings::default();
        assert!(HostTls::default().is_default());
        assert_eq!(HostTls::default().apply(&listener), listener);
        let suites = vec!["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".to_string()];
        let host = HostTls { tls12_suites: Some(suites.clone()), prefer_server_ciphers: None };
        let applied = host.apply(&listener);
        assert_eq!(applied.tls12_suites, suites);
        assert!(!applied.prefer_server_ciphers);
        let host = HostTls { tls12_suites: None, prefer_server_ciphers: Some(true) };
        assert!(host.apply(&listener).prefer_server_ciphers);
        assert_eq!(host.apply(&listener).tls12_suites, listener.tls12_suites);
    }
}
