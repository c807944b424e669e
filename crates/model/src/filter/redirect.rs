//! The rewrite-phase filters of the redirect annotations: `rewrite-target`, the HTTP→HTTPS
//! redirect (§1.2, §1.4) and `permanent-redirect` / `temporal-redirect` (§1.6).

/// `rewrite-target` on a location where it really rewrites (non-empty and not the path
/// itself, ingress-nginx's `needsRewrite`): the URI is replaced by `target` with `$1..$9` from
/// the path regex (the router compiles it); a `http(s)://` target is a 302 to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewriteTarget {
    pub target: String,
    /// `x-forwarded-prefix`: sent upstream as `X-Forwarded-Prefix` (only rewriting locations
    /// have it, as ingress-nginx).
    pub x_forwarded_prefix: Option<String>,
}

/// `ssl-redirect`, `force-ssl-redirect` and `preserve-trailing-slash` (annotations, ConfigMap
/// defaults). A location whose path is under `no-tls-redirect-locations` has no such filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpsRedirect {
    /// Redirect plain-HTTP requests on hosts with a certificate.
    pub ssl_redirect: bool,
    /// Redirect plain-HTTP requests on every host.
    pub force: bool,
    /// Keep the request URI's trailing `/` in the `Location`.
    pub preserve_trailing_slash: bool,
}

/// How the `Location` of a redirect Portico builds from a path is written: nginx's
/// `absolute_redirect` (off with `relative-redirects`) and `port_in_redirect` (on with
/// `use-port-in-redirects`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RedirectStyle {
    /// Keep the path as the `Location` (no scheme and host).
    pub relative: bool,
    /// Add the listener's port to the host unless it is the scheme's default.
    pub port: bool,
}

// === impl HttpsRedirect ===

impl HttpsRedirect {
    /// §1.4 step 4: whether a request must be redirected. `scheme_is_http`: the (possibly
    /// trusted `X-Forwarded-Proto`) scheme is exactly `http`.
    pub fn wants(&self, scheme_is_http: bool, has_certificate: bool) -> bool {
        scheme_is_http && (self.force || (self.ssl_redirect && has_certificate))
    }

    /// Whether it can ever redirect (else the location needs no filter).
    pub fn is_active(&self) -> bool {
        self.ssl_redirect || self.force
    }
}

impl Default for HttpsRedirect {
    /// ingress-nginx's defaults: `ssl-redirect: true`, the others false.
    fn default() -> Self {
        Self { ssl_redirect: true, force: false, preserve_trailing_slash: false }
    }
}

/// `permanent-redirect` / `temporal-redirect`: nginx's `return <status> <url>` in the location,
/// so every request of the location is answered with it. The URL is used as written (nothing of
/// the request is appended); one starting with `/` is made absolute with the request's scheme
/// and host unless the location has relative redirects. A status nginx does not treat as a
/// redirect (300, 304, 305, 306) sends the URL as the body instead, as `return` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticRedirect {
    /// 300–308 (permanent, default 301) or 300–307 (temporal, default 302).
    pub status: u16,
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_decisions() {
        let on = HttpsRedirect::default();
        assert!(on.wants(true, true));
        assert!(!on.wants(true, false), "ssl-redirect needs a certificate");
        assert!(!on.wants(false, true), "already https");
        let force = HttpsRedirect { ssl_redirect: false, force: true, ..on };
        assert!(force.wants(true, false));
        assert!(!force.wants(false, false));
        let off = HttpsRedirect { ssl_redirect: false, ..on };
        assert!(!off.wants(true, true) && !off.is_active());
    }
}
