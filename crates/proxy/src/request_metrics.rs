//! ingress-nginx's request metrics on the proxy side: one [`Handle`] per location, made when
//! the location serves its first request ([`LazyHandles`]), and a [`Recorder`] per request
//! that gathers what nginx's log phase knows (sizes, durations) and records it once, when the
//! response body ends.
//!
//! Per request this costs: summing the request's header lengths (no allocation), cloning one
//! `Arc` (the location's handle), and at the end the lock-free record of
//! [`Handle::record`](portico_metrics::Handle::record). Only a location's first request (per
//! table that changed it) locks and allocates, to make the handle: a table of 100,000
//! locations that mostly sit idle does not hold 100,000 label sets.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use http::{HeaderMap, Method, Request, Response, Uri};
use portico_metrics::{Handle, HandleKey, Observation, RequestMetrics};
use portico_model::{BackendId, Location, RouteTable, Server, Target};
use tokio::time::Instant;

/// What one request's metrics need beyond the access log's fields.
#[derive(Debug, Default)]
pub(crate) struct Recorder {
    handle: Option<Arc<Handle>>,
    request_bytes: u64,
    response_head_bytes: u64,
    /// When the request went upstream, and how long its response headers took.
    upstream: Option<(Instant, Duration)>,
}

// === impl Recorder ===

impl Recorder {
    /// Starts with the request's size: request line, headers and `Content-Length` (a chunked
    /// body is not counted).
    pub(crate) fn start<B>(req: &Request<B>) -> Self {
        let body = req
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        let line = req.method().as_str().len() + uri_len(req.uri()) + "  HTTP/1.1\r\n".len();
        let request_bytes = (line + headers_len(req.headers())) as u64 + body;
        Self { request_bytes, ..Self::default() }
    }

    /// The request went upstream at `sent`; its response headers came `latency` later.
    pub(crate) fn upstream(&mut self, sent: Instant, latency: Duration) {
        self.upstream = Some((sent, latency));
    }

    /// The location's handle and the response head about to be sent.
    pub(crate) fn respond<B>(&mut self, handle: Option<Arc<Handle>>, response: &Response<B>) {
        self.response_head_bytes = ("HTTP/1.1 200 OK\r\n\r\n".len()
            + response.status().canonical_reason().map_or(0, str::len)
            + headers_len(response.headers())) as u64;
        self.handle = handle;
    }

    /// Records the request (when its location is recorded): called once the body ended.
    pub(crate) fn finish(
        &self,
        method: &Method,
        status: u16,
        started: Instant,
        now: Instant,
        body: u64,
    ) {
        let Some(handle) = &self.handle else { return };
        let since = |at: Instant| now.saturating_duration_since(at).as_secs_f64();
        handle.record(&Observation {
            method: method.as_str(),
            status,
            request_secs: since(started),
            response_secs: self.upstream.map(|(sent, _)| since(sent)),
            upstream_latency_secs: self.upstream.map(|(_, latency)| latency.as_secs_f64()),
            request_bytes: self.request_bytes,
            response_bytes: self.response_head_bytes + body,
        });
    }
}

/// The handles of one location: its main backend's, and one per canary backend.
#[derive(Debug, Default)]
pub(crate) struct LocationHandles {
    main: Option<Arc<Handle>>,
    canaries: Vec<(BackendId, Arc<Handle>)>,
}

// === impl LocationHandles ===

impl LocationHandles {
    /// The handle for a request that `backend` served (`None`: no backend, or the main one).
    pub(crate) fn get(&self, backend: Option<BackendId>) -> Option<Arc<Handle>> {
        let canary = backend.and_then(|id| self.canaries.iter().find(|(c, _)| *c == id));
        canary.map(|(_, handle)| handle).or(self.main.as_ref()).cloned()
    }
}

/// A location's handles, made on its first request. Invariant: once made, they are what
/// [`location_handles`] gives for the table and location they were made from, so a cell
/// carried into the next table (its server unchanged) stays right.
pub(crate) type LazyHandles = OnceLock<LocationHandles>;

/// Empty cells for the locations of `server`, one per location.
pub(crate) fn server_handles(server: &Server) -> Arc<[LazyHandles]> {
    server.locations.iter().map(|_| OnceLock::new()).collect()
}

/// The handles of `server`'s location `location` of `table`; `defined`: a named server (the
/// default server's requests have no host label).
pub(crate) fn handles_of(
    table: &RouteTable,
    server: &Server,
    location: &Location,
    defined: bool,
    metrics: &RequestMetrics,
) -> LocationHandles {
    let host = if defined { server.host.to_string() } else { String::new() };
    location_handles(table, location, &host, defined, metrics)
}

/// One location's handles. As ingress-nginx, `service` stays the main backend's for a canary
/// request; `canary` names the canary's upstream.
fn location_handles(
    table: &RouteTable,
    location: &Location,
    host: &str,
    defined: bool,
    metrics: &RequestMetrics,
) -> LocationHandles {
    let (namespace, ingress) = location
        .ingress
        .as_ref()
        .map_or_else(Default::default, |i| (i.namespace.clone(), i.name.clone()));
    let main = match location.target() {
        Target::Backend(id) => Some(id),
        Target::NotFound => None,
    };
    let service = main.and_then(|id| table.backend(id)).map(|b| b.service.clone());
    let key = HandleKey {
        namespace,
        ingress,
        service: service.unwrap_or_default(),
        host: host.to_string(),
        path: location.path.clone(),
        canary: String::new(),
    };
    let canaries = location.backends.targets().iter().filter_map(|t| match t.target {
        Target::Backend(id) if Some(id) != main => {
            let canary = table.backend(id)?.name.clone();
            Some((id, metrics.handle(HandleKey { canary, ..key.clone() }, defined)?))
        }
        _ => None,
    });
    let canaries = canaries.collect();
    LocationHandles { main: metrics.handle(key, defined), canaries }
}

/// Bytes of `name: value\r\n` lines.
fn headers_len(headers: &HeaderMap) -> usize {
    headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum()
}

fn uri_len(uri: &Uri) -> usize {
    uri.path_and_query().map_or(1, |pq| pq.as_str().len())
}
