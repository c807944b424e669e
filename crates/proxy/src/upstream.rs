//! Phase 10's transport: choose an endpoint, connect, send, and retry the next endpoint while
//! nothing was sent, or after sending a buffered body (`proxy-next-upstream error timeout`,
//! §5.4). HTTP/1.1 (pooled idle connections) or h2 (one multiplexed connection per endpoint),
//! in clear text or over TLS.

mod h2;
mod pool;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use http::{Request, Response, StatusCode};
use hyper::body::Incoming;
use portico_balance::{Balancer, Pick, PickContext};
use portico_model::{Endpoint, LocationPolicy, NextUpstream, Timeouts};
use tokio::time::Instant;

pub(crate) use pool::{KeepAlive, Pool, Reuse};
pub(crate) use tls::{Connector, Connectors};

use pool::PoolKey;

use crate::body::RequestBody;
use crate::error::ProxyError;

/// A response from an upstream, with what must live as long as the exchange.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub response: Response<Incoming>,
    pub addr: SocketAddr,
    pub pick: Pick,
    /// When the request was sent, and the time from then to the response headers.
    pub sent: Instant,
    pub latency: std::time::Duration,
    /// The HTTP/1.1 connection, pooled again once the response body has been read.
    pub reuse: Option<Reuse>,
}

/// How one request is sent: h2 or HTTP/1.1, over TLS or not, and (`enable-opentelemetry`)
/// the server span each attempt's client span is a child of.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Transport<'a> {
    pub h2: bool,
    pub tls: Option<&'a Connector>,
    pub trace: Option<&'a portico_trace::ServerSpan>,
}

/// The request as the transport sends it: h2 needs an `Unpin` body, so it is boxed there
/// (once per request, not per attempt).
enum Outgoing {
    H1(Request<RequestBody>),
    H2(Request<h2::H2Body>),
}

// === impl Outgoing ===

impl Outgoing {
    fn method(&self) -> &http::Method {
        match self {
            Outgoing::H1(req) => req.method(),
            Outgoing::H2(req) => req.method(),
        }
    }

    fn headers_mut(&mut self) -> &mut http::HeaderMap {
        match self {
            Outgoing::H1(req) => req.headers_mut(),
            Outgoing::H2(req) => req.headers_mut(),
        }
    }
}

/// An attempt that failed before the request left Portico hands the request back.
enum Failed {
    NotSent(Box<Outgoing>, ProxyError),
    Sent(ProxyError),
}

/// Sends `req` to an endpoint of `balancer`. Connect failures move on to the next endpoint as
/// `policy.next_upstream` allows (the request was not sent, so any method may be retried); a
/// failure after sending is final unless the body is buffered and the method may be resent
/// ([`may_resend`]; a streamed body is gone). Exhausted → the last error.
pub(crate) async fn send(
    pool: &Arc<Pool>,
    balancer: &Balancer,
    ctx: &PickContext<'_>,
    policy: &LocationPolicy,
    keepalive: KeepAlive,
    transport: Transport<'_>,
    req: Request<RequestBody>,
) -> Result<Exchange, ProxyError> {
    let wrap = |req: Request<RequestBody>| match transport.h2 {
        true => Outgoing::H2(req.map(Box::pin)),
        false => Outgoing::H1(req),
    };
    // A buffered body can be sent again after a failure (nginx's proxy_next_upstream with
    // proxy_request_buffering on); its head is kept for that, streamed requests pay nothing.
    let resend = may_resend(&req, &policy.next_upstream).then(|| copy(&req)).flatten();
    let mut req = wrap(req);
    let max_tries = match policy.next_upstream.tries {
        0 => usize::MAX,
        n => n as usize,
    };
    let mut tried: Vec<usize> = Vec::new();
    let mut last_error = None;
    while tried.len() < max_tries {
        let Some(pick) = balancer.pick(ctx, &tried) else { break };
        let Some(endpoint) = balancer.endpoint(pick.index) else { break };
        let mut span = transport.trace.map(|parent| {
            let method = req.method().clone();
            crate::telemetry::attempt(parent, &method, req.headers_mut(), tried.len() + 1)
        });
        let result = attempt(pool, endpoint, policy, keepalive, transport.tls, req).await;
        if let Some(span) = &mut span {
            end_attempt(span, &result);
        }
        match result {
            Ok(Answer { response, addr, sent, latency, reuse }) => {
                return Ok(Exchange { response, addr, pick, sent, latency, reuse })
            }
            Err(Failed::Sent(error)) => {
                let again =
                    resend.as_ref().filter(|_| may_retry_sent(&error, &policy.next_upstream));
                let Some(again) = again.and_then(copy) else { return Err(error) };
                tracing::warn!(upstream = %endpoint, %error, "upstream failed after sending");
                req = wrap(again);
                tried.push(pick.index);
                last_error = Some(error);
            }
            Err(Failed::NotSent(back, error)) => {
                tracing::warn!(upstream = %endpoint, %error, "upstream attempt failed");
                if !may_retry(&error, &policy.next_upstream) {
                    return Err(error);
                }
                req = *back;
                tried.push(pick.index);
                last_error = Some(error);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| ProxyError::NoEndpoints(String::new())))
}

/// Records the outcome of one attempt on its span.
fn end_attempt(span: &mut portico_trace::ClientSpan, result: &Attempted) {
    match result {
        Ok(Answer { response, addr, .. }) => {
            crate::telemetry::attempted(span, Some(*addr), Ok(response.status().as_u16()));
        }
        Err(Failed::Sent(error) | Failed::NotSent(_, error)) => {
            crate::telemetry::attempted(span, None, Err(error));
        }
    }
}

/// `proxy-next-upstream`: `error` covers refused/failed connects, `timeout` connect timeouts.
fn may_retry(error: &ProxyError, next: &NextUpstream) -> bool {
    match error {
        ProxyError::ConnectTimeout { .. } => next.on_timeout,
        ProxyError::Connect { .. }
        | ProxyError::Resolve { .. }
        | ProxyError::Upstream { .. }
        | ProxyError::UpstreamTls { .. } => next.on_error,
        _ => false,
    }
}

/// Whether `req` may go to another endpoint after it was sent: its body is buffered, and its
/// method idempotent unless `non_idempotent` (nginx never resends POST, LOCK, PATCH otherwise).
fn may_resend(req: &Request<RequestBody>, next: &NextUpstream) -> bool {
    let idempotent = !matches!(req.method().as_str(), "POST" | "LOCK" | "PATCH");
    matches!(req.body(), RequestBody::Buffered { .. }) && (idempotent || next.non_idempotent)
}

/// After sending: `error` covers a failed exchange, `timeout` no answer in time.
fn may_retry_sent(error: &ProxyError, next: &NextUpstream) -> bool {
    match error {
        ProxyError::Timeout { .. } => next.on_timeout,
        ProxyError::Upstream { .. } => next.on_error,
        _ => false,
    }
}

/// A new request with `req`'s head and a fresh sending of its buffered body.
fn copy(req: &Request<RequestBody>) -> Option<Request<RequestBody>> {
    let mut copy = Request::new(req.body().resend()?);
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.version_mut() = req.version();
    *copy.headers_mut() = req.headers().clone();
    Some(copy)
}

/// What one attempt yields.
type Attempted = Result<Answer, Failed>;

/// An upstream's answer to one attempt.
struct Answer {
    response: Response<Incoming>,
    addr: SocketAddr,
    sent: Instant,
    latency: std::time::Duration,
    reuse: Option<Reuse>,
}

/// One endpoint: resolve, then the attempt of the request's transport.
async fn attempt(
    pool: &Arc<Pool>,
    endpoint: &Endpoint,
    policy: &LocationPolicy,
    keepalive: KeepAlive,
    tls: Option<&Connector>,
    req: Outgoing,
) -> Attempted {
    let addr = match resolve(pool, endpoint).await {
        Ok(addr) => addr,
        Err(error) => return Err(Failed::NotSent(Box::new(req), error)),
    };
    let key = PoolKey { addr, tls: tls.map(|c| c.id) };
    let timeouts = policy.timeouts;
    match req {
        Outgoing::H1(req) => attempt_h1(pool, key, timeouts, keepalive, tls, req).await,
        Outgoing::H2(req) => attempt_h2(pool, key, timeouts, keepalive, tls, req).await,
    }
}

/// One HTTP/1.1 exchange with `endpoint` outside any balancer, for requests Portico sends on
/// its own (the copies of `mirror-target`): resolved now, a pooled connection or a new one
/// (a dead pooled one replaced once), no other endpoint tried. The connection goes back to
/// the pool through the returned [`Reuse`] once the answer has been read to its end.
pub(crate) async fn send_once(
    pool: &Arc<Pool>,
    endpoint: &Endpoint,
    timeouts: Timeouts,
    keepalive: KeepAlive,
    tls: Option<&Connector>,
    req: Request<RequestBody>,
) -> Result<(Response<Incoming>, Option<Reuse>), ProxyError> {
    let addr = resolve(pool, endpoint).await?;
    let key = PoolKey { addr, tls: tls.map(|c| c.id) };
    match attempt_h1(pool, key, timeouts, keepalive, tls, req).await {
        Ok(Answer { response, reuse, .. }) => Ok((response, reuse)),
        Err(Failed::NotSent(_, error) | Failed::Sent(error)) => Err(error),
    }
}

/// Over HTTP/1.1: connect (pooled or new), send and wait for response headers within the read
/// timeout. A dead pooled connection gets one fresh replacement.
async fn attempt_h1(
    pool: &Arc<Pool>,
    key: PoolKey,
    timeouts: Timeouts,
    keepalive: KeepAlive,
    tls: Option<&Connector>,
    req: Request<RequestBody>,
) -> Attempted {
    let addr = key.addr;
    let not_sent = |req, error| Err(Failed::NotSent(Box::new(Outgoing::H1(req)), error));
    let mut conn = match pool.connect(key, timeouts.connect, keepalive, tls).await {
        Ok(conn) => conn,
        Err(error) => return not_sent(req, error),
    };
    let mut req = req;
    loop {
        let started = Instant::now();
        let sent = tokio::time::timeout(timeouts.read, conn.sender.try_send_request(req)).await;
        match sent {
            Err(_elapsed) => return Err(Failed::Sent(ProxyError::Timeout { addr })),
            Ok(Ok(response)) => {
                let latency = started.elapsed();
                let reuse = match response.status() == StatusCode::SWITCHING_PROTOCOLS {
                    true => None, // the connection becomes the tunnel
                    false => pool.reuse(conn.sender, key, keepalive),
                };
                return Ok(Answer { response, addr, sent: started, latency, reuse });
            }
            Ok(Err(mut error)) => {
                let Some(back) = error.take_message() else {
                    let error = ProxyError::from_upstream(addr, error.into_error());
                    return Err(Failed::Sent(error));
                };
                let error = ProxyError::Upstream { addr, source: error.into_error() };
                if !conn.reused {
                    return not_sent(back, error);
                }
                // The pooled connection died while idle: nothing was sent, try a fresh one.
                conn = match pool::connect_new(addr, timeouts.connect, tls).await {
                    Ok(conn) => conn,
                    Err(error) => return not_sent(back, error),
                };
                req = back;
            }
        }
    }
}

/// Over h2: the endpoint's multiplexed connection, replaced once if it turns out
/// closed before the request went out.
async fn attempt_h2(
    pool: &Arc<Pool>,
    key: PoolKey,
    timeouts: Timeouts,
    keepalive: KeepAlive,
    tls: Option<&Connector>,
    req: Request<h2::H2Body>,
) -> Attempted {
    let addr = key.addr;
    let not_sent = |req, error| Err(Failed::NotSent(Box::new(Outgoing::H2(req)), error));
    let mut conn = match pool.h2.connect(key, timeouts.connect, keepalive, tls).await {
        Ok(conn) => conn,
        Err(error) => return not_sent(req, error),
    };
    let mut req = req;
    loop {
        let started = Instant::now();
        let sent = tokio::time::timeout(timeouts.read, conn.sender.try_send_request(req)).await;
        match sent {
            Err(_elapsed) => return Err(Failed::Sent(ProxyError::Timeout { addr })),
            Ok(Ok(response)) => {
                let latency = started.elapsed();
                return Ok(Answer { response, addr, sent: started, latency, reuse: None });
            }
            Ok(Err(mut error)) => {
                let Some(back) = error.take_message() else {
                    let error = ProxyError::from_upstream(addr, error.into_error());
                    return Err(Failed::Sent(error));
                };
                let error = ProxyError::Upstream { addr, source: error.into_error() };
                if !conn.reused {
                    return not_sent(back, error);
                }
                conn = match pool.h2.connect_new(key, timeouts.connect, keepalive, tls).await {
                    Ok(conn) => conn,
                    Err(error) => return not_sent(back, error),
                };
                req = back;
            }
        }
    }
}

/// The socket address of an endpoint; ExternalName hosts from the resolver's cache (their
/// addresses in turn), which waits for DNS only on a name's first use.
async fn resolve(pool: &Pool, endpoint: &Endpoint) -> Result<SocketAddr, ProxyError> {
    match endpoint {
        Endpoint::Addr(addr) => Ok(*addr),
        Endpoint::Dns { host, port } => pool.resolver.addr(host, *port).await,
    }
}
