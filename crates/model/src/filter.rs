//! Filters: what a location does to a request besides routing it, as data. Each variant is
//! built once by the compiler and applied by the proxy in its [`Phase`]; a location runs only
//! the filters it has, so one without (say) CORS pays nothing for CORS.
//!
//! Adding an annotation that changes requests means: its family module in
//! `crates/annotations` (parsing, diagnostics, building the filter), a variant here if none
//! fits, and that variant's apply step in `crates/proxy/src/filters/`.

mod client_auth;
mod cors;
mod custom_errors;
mod external_auth;
mod limits;
mod redirect;

use std::net::IpAddr;
use std::sync::Arc;

use crate::BasicAuth;

pub use cors::{Cors, CorsOrigins, OriginPattern};
pub use custom_errors::CustomErrors;
pub use http::{HeaderName, HeaderValue};
pub use ipnet::IpNet;
pub use limits::{Limits, RateLimit};
pub use redirect::{HttpsRedirect, RedirectStyle, RewriteTarget, StaticRedirect};

pub use external_auth::{AuthCache, CacheRule, ExternalAuth, Part, Template, Var};

pub use self::client_auth::{ClientAuth, CnPattern, VerifyClient};

/// When a filter runs, in nginx's phase order (ingress-nginx renders each annotation into one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// nginx's rewrite phase: may answer before any access check (a CORS preflight).
    Rewrite,
    /// preaccess: limits (`limit_req`, `limit_conn`).
    PreAccess,
    /// access: `allow`/`deny`, client certificates, basic auth (in that order, [`Filter::order`]).
    Access,
    /// nginx's `auth_request`, the last access handler (after `allow`/`deny` and basic auth):
    /// external authentication.
    AuthRequest,
    /// The request as sent upstream (`proxy_set_header`).
    Upstream,
    /// On the response, Portico's own pages included (headers such as CORS).
    Response,
}

/// One filter of a location. Closed: the proxy matches on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `enable-cors`, rewrite phase: a preflight (`OPTIONS`) from an allowed origin is answered
    /// 204 before any access check, never forwarded.
    CorsPreflight(Arc<Cors>),
    /// `allowlist-source-range` / `denylist-source-range`: 403 for the clients refused.
    SourceRange(Arc<SourceRange>),
    /// A snippet's `allow`/`deny` lines: first match decides, none matching passes; 403.
    AccessRules(Arc<[AccessRule]>),
    /// A snippet's `return CODE [text|URL]`: answered before any access check, as nginx.
    Return(Arc<Return>),
    /// `permanent-redirect` / `temporal-redirect`: every request answered with the redirect
    /// (the location's `return`, after a snippet's, before `rewrite-target`).
    Redirect(Arc<StaticRedirect>),
    /// `relative-redirects` (annotation or ConfigMap): nginx's `absolute_redirect off`, so the
    /// `Location` of redirects Portico builds from a path (add-slash 301, `return` of a path)
    /// stays relative. Applies nothing itself; the redirects read it.
    RelativeRedirects,
    /// `use-port-in-redirects`: nginx's `port_in_redirect on` for the same redirects. Applies
    /// nothing itself; the redirects read it.
    PortInRedirects,
    /// `rewrite-target`: the URI sent upstream, or a 302 for an absolute URL target.
    Rewrite(Arc<RewriteTarget>),
    /// `ssl-redirect` / `force-ssl-redirect`: plain HTTP answered with `http-redirect-code`.
    HttpsRedirect(HttpsRedirect),
    /// A snippet's `proxy_set_header`: set (or, with an empty value, remove) upstream headers.
    UpstreamHeaders(Arc<[(HeaderName, Template)]>),
    /// A snippet's `more_set_headers`, `add_header`, `more_clear_headers`.
    ResponseHeaders(Arc<[HeaderEdit]>),
    /// `enable-cors`, response phase: the `Access-Control-*` headers on every response of the
    /// location to an allowed origin (the same [`Cors`] as its preflight filter).
    CorsHeaders(Arc<Cors>),
    /// `auth-url` (or the ConfigMap's `global-auth-url`): a subrequest decides.
    ExternalAuth(Arc<ExternalAuth>),
    /// `limit-rps` / `limit-rpm` / `limit-connections`: the limit's status past them.
    Limits(Arc<Limits>),
    /// `limit-rate` / `limit-rate-after`: the response body is sent at this pace.
    RateLimit(RateLimit),
    /// `auth-type: basic`: 401 unless the credentials verify (the Secret's users).
    BasicAuth(Arc<BasicAuth>),
    /// `custom-http-errors`: responses of these statuses are replaced by the error backend's
    /// answer (applied where the response is finished, Portico's own pages included).
    CustomErrors(Arc<CustomErrors>),
    /// `auth-tls-*`: the client certificate the connection presented (400, 403, 421), and the
    /// `ssl-client-*` headers sent upstream.
    ClientCert(Arc<ClientAuth>),
}

/// One `allow`/`deny` line; `net: None` is `all`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRule {
    pub allow: bool,
    pub net: Option<IpNet>,
}

/// `return CODE [text|URL]`: a redirect status (301, 302, 303, 307, 308) takes a URL for
/// `Location`, any other a body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Return {
    pub status: u16,
    pub text: Option<String>,
}

/// One response-header edit, applied in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderEdit {
    /// `more_set_headers 'Name: value'` (replace; on every status, or only `statuses`).
    Set { name: HeaderName, value: HeaderValue, statuses: Vec<u16> },
    /// `add_header Name value [always]`: appended; without `always` only on 200, 201, 204,
    /// 206, 301, 302, 303, 304, 307 and 308, as nginx.
    Add { name: HeaderName, value: HeaderValue, always: bool },
    /// `more_clear_headers Name`.
    Clear(HeaderName),
}

/// Client address lists, as ingress-nginx renders them: the deny list first, then the allow
/// list followed by `deny all` when it is not empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceRange {
    pub allow: Vec<IpNet>,
    pub deny: Vec<IpNet>,
}

/// A location's filters, kept in phase order (stable within a phase).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filters(Vec<Filter>);

// === impl Filter ===

impl Filter {
    /// Where the filter runs: its phase, then its rank within the phase. Within the access
    /// phase nginx's order: `allow`/`deny` lines, client certificates, basic auth; within
    /// the rewrite phase the CORS preflight and a snippet's `return` (in the order they were
    /// added), then `rewrite-target`, then the HTTPS redirect (ingress-nginx's Lua rewrite
    /// handler runs after the rewrite module's directives). The template writes the
    /// `permanent-redirect`/`temporal-redirect` `return` after the CORS block and the snippet,
    /// before the `rewrite` of `rewrite-target`.
    pub fn order(&self) -> (Phase, u8) {
        let rank = match self {
            Filter::Redirect(_) => 1,
            Filter::Rewrite(_) => 2,
            Filter::HttpsRedirect(_) => 3,
            Filter::SourceRange(_) => 0,
            Filter::AccessRules(_) => 1,
            Filter::ClientCert(_) => 2,
            Filter::BasicAuth(_) => 3,
            _ => 0,
        };
        (self.phase(), rank)
    }

    pub fn phase(&self) -> Phase {
        match self {
            Filter::CorsPreflight(_)
            | Filter::Return(_)
            | Filter::Redirect(_)
            | Filter::RelativeRedirects
            | Filter::PortInRedirects
            | Filter::Rewrite(_)
            | Filter::HttpsRedirect(_) => Phase::Rewrite,
            Filter::SourceRange(_)
            | Filter::AccessRules(_)
            | Filter::ClientCert(_)
            | Filter::BasicAuth(_) => Phase::Access,
            Filter::ExternalAuth(_) => Phase::AuthRequest,
            Filter::UpstreamHeaders(_) => Phase::Upstream,
            Filter::ResponseHeaders(_) | Filter::CorsHeaders(_) | Filter::CustomErrors(_) => {
                Phase::Response
            }
            Filter::Limits(_) => Phase::PreAccess,
            Filter::RateLimit(_) => Phase::Response,
        }
    }
}

// === impl AccessRule ===

impl AccessRule {
    /// nginx's access module: the first rule matching `client` decides; none matching passes.
    pub fn allows(rules: &[AccessRule], client: IpAddr) -> bool {
        let client = canonical(client);
        rules
            .iter()
            .find(|rule| rule.net.is_none_or(|net| net.contains(&client)))
            .is_none_or(|rule| rule.allow)
    }
}

// === impl SourceRange ===

impl SourceRange {
    /// Whether `client` may pass.
    pub fn allows(&self, client: IpAddr) -> bool {
        let client = canonical(client);
        if self.deny.iter().any(|net| net.contains(&client)) {
            return false;
        }
        self.allow.is_empty() || self.allow.iter().any(|net| net.contains(&client))
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, a dual-stack listener's view of an IPv4
/// client) is the IPv4 address, as nginx sees it.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

// === impl Filters ===

impl Filters {
    /// The filters of a location with ingress-nginx's defaults: only `ssl-redirect`.
    pub fn with_https_redirect() -> Self {
        Self(vec![Filter::HttpsRedirect(HttpsRedirect::default())])
    }

    /// Adds `filter` after the others of its phase, replacing one of the same kind.
    pub fn set(&mut self, filter: Filter) {
        let kind = std::mem::discriminant(&filter);
        self.0.retain(|f| std::mem::discriminant(f) != kind);
        let at = self.0.partition_point(|f| f.order() <= filter.order());
        self.0.insert(at, filter);
    }

    /// Removes the filter of `filter`'s kind, if any.
    pub fn remove_like(&mut self, filter: &Filter) {
        let kind = std::mem::discriminant(filter);
        self.0.retain(|f| std::mem::discriminant(f) != kind);
    }

    /// The filters of `phase`, in order.
    pub fn of(&self, phase: Phase) -> impl Iterator<Item = &Filter> {
        self.0.iter().filter(move |f| f.phase() == phase)
    }

    /// The rewrite, when the location really rewrites.
    pub fn rewrite(&self) -> Option<&RewriteTarget> {
        self.0.iter().find_map(|f| match f {
            Filter::Rewrite(rewrite) => Some(&**rewrite),
            _ => None,
        })
    }

    /// `relative-redirects`: redirects built from a path keep a relative `Location`.
    pub fn relative_redirects(&self) -> bool {
        self.0.iter().any(|f| matches!(f, Filter::RelativeRedirects))
    }

    /// `relative-redirects` and `use-port-in-redirects`: how redirects built from a path
    /// write their `Location`.
    pub fn redirect_style(&self) -> RedirectStyle {
        RedirectStyle {
            relative: self.0.iter().any(|f| matches!(f, Filter::RelativeRedirects)),
            port: self.0.iter().any(|f| matches!(f, Filter::PortInRedirects)),
        }
    }

    /// The HTTPS redirect, when the location can redirect.
    pub fn https_redirect(&self) -> Option<HttpsRedirect> {
        self.0.iter().find_map(|f| match f {
            Filter::HttpsRedirect(redirect) => Some(*redirect),
            _ => None,
        })
    }

    /// Changes the HTTPS redirect settings (added with ingress-nginx's defaults when
    /// absent). Defaults and annotations keep the filter even when it cannot redirect, so
    /// that every setting survives; the compiler drops inactive ones from locations.
    pub fn update_https_redirect(&mut self, change: impl FnOnce(&mut HttpsRedirect)) {
        let mut redirect = self.https_redirect().unwrap_or_default();
        change(&mut redirect);
        self.set(Filter::HttpsRedirect(redirect));
    }

    /// Removes every filter for which `drop` is true.
    pub fn remove_where(&mut self, drop: impl Fn(&Filter) -> bool) {
        self.0.retain(|f| !drop(f));
    }

    /// The address lists, when the location has them.
    pub fn source_range(&self) -> Option<&SourceRange> {
        self.0.iter().find_map(|f| match f {
            Filter::SourceRange(range) => Some(&**range),
            _ => None,
        })
    }

    /// The CORS policy, when the location has one.
    pub fn cors(&self) -> Option<&Cors> {
        self.0.iter().find_map(|f| match f {
            Filter::CorsPreflight(cors) | Filter::CorsHeaders(cors) => Some(&**cors),
            _ => None,
        })
    }

    /// The request and connection limits, when the location has them.
    pub fn limits(&self) -> Option<&Limits> {
        self.0.iter().find_map(|f| match f {
            Filter::Limits(limits) => Some(&**limits),
            _ => None,
        })
    }

    /// The response bandwidth limit, when the location has one.
    pub fn rate_limit(&self) -> Option<RateLimit> {
        self.0.iter().find_map(|f| match f {
            Filter::RateLimit(rate) => Some(*rate),
            _ => None,
        })
    }

    /// The external authentication, when the location has it.
    pub fn external_auth(&self) -> Option<&Arc<ExternalAuth>> {
        self.0.iter().find_map(|f| match f {
            Filter::ExternalAuth(auth) => Some(auth),
            _ => None,
        })
    }

    /// Basic authentication, when the location has it.
    pub fn basic_auth(&self) -> Option<&Arc<BasicAuth>> {
        self.0.iter().find_map(|f| match f {
            Filter::BasicAuth(basic) => Some(basic),
            _ => None,
        })
    }

    /// The client-certificate settings, when the location has them.
    pub fn client_auth(&self) -> Option<&Arc<ClientAuth>> {
        self.0.iter().find_map(|f| match f {
            Filter::ClientCert(auth) => Some(auth),
            _ => None,
        })
    }

    /// The custom error pages, when the location has them.
    pub fn custom_errors(&self) -> Option<&Arc<CustomErrors>> {
        self.0.iter().find_map(|f| match f {
            Filter::CustomErrors(errors) => Some(errors),
            _ => None,
        })
    }

    /// Some filter runs in `phase`.
    pub fn has(&self, phase: Phase) -> bool {
        self.0.iter().any(|f| f.phase() == phase)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Filter> {
        self.0.iter()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn deny_first_then_allow() {
        let range =
            SourceRange { allow: nets(&["10.0.0.0/8", "::1/128"]), deny: nets(&["10.1.0.0/16"]) };
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(range.allows(ip("10.2.3.4")));
        assert!(!range.allows(ip("10.1.3.4")), "deny wins");
        assert!(!range.allows(ip("192.0.2.1")), "outside the allow list");
        assert!(range.allows(ip("::1")));
        assert!(range.allows(ip("::ffff:10.2.3.4")), "IPv4-mapped is IPv4");
        let deny_only = SourceRange { allow: vec![], deny: nets(&["127.0.0.2/32"]) };
        assert!(!deny_only.allows(ip("127.0.0.2")));
        assert!(deny_only.allows(ip("127.0.0.3")), "no allow list: everyone else passes");
    }

    #[test]
    fn filters_keep_phase_order_and_one_per_kind() {
        let mut filters = Filters::default();
        let a = Filter::SourceRange(Arc::new(SourceRange::default()));
        filters.set(a.clone());
        filters.set(a.clone());
        assert_eq!(filters.iter().count(), 1);
        assert!(filters.has(Phase::Access) && !filters.has(Phase::Rewrite));
        filters.remove_like(&a);
        assert!(filters.is_empty());
    }
}
