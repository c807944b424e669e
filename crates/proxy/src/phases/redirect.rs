//! Pure redirect decisions and `Location` values: app-root (§1.5), nginx's add-slash
//! auto-redirect (§1.6), nginx's absolute `Location` and the HTTP→HTTPS redirect (§1.4).

use std::borrow::Cow;

use portico_model::RedirectStyle;

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
    style: RedirectStyle,
    port: u16,
) -> String {
    let location = match query {
        Some(query) => format!("{path}/?{query}"),
        None => format!("{path}/"),
    };
    absolute(&location, scheme, raw_host, style, port).into_owned()
}

/// nginx's `absolute_redirect on` (its default) for a `Location` Portico builds: one starting
/// with `/` gets `<scheme>://<host>` in front, the host being the request's without port,
/// lowercase (`server_name_in_redirect off`); with `style.port` (`port_in_redirect on`) the
/// listener's `port` follows unless it is the scheme's default. Unchanged when `style.relative`
/// (`relative-redirects`), when it does not start with `/`, or without a host.
pub(crate) fn absolute<'a>(
    location: &'a str,
    scheme: &str,
    raw_host: &str,
    style: RedirectStyle,
    port: u16,
) -> Cow<'a, str> {
    let host = strip_port(raw_host);
    if style.relative || !location.starts_with('/') || host.is_empty() {
        return Cow::Borrowed(location);
    }
    let host = host.to_ascii_lowercase();
    let default_port = if scheme == "https" { 443 } else { 80 };
    match style.port && port != default_port {
        true => Cow::Owned(format!("{scheme}://{host}:{port}{location}")),
        false => Cow::Owned(format!("{scheme}://{host}{location}")),
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
        assert_eq!(
            add_slash_location("http", "a.com:81", "/p", None, RedirectStyle::default(), 81),
            "http://a.com/p/"
        );
        let with_query =
            add_slash_location("https", "a.com", "/p", Some("x=1"), RedirectStyle::default(), 443);
        assert_eq!(with_query, "https://a.com/p/?x=1");
        assert_eq!(
            add_slash_location(
                "http",
                "a.com",
                "/p",
                Some("x"),
                RedirectStyle { relative: true, port: false },
                80
            ),
            "/p/?x"
        );
    }

    #[test]
    fn www_location_has_the_port_and_drops_one_slash() {
        assert_eq!(www_location("https", "a.com", "443", "/"), "https://a.com:443");
        assert_eq!(www_location("http", "a.com", "80", "/foo/?x"), "http://a.com:80/foo/?x");
        assert_eq!(www_location("http", "a.com", "80", "/foo//"), "http://a.com:80/foo/");
    }

    #[test]
    fn absolute_only_for_paths() {
        let (abs, rel) = (RedirectStyle::default(), RedirectStyle { relative: true, port: false });
        let port = RedirectStyle { relative: false, port: true };
        assert_eq!(absolute("/a?b", "http", "A.com:8080", abs, 8080), "http://a.com/a?b");
        assert_eq!(absolute("/a", "https", "[::1]:8443", abs, 8443), "https://[::1]/a");
        assert_eq!(absolute("/a", "http", "a.com", rel, 80), "/a");
        assert_eq!(absolute("http://b.com/x", "http", "a.com", abs, 80), "http://b.com/x");
        assert_eq!(absolute("/a", "http", "", abs, 80), "/a");
        assert_eq!(absolute("/a", "http", "a.com:9", port, 8080), "http://a.com:8080/a");
        assert_eq!(absolute("/a", "https", "a.com", port, 443), "https://a.com/a", "default port");
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
