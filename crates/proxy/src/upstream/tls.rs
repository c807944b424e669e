//! TLS toward backends: the rustls client configurations of one table, built when it is
//! swapped in (never per request), and the handshake on a fresh TCP connection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use portico_model::{RouteTable, UpstreamTls};
use portico_tls::rustls::pki_types::ServerName;
use portico_tls::rustls::ClientConfig;
use portico_tls::tokio_rustls::client::TlsStream;
use portico_tls::tokio_rustls::TlsConnector;
use tokio::net::TcpStream;

use crate::error::ProxyError;

/// Unique per built configuration, so a pooled connection is only handed to a location whose
/// settings are those it was made with ([`Connectors::inherit`] keeps ids of unchanged ones).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One location's TLS settings, ready to handshake.
#[derive(Debug, Clone)]
pub(crate) struct Connector {
    /// Identifies the settings in pool keys.
    pub id: u64,
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

/// Every configuration of a table: nginx's defaults (no `proxy-ssl-secret`) and one per
/// distinct [`UpstreamTls`] of its locations, each for HTTP/1.1 and for h2 (ALPN).
#[derive(Debug, Default)]
pub(crate) struct Connectors {
    default: Option<[Connector; 2]>,
    /// Keyed by the address of the table's `Arc<UpstreamTls>`, which the entry holds: the
    /// address stays valid and distinct while the entry lives.
    by_settings: HashMap<usize, (Arc<UpstreamTls>, [Connector; 2])>,
}

// === impl Connectors ===

impl Connectors {
    /// Builds the configurations of `table`. Settings that do not build (the compiler already
    /// denied such locations) are logged and left out: their requests fail with 502.
    pub(crate) fn build(table: &RouteTable) -> Self {
        let mut connectors = Self { default: pair(None), by_settings: HashMap::new() };
        let servers = table.servers.iter().chain(std::iter::once(&table.default_server));
        for location in servers.flat_map(|s| &s.locations) {
            let Some(tls) = &location.policy.upstream.tls else { continue };
            let key = Arc::as_ptr(tls) as usize;
            if connectors.by_settings.contains_key(&key) {
                continue;
            }
            if let Some(built) = pair(Some(tls)) {
                connectors.by_settings.insert(key, (Arc::clone(tls), built));
            }
        }
        connectors
    }

    /// Takes over `previous`'s connectors for settings that did not change, so a rebuild (an
    /// endpoint change, another Ingress) keeps pooled connections and TLS sessions.
    pub(crate) fn inherit(&mut self, previous: &Connectors) {
        if previous.default.is_some() {
            self.default.clone_from(&previous.default);
        }
        let old: HashMap<&UpstreamTls, &[Connector; 2]> =
            previous.by_settings.values().map(|(tls, pair)| (tls.as_ref(), pair)).collect();
        for (tls, pair) in self.by_settings.values_mut() {
            if let Some(kept) = old.get(tls.as_ref()) {
                pair.clone_from(kept);
            }
        }
    }

    /// The connector of a location's settings, for HTTP/1.1 or h2.
    pub(crate) fn get(&self, tls: Option<&Arc<UpstreamTls>>, h2: bool) -> Option<&Connector> {
        let pair = match tls {
            None => self.default.as_ref()?,
            Some(tls) => &self.by_settings.get(&(Arc::as_ptr(tls) as usize))?.1,
        };
        Some(&pair[usize::from(h2)])
    }
}

/// The HTTP/1.1 and h2 connectors of `tls`.
fn pair(tls: Option<&Arc<UpstreamTls>>) -> Option<[Connector; 2]> {
    let build = |h2| -> Result<Connector, portico_tls::UpstreamTlsError> {
        let config = portico_tls::upstream_client_config(tls.map(Arc::as_ref), h2)?;
        let name = portico_tls::upstream_server_name(tls.map(Arc::as_ref))?;
        Ok(Connector { id: NEXT_ID.fetch_add(1, Ordering::Relaxed), config, name })
    };
    match (build(false), build(true)) {
        (Ok(h1), Ok(h2)) => Some([h1, h2]),
        (Err(error), _) | (_, Err(error)) => {
            let secret = tls.map(|t| t.secret.to_string()).unwrap_or_default();
            tracing::error!(%error, %secret, "upstream TLS settings do not build");
            None
        }
    }
}

// === impl Connector ===

impl Connector {
    /// Runs the TLS handshake on `tcp` (bounded by the caller's connect timeout).
    pub(crate) async fn handshake(
        &self,
        addr: SocketAddr,
        tcp: TcpStream,
    ) -> Result<TlsStream<TcpStream>, ProxyError> {
        let connector = TlsConnector::from(Arc::clone(&self.config));
        connector
            .connect(self.name.clone(), tcp)
            .await
            .map_err(|source| ProxyError::UpstreamTls { addr, source })
    }
}
