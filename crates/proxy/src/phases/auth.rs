//! Phase 9, basic authentication (§2.4). Credentials are checked against the location's
//! htpasswd users with `portico_htpasswd` (the user found by one map lookup); successes are cached per Secret version, so a
//! repeated request costs one keyed hash and a map lookup instead of a bcrypt run.
//!
//! Invariants: a hash is verified only off the async runtime (`spawn_blocking`) and at most
//! [`Authenticator::max_parallel`] at a time, so a flood of wrong passwords queues instead of
//! exhausting the blocking pool; only successes are cached; the cache key carries the Secret
//! version, so a changed or removed user is refused from the first request on the new table.

use std::collections::HashSet;
use std::sync::Arc;

use http::HeaderValue;
use portico_htpasswd::{parse_basic_authorization, verify, CredentialCache, HashError};
use portico_metrics::CacheCounters;
use portico_model::{BasicAuth, RouteTable};
use tokio::sync::Semaphore;

/// Outcome of checking a request's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Answer 401 with `WWW-Authenticate: Basic realm="<realm>"`.
    Deny,
    /// The stored hash makes nginx fail (see [`HashError::is_server_error`]): answer 500.
    Fail,
}

/// Checks Basic credentials; one per [`crate::Proxy`], shared by every request and table.
#[derive(Debug)]
pub struct Authenticator {
    cache: CredentialCache,
    permits: Semaphore,
    max_parallel: usize,
    /// `portico_auth_cache_lookups_total{cache="basic"}`.
    lookups: CacheCounters,
}

// === impl Authenticator ===

impl Authenticator {
    /// At most `max_parallel` hash verifications run at once; `cache` keeps the successes.
    pub fn new(cache: CredentialCache, max_parallel: usize) -> Self {
        let max_parallel = max_parallel.max(1);
        let lookups = CacheCounters::default();
        Self { cache, permits: Semaphore::new(max_parallel), max_parallel, lookups }
    }

    /// The default authenticator, counting its cache lookups in `lookups`.
    pub fn counted(lookups: CacheCounters) -> Self {
        Self { lookups, ..Self::default() }
    }

    /// Verifications allowed at once.
    pub fn max_parallel(&self) -> usize {
        self.max_parallel
    }

    /// Checks an `Authorization` header against a location's users.
    pub async fn check(
        &self,
        auth: &Arc<BasicAuth>,
        authorization: Option<&HeaderValue>,
    ) -> Verdict {
        let Some((user, password)) =
            authorization.and_then(|value| parse_basic_authorization(value.as_bytes()))
        else {
            return Verdict::Deny;
        };
        let Some(hash) = auth.users.get(user.as_str()) else {
            return Verdict::Deny;
        };
        let cached = self.cache.check(&auth.secret_version, &user, &password);
        self.lookups.record(cached);
        if cached {
            return Verdict::Allow;
        }
        if hash.is_empty() {
            return Verdict::Deny; // `user:` never matches; no need for a thread
        }
        let Ok(_permit) = self.permits.acquire().await else { return Verdict::Fail };
        let users = Arc::clone(auth);
        let checked = tokio::task::spawn_blocking(move || {
            // The table is immutable: the user found above is still there.
            let outcome = users.users.get(user.as_str()).map(|hash| verify(hash, &password));
            (outcome.unwrap_or(Ok(false)), user, password)
        })
        .await;
        match checked {
            Ok((Ok(true), user, password)) => {
                self.cache.insert(&auth.secret_version, &user, &password);
                Verdict::Allow
            }
            Ok((Ok(false), ..)) => Verdict::Deny,
            Ok((Err(error), user, _)) => unusable(auth, &user, &error),
            Err(error) => {
                tracing::error!(%error, "password verification task failed");
                Verdict::Fail
            }
        }
    }

    /// Drops cached successes of Secret versions `table` no longer uses (on table swap).
    pub fn retain(&self, table: &RouteTable) {
        let servers = table.servers.iter().chain(std::iter::once(&table.default_server));
        let live: HashSet<&str> = servers
            .flat_map(|server| &server.locations)
            .filter_map(|location| location.policy.filters.basic_auth().map(|basic| &**basic))
            .map(|auth| auth.secret_version.as_str())
            .collect();
        self.cache.retain_versions(&live);
    }

    /// Cached successes (for tests and metrics).
    pub fn cached(&self) -> usize {
        self.cache.len()
    }
}

impl Default for Authenticator {
    /// Twice the cores verify at once (bcrypt is CPU-bound; more would only queue in threads).
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::new(CredentialCache::default(), 2 * cores)
    }
}

/// A stored hash that cannot be checked: 401 like nginx, or 500 where nginx fails.
fn unusable(auth: &BasicAuth, user: &str, error: &HashError) -> Verdict {
    tracing::debug!(secret = %auth.secret_version, user, %error, "unusable password hash");
    if error.is_server_error() {
        Verdict::Fail
    } else {
        Verdict::Deny
    }
}

/// The `WWW-Authenticate` value for a realm.
pub(crate) fn challenge(auth: &BasicAuth) -> HeaderValue {
    HeaderValue::try_from(format!("Basic realm=\"{}\"", auth.realm))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic realm=\"\""))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
