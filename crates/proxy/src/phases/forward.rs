//! Phase 10: forward to the upstream and turn its answer into the client's response.

use http::request::Parts;
use http::{Request, Response, StatusCode, Uri, Version};
use hyper::body::Incoming;
use portico_balance::{Balancer, PickContext};
use portico_model::LocationPolicy;

use super::Trail;
use crate::access_log::AccessLog;
use crate::body::{RequestBody, ResponseBody};
use crate::config::ConnInfo;
use crate::error::ProxyError;
use crate::filters::client_cert;
use crate::forwarded::{self, Forwarded, HeaderPlan, X_REQUEST_ID};
use crate::server::Proxy;
use crate::snapshot::Snapshot;
use crate::upstream::{self, KeepAlive};
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
}

// === impl Proxy ===

impl Proxy {
    /// Phase 10, last: headers of §5.1/§5.2, body limit wrapper, upstream exchange with
    /// retries, response header cleanup, WebSocket tunnel on `101`.
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
        let upgrade = forwarded::wants_upgrade(&parts.headers);
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
        parts.uri = match fwd.rewritten {
            Some(uri) => uri,
            None => origin_form(&parts.uri),
        };
        parts.version = Version::HTTP_11;
        let body = RequestBody::new(body, policy.max_body_size, fwd.conn.limits.body_timeout);
        let mut req = Request::from_parts(parts, body);
        let client_upgrade = upgrade.then(|| hyper::upgrade::on(&mut req));

        let client_ip = fwd.view.client;
        let ctx = PickContext { client: client_ip, host: fwd.host, path: fwd.path };
        let keepalive = KeepAlive {
            max_idle: global.upstream_keepalive_connections,
            idle_timeout: global.upstream_keepalive_timeout,
        };
        let exchange =
            upstream::send(&self.pool, fwd.balancer, &ctx, policy, keepalive, req).await?;
        self.metrics.observe_upstream(exchange.latency.as_secs_f64());
        log.upstream = Some(exchange.addr);
        trail.pick = Some(exchange.pick);

        let mut response = exchange.response;
        check_head_size(&response, policy.proxy_buffer_size, exchange.addr)?;
        let switching = response.status() == StatusCode::SWITCHING_PROTOCOLS;
        forwarded::downstream_headers(response.headers_mut(), switching);
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
        let (parts, body) = response.into_parts();
        Ok(Response::from_parts(parts, ResponseBody::upstream(body, policy.timeouts.read)))
    }
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
