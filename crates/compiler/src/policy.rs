//! Per-location adjustments of an Ingress's policy: what depends on the location path.

use std::sync::Arc;

use portico_model::{Filter, GlobalConfig, LocationPolicy};

/// The policy of one location of an Ingress whose policy is `base`:
/// - the `rewrite-target` filter only when it really rewrites (non-empty and not the path
///   itself, ingress-nginx's `needsRewrite`), `x-forwarded-prefix` with it;
/// - no HTTPS redirect filter when it cannot redirect, or the path starts with a
///   `no-tls-redirect-locations` entry;
/// - no basic auth and no external auth when the path starts with a `no-auth-locations` entry.
///
/// Returns `base` itself (shared) when nothing changes.
pub(crate) fn for_location(
    base: &Arc<LocationPolicy>,
    path: &str,
    global: &GlobalConfig,
) -> Arc<LocationPolicy> {
    let filters = &base.filters;
    let drop_rewrite = filters.rewrite().is_some_and(|r| r.target.is_empty() || r.target == path);
    let drop_redirect = filters.https_redirect().is_some_and(|r| {
        !r.is_active() || starts_with_any(path, &global.no_tls_redirect_locations)
    });
    let no_auth = (filters.basic_auth().is_some() || filters.external_auth().is_some())
        && starts_with_any(path, &global.no_auth_locations);
    if !drop_rewrite && !drop_redirect && !no_auth {
        return Arc::clone(base);
    }
    let mut policy = LocationPolicy::clone(base);
    policy.filters.remove_where(|f| match f {
        Filter::Rewrite(_) => drop_rewrite,
        Filter::HttpsRedirect(_) => drop_redirect,
        Filter::BasicAuth(_) | Filter::ExternalAuth(_) => no_auth,
        _ => false,
    });
    Arc::new(policy)
}

/// The policy of the catch-all `/` location of an Ingress with only a default backend: its
/// annotations apply except rewrite and redirect ones, which ingress-nginx ignores there.
pub(crate) fn for_catch_all(base: &LocationPolicy, global: &GlobalConfig) -> Arc<LocationPolicy> {
    let mut policy = base.clone();
    policy.filters.remove_where(|f| {
        matches!(f, Filter::Rewrite(_) | Filter::Redirect(_) | Filter::RelativeRedirects)
    });
    if global.location_defaults.filters.relative_redirects() {
        policy.filters.set(Filter::RelativeRedirects);
    }
    policy.use_regex = false;
    let defaults = global.location_defaults.filters.https_redirect().unwrap_or_default();
    policy.filters.update_https_redirect(|redirect| *redirect = defaults);
    for_location(&Arc::new(policy), "/", global)
}

/// The policy of the default server's synthetic `/` location: the global defaults.
pub(crate) fn for_default(global: &GlobalConfig) -> Arc<LocationPolicy> {
    for_location(&Arc::new(global.location_defaults.clone()), "/", global)
}

fn starts_with_any(path: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|prefix| !prefix.is_empty() && path.starts_with(prefix.as_str()))
}
