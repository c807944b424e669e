//! The rustls server configuration of the https listener (§3.3).

use std::sync::Arc;

use rustls::server::danger::ClientCertVerifier;
use rustls::server::ServerSessionMemoryCache;
use rustls::ServerConfig;

use crate::error::Error;
use crate::resolver::SniResolver;

/// Sessions kept for resumption (TLS 1.2 session IDs, TLS 1.3 stateful tickets); roughly what
/// nginx's `ssl_session_cache shared:SSL:10m` holds.
pub const SESSION_CACHE_SIZE: usize = 10_240;

/// ALPN protocols offered, in server preference order.
pub const ALPN_PROTOCOLS: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// TLS 1.2 and 1.3 with the `ring` provider's default cipher suites, ALPN `h2` then
/// `http/1.1`, certificates from `resolver`, no client authentication.
///
/// Session resumption uses a server-side cache, like ingress-nginx (`ssl-session-tickets` is
/// off there by default): TLS 1.3 tickets are stateful references into that cache, and no
/// ticket encryption key exists to rotate or leak.
pub fn server_config(resolver: Arc<SniResolver>) -> Result<Arc<ServerConfig>, Error> {
    build_server_config(resolver, None, SESSION_CACHE_SIZE)
}

/// [`server_config`], asking for client certificates when `client` is given (a host with
/// `auth-tls-*`), with its own session cache of `sessions` entries: sessions never resume
/// across hosts with different client verification.
pub(crate) fn build_server_config(
    resolver: Arc<SniResolver>,
    client: Option<Arc<dyn ClientCertVerifier>>,
    sessions: usize,
) -> Result<Arc<ServerConfig>, Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
    let builder = match client {
        Some(verifier) => builder.with_client_cert_verifier(verifier),
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(resolver);
    config.alpn_protocols = ALPN_PROTOCOLS.iter().map(|p| p.to_vec()).collect();
    config.session_storage = ServerSessionMemoryCache::new(sessions);
    config.ignore_client_order = false;
    Ok(Arc::new(config))
}
