//! Pure redirect decisions and `Location` values: app-root (§1.5), nginx's add-slash
//! auto-redirect (§1.6) and the HTTP→HTTPS redirect (§1.4).

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
