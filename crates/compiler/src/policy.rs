//! Per-location adjustments of an Ingress's policy: what depends on the location path.

use std::sync::Arc;

use portico_model::{GlobalConfig, LocationPolicy};

/// The policy of one location of an Ingress whose policy is `base`:
/// - `rewrite_target` only when it really rewrites (non-empty and not the path itself,
///   ingress-nginx's `needsRewrite`), and `x_forwarded_prefix` only on rewriting locations;
/// - `no_tls_redirect` when the path starts with a `no-tls-redirect-locations` entry;
/// - no `auth` and no external auth when the path starts with a `no-auth-locations` entry.
///
/// Returns `base` itself (shared) when nothing changes.
pub(crate) fn for_location(
    base: &Arc<LocationPolicy>,
    path: &str,
    global: &GlobalConfig,
) -> Arc<LocationPolicy> {
    let rewrites = base.rewrite_target.as_deref().is_some_and(|t| !t.is_empty() && t != path);
    let no_tls_redirect = starts_with_any(path, &global.no_tls_redirect_locations);
    let no_auth = (base.filters.basic_auth().is_some() || base.filters.external_auth().is_some())
        && starts_with_any(path, &global.no_auth_locations);
    let drop_rewrite = base.rewrite_target.is_some() && !rewrites;
    let drop_prefix = base.x_forwarded_prefix.is_some() && !rewrites;
    if !drop_rewrite && !drop_prefix && !no_auth && no_tls_redirect == base.no_tls_redirect {
        return Arc::clone(base);
    }
    let mut policy = LocationPolicy::clone(base);
    if !rewrites {
        policy.rewrite_target = None;
        policy.x_forwarded_prefix = None;
    }
    if no_auth {
        if let Some(basic) = policy.filters.basic_auth().cloned() {
            policy.filters.remove_like(&portico_model::Filter::BasicAuth(basic));
        }
        if let Some(auth) = policy.filters.external_auth().cloned() {
            policy.filters.remove_like(&portico_model::Filter::ExternalAuth(auth));
        }
    }
    policy.no_tls_redirect = no_tls_redirect;
    Arc::new(policy)
}

/// The policy of the catch-all `/` location of an Ingress with only a default backend: its
/// annotations apply except rewrite and redirect ones, which ingress-nginx ignores there.
pub(crate) fn for_catch_all(base: &LocationPolicy, global: &GlobalConfig) -> Arc<LocationPolicy> {
    let defaults = &global.location_defaults;
    let mut policy = base.clone();
    policy.rewrite_target = None;
    policy.x_forwarded_prefix = None;
    policy.use_regex = false;
    policy.ssl_redirect = defaults.ssl_redirect;
    policy.force_ssl_redirect = defaults.force_ssl_redirect;
    policy.preserve_trailing_slash = defaults.preserve_trailing_slash;
    for_location(&Arc::new(policy), "/", global)
}

/// The policy of the default server's synthetic `/` location: the global defaults.
pub(crate) fn for_default(global: &GlobalConfig) -> Arc<LocationPolicy> {
    for_location(&Arc::new(global.location_defaults.clone()), "/", global)
}

fn starts_with_any(path: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|prefix| !prefix.is_empty() && path.starts_with(prefix.as_str()))
}
