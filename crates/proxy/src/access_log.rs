//! The access log: one structured `tracing` event per request, target `portico::access`.
//!
//! Fields are captured as cheap clones (Bytes-backed) when the request arrives and written when
//! the response body is dropped, so `duration_ms` and `bytes` cover the whole exchange.

use std::net::SocketAddr;
use std::sync::Arc;

use http::{HeaderValue, Method, Uri};
use tokio::time::Instant;

/// Target of access-log events; the binary formats them (text or JSON) via the subscriber.
pub const ACCESS_LOG_TARGET: &str = "portico::access";

/// What the access-log line says about one request.
#[derive(Debug)]
pub(crate) struct AccessLog {
    started: Instant,
    method: Method,
    host: Option<HeaderValue>,
    uri: Uri,
    pub(crate) status: u16,
    pub(crate) upstream: Option<SocketAddr>,
    pub(crate) ingress: Option<Arc<str>>,
    pub(crate) request_id: Option<HeaderValue>,
    /// ingress-nginx's request metrics, recorded with the line.
    pub(crate) metrics: crate::request_metrics::Recorder,
}

// === impl AccessLog ===

impl AccessLog {
    pub(crate) fn start(method: &Method, uri: &Uri, host: Option<&HeaderValue>) -> Self {
        Self {
            started: Instant::now(),
            method: method.clone(),
            host: host.cloned(),
            uri: uri.clone(),
            status: 0,
            upstream: None,
            ingress: None,
            request_id: None,
            metrics: Default::default(),
        }
    }

    /// Writes the line. `complete`: the whole body was sent (else the client or upstream
    /// went away mid-stream).
    pub(crate) fn emit(&self, bytes: u64, complete: bool) {
        let host = self.host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("-");
        let path = self.uri.path_and_query().map_or("-", |pq| pq.as_str());
        let request_id = self.request_id.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("-");
        let duration_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        self.metrics.finish(&self.method, self.status, self.started, bytes);
        tracing::info!(
            target: ACCESS_LOG_TARGET,
            method = %self.method,
            host,
            path,
            status = self.status,
            upstream = %Upstream(self.upstream),
            duration_ms,
            bytes,
            complete,
            ingress = self.ingress.as_deref().unwrap_or(""),
            request_id,
        );
    }
}

/// Renders an upstream address, or `-` when none was contacted.
struct Upstream(Option<SocketAddr>);

impl std::fmt::Display for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(addr) => addr.fmt(f),
            None => f.write_str("-"),
        }
    }
}
