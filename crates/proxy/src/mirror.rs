//! `mirror-target` (nginx's `mirror` module as ingress-nginx renders it): every request a
//! location with a mirror forwards is also sent, as a copy, to the mirror, whose answer is
//! read and discarded. The client's response never waits for the copy nor depends on it.
//!
//! The copy is what nginx's mirror subrequest sends through ingress-nginx's mirror location:
//! - the client's method and request headers as received (hop-by-hop ones and those with
//!   underscores removed, as nginx drops them), with `Host` from `mirror-host` (default the
//!   target's host); none of the `X-Forwarded-*`, `X-Real-IP` or `X-Request-ID` Portico adds
//!   upstream (the mirror location sets none);
//! - the request-target: for a target with variables, the expanded URL's path and query as
//!   they are; for a literal target, its path followed by the client's query; without a path,
//!   the subrequest URI `/_mirror-<uid>` followed by the client's query (nginx's `proxy_pass`
//!   without URI);
//! - the body when `mirror-request-body` is on and the body was buffered
//!   (`proxy-request-buffering`, the default); a streamed body is not copied: the copy then
//!   has none.
//!
//! Bounded: at most [`MAX_IN_FLIGHT`] copies are in flight in the process; past that a copy
//! is dropped (`portico_mirror_requests_total{outcome="dropped"}`, logged at debug), so a
//! slow or dead mirror costs at most that many tasks and bodies. Each copy is bounded by the
//! location's connect and read timeouts. Copies travel as HTTP/1.1 over the upstream pool
//! (nginx: HTTP/1.0, `Connection: close`); `https://` targets get nginx's defaults toward
//! backends (no certificate verification, no SNI).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use http::header;
use http::uri::{Authority, PathAndQuery};
use http::{HeaderMap, HeaderValue, Method, Request, Uri};
use http_body::Body as _;
use http_body_util::BodyExt as _;
use portico_metrics::{Metrics, MirrorOutcome};
use portico_model::{Endpoint, Mirror, Timeouts};
use tokio::sync::Semaphore;

use crate::body::RequestBody;
use crate::error::ProxyError;
use crate::filters::external_auth::{expand_vars, VarSource};
use crate::forwarded;
use crate::upstream::{self, Connector, KeepAlive, Pool};

/// Copies in flight at once in the process, all mirrors together.
pub(crate) const MAX_IN_FLIGHT: usize = 256;
/// A mirror's answer body is read (so the connection can be reused) up to this, then dropped.
const MAX_DRAIN: usize = 64 * 1024;

/// The bound on copies in flight, shared by every table.
#[derive(Debug)]
pub(crate) struct Mirrors {
    in_flight: Arc<Semaphore>,
}

/// One copy of a request, built from the client's request before Portico changes it for the
/// upstream; sent once the body is known ([`Mirrors::send`]).
#[derive(Debug)]
pub(crate) struct MirrorCopy {
    method: Method,
    /// Origin-form request-target.
    target: PathAndQuery,
    headers: HeaderMap,
    endpoint: Endpoint,
    https: bool,
    /// The copy carries the body (when it was buffered).
    with_body: bool,
    timeouts: Timeouts,
}

/// Why a copy could not be built for this request (the expanded target is no usable URL).
#[derive(Debug, thiserror::Error)]
#[error("mirror target {0:?} is not a usable http(s) URL for this request")]
pub(crate) struct BadTarget(String);

/// Why a copy got no answer.
#[derive(Debug, thiserror::Error)]
enum CopyError {
    #[error(transparent)]
    Upstream(#[from] ProxyError),
    #[error("the mirror did not answer within {0:?}")]
    Timeout(std::time::Duration),
}

// === impl Mirrors ===

impl Default for Mirrors {
    fn default() -> Self {
        Self { in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)) }
    }
}

impl Mirrors {
    /// Sends `copy` in the background with `body` (the request's, as it goes upstream): a
    /// fresh sending of it when the copy takes the body and it was buffered, else none.
    /// `tls` is the connector of nginx's defaults, for `https://` targets. Returns at once.
    pub(crate) fn send(
        &self,
        copy: MirrorCopy,
        body: &RequestBody,
        env: (&Arc<Pool>, &Arc<Metrics>, KeepAlive),
        tls: Option<&Connector>,
    ) {
        let (pool, metrics, keepalive) = env;
        let Ok(permit) = Arc::clone(&self.in_flight).try_acquire_owned() else {
            metrics.record_mirror(MirrorOutcome::Dropped);
            tracing::debug!(max = MAX_IN_FLIGHT, "mirror copy dropped: too many in flight");
            return;
        };
        let body = copy.with_body.then(|| body.resend()).flatten();
        let tls = copy.https.then(|| tls.cloned()).flatten();
        let (pool, metrics) = (Arc::clone(pool), Arc::clone(metrics));
        tokio::spawn(async move {
            let _permit = permit;
            let target = copy.target.clone();
            let outcome = match copy.exchange(&pool, keepalive, tls.as_ref(), body).await {
                Ok(()) => MirrorOutcome::Answered,
                Err(error) => {
                    tracing::debug!(%error, %target, "mirror copy failed");
                    MirrorOutcome::Failed
                }
            };
            metrics.record_mirror(outcome);
        });
    }
}

// === impl MirrorCopy ===

impl MirrorCopy {
    /// The copy of the request `req` sees (its headers as received) for `mirror`, under the
    /// location's `timeouts`.
    pub(crate) fn prepare(
        mirror: &Mirror,
        req: &VarSource<'_>,
        timeouts: Timeouts,
    ) -> Result<Self, BadTarget> {
        // In the mirror location nginx's `$uri` is the subrequest's.
        let vars = VarSource { path: &mirror.source, ..*req };
        let (url, expanded) = match mirror.target.literal() {
            Some(url) => (url.to_string(), false),
            None => (expand_vars(&mirror.target, &vars), true),
        };
        let bad = || BadTarget(url.clone());
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        let https = match scheme {
            "http" => false,
            "https" => true,
            _ => return Err(bad()),
        };
        // The URI part starts after `scheme://`, so never before `rest`.
        let start = Mirror::path_start(&url).unwrap_or(url.len());
        let end = start.checked_sub(url.len() - rest.len());
        let authority = end.and_then(|end| rest.get(..end)).ok_or_else(bad)?;
        let authority = Authority::try_from(authority).map_err(|_| bad())?;
        let target = request_target(&url[start..], expanded, mirror, req.uri.query());
        let target = PathAndQuery::try_from(target).map_err(|_| bad())?;
        let host = expand_vars(&mirror.host, &vars);
        let host = HeaderValue::try_from(host).map_err(|_| bad())?;
        Ok(Self {
            method: req.method.clone(),
            target,
            headers: copy_headers(req.headers, host),
            endpoint: endpoint(&authority, https).ok_or_else(bad)?,
            https,
            with_body: mirror.request_body,
            timeouts,
        })
    }

    /// Sends the copy and reads its answer, all within the connect and read timeouts.
    async fn exchange(
        mut self,
        pool: &Arc<Pool>,
        keepalive: KeepAlive,
        tls: Option<&Connector>,
        body: Option<RequestBody>,
    ) -> Result<(), CopyError> {
        let body = match body {
            Some(body) => {
                let length = http_body::Body::size_hint(&body).exact().unwrap_or(0);
                self.headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
                body
            }
            None => RequestBody::empty(),
        };
        let mut req = Request::new(body);
        *req.method_mut() = self.method;
        *req.uri_mut() = Uri::from(self.target);
        *req.headers_mut() = self.headers;
        let timeouts = self.timeouts;
        let exchange = async {
            let (response, reuse) =
                upstream::send_once(pool, &self.endpoint, timeouts, keepalive, tls, req).await?;
            // Read (and drop) the answer so that the connection can go back to the pool.
            let mut body = response.into_body();
            let mut read = 0;
            while let Some(Ok(frame)) = body.frame().await {
                read += frame.data_ref().map_or(0, |data| data.len());
                if read > MAX_DRAIN {
                    return Ok::<_, ProxyError>(()); // not read to the end: not pooled
                }
            }
            if let (true, Some(reuse)) = (body.is_end_stream(), reuse) {
                reuse.done();
            }
            Ok::<_, ProxyError>(())
        };
        let budget = timeouts.connect + timeouts.read;
        match tokio::time::timeout(budget, exchange).await {
            Ok(done) => done.map_err(CopyError::from),
            Err(_) => Err(CopyError::Timeout(budget)),
        }
    }
}

/// The copy's request-target from the target's URI part `uri_part` (from its first `/` or
/// `?`; empty without), as nginx's `proxy_pass` builds it in the mirror location.
fn request_target(uri_part: &str, expanded: bool, mirror: &Mirror, query: Option<&str>) -> String {
    let mut target = match uri_part {
        "" => mirror.source.clone(),
        part if part.starts_with('?') => format!("/{part}"),
        part => part.to_string(),
    };
    // With variables and a URI part, nginx sends it as is; otherwise the client's arguments follow.
    if !expanded || uri_part.is_empty() {
        if let Some(query) = query {
            target.push('?');
            target.push_str(query);
        }
    }
    target
}

/// The client's headers as the mirror gets them: hop-by-hop and framing ones and those with
/// underscores removed, `Host` replaced.
fn copy_headers(client: &HeaderMap, host: HeaderValue) -> HeaderMap {
    let mut headers = forwarded::subrequest_headers(client);
    headers.insert(header::HOST, host);
    headers
}

/// Where to connect for `authority`: an address literal as is, a name resolved when sent.
fn endpoint(authority: &Authority, https: bool) -> Option<Endpoint> {
    let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
    let host = authority.host();
    if host.is_empty() {
        return None;
    }
    let literal = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    Some(match literal.parse::<IpAddr>() {
        Ok(ip) => Endpoint::Addr(SocketAddr::new(ip, port)),
        Err(_) => Endpoint::Dns { host: host.to_string(), port },
    })
}

#[cfg(test)]
mod tests;
