//! The request phases, in order, in one place so the order is read here (docs/behaviour.md §1.7):
//!
//! ```text
//! route ─▶ from-to-www-redirect twin (308) ─▶ app-root ─▶ location (404 / add-slash 301) ─▶ body size (413) ─▶ denied (503)
//!   ─▶ filters: rewrite phase (CORS preflight 204, snippet `return`, permanent-/temporal-
//!   redirect, rewrite-target (302 for URL targets), HTTPS redirect (308)) ─▶ backend (canary
//!   choice; 503 without endpoints) ─▶ filters: preaccess (limits: 503) ─▶ access (address
//!   lists 403, client certificates, basic auth 401) (crate::filters) ─▶ auth_request (external auth) ─▶ forward (404 for a NotFound target)
//!   ─▶ response (paced by limit-rate)
//!   ─▶ custom-http-errors (an intercepted status replaced by the error backend's answer)
//!   ─▶ filters: response phase (CORS headers; every response once the rewrite-phase filters
//!   ran, Portico's own included) ─▶ access log and limit-connections slot released (when the
//!   response body is dropped)
//! ```
//!
//! Each phase is a function returning `Err(ProxyError)` or an early response to stop; the
//! errors are turned into responses in one place ([`ProxyError::into_response`]).

mod auth;
mod forward;
pub(crate) mod redirect;

use std::borrow::Cow;
use std::sync::Arc;

use http::header::HOST;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode, Uri};
use hyper::body::Incoming;
use portico_balance::{Balancer, Pick};
use portico_model::{BackendId, Location, LocationPolicy, Phase, RateLimit, Server, Target};
use portico_router::normalize::normalize;
use portico_router::{PathMatch, RequestHead, ServerId};

pub use auth::{Authenticator, Verdict};

use crate::access_log::AccessLog;
use crate::body::ResponseBody;
use crate::config::ConnInfo;
use crate::error::{redirect, ProxyError};
use crate::error_pages::ErrorRequest;
use crate::filters::limits::ConnPermit;
use crate::filters::{
    apply_response_filters, Effects, FilterRequest, ResponseRequest, Step, ACCESS_PHASES,
};
use crate::forwarded::Forwarded;
use crate::server::Proxy;
use crate::snapshot::Snapshot;

/// What the phases learned that outlives them: for metrics and the response body.
#[derive(Debug, Default)]
struct Trail {
    routed: Option<(ServerId, usize)>,
    pick: Option<Pick>,
    /// Set once the routed location's rewrite-phase filters ran, when it has response filters.
    response: Option<ResponseRequest>,
    /// A `limit-connections` slot, released with the response body.
    held: Option<ConnPermit>,
    /// `limit-rate`: the pace of the response body.
    rate: Option<RateLimit>,
    /// `custom-http-errors`: what the error request needs, on a location with them.
    errors: Option<ErrorRequest>,
    /// Answered by a `from-to-www-redirect` twin (no HSTS, as nginx's redirect server).
    twin: bool,
    /// `enable-opentelemetry`: the server span, from routing on (boxed: a request that does
    /// not trace carries a pointer, not a span).
    span: Option<Box<portico_trace::ServerSpan>>,
}

/// Phase 1's result: the server, the normalized path and the match in that server.
#[derive(Debug)]
struct Route<'u> {
    server: ServerId,
    path: Cow<'u, str>,
    matched: PathMatch,
}

// === impl Proxy ===

impl Proxy {
    /// Answers one client request; never fails (failures become nginx-like pages).
    pub(crate) async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        conn: Arc<ConnInfo>,
    ) -> Response<ResponseBody> {
        let (inflight, nth) = conn.shared.start();
        let closing = req.version() <= http::Version::HTTP_11
            && (conn.limits.keepalive.is_zero() || nth >= conn.limits.keepalive_requests);
        let host = request_host(&req);
        let grpc = crate::error::is_grpc(req.headers());
        let snapshot = self.snapshot();
        let seen = (req.version(), req.headers(), conn.peer, conn.tls);
        let output = self.access.load_full();
        let mut log = AccessLog::start(
            output,
            req.method(),
            req.uri(),
            host.as_ref(),
            seen,
            snapshot.as_ref(),
        );
        log.metrics = crate::request_metrics::Recorder::start(&req);
        let mut trail = Trail::default();
        let result = match &snapshot {
            // Boxed: hyper keeps room for this future in every connection, idle ones too.
            Some(snapshot) => {
                Box::pin(self.run(snapshot, req, host, &conn, &mut log, &mut trail)).await
            }
            None => Err(ProxyError::NotReady),
        };
        let mut error_status = None;
        let mut response = result.unwrap_or_else(|error| {
            error_status = Some(error.status());
            if grpc {
                grpc_rescue(error)
            } else {
                rescue(error)
            }
        });
        if let (Some(errors), Some(snapshot)) = (trail.errors.take(), &snapshot) {
            let id = errors.headers.get(crate::forwarded::X_REQUEST_ID).cloned();
            let id = id.or_else(|| log.request_id.clone()).or_else(|| {
                snapshot.table.global.generate_request_id.then(crate::request_id::generate)
            });
            let upstream = trail.pick.is_some();
            let replaced =
                crate::error_pages::replace(snapshot, errors, id.as_ref(), response, upstream);
            response = Box::pin(replaced).await; // rare: kept out of every request's future
        }
        if let (Some(seen), Some(snapshot)) = (&trail.response, &snapshot) {
            respond_filters(snapshot, trail.routed, seen, &mut response);
        }
        if !trail.twin {
            // nginx adds HSTS from its locations; a from-to-www twin has none.
            crate::tls::hsts(&mut response, snapshot.as_deref(), &conn);
        }
        if let Some(snapshot) = &snapshot {
            crate::headers::respond(&mut response, &snapshot.table.global.headers);
        }
        // A gRPC failure answers HTTP 200 (trailers-only): logs and metrics keep its status.
        let status = error_status.unwrap_or(response.status()).as_u16();
        match &snapshot {
            Some(snapshot) => snapshot.record(trail.routed, status),
            None => self.metrics.record_request(status, ""),
        }
        let handle = snapshot.as_ref().and_then(|s| s.metric_handle(trail.routed, log.backend));
        log.metrics.respond(handle, &response);
        log.status = status;
        if let (Some(mut span), Some(snapshot)) = (trail.span.take(), &snapshot) {
            let location = trail.routed.and_then(|(s, i)| snapshot.server(s).locations.get(i));
            crate::telemetry::finish(&mut span, snapshot, location, &log, &conn);
            response.body_mut().trace(span);
        }
        if closing {
            // `keep-alive: 0` or the connection's `keep-alive-requests`-th request.
            response
                .headers_mut()
                .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
        }
        response.body_mut().attach(log, trail.pick, inflight);
        if let Some(permit) = trail.held {
            response.body_mut().hold(permit);
        }
        if let Some(rate) = trail.rate {
            response.body_mut().throttle(rate);
        }
        response
    }

    /// Runs the phases in order; an early `Ok` is a response Portico wrote itself.
    async fn run(
        &self,
        snap: &Snapshot,
        req: Request<Incoming>,
        host: Option<HeaderValue>,
        conn: &ConnInfo,
        log: &mut AccessLog,
        trail: &mut Trail,
    ) -> Result<Response<ResponseBody>, ProxyError> {
        let (mut parts, body) = req.into_parts();
        let uri = parts.uri.clone();
        let raw_host = host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("");
        let route = route(snap, raw_host, &uri)?;
        let server = snap.server(route.server);
        if let Some(to) = &server.redirect_to {
            trail.twin = true;
            return Ok(www_redirect(to, &parts, host.as_ref(), conn, &snap.table.global));
        }
        if let Some(response) = app_root(server, &route.path, conn, raw_host) {
            return Ok(response);
        }
        let (index, location, add_slash) = location(server, route.matched)?;
        trail.routed = Some((route.server, index));
        trail.span = crate::telemetry::start(snap, (server, location), &parts, conn, log.started());
        log.ingress = snap.ingress(route.server, index).cloned();
        let policy = &location.policy;
        log.enabled = policy.access_log;
        let view = Forwarded::new(&parts.headers, host.as_ref(), conn, &snap.table.global);
        trail.errors = policy.filters.custom_errors().map(|errors| ErrorRequest {
            errors: Arc::clone(errors),
            method: parts.method.clone(),
            headers: parts.headers.clone(),
            request_uri: uri.path_and_query().map_or("/", |pq| pq.as_str()).to_string(),
            client: view.client,
        });
        trail.rate = policy.filters.rate_limit();
        check_body_size(policy, &parts.headers)?;
        if add_slash {
            let style = policy.filters.redirect_style();
            return Ok(add_slash_redirect(conn, raw_host, &uri, style));
        }
        check_denied(policy)?;
        let mut effects = Effects::default();
        let mut filtered = (!policy.filters.is_empty()).then_some(FilterRequest {
            client: view.client,
            method: &parts.method,
            headers: &parts.headers,
            uri: &uri,
            path: &route.path,
            raw_host,
            view: &view,
            conn,
            global: &snap.table.global,
            timeouts: policy.timeouts,
            limits: snap.limits(route.server, index),
            held: None,
            router: &snap.router,
            at: (route.server, index),
            has_certificate: server.has_certificate,
            trace: trail.span.as_deref(),
        });
        if let Some(req) = &mut filtered {
            trail.response = ResponseRequest::capture(&policy.filters, &parts.headers);
            if let Step::Respond(response) =
                self.apply_filters(&policy.filters, Phase::Rewrite, req, &mut effects).await?
            {
                return Ok(*response);
            }
        }
        // The balancer pick ends nginx's rewrite phase: no endpoints is 503 before any access
        // check (spec §1.7); then allow/deny, basic auth (access phase), auth_request.
        let balancer = backend(snap, (route.server, index, location), &parts)?.map(|(id, b)| {
            log.backend = Some(id);
            b
        });
        if let Some(req) = &mut filtered {
            for phase in ACCESS_PHASES {
                if let Step::Respond(response) =
                    self.apply_filters(&policy.filters, phase, req, &mut effects).await?
                {
                    return Ok(*response);
                }
            }
        }
        if let Some(req) = &mut filtered {
            if let Step::Respond(response) =
                self.apply_filters(&policy.filters, Phase::AuthRequest, req, &mut effects).await?
            {
                return Ok(*response);
            }
            trail.held = req.held.take();
        }
        let late_headers = match &filtered {
            Some(req) => crate::filters::upstream_filters(&policy.filters, req),
            None => Vec::new(),
        };
        drop(filtered);
        let rewritten = effects.rewritten.take();
        // nginx's mirror subrequest sees the client's headers, not what auth added upstream.
        let auth_headers = policy.mirror.is_some() && !effects.upstream.is_empty();
        let client_headers = auth_headers.then(|| parts.headers.clone());
        effects.apply_upstream(&mut parts.headers);
        let rest = async {
            let balancer = balancer.ok_or(ProxyError::NoRoute)?;
            let request = forward::Forward {
                snap,
                policy,
                balancer,
                view,
                rewritten,
                conn,
                host: raw_host,
                path: &route.path,
                late_headers,
                client_headers,
            };
            self.forward(request, parts, body, log, trail).await
        };
        effects.finish(rest.await)
    }
}

/// The response phase: the routed location's response filters, on whatever answered.
fn respond_filters(
    snap: &Snapshot,
    routed: Option<(ServerId, usize)>,
    seen: &ResponseRequest,
    response: &mut Response<ResponseBody>,
) {
    let Some((server, index)) = routed else { return };
    if let Some(location) = snap.server(server).locations.get(index) {
        apply_response_filters(&location.policy.filters, seen, response);
    }
}

/// The client's host: the URI authority when there is one (an absolute-form target, RFC 9112
/// §3.2.2, or HTTP/2's `:authority`), which then replaces any Host header; else Host.
fn request_host(req: &Request<Incoming>) -> Option<HeaderValue> {
    if let Some(authority) = req.uri().authority() {
        if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
            return Some(host);
        }
    }
    req.headers().get(HOST).cloned()
}

/// Turns a failure into its response (the single mapping is [`ProxyError::into_response`]).
pub(crate) fn rescue(error: ProxyError) -> Response<ResponseBody> {
    match error.status().as_u16() {
        502 | 504 => tracing::warn!(%error, "upstream failure"),
        503 => tracing::info!(%error, "service unavailable"),
        400 | 408 if matches!(error, ProxyError::BadBody(_) | ProxyError::ClientTimeout) => {
            tracing::info!(%error, "client error")
        }
        _ => tracing::debug!(%error, "request refused"),
    }
    error.into_response()
}

/// [`rescue`] for a gRPC request: the failure as a gRPC status (see [`crate::error::grpc_error`]).
fn grpc_rescue(error: ProxyError) -> Response<ResponseBody> {
    let status = error.status();
    let _ = rescue(error); // logs it; the client only learns the status, as from nginx's page
    crate::error::grpc_error(status)
}

/// Phase 1, always: server by Host, path normalized, location looked up. `Err` = 400 (path
/// cannot be normalized).
fn route<'u>(snap: &Snapshot, host: &str, uri: &'u Uri) -> Result<Route<'u>, ProxyError> {
    let server = snap.router.find_server(host);
    let path = normalize(uri.path()).map_err(|_| ProxyError::BadRequest("invalid request path"))?;
    let matched = snap.router.find_location(server, &path);
    Ok(Route { server, path, matched })
}

/// Phase 2 on a `from-to-www-redirect` twin (a server of its own in nginx, with nothing but
/// the `return`): `http-redirect-code` to `<scheme>://<to>:<port><request URI minus one
/// trailing slash>`, scheme and port as trusted forwarded headers say.
fn www_redirect(
    to: &str,
    parts: &http::request::Parts,
    host: Option<&HeaderValue>,
    conn: &ConnInfo,
    global: &portico_model::GlobalConfig,
) -> Response<ResponseBody> {
    let view = Forwarded::new(&parts.headers, host, conn, global);
    let request_uri = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let scheme = view.scheme.to_str().unwrap_or("http");
    let port = view.port.to_str().unwrap_or_default();
    let location = redirect::www_location(scheme, to, port, request_uri);
    let status =
        StatusCode::from_u16(global.http_redirect_code).unwrap_or(StatusCode::PERMANENT_REDIRECT);
    match HeaderValue::try_from(location) {
        Ok(location) => redirect(status, location),
        Err(_) => ProxyError::BadRequest("unrepresentable redirect").into_response(),
    }
}

/// Phase 2, before any location: `app-root` 302 for exactly `/` (§1.5).
fn app_root(
    server: &Server,
    path: &str,
    conn: &ConnInfo,
    raw_host: &str,
) -> Option<Response<ResponseBody>> {
    let location =
        redirect::app_root_location(server.app_root.as_deref(), path, conn.scheme(), raw_host)?;
    Some(redirect(StatusCode::FOUND, HeaderValue::try_from(location).ok()?))
}

/// Phase 3: the matched location. `Err(NoRoute)` = 404; `true` = nginx's add-slash redirect
/// (answered after the body-size check, as nginx does).
fn location(server: &Server, matched: PathMatch) -> Result<(usize, &Location, bool), ProxyError> {
    let (index, add_slash) = match matched {
        PathMatch::Location(index) => (index, false),
        PathMatch::AddSlash(index) => (index, true),
        PathMatch::NoMatch => return Err(ProxyError::NoRoute),
    };
    let location = server.locations.get(index).ok_or(ProxyError::NoRoute)?;
    Ok((index, location, add_slash))
}

/// The add-slash 301 of phase 3 (relative with `relative-redirects`, with the port with
/// `use-port-in-redirects`).
fn add_slash_redirect(
    conn: &ConnInfo,
    raw_host: &str,
    uri: &Uri,
    style: portico_model::RedirectStyle,
) -> Response<ResponseBody> {
    let (path, query) = (uri.path(), uri.query());
    let location =
        redirect::add_slash_location(conn.scheme(), raw_host, path, query, style, conn.port);
    match HeaderValue::try_from(location) {
        Ok(location) => redirect(StatusCode::MOVED_PERMANENTLY, location),
        Err(_) => ProxyError::BadRequest("unrepresentable redirect").into_response(),
    }
}

/// Phase 4: `Content-Length` above `proxy-body-size` → 413 before the upstream is contacted.
/// (A chunked body is counted while streaming, see [`crate::body::RequestBody`].)
fn check_body_size(policy: &LocationPolicy, headers: &HeaderMap) -> Result<(), ProxyError> {
    let Some(limit) = policy.max_body_size else { return Ok(()) };
    let length = headers.get(http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
    match length.map(str::parse::<u64>) {
        Some(Ok(length)) if length > limit => Err(ProxyError::BodyTooLarge { limit }),
        Some(Err(_)) => Err(ProxyError::BadRequest("invalid Content-Length")),
        _ => Ok(()),
    }
}

/// Phase 5: a denied location (e.g. its auth Secret is missing) → 503.
fn check_denied(policy: &LocationPolicy) -> Result<(), ProxyError> {
    match &policy.denied {
        Some(why) => Err(ProxyError::Denied(why.clone())),
        None => Ok(()),
    }
}

/// Phase 8: the location's target for this request (canary rules, then weights; the primary
/// for a location with one target), then its backend; no endpoints → 503. `None` for a
/// `NotFound` target: its 404 plays nginx's default backend, so it is answered after auth
/// (§2.4).
fn backend<'s>(
    snap: &'s Snapshot,
    routed: (ServerId, usize, &Location),
    parts: &http::request::Parts,
) -> Result<Option<(BackendId, &'s Balancer)>, ProxyError> {
    let (server, index, location) = routed;
    let target = if location.backends.is_single() {
        location.target()
    } else {
        affinitized(snap, location, &parts.headers).unwrap_or_else(|| {
            let head = RequestHead {
                method: &parts.method,
                headers: &parts.headers,
                query: parts.uri.query(),
            };
            let chosen = snap.router.choose(server, index, &head, |n| fastrand::u64(..n));
            location.backends.targets().get(chosen).map_or(location.target(), |t| t.target)
        })
    };
    let Target::Backend(id) = target else { return Ok(None) };
    let unavailable = || {
        let name = snap.table.backend(id).map_or_else(String::new, |b| b.name.clone());
        ProxyError::NoEndpoints(name)
    };
    match snap.balancer(id) {
        Some(balancer) if !balancer.is_empty() => Ok(Some((id, balancer))),
        _ => Err(unavailable()),
    }
}

/// The target of a location with a canary whose backend the request's affinity cookie names
/// (the main one first), as ingress-nginx's balancer checks before the canary rules.
fn affinitized(snap: &Snapshot, location: &Location, headers: &HeaderMap) -> Option<Target> {
    location.backends.targets().iter().map(|t| t.target).find(|target| match target {
        Target::Backend(id) => snap.balancer(*id).is_some_and(|b| b.is_affinitized(headers)),
        Target::NotFound => false,
    })
}

/// Basic auth (the access phase's [`portico_model::Filter::BasicAuth`]): 401 with the realm's
/// challenge unless the credentials verify (500 for a hash nginx fails on). Slow hashes run
/// off the runtime.
pub(crate) async fn authorize(
    checker: &Authenticator,
    basic: &Arc<portico_model::BasicAuth>,
    headers: &HeaderMap,
) -> Result<(), ProxyError> {
    match checker.check(basic, headers.get(http::header::AUTHORIZATION)).await {
        Verdict::Allow => Ok(()),
        Verdict::Deny => Err(ProxyError::Unauthorized { realm: auth::challenge(basic) }),
        Verdict::Fail => Err(ProxyError::Internal("unusable password hash")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
