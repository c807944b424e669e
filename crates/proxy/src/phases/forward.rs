//! Phase 10: forward to the upstream and turn its answer into the client's response.

use http::header::CONTENT_LENGTH;
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode, Uri, Version};
use http_body::Body as _;
use hyper::body::Incoming;
use portico_balance::{Balancer, PickContext, RequestView};
use portico_model::{Compression, LocationPolicy, Mirror, UpstreamProtocol};

use super::Trail;
use crate::access_log::AccessLog;
use crate::affinity::{self, CookieRequest};
use crate::body::{compress, Buffered, RequestBody, ResponseBody, StreamBody};
use crate::config::ConnInfo;
use crate::error::ProxyError;
use crate::filters::client_cert;
use crate::filters::external_auth::VarSource;
use crate::forwarded::{self, Forwarded, HeaderPlan, X_REQUEST_ID};
use crate::mirror::MirrorCopy;
use crate::server::Proxy;
use crate::snapshot::Snapshot;
use crate::upstream::{self, KeepAlive, Transport};
use crate::{request_id, upgrade};

/// What the earlier phases decided, as input to forwarding.
pub(super) struct Forward<'a> {
    pub snap: &'a Snapshot,
    pub policy: &'a LocationPolicy,
    pub balancer: &'a Balancer,
    pub view: Forwarded,
    /// The rewritten request-target, when the `rewrite-target` filter rewrote.
    pub rewritten: Option<Uri>,
    pub conn: &'a ConnInfo,
    pub host: &'a str,
    /// The normalized path (for hashing balancers).
    pub path: &'a str,
    /// `proxy_set_header` values of a snippet, set after Portico's own headers.
    pub late_headers: Vec<(http::HeaderName, Option<http::HeaderValue>)>,
    /// The client's headers, kept for the `mirror-target` copy when the auth filters changed
    /// the request's (`None`: the request's are the client's).
    pub client_headers: Option<http::HeaderMap>,
}

// === impl Proxy ===

impl Proxy {
    /// Phase 10, last: headers of §5.1/§5.2, the request body (limit and timeout wrapper,
    /// buffered whole first with `proxy-request-buffering`), the `mirror-target` copy sent in
    /// the background (from the client's request, with the buffered body), upstream exchange
    /// with retries,
    /// response header cleanup, compression (`use-gzip`, `enable-brotli`), WebSocket tunnel on
    /// `101`.
    pub(super) async fn forward(
        &self,
        fwd: Forward<'_>,
        mut parts: Parts,
        body: Incoming,
        log: &mut AccessLog,
        trail: &mut Trail,
    ) -> Result<Response<ResponseBody>, ProxyError> {
        let global = &fwd.snap.table.global;
        let policy = fwd.policy;
        let (key, cookie_request) = read_request(&fwd, &parts);
        let copy = policy.mirror.as_deref().and_then(|mirror| {
            let copy = mirror_copy(mirror, &fwd, &parts);
            if copy.is_none() {
                self.metrics.record_mirror(portico_metrics::MirrorOutcome::Failed);
            }
            copy
        });
        let protocol = policy.upstream.protocol.resolve(fwd.conn.tls);
        let transport = transport(fwd.snap, policy, protocol)?;
        let transport = Transport { trace: trail.span.as_deref(), ..transport };
        let te_trailers = wants_trailers(&parts.headers);
        let upgrade = !transport.h2 && forwarded::wants_upgrade(&parts.headers);
        let compression = &global.compression;
        let accepted =
            compress::accepted(compression, &parts.method, parts.version, &parts.headers);
        let request_id = match parts.headers.get(X_REQUEST_ID) {
            Some(id) => Some(id.clone()),
            None => global.generate_request_id.then(request_id::generate),
        };
        log.request_id.clone_from(&request_id);
        let plan = HeaderPlan {
            request_id,
            strip_authorization: policy.filters.basic_auth().is_some(),
            upgrade,
            forwarded_prefix: policy
                .filters
                .rewrite()
                .and_then(|r| r.x_forwarded_prefix.as_deref()),
        };
        forwarded::upstream_headers(&mut parts.headers, &fwd.view, plan, fwd.conn, global);
        crate::headers::upstream(&mut parts.headers, &global.headers);
        for (name, value) in fwd.late_headers {
            match value {
                Some(value) => parts.headers.insert(name, value),
                None => parts.headers.remove(name),
            };
        }
        if let Some(auth) = policy.filters.client_auth() {
            client_cert::upstream_headers(auth, fwd.conn, &mut parts.headers);
        }
        if let (Some(connection), false) = (policy.upstream.connection, transport.h2) {
            let value = http::HeaderValue::from_static(connection.as_str());
            parts.headers.insert(http::header::CONNECTION, value);
        }
        if let Some(vhost) = policy.upstream.vhost.as_deref() {
            if let Ok(vhost) = http::HeaderValue::from_str(vhost) {
                parts.headers.insert(http::header::HOST, vhost);
            }
        }
        parts.uri = match fwd.rewritten {
            Some(uri) => uri,
            None => origin_form(&parts.uri),
        };
        let body = request_body(policy, fwd.conn, upgrade, &mut parts, body).await?;
        let keepalive = KeepAlive {
            max_idle: global.upstream_keepalive_connections,
            idle_timeout: global.upstream_keepalive_timeout,
        };
        if let Some(copy) = copy {
            let tls = fwd.snap.upstream_tls.get(None, false);
            self.mirrors.send(copy, &body, (self.pool(), &self.metrics, keepalive), tls);
        }
        if transport.h2 {
            h2_request(&mut parts, protocol.is_tls(), te_trailers)?;
        }
        let mut req = Request::from_parts(parts, body);
        let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut req));

        let client_ip = fwd.view.client;
        log.client = Some(client_ip);
        let ctx = PickContext { client: client_ip, host: fwd.host, path: fwd.path, key };
        // Boxed: the exchange's state (request, retries, connection) is kilobytes; inline, every
        // enclosing phase's future would carry it and copy it whenever one is moved.
        let exchange = Box::pin(upstream::send(
            self.pool(),
            fwd.balancer,
            &ctx,
            policy,
            keepalive,
            transport,
            req,
        ))
        .await?;
        self.metrics.observe_upstream(exchange.latency.as_secs_f64());
        fwd.balancer.observe(&exchange.pick, exchange.latency);
        log.upstream = Some(exchange.addr);
        log.upstream_status = Some((exchange.response.status().as_u16(), exchange.latency));
        log.metrics.upstream(exchange.sent, exchange.latency);
        let mut response = exchange.response;
        if let (Some(pin), Some(cookie_request)) = (&exchange.pick.pin, cookie_request) {
            pin_cookie(fwd.snap, fwd.balancer, trail, pin, cookie_request, response.headers_mut());
        }
        trail.pick = Some(exchange.pick);

        check_head_size(&response, policy.proxy_buffer_size, exchange.addr)?;
        let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
        forwarded::downstream_headers(response.headers_mut(), switching);
        if !policy.upstream.rewrite.is_empty() {
            crate::response_rewrite::apply(&policy.upstream.rewrite, response.headers_mut());
        }
        crate::headers::hide(response.headers_mut(), &global.headers);
        if switching {
            let Some(client) = client_upgrade else {
                return Err(ProxyError::BadRequest("upstream switched protocols unasked"));
            };
            fwd.conn.shared.set_upgraded();
            upgrade::tunnel(&self.tunnels, client, hyper::upgrade::on(&mut response));
            let (parts, _) = response.into_parts();
            return Ok(Response::from_parts(parts, ResponseBody::empty()));
        }
        let mut response = relay(response, policy, compression, accepted);
        response.body_mut().reuse_after(exchange.reuse);
        Ok(response)
    }
}

/// What the balancer and the affinity cookie need from the request, read before the request
/// is rewritten for the upstream (nginx variables are the client's).
fn read_request(
    fwd: &Forward<'_>,
    parts: &Parts,
) -> (portico_balance::RequestKey, Option<CookieRequest>) {
    let view = RequestView {
        client: fwd.view.client,
        host: fwd.host,
        path: fwd.path,
        scheme: fwd.conn.scheme(),
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
    };
    let cookie = fwd.balancer.affinity().map(|_| CookieRequest::new(&parts.headers, fwd.conn.tls));
    (fwd.balancer.read(&view), cookie)
}

/// The `mirror-target` copy of this request, built from the client's request before it is
/// changed for the upstream; `None` when the expanded target is unusable (logged at debug).
fn mirror_copy(mirror: &Mirror, fwd: &Forward<'_>, parts: &Parts) -> Option<MirrorCopy> {
    let vars = VarSource {
        client: fwd.view.client,
        method: &parts.method,
        headers: fwd.client_headers.as_ref().unwrap_or(&parts.headers),
        uri: &parts.uri,
        path: fwd.path,
        raw_host: fwd.host,
        view: &fwd.view,
        conn: fwd.conn,
    };
    MirrorCopy::prepare(mirror, &vars, fwd.policy.timeouts)
        .map_err(|error| tracing::debug!(%error, "request not mirrored"))
        .ok()
}

/// A new affinity pin: its cookie, on the locations of the Ingresses that enabled affinity.
fn pin_cookie(
    snap: &Snapshot,
    balancer: &Balancer,
    trail: &Trail,
    pin: &str,
    req: CookieRequest,
    headers: &mut http::HeaderMap,
) {
    let Some(affinity) = balancer.affinity() else { return };
    let Some((server, index)) = trail.routed else { return };
    if let Some(location) = snap.server(server).locations.get(index) {
        affinity::set_cookie(headers, affinity, location, pin, req);
    }
}

/// The upstream's response as the client gets it: its body under the read timeout,
/// compressed when the response and the client's `Accept-Encoding` allow.
fn relay(
    mut response: Response<Incoming>,
    policy: &LocationPolicy,
    compression: &Compression,
    accepted: Option<compress::Accepted>,
) -> Response<ResponseBody> {
    let encoder = accepted.and_then(|a| compress::negotiate(compression, a, &mut response));
    let (parts, body) = response.into_parts();
    let mut body = ResponseBody::upstream(body, policy.timeouts.read);
    if let Some(encoder) = encoder {
        body.compress(encoder);
    }
    Response::from_parts(parts, body)
}

/// The request body as it goes upstream: streamed, or (`proxy-request-buffering`, HTTP/1.0)
/// read whole first and announced with a `Content-Length`. A bodiless request and an upgrade
/// are never buffered, so they pay nothing.
/// `proxy-http-version` sets the request's version.
async fn request_body(
    policy: &LocationPolicy,
    conn: &ConnInfo,
    upgrade: bool,
    parts: &mut Parts,
    body: Incoming,
) -> Result<RequestBody, ProxyError> {
    let buffering = policy.request_body;
    parts.version = if buffering.http10 { Version::HTTP_10 } else { Version::HTTP_11 };
    let body = StreamBody::new(body, policy.max_body_size, conn.limits.body_timeout);
    if upgrade || !buffering.buffers() || body.is_end_stream() {
        return Ok(RequestBody::Stream { body });
    }
    let buffered =
        Buffered::collect(body, buffering.memory_limit).await.map_err(ProxyError::from_body)?;
    parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(buffered.len()));
    Ok(RequestBody::buffered(&buffered))
}

/// `proxy-buffer-size`: a response head larger than the buffer is a 502, as nginx's "upstream
/// sent too big header". The size is counted as the head would be written (status line,
/// `name: value` lines, line breaks): never more than the bytes the upstream sent.
fn check_head_size<B>(
    response: &Response<B>,
    limit: u64,
    addr: std::net::SocketAddr,
) -> Result<(), ProxyError> {
    let reason = response.status().canonical_reason().map_or(0, str::len);
    let status_line = "HTTP/1.1 200 \r\n".len() + reason;
    let fields: usize =
        response.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    let size = status_line + fields + 2;
    if size as u64 > limit {
        return Err(ProxyError::UpstreamHeadTooLarge { addr, size, limit });
    }
    Ok(())
}

/// How this location reaches its backend: h2 for the gRPC protocols, TLS with the table's
/// connector for the location's `proxy-ssl-*`.
fn transport<'s>(
    snap: &'s Snapshot,
    policy: &LocationPolicy,
    protocol: UpstreamProtocol,
) -> Result<Transport<'s>, ProxyError> {
    let h2 = protocol.is_h2();
    let tls = match protocol.is_tls() {
        true => Some(
            snap.upstream_tls
                .get(policy.upstream.tls.as_ref(), h2)
                .ok_or(ProxyError::Internal("upstream TLS settings did not build"))?,
        ),
        false => None,
    };
    Ok(Transport { h2, tls, trace: None })
}

/// The client sent `TE: trailers` (gRPC requires it; the hop-by-hop cleanup removed it).
fn wants_trailers(headers: &http::HeaderMap) -> bool {
    headers.get_all(http::header::TE).iter().any(|v| {
        v.to_str().is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("trailers")))
    })
}

/// Turns the upstream request into HTTP/2: `:scheme` and `:authority` (from the Host sent
/// upstream, which h2 carries as `:authority`), and `TE: trailers` when the client sent it.
fn h2_request(parts: &mut Parts, tls: bool, te_trailers: bool) -> Result<(), ProxyError> {
    parts.version = Version::HTTP_2;
    let authority = parts.headers.remove(http::header::HOST);
    let authority = authority.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let path = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let scheme = if tls { "https" } else { "http" };
    parts.uri = Uri::builder()
        .scheme(scheme)
        .authority(authority)
        .path_and_query(path)
        .build()
        .map_err(|_| ProxyError::BadRequest("request target not representable over HTTP/2"))?;
    if te_trailers {
        parts.headers.insert(http::header::TE, http::HeaderValue::from_static("trailers"));
    }
    Ok(())
}

/// The request-target as sent upstream over HTTP/1.1: origin-form (`/path?query`), raw.
fn origin_form(uri: &Uri) -> Uri {
    if uri.scheme().is_none() && uri.authority().is_none() {
        return uri.clone();
    }
    match uri.path_and_query() {
        Some(pq) => Uri::from(pq.clone()),
        None => Uri::from_static("/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_form_keeps_the_raw_target() {
        let cases = [
            ("/a/%2e/b?x=%20", "/a/%2e/b?x=%20"),
            ("http://foo.com/x?y", "/x?y"),
            ("http://foo.com", "/"),
        ];
        for (input, expected) in cases {
            assert_eq!(origin_form(&input.parse().unwrap_or_default()), expected, "{input}");
        }
    }
}
