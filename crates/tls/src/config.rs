//! The rustls server configuration of the https listener (§3.3), from the ConfigMap's TLS
//! settings ([`TlsSettings`]: `ssl-protocols`, `ssl-ciphers`, `ssl-session-*`, `use-http2`).

use std::sync::Arc;

use portico_model::TlsSettings;
use rustls::crypto::CryptoProvider;
use rustls::server::danger::ClientCertVerifier;
use rustls::server::NoServerSessionStorage;
use rustls::{ServerConfig, SupportedCipherSuite};

use crate::error::Error;
use crate::resolver::SniResolver;

/// Sessions kept for resumption with the default settings (TLS 1.2 session IDs, TLS 1.3
/// stateful tickets): what nginx's `ssl_session_cache shared:SSL:10m` holds.
pub const SESSION_CACHE_SIZE: usize = 40_960;

/// ALPN protocols offered, in server preference order (`use-http2: true`).
pub const ALPN_PROTOCOLS: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// [`server_config_with`] the default settings: TLS 1.2 and 1.3, ingress-nginx's suites, ALPN
/// `h2` then `http/1.1`, a session cache and no tickets.
pub fn server_config(resolver: Arc<SniResolver>) -> Result<Arc<ServerConfig>, Error> {
    server_config_with(resolver, &TlsSettings::default())
}

/// The configuration of every host that asks for no client certificate: versions and TLS 1.2
/// suites of `settings` (TLS 1.3 suites always all, as OpenSSL's `ssl_ciphers`), ALPN by
/// `use-http2`, certificates from `resolver`.
///
/// Session resumption uses a server-side cache, like ingress-nginx (`ssl-session-tickets` is
/// off there by default): TLS 1.3 tickets are stateful references into that cache, and no
/// ticket encryption key exists to rotate or leak unless tickets are turned on.
pub fn server_config_with(
    resolver: Arc<SniResolver>,
    settings: &TlsSettings,
) -> Result<Arc<ServerConfig>, Error> {
    build_server_config(resolver, None, settings.session_cache_entries, settings)
}

/// [`server_config_with`], asking for client certificates when `client` is given (a host with
/// `auth-tls-*`), with its own session cache of `sessions` entries: sessions never resume
/// across hosts with different client verification.
pub(crate) fn build_server_config(
    resolver: Arc<SniResolver>,
    client: Option<Arc<dyn ClientCertVerifier>>,
    sessions: usize,
    settings: &TlsSettings,
) -> Result<Arc<ServerConfig>, Error> {
    let provider = Arc::new(provider(settings));
    let mut versions = Vec::with_capacity(2);
    if settings.tls13 {
        versions.push(&rustls::version::TLS13);
    }
    if settings.tls12 {
        versions.push(&rustls::version::TLS12);
    }
    let builder =
        ServerConfig::builder_with_provider(provider).with_protocol_versions(&versions)?;
    let builder = match client {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(resolver);
    config.alpn_protocols = match settings.http2 {
        true => ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect(),
        false => vec![b"http/1.1".to_vec()],
    };
    if settings.session_cache {
        config.session_storage = Arc::new(crate::sessions::SessionCache::new(sessions));
    } else {
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
    }
    if settings.session_tickets {
        config.ticketer = rustls::crypto::ring::Ticketer::new()?;
        config.send_tls13_tickets = config.send_tls13_tickets.max(1);
    }
    // nginx's `ssl_prefer_server_ciphers`: the first suite of ours the client offers.
    config.ignore_client_order = settings.prefer_server_ciphers;
    Ok(Arc::new(config))
}

/// The `ring` provider with every TLS 1.3 suite and the TLS 1.2 suites named by `settings`,
/// in its order. Names rustls does not know were dropped by the ConfigMap parser; should none
/// remain, the provider's own TLS 1.2 suites are kept (the parser never allows that).
fn provider(settings: &TlsSettings) -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    let all = std::mem::take(&mut provider.cipher_suites);
    let is_tls13 = |s: &SupportedCipherSuite| matches!(s, SupportedCipherSuite::Tls13(_));
    let mut suites: Vec<_> = all.iter().copied().filter(is_tls13).collect();
    let named = settings.tls12_suites.iter().filter_map(|name| {
        all.iter().find(|s| !is_tls13(s) && s.suite().as_str() == Some(name.as_str()))
    });
    suites.extend(named.copied());
    if suites.iter().all(is_tls13) {
        suites.extend(all.iter().copied().filter(|s| !is_tls13(s)));
    }
    provider.cipher_suites = suites;
    provider
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn every_default_suite_name_is_a_rustls_suite() {
        let provider = provider(&TlsSettings::default());
        let names: Vec<_> =
            provider.cipher_suites.iter().filter_map(|s| s.suite().as_str()).collect();
        for name in portico_model::DEFAULT_TLS12_SUITES {
            assert!(names.contains(&name), "{name} in {names:?}");
        }
        assert!(names.iter().any(|n| n.starts_with("TLS13_")), "TLS 1.3 suites kept");
    }

    #[test]
    fn named_suites_only_in_their_order() {
        let settings = TlsSettings {
            tls12_suites: vec![
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256".into(),
                "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256".into(),
            ],
            ..TlsSettings::default()
        };
        let provider = provider(&settings);
        let tls12: Vec<_> = provider
            .cipher_suites
            .iter()
            .filter(|s| matches!(s, SupportedCipherSuite::Tls12(_)))
            .filter_map(|s| s.suite().as_str())
            .collect();
        assert_eq!(tls12, settings.tls12_suites);
    }
}
