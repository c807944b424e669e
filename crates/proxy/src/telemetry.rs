//! OpenTelemetry in the request phases (`enable-opentelemetry`): which [`Tracer`] a table
//! gets, the server span of a routed request and its attributes, and the client spans of the
//! upstream attempts. Contexts, sampling and export are [`portico_trace`]'s.
//!
//! A request to a location that does not trace never gets past a `bool` test here: no
//! allocation, lock or clock read, and its `traceparent`/`tracestate` pass through unchanged.
//!
//! Attributes follow nginx's OpenTelemetry module (`http.method`, `http.target`,
//! `http.flavor`, `http.scheme`, `http.host`, `http.server_name`, `http.user_agent`,
//! `http.status_code`), plus the Ingress's `k8s.namespace.name`, `k8s.ingress.name`,
//! `k8s.service.name` and `ingress.upstream` (`$proxy_upstream_name`).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use http::request::Parts;
use http::{HeaderMap, Method, Version};
use parking_lot::Mutex;
use portico_metrics::Metrics;
use portico_model::{HostPattern, Location, LogFormat, LogPart, LogVar, RouteTable, Server};
use portico_trace::{ClientSpan, Outcome, Report, ServerSpan, ServerStart, Tracer};
use tokio::time::Instant;

use crate::access_log::AccessLog;
use crate::config::ConnInfo;
use crate::error::ProxyError;
use crate::snapshot::Snapshot;

/// The process's tracer, kept across tables while their export settings stay the same.
pub(crate) struct Tracing {
    state: Mutex<State>,
    report: Report,
}

#[derive(Default)]
struct State {
    current: Option<Arc<Tracer>>,
    /// The settings a tracer last failed to start with (warned once, not per table).
    failed: Option<portico_model::TracingSettings>,
}

// === impl Tracing ===

impl Tracing {
    /// Counts what becomes of ended spans in `portico_trace_spans_total`.
    pub(crate) fn new(metrics: &Metrics) -> Self {
        let spans = metrics.trace_spans().clone();
        let report: Report = Arc::new(move |outcome, n| {
            let counter = match outcome {
                Outcome::Exported => &spans.exported,
                Outcome::Dropped => &spans.dropped,
                Outcome::Failed => &spans.failed,
            };
            counter.inc_by(n);
        });
        Self { state: Mutex::default(), report }
    }

    /// The tracer of `table`: none when no location traces; the current one while the export
    /// settings are unchanged; else a new one (the old one exports what it holds and ends).
    /// Called when a table is swapped in, never per request.
    pub(crate) fn for_table(&self, table: &RouteTable) -> Option<Arc<Tracer>> {
        let mut state = self.state.lock();
        if !traces(table) {
            state.current = None;
            return None;
        }
        let settings = &table.global.tracing;
        if let Some(tracer) = state.current.as_ref().filter(|t| t.serves(settings)) {
            return Some(Arc::clone(tracer));
        }
        state.current = None;
        match Tracer::start(settings, Arc::clone(&self.report)) {
            Ok(tracer) => {
                let endpoint = settings.endpoint().unwrap_or_default();
                tracing::info!(%endpoint, "OpenTelemetry: exporting spans over OTLP/HTTP");
                state.current = Some(Arc::new(tracer));
                state.failed = None;
            }
            Err(error) if state.failed.as_ref() != Some(settings) => {
                tracing::warn!(%error, "enable-opentelemetry is on but no span is recorded");
                state.failed = Some(settings.clone());
            }
            Err(_) => {}
        }
        state.current.clone()
    }
}

impl Tracing {
    /// Exports the spans the current tracer has queued (on shutdown).
    pub(crate) async fn flush(&self) {
        let current = self.state.lock().current.clone();
        if let Some(tracer) = current {
            tracer.flush().await;
        }
    }
}

/// Some location of `table` traces.
fn traces(table: &RouteTable) -> bool {
    let servers = table.servers.iter().chain(std::iter::once(&table.default_server));
    servers.flat_map(|s| &s.locations).any(|l| l.policy.tracing.enabled)
}

/// The server span of a request routed to `location`, when it traces; it started when the
/// request arrived (`started`).
pub(crate) fn start(
    snap: &Snapshot,
    (server, location): (&Server, &Location),
    parts: &Parts,
    conn: &ConnInfo,
    started: Instant,
) -> Option<Box<ServerSpan>> {
    let tracing = &location.policy.tracing;
    if !tracing.enabled {
        return None;
    }
    let tracer = snap.tracer.as_ref()?;
    let now = SystemTime::now();
    let mut span = tracer.server_span(ServerStart {
        headers: &parts.headers,
        trust_incoming: tracing.trust_incoming,
        name: Cow::Owned(location.path.clone()),
        start: now.checked_sub(started.elapsed()).unwrap_or(now),
    });
    if span.is_recording() {
        request_attributes(&mut span, server, parts, conn);
    }
    Some(Box::new(span))
}

fn request_attributes(span: &mut ServerSpan, server: &Server, parts: &Parts, conn: &ConnInfo) {
    span.set("http.method", parts.method.to_string());
    span.set("http.target", parts.uri.path_and_query().map_or("/", |pq| pq.as_str()).to_string());
    span.set("http.flavor", flavor(parts.version));
    span.set("http.scheme", conn.scheme());
    if let HostPattern::Exact(name) | HostPattern::Wildcard(name) = &server.host {
        span.set("http.server_name", name.clone());
    }
    let header = |name| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let host = parts.uri.authority().map(|a| a.as_str()).or_else(|| header(http::header::HOST));
    if let Some(host) = host {
        span.set("http.host", host.to_string());
    }
    if let Some(agent) = header(http::header::USER_AGENT) {
        span.set("http.user_agent", agent.to_string());
    }
}

/// Ends the request's part of the span: status, the Ingress and Service that answered, and
/// the `opentelemetry-operation-name` of `location`.
pub(crate) fn finish(
    span: &mut ServerSpan,
    snap: &Snapshot,
    location: Option<&Location>,
    log: &AccessLog,
    conn: &ConnInfo,
) {
    span.respond(log.status);
    if !span.is_recording() {
        return;
    }
    let ingress = log.ingress.as_deref().and_then(|i| i.split_once('/'));
    if let Some((namespace, name)) = ingress {
        span.set("k8s.namespace.name", namespace.to_string());
        span.set("k8s.ingress.name", name.to_string());
    }
    let backend = log.backend.and_then(|id| snap.table.backend(id));
    if let Some(backend) = backend {
        span.set("k8s.service.name", backend.service.clone());
        span.set("ingress.upstream", backend.name.clone());
    }
    let format = location.and_then(|l| l.policy.tracing.operation_name.as_deref());
    if let Some(format) = format {
        let facts =
            Facts { log, conn, ingress, upstream: backend.map(|b| (&*b.service, &*b.name)) };
        span.rename(render(format, &facts));
    }
}

/// What an operation name may say of a served request.
struct Facts<'a> {
    log: &'a AccessLog,
    conn: &'a ConnInfo,
    ingress: Option<(&'a str, &'a str)>,
    /// Service and upstream name.
    upstream: Option<(&'a str, &'a str)>,
}

/// `format` with the request's values (the variables the ConfigMap key allows; others and
/// absent values render as nginx's `-`).
fn render(format: &LogFormat, facts: &Facts<'_>) -> String {
    let (method, uri, host) = facts.log.request();
    let host = host.and_then(|h| h.to_str().ok()).unwrap_or("");
    let mut out = String::new();
    for part in &format.parts {
        let var = match part {
            LogPart::Text(text) => {
                out.push_str(text);
                continue;
            }
            LogPart::Var(var) => var,
        };
        let _ = match var {
            LogVar::RequestMethod => write!(out, "{method}"),
            LogVar::RequestUri => {
                write!(out, "{}", uri.path_and_query().map_or("/", |p| p.as_str()))
            }
            LogVar::Uri => write!(out, "{}", uri.path()),
            LogVar::Args => write!(out, "{}", uri.query().unwrap_or("")),
            LogVar::Scheme => write!(out, "{}", facts.conn.scheme()),
            LogVar::Host => write!(out, "{}", strip_port(host).to_ascii_lowercase()),
            LogVar::Namespace => write!(out, "{}", facts.ingress.map_or("-", |i| i.0)),
            LogVar::IngressName => write!(out, "{}", facts.ingress.map_or("-", |i| i.1)),
            LogVar::ServiceName => write!(out, "{}", facts.upstream.map_or("-", |u| u.0)),
            LogVar::ProxyUpstreamName => write!(out, "{}", facts.upstream.map_or("-", |u| u.1)),
            LogVar::Status => write!(out, "{}", facts.log.status),
            LogVar::RequestId => {
                let id = facts.log.request_id.as_ref().and_then(|v| v.to_str().ok());
                write!(out, "{}", id.unwrap_or("-"))
            }
            LogVar::RemoteAddr => match facts.log.client {
                Some(client) => write!(out, "{client}"),
                None => write!(out, "{}", facts.conn.peer.ip()),
            },
            _ => write!(out, "-"),
        };
    }
    out
}

/// `$host`: the Host without its port.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_once(']').map_or(host, |(h, _)| &host[..h.len() + 1]);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// `http.flavor` as nginx's module writes it.
fn flavor(version: Version) -> &'static str {
    match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_2 => "2.0",
        Version::HTTP_3 => "3.0",
        _ => "1.1",
    }
}

/// The client span of one upstream attempt (the `tries`-th, from 1), whose context goes to
/// the backend in `headers`.
pub(crate) fn attempt(
    parent: &ServerSpan,
    method: &Method,
    headers: &mut HeaderMap,
    tries: usize,
) -> ClientSpan {
    let mut span = parent.child("upstream");
    span.inject(headers);
    if span.is_recording() {
        span.set("http.method", method.to_string());
        span.set("upstream.attempt", tries as i64);
    }
    span
}

/// The attempt reached `addr`; `Ok` with the upstream's status, or the failure.
pub(crate) fn attempted(
    span: &mut ClientSpan,
    addr: Option<SocketAddr>,
    result: Result<u16, &ProxyError>,
) {
    if !span.is_recording() {
        return;
    }
    if let Some(addr) = addr {
        span.set("net.peer.ip", addr.ip().to_string());
        span.set("net.peer.port", i64::from(addr.port()));
    }
    match result {
        Ok(status) => span.respond(status),
        Err(error) => span.fail(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lose_their_port() {
        assert_eq!(strip_port("example.com:8080"), "example.com");
        assert_eq!(strip_port("example.com"), "example.com");
        assert_eq!(strip_port("[::1]:80"), "[::1]");
    }

    #[test]
    fn flavors() {
        assert_eq!(flavor(Version::HTTP_11), "1.1");
        assert_eq!(flavor(Version::HTTP_2), "2.0");
    }
}
