//! Pure redirect decisions and `Location` values: app-root (§1.5), nginx's add-slash
//! auto-redirect (§1.6) and the HTTP→HTTPS redirect (§1.4).

use portico_model::LocationPolicy;

/// `<scheme>://<raw Host><app_root>` when the normalized path is exactly `/` (query dropped).
pub(crate) fn app_root_location(
    app_root: Option<&str>,
    normalized_path: &str,
    scheme: &str,
    raw_host: &str,
) -> Option<String> {
    let app_root = app_root?;
    (normalized_path == "/").then(|| format!("{scheme}://{raw_host}{app_root}"))
}

/// nginx's absolute auto-redirect `/p` → `<scheme>://<host without port>/p/` (+ `?query`).
pub(crate) fn add_slash_location(
    scheme: &str,
    raw_host: &str,
    path: &str,
    query: Option<&str>,
) -> String {
    let host = strip_port(raw_host);
    match query {
        Some(query) => format!("{scheme}://{host}{path}/?{query}"),
        None => format!("{scheme}://{host}{path}/"),
    }
}

/// §1.4 step 4: whether a request must be redirected to HTTPS. `scheme_is_http`: the
/// (possibly trusted X-Forwarded-Proto) scheme is exactly `http`.
pub(crate) fn wants_https_redirect(
    policy: &LocationPolicy,
    scheme_is_http: bool,
    has_certificate: bool,
) -> bool {
    if policy.no_tls_redirect {
        return false;
    }
    if policy.force_ssl_redirect && scheme_is_http {
        return true;
    }
    if !scheme_is_http {
        return false;
    }
    policy.ssl_redirect && has_certificate
}

/// §1.4 step 5: `https://` + host without port + raw request URI, minus one trailing `/`
/// unless `preserve_trailing_slash` (so `/` gives `https://host`).
pub(crate) fn https_location(
    host: &str,
    request_uri: &str,
    preserve_trailing_slash: bool,
) -> String {
    let uri = match request_uri.strip_suffix('/') {
        Some(stripped) if !preserve_trailing_slash => stripped,
        _ => request_uri,
    };
    format!("https://{}{uri}", strip_port(host))
}

/// `host:port` → `host`; `[v6]:port` → `[v6]`; anything else unchanged.
pub(crate) fn strip_port(host: &str) -> &str {
    let after_bracket = host.rfind(']').map_or(0, |i| i + 1);
    match host[after_bracket..].rfind(':') {
        Some(colon) => &host[..after_bracket + colon],
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(f: impl FnOnce(&mut LocationPolicy)) -> LocationPolicy {
        let mut policy = LocationPolicy::default();
        f(&mut policy);
        policy
    }

    #[test]
    fn app_root_only_for_slash() {
        let loc = |path| app_root_location(Some("/app"), path, "http", "foo.com:8080");
        assert_eq!(loc("/").as_deref(), Some("http://foo.com:8080/app"));
        assert_eq!(loc("/x"), None);
        assert_eq!(app_root_location(None, "/", "http", "foo.com"), None);
    }

    #[test]
    fn add_slash_is_absolute_without_port() {
        assert_eq!(add_slash_location("http", "a.com:81", "/p", None), "http://a.com/p/");
        assert_eq!(add_slash_location("https", "a.com", "/p", Some("x=1")), "https://a.com/p/?x=1");
    }

    #[test]
    fn https_redirect_decision_table() {
        let default = LocationPolicy::default();
        assert!(wants_https_redirect(&default, true, true));
        assert!(!wants_https_redirect(&default, true, false), "no certificate");
        assert!(!wants_https_redirect(&default, false, true), "already https / other XFP");
        let off = policy(|p| p.ssl_redirect = false);
        assert!(!wants_https_redirect(&off, true, true));
        let force = policy(|p| {
            p.ssl_redirect = false;
            p.force_ssl_redirect = true;
        });
        assert!(wants_https_redirect(&force, true, false), "force needs no certificate");
        assert!(!wants_https_redirect(&force, false, false));
        let acme = policy(|p| {
            p.force_ssl_redirect = true;
            p.no_tls_redirect = true;
        });
        assert!(!wants_https_redirect(&acme, true, true), "exemption beats force");
    }

    #[test]
    fn https_location_strips_port_and_one_slash() {
        assert_eq!(https_location("foo.com:8080", "/", false), "https://foo.com");
        assert_eq!(https_location("foo.com", "/a/", false), "https://foo.com/a");
        assert_eq!(https_location("foo.com", "/a//", false), "https://foo.com/a/");
        assert_eq!(https_location("foo.com", "/a/", true), "https://foo.com/a/");
        assert_eq!(https_location("foo.com", "/a/?q=1", false), "https://foo.com/a/?q=1");
        assert_eq!(https_location("[::1]:80", "/x", false), "https://[::1]/x");
        assert_eq!(strip_port("[::1]"), "[::1]");
    }
}
