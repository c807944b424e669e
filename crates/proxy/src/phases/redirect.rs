//! Pure redirect decisions and `Location` values: app-root (§1.5), nginx's add-slash
//! auto-redirect (§1.6), nginx's absolute `Location` and the HTTP→HTTPS redirect (§1.4).

use std::borrow::Cow;

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

/// nginx's auto-redirect `/p` → `/p/` (+ `?query`), made absolute by [`absolute`].
pub(crate) fn add_slash_location(
    scheme: &str,
    raw_host: &str,
    path: &str,
    query: Option<&str>,
    relative: bool,
) -> String {
    let location = match query {
        Some(query) => format!("{path}/?{query}"),
        None => format!("{path}/"),
    };
    absolute(&location, scheme, raw_host, relative).into_owned()
}

/// nginx's `absolute_redirect on` (its default) for a `Location` Portico builds: one starting
/// with `/` gets `<scheme>://<host>` in front, the host being the request's without port
/// (`port_in_redirect off`, `server_name_in_redirect off`), lowercase. Unchanged when
/// `relative` (`relative-redirects`), when it does not start with `/`, or without a host.
pub(crate) fn absolute<'a>(
    location: &'a str,
    scheme: &str,
    raw_host: &str,
    relative: bool,
) -> Cow<'a, str> {
    let host = strip_port(raw_host);
    if relative || !location.starts_with('/') || host.is_empty() {
        return Cow::Borrowed(location);
    }
    Cow::Owned(format!("{scheme}://{}{location}", host.to_ascii_lowercase()))
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

/// `from-to-www-redirect` (ingress-nginx `ngx_srv_redirect.lua`): `<scheme>://<to>:<port>` +
/// the raw request URI without one trailing `/` (so `/` adds nothing).
pub(crate) fn www_location(scheme: &str, to: &str, port: &str, request_uri: &str) -> String {
    let uri = request_uri.strip_suffix('/').unwrap_or(request_uri);
    format!("{scheme}://{to}:{port}{uri}")
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
        assert_eq!(add_slash_location("http", "a.com:81", "/p", None, false), "http://a.com/p/");
        let with_query = add_slash_location("https", "a.com", "/p", Some("x=1"), false);
        assert_eq!(with_query, "https://a.com/p/?x=1");
        assert_eq!(add_slash_location("http", "a.com", "/p", Some("x"), true), "/p/?x");
    }

    #[test]
    fn www_location_has_the_port_and_drops_one_slash() {
        assert_eq!(www_location("https", "a.com", "443", "/"), "https://a.com:443");
        assert_eq!(www_location("http", "a.com", "80", "/foo/?x"), "http://a.com:80/foo/?x");
        assert_eq!(www_location("http", "a.com", "80", "/foo//"), "http://a.com:80/foo/");
    }

    #[test]
    fn absolute_only_for_paths() {
        assert_eq!(absolute("/a?b", "http", "A.com:8080", false), "http://a.com/a?b");
        assert_eq!(absolute("/a", "https", "[::1]:8443", false), "https://[::1]/a");
        assert_eq!(absolute("/a", "http", "a.com", true), "/a");
        assert_eq!(absolute("http://b.com/x", "http", "a.com", false), "http://b.com/x");
        assert_eq!(absolute("/a", "http", "", false), "/a");
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
