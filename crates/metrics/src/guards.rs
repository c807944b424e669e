//! Portico's counters of the request guards that have no ingress-nginx metric: the auth caches
//! (`portico_auth_cache_lookups_total`) and the `limit-*` rejections
//! (`portico_limit_rejections_total`).
//!
//! Every series is created before the request path needs it (the auth caches' when the
//! registry is built, an Ingress's rejection counters when a table is swapped in), so recording
//! is one relaxed atomic add: no hashing, no lock, no allocation per request.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// Hits and misses of one cache. `Default` counters are not exported (for tests and callers
/// without a registry).
#[derive(Debug, Clone, Default)]
pub struct CacheCounters {
    /// Lookups answered from the cache.
    pub hit: Counter,
    /// Lookups that had to do the work (verify the hash, ask the auth service).
    pub miss: Counter,
}

/// The two auth caches' counters.
#[derive(Debug, Clone, Default)]
pub struct AuthCacheCounters {
    /// Basic auth's verified-credentials cache (one lookup per request naming a known user).
    pub basic: CacheCounters,
    /// External auth's `auth-cache-key` answer cache (one lookup per request of a location
    /// with a cache key).
    pub external: CacheCounters,
}

/// The rejection counters of one Ingress, one per limit kind. `Default` counters are not
/// exported.
#[derive(Debug, Clone, Default)]
pub struct LimitRejections {
    /// Refused by `limit-rps`.
    pub rps: Counter,
    /// Refused by `limit-rpm`.
    pub rpm: Counter,
    /// Refused by `limit-connections`.
    pub connections: Counter,
}

/// The registered families and the prepared auth cache counters.
#[derive(Debug)]
pub(crate) struct Guards {
    auth_cache: AuthCacheCounters,
    limits: Family<LimitLabels, Counter>,
}

/// Label set of `portico_auth_cache_lookups_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    result: &'static str,
}

/// Label set of `portico_limit_rejections_total`: the kind and the Ingress (`namespace/name`),
/// never the client.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitLabels {
    kind: &'static str,
    ingress: String,
}

// === impl CacheCounters ===

impl CacheCounters {
    /// Counts one lookup.
    pub fn record(&self, hit: bool) {
        if hit { &self.hit } else { &self.miss }.inc();
    }
}

// === impl Guards ===

impl Guards {
    /// Registers both families in `registry` (prefixed `portico_`).
    pub(crate) fn register(registry: &mut Registry) -> Self {
        let lookups = Family::<CacheLabels, Counter>::default();
        registry.register(
            "auth_cache_lookups",
            "Auth cache lookups by cache (basic: verified credentials; external: auth-cache-key \
             answers) and result (hit, miss)",
            lookups.clone(),
        );
        // One series per call: `get_or_create`'s read guard must be gone before the next
        // call takes the write lock.
        let series = |cache, result| lookups.get_or_create(&CacheLabels { cache, result }).clone();
        let counters =
            |cache| CacheCounters { hit: series(cache, "hit"), miss: series(cache, "miss") };
        let auth_cache =
            AuthCacheCounters { basic: counters("basic"), external: counters("external") };
        let limits = Family::<LimitLabels, Counter>::default();
        registry.register(
            "limit_rejections",
            "Requests refused by limit-rps, limit-rpm or limit-connections, by kind (rps, rpm, \
             connections) and Ingress (namespace/name)",
            limits.clone(),
        );
        Self { auth_cache, limits }
    }

    /// The auth caches' counters (cloning shares them).
    pub(crate) fn auth_cache(&self) -> AuthCacheCounters {
        self.auth_cache.clone()
    }

    /// The rejection counters of `ingress`. Hashes and allocates: call at swap time.
    pub(crate) fn limit_rejections(&self, ingress: &Arc<str>) -> LimitRejections {
        let get = |kind| {
            let labels = LimitLabels { kind, ingress: ingress.to_string() };
            self.limits.get_or_create(&labels).clone()
        };
        LimitRejections { rps: get("rps"), rpm: get("rpm"), connections: get("connections") }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use crate::Metrics;

    #[test]
    fn auth_cache_lookups_and_limit_rejections_are_exported() {
        let m = Metrics::new();
        let cache = m.auth_cache();
        cache.basic.record(true);
        cache.basic.record(true);
        cache.basic.record(false);
        cache.external.record(false);
        let web = m.limit_rejections(&"default/web".into());
        web.rps.inc();
        web.connections.inc_by(2);
        // Taken again at the next swap: the same series.
        m.limit_rejections(&"default/web".into()).rps.inc();
        let text = m.encode();
        for line in [
            r#"portico_auth_cache_lookups_total{cache="basic",result="hit"} 2"#,
            r#"portico_auth_cache_lookups_total{cache="basic",result="miss"} 1"#,
            r#"portico_auth_cache_lookups_total{cache="external",result="hit"} 0"#,
            r#"portico_auth_cache_lookups_total{cache="external",result="miss"} 1"#,
            r#"portico_limit_rejections_total{kind="rps",ingress="default/web"} 2"#,
            r#"portico_limit_rejections_total{kind="rpm",ingress="default/web"} 0"#,
            r#"portico_limit_rejections_total{kind="connections",ingress="default/web"} 2"#,
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }
}
