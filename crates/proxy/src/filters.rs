//! The apply step of every [`Filter`] of the model, run phase by phase (the data and phases are
//! in `portico_model::filter`). A location without filters skips this entirely; one with
//! filters runs only those it has.

pub(crate) mod client_cert;
mod cors;
pub(crate) mod external_auth;
pub(crate) mod limits;
mod redirect;
mod rewrite;
pub(crate) mod snippet;
mod source_range;

use std::net::IpAddr;
#[cfg(test)]
use std::net::SocketAddr;

use http::header::SET_COOKIE;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Response, Uri};
use portico_model::{Filter, Filters, GlobalConfig, Phase, Timeouts};

use crate::body::ResponseBody;
use crate::config::ConnInfo;
use crate::error::ProxyError;
use crate::forwarded::Forwarded;
use crate::server::Proxy;

/// What a filter sees of the request.
#[derive(Debug)]
pub(crate) struct FilterRequest<'a> {
    /// The client address as ingress-nginx's `$remote_addr` (after trusted forwarded headers).
    pub client: IpAddr,
    pub method: &'a Method,
    /// The request's headers (for the filters that read them).
    pub headers: &'a HeaderMap,
    /// The original request-target.
    pub uri: &'a Uri,
    /// The normalized path.
    pub path: &'a str,
    /// The Host as sent (port included).
    pub raw_host: &'a str,
    /// The trusted view of scheme, host and port.
    pub view: &'a Forwarded,
    pub conn: &'a ConnInfo,
    pub global: &'a GlobalConfig,
    /// The location's upstream timeouts (external auth uses them for its subrequest).
    pub timeouts: Timeouts,
    /// The location's limit zones (when it has limits).
    pub limits: Option<&'a limits::LimitState>,
    /// What must be held until the response ends (a `limit-connections` slot).
    pub held: Option<limits::ConnPermit>,
    /// The table's compiled matchers and where this request was routed (server, location).
    pub router: &'a portico_router::Router,
    pub at: (portico_router::ServerId, usize),
    /// The routed server has a certificate (`ssl-redirect` applies).
    pub has_certificate: bool,
    /// `enable-opentelemetry`: the server span (external auth makes a child of it).
    pub trace: Option<&'a portico_trace::ServerSpan>,
}

/// What the response filters need of the request, kept from the request phases (the request
/// itself is gone by then). Captured only for a location with response filters.
#[derive(Debug)]
pub(crate) struct ResponseRequest {
    /// The `Origin` header (CORS).
    pub origin: Option<HeaderValue>,
}

/// What passing filters ask of the rest of the request: headers set on (or removed from) the
/// upstream request, and `Set-Cookie` values added to the client's response. Empty (no
/// allocation) unless a filter adds something.
#[derive(Debug, Default)]
pub(crate) struct Effects {
    /// `None` removes the header (nginx's `proxy_set_header` with an empty value).
    pub upstream: Vec<(HeaderName, Option<HeaderValue>)>,
    pub cookies: Vec<HeaderValue>,
    /// The cookies go on every response, Portico's own error pages included.
    pub cookies_always: bool,
    /// The request-target sent upstream instead of the client's (`rewrite-target`).
    pub rewritten: Option<Uri>,
}

/// The statuses nginx's `add_header` (without `always`) applies to.
const ADD_HEADER_STATUSES: [u16; 10] = [200, 201, 204, 206, 301, 302, 303, 304, 307, 308];

/// A filter's verdict: go on, or answer now with this response.
pub(crate) enum Step {
    Next,
    Respond(Box<Response<ResponseBody>>),
}

/// The upstream-phase filters' headers (`proxy_set_header`), expanded on `req`: set on the
/// upstream request after Portico's own headers. Empty (no allocation) without such filters.
pub(crate) fn upstream_filters(
    filters: &Filters,
    req: &FilterRequest<'_>,
) -> Vec<(HeaderName, Option<HeaderValue>)> {
    let mut out = Vec::new();
    for filter in filters.of(Phase::Upstream) {
        if let Filter::UpstreamHeaders(sets) = filter {
            snippet::upstream_values(sets, req, &mut out);
        }
    }
    out
}

/// The phases that run after the balancer pick, before the request is forwarded, in order
/// ([`Phase::Rewrite`] runs earlier: CORS preflight, `return`, `rewrite-target`, HTTPS
/// redirect, as in nginx's rewrite phase).
pub(crate) const ACCESS_PHASES: [Phase; 2] = [Phase::PreAccess, Phase::Access];

// === impl Proxy ===

impl Proxy {
    /// Runs the filters of `phase` in order; the first that answers or fails ends the request.
    pub(crate) async fn apply_filters(
        &self,
        filters: &Filters,
        phase: Phase,
        req: &mut FilterRequest<'_>,
        effects: &mut Effects,
    ) -> Result<Step, ProxyError> {
        for filter in filters.of(phase) {
            let step = match filter {
                Filter::CorsPreflight(cors) => cors::preflight(cors, req),
                Filter::SourceRange(range) => source_range::apply(range, req)?,
                Filter::ClientCert(auth) => client_cert::apply(auth, req)?,
                Filter::BasicAuth(basic) => {
                    crate::phases::authorize(&self.auth, basic, req.headers).await?;
                    Step::Next
                }
                Filter::AccessRules(rules) => snippet::access(rules, req)?,
                Filter::Return(ret) => snippet::respond_to(ret, req, filters.redirect_style()),
                Filter::Redirect(to) => redirect::respond(to, req, filters.redirect_style()),
                Filter::Rewrite(_) => rewrite::rewrite(req, effects),
                Filter::HttpsRedirect(redirect) => rewrite::https(*redirect, req),
                Filter::Limits(limits) => limits::apply(limits, req)?,
                Filter::ExternalAuth(auth) => {
                    external_auth::apply(&self.external_auth, auth, req, effects).await
                }
                // Applied where the upstream request, the response and its body are built
                // (`apply_response_filters`, `forward`, crate::body).
                Filter::UpstreamHeaders(_)
                | Filter::ResponseHeaders(_)
                | Filter::CorsHeaders(_)
                | Filter::RateLimit(_)
                | Filter::CustomErrors(_)
                | Filter::RelativeRedirects
                | Filter::PortInRedirects => Step::Next,
            };
            if let Step::Respond(response) = step {
                return Ok(Step::Respond(response));
            }
        }
        Ok(Step::Next)
    }
}

// === impl ResponseRequest ===

impl ResponseRequest {
    /// Captures from the request what `filters`' response phase reads; `None` when the
    /// location has no response filters (it then pays nothing more).
    pub(crate) fn capture(filters: &Filters, headers: &HeaderMap) -> Option<Self> {
        filters
            .has(Phase::Response)
            .then(|| ResponseRequest { origin: headers.get(http::header::ORIGIN).cloned() })
    }
}

/// Runs the response-phase filters on every response of the location that got past its
/// rewrite-phase filters, Portico's own pages included.
pub(crate) fn apply_response_filters(
    filters: &Filters,
    req: &ResponseRequest,
    response: &mut Response<ResponseBody>,
) {
    for filter in filters.of(Phase::Response) {
        match filter {
            Filter::CorsHeaders(cors) => cors::headers(cors, req, response),
            Filter::ResponseHeaders(edits) => snippet::edit_response(edits, response),
            Filter::CorsPreflight(_)
            | Filter::SourceRange(_)
            | Filter::AccessRules(_)
            | Filter::Return(_)
            | Filter::Redirect(_)
            | Filter::RelativeRedirects
            | Filter::PortInRedirects
            | Filter::Rewrite(_)
            | Filter::HttpsRedirect(_)
            | Filter::UpstreamHeaders(_)
            | Filter::Limits(_)
            | Filter::ExternalAuth(_)
            | Filter::ClientCert(_)
            | Filter::BasicAuth(_)
            | Filter::CustomErrors(_)
            | Filter::RateLimit(_) => {}
        }
    }
}

// === impl Effects ===

impl Effects {
    /// Sets the upstream request headers the filters asked for.
    pub(crate) fn apply_upstream(&mut self, headers: &mut HeaderMap) {
        for (name, value) in self.upstream.drain(..) {
            match value {
                Some(value) => {
                    headers.insert(name, value);
                }
                None => {
                    headers.remove(name);
                }
            }
        }
    }

    /// The cookies added to the request's outcome: the response when its status takes them,
    /// and with `cookies_always` Portico's own error pages too.
    pub(crate) fn finish(
        &self,
        result: Result<Response<ResponseBody>, ProxyError>,
    ) -> Result<Response<ResponseBody>, ProxyError> {
        if self.cookies.is_empty() {
            return result;
        }
        let mut response = match result {
            Ok(response) => response,
            Err(error) if self.cookies_always => crate::phases::rescue(error),
            Err(error) => return Err(error),
        };
        self.add_cookies(&mut response);
        Ok(response)
    }

    /// Adds the cookies to `response` when its status takes them.
    fn add_cookies(&self, response: &mut Response<ResponseBody>) {
        if self.cookies_always || ADD_HEADER_STATUSES.contains(&response.status().as_u16()) {
            for cookie in &self.cookies {
                response.headers_mut().append(SET_COOKIE, cookie.clone());
            }
        }
    }
}

/// What a [`FilterRequest`] borrows, owned, for the filters' unit tests.
#[cfg(test)]
pub(crate) struct OwnedRequest {
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    view: Forwarded,
    conn: ConnInfo,
    global: GlobalConfig,
    router: portico_router::Router,
}

#[cfg(test)]
impl Default for OwnedRequest {
    fn default() -> Self {
        Self::with_conn(ConnInfo::new(SocketAddr::from(([127, 0, 0, 1], 40000)), 80, false))
    }
}

#[cfg(test)]
impl OwnedRequest {
    /// A request on `conn`.
    pub(crate) fn with_conn(conn: ConnInfo) -> Self {
        let global = GlobalConfig::default();
        let headers = HeaderMap::new();
        let view = Forwarded::new(&headers, None, &conn, &global);
        let uri = Uri::from_static("/");
        let (router, _) = portico_router::Router::build(&portico_model::RouteTable::default());
        Self { method: Method::GET, headers, uri, view, conn, global, router }
    }
}

#[cfg(test)]
impl OwnedRequest {
    /// A `GET /` from `client`, without limits.
    pub(crate) fn req(&self, client: IpAddr) -> FilterRequest<'_> {
        FilterRequest {
            client,
            method: &self.method,
            headers: &self.headers,
            uri: &self.uri,
            path: "/",
            raw_host: "",
            view: &self.view,
            conn: &self.conn,
            global: &self.global,
            timeouts: Timeouts::default(),
            limits: None,
            held: None,
            router: &self.router,
            at: (self.router.default_server(), 0),
            has_certificate: false,
            trace: None,
        }
    }
}
