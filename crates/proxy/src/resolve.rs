//! ExternalName backends (`Endpoint::Dns`): names resolved off the request path.
//!
//! One [`Resolver`] per [`crate::Proxy`], shared by every worker. Each name has one refresh
//! task (on the runtime that built the resolver, the control plane's) that looks the name up,
//! keeps the answer for its TTL (bounded by [`DnsSettings::min_ttl`] and
//! [`DnsSettings::max_ttl`]) and looks it up again shortly before the TTL runs out — the
//! behaviour of ingress-nginx, whose Lua balancer re-resolves ExternalName backends every
//! second through a cache that keeps each answer for its TTL. A request only reads the
//! current addresses: a map lookup, an atomic load and, for a name with several addresses, one
//! atomic increment (round robin over all A/AAAA addresses, as ingress-nginx turns each
//! address into an endpoint of the default round-robin balancer). It waits for DNS only when
//! it is the first request for a name that no table listed before.
//!
//! Invariants: at most one refresh task per name; a name is refreshed while the live table
//! lists it ([`Resolver::track`]) or requests used it since the previous refresh, and dropped
//! otherwise (at most [`MAX_NAMES`] names are kept; past that, a name is looked up for each
//! request, as it was before). When a lookup fails the last good addresses are served for
//! [`DnsSettings::stale`] past their expiry, then requests fail with
//! [`ProxyError::Resolve`] until a lookup succeeds again (ingress-nginx fails at once).

mod name;
mod refresh;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::TokioResolver;
use portico_model::{Endpoint, RouteTable};

use crate::error::ProxyError;

use self::name::Name;

/// Most names kept; each new one copies the map, and requests can bring names of their own.
const MAX_NAMES: usize = 4096;

/// Where names are resolved and how long answers are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsSettings {
    /// Name servers to ask instead of `/etc/resolv.conf`'s (empty: the system's). `/etc/hosts`
    /// is read either way.
    pub nameservers: Vec<SocketAddr>,
    /// Shortest time an answer is kept, whatever its TTL (nginx's resolver keeps at least 1 s).
    pub min_ttl: Duration,
    /// Longest time an answer is kept before it is looked up again.
    pub max_ttl: Duration,
    /// How long past its expiry the last good answer is still used while lookups fail.
    pub stale: Duration,
}

impl Default for DnsSettings {
    fn default() -> Self {
        Self {
            nameservers: Vec::new(),
            min_ttl: Duration::from_secs(1),
            max_ttl: Duration::from_secs(300),
            stale: Duration::from_secs(30),
        }
    }
}

/// The cache of resolved ExternalName hosts. See the module doc.
pub struct Resolver {
    inner: Arc<Inner>,
}

/// What the refresh tasks share with the resolver.
struct Inner {
    dns: Option<TokioResolver>,
    /// Why `dns` could not be built (bad resolv.conf): the reason every lookup fails with.
    broken: Option<String>,
    settings: DnsSettings,
    /// Replaced whole when a name is added or dropped (rare); read per request without a lock.
    names: ArcSwap<HashMap<Box<str>, Arc<Name>>>,
    /// Where refresh tasks run; `None`: the runtime of the request that needs one.
    runtime: Option<tokio::runtime::Handle>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names = self.inner.names.load();
        f.debug_struct("Resolver").field("names", &names.len()).finish_non_exhaustive()
    }
}

// === impl Resolver ===

impl Resolver {
    /// A resolver with `settings`; refresh tasks will run on the current runtime, if any.
    pub fn new(settings: DnsSettings) -> Self {
        let (dns, broken) = match build(&settings) {
            Ok(dns) => (Some(dns), None),
            Err(reason) => {
                tracing::error!(%reason, "DNS resolver unavailable: ExternalName backends fail");
                (None, Some(reason))
            }
        };
        let runtime = tokio::runtime::Handle::try_current().ok();
        let inner = Inner { dns, broken, settings, names: ArcSwap::default(), runtime };
        Self { inner: Arc::new(inner) }
    }

    /// The address for the next connection to `host:port`: the host's current addresses in
    /// turn. Waits only for the first lookup of a name nothing asked for before.
    pub(crate) async fn addr(&self, host: &str, port: u16) -> Result<SocketAddr, ProxyError> {
        let known = {
            let names = self.inner.names.load();
            let name = names.get(host);
            let ip = name.and_then(|name| {
                name.used();
                name.pick()
            });
            if let Some(ip) = ip {
                return Ok(SocketAddr::new(ip, port)); // the hot path: no reference count touched
            }
            name.map(Arc::clone)
        };
        let ip = match known {
            Some(name) => {
                self.inner.start(host, &name);
                name.first_answer().await
            }
            // Names from requests (a `mirror-target` with variables) must not grow the map
            // without bound: past the cap they are looked up every time, as before.
            None if self.inner.names.load().len() >= MAX_NAMES => {
                refresh::lookup(&self.inner, host).await.and_then(|(ips, _)| {
                    ips.first().copied().ok_or_else(|| "no addresses".to_string())
                })
            }
            None => self.inner.add(host, false).first_answer().await,
        };
        ip.map(|ip| SocketAddr::new(ip, port))
            .map_err(|reason| ProxyError::Resolve { host: host.to_string(), reason })
    }

    /// Keeps the names of `table`'s ExternalName backends resolved (looking up new ones now,
    /// so that their first request does not wait); names the table dropped are refreshed
    /// only while requests still use them. Called on every table swap.
    pub fn track(&self, table: &RouteTable) {
        let listed: std::collections::HashSet<&str> = table
            .backends
            .iter()
            .flat_map(|backend| &backend.endpoints)
            .filter_map(|endpoint| match endpoint {
                Endpoint::Dns { host, .. } => Some(host.as_str()),
                Endpoint::Addr(_) => None,
            })
            .collect();
        for (host, name) in self.inner.names.load().iter() {
            name.pin(listed.contains(&**host));
        }
        for host in listed {
            match self.inner.names.load().get(host) {
                Some(name) => name.pin(true),
                None => drop(self.inner.add(host, true)),
            }
        }
    }

    /// Names resolved or being resolved (for tests and diagnostics).
    pub fn len(&self) -> usize {
        self.inner.names.load().len()
    }

    /// Whether no name is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for Resolver {
    fn default() -> Self {
        Self::new(DnsSettings::default())
    }
}

// === impl Inner ===

impl Inner {
    /// The entry for `host`, added with its refresh task unless another caller added it first.
    fn add(self: &Arc<Self>, host: &str, pinned: bool) -> Arc<Name> {
        let mut added = None;
        self.names.rcu(|names| {
            let mut names = HashMap::clone(names);
            let name = names.entry(host.into()).or_insert_with(|| Arc::new(Name::new(pinned)));
            added = Some(Arc::clone(name));
            names
        });
        let name = added.unwrap_or_else(|| Arc::new(Name::new(pinned)));
        self.start(host, &name);
        name
    }

    /// Starts the refresh task of `name` unless it runs already. Without a runtime (a table
    /// swapped outside one) it is left to the first request.
    fn start(self: &Arc<Self>, host: &str, name: &Arc<Name>) {
        let runtime = self.runtime.clone().or_else(|| tokio::runtime::Handle::try_current().ok());
        let Some(runtime) = runtime else { return };
        if name.start() {
            let task = refresh::run(Arc::downgrade(self), host.into(), Arc::downgrade(name));
            drop(runtime.spawn(task));
        }
    }

    /// Drops `host` from the map, if it is still `name`.
    fn remove(&self, host: &str, name: &Arc<Name>) {
        self.names.rcu(|names| {
            let mut names = HashMap::clone(names);
            if names.get(host).is_some_and(|current| Arc::ptr_eq(current, name)) {
                names.remove(host);
            }
            names
        });
    }
}

/// hickory's resolver for `settings`: the system's configuration, or the given name servers.
/// Its own cache is off: answers are kept here, for their (bounded) TTL.
fn build(settings: &DnsSettings) -> Result<TokioResolver, String> {
    let provider = TokioRuntimeProvider::default();
    let mut builder = if settings.nameservers.is_empty() {
        TokioResolver::builder(provider).map_err(|e| format!("/etc/resolv.conf: {e}"))?
    } else {
        let config = ResolverConfig::from_name_servers(
            settings.nameservers.iter().map(nameserver).collect(),
        );
        TokioResolver::builder_with_config(config, provider)
    };
    let options = builder.options_mut();
    options.cache_size = 0;
    options.positive_min_ttl = Some(settings.min_ttl);
    options.positive_max_ttl = Some(settings.max_ttl);
    builder.build().map_err(|e| e.to_string())
}

/// A name server at `addr`, over UDP then TCP (a truncated answer).
fn nameserver(addr: &SocketAddr) -> NameServerConfig {
    let mut config = NameServerConfig::udp_and_tcp(addr.ip());
    for connection in &mut config.connections {
        connection.port = addr.port();
    }
    config
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
