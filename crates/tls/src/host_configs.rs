//! Per-host cipher settings (`ssl-ciphers`, `ssl-prefer-server-ciphers`: nginx's server-level
//! `ssl_ciphers` and `ssl_prefer_server_ciphers`): the handshake configuration of each host
//! whose TLS settings differ from the listener's, chosen by SNI after the ClientHello is read.
//! Hosts asking for client certificates are not here: [`crate::ClientAuthStore`] builds theirs
//! with the same host settings.

use std::sync::Arc;

use portico_model::{RouteTable, TlsSettings};
use rustls::ServerConfig;

use crate::config::build_server_config;
use crate::error::Error;
use crate::resolver::SniResolver;
use crate::sni_map::SniMap;

/// The configurations of one table's hosts with their own cipher settings. Immutable; swapped
/// whole with the table. Hosts with equal settings share one configuration (and its session
/// cache); a rebuild keeps the configurations of settings that did not change.
#[derive(Default)]
pub struct HostConfigs {
    /// `None` for a host: the listener's configuration.
    configs: SniMap<Arc<ServerConfig>>,
    /// Every configuration built, with the settings it was built from.
    built: Vec<(TlsSettings, Arc<ServerConfig>)>,
}

// === impl HostConfigs ===

impl HostConfigs {
    /// The hosts of `table` whose [`portico_model::HostTls`] changes the listener's settings
    /// and that ask for no client certificate, with configurations over `resolver`. Settings
    /// rustls refuses are returned with the host (which then keeps the listener's).
    pub fn build(
        table: &RouteTable,
        resolver: &Arc<SniResolver>,
        previous: &HostConfigs,
    ) -> (HostConfigs, Vec<(String, Error)>) {
        let listener = &table.global.tls;
        let mut built: Vec<(TlsSettings, Arc<ServerConfig>)> = Vec::new();
        let mut errors = Vec::new();
        let configs = SniMap::build(table, |server| {
            let asks_certificate =
                server.client_auth.as_ref().is_some_and(|a| a.verify.requests_certificate());
            if server.tls.is_default() || asks_certificate {
                return None;
            }
            let settings = server.tls.apply(listener);
            if settings == *listener {
                return None;
            }
            let known = built.iter().chain(&previous.built).find(|(s, _)| *s == settings);
            if let Some((_, config)) = known {
                let config = Arc::clone(config);
                if !built.iter().any(|(s, _)| *s == settings) {
                    built.push((settings, Arc::clone(&config)));
                }
                return Some(config);
            }
            let sessions = settings.session_cache_entries;
            match build_server_config(resolver.clone(), None, sessions, &settings) {
                Ok(config) => {
                    built.push((settings, Arc::clone(&config)));
                    Some(config)
                }
                Err(error) => {
                    errors.push((server.host.to_string(), error));
                    None
                }
            }
        });
        (HostConfigs { configs, built }, errors)
    }

    /// The configuration of a handshake with this SNI when its host has its own (exact host,
    /// one-label wildcard, then the `_` server's); `None`: the listener's.
    pub fn lookup(&self, sni: Option<&str>) -> Option<&Arc<ServerConfig>> {
        self.configs.lookup(sni)
    }

    /// Every host uses the listener's configuration.
    pub fn is_empty(&self) -> bool {
        self.configs.is_empty()
    }
}

impl std::fmt::Debug for HostConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostConfigs")
            .field("hosts", &self.configs.hosts())
            .field("default", &self.configs.has_default())
            .field("configurations", &self.built.len())
            .finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
