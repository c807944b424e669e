//! The access log: one line per request, written when the response body is dropped so that
//! durations and byte counts cover the whole exchange.
//!
//! By default it is a structured `tracing` event, target `portico::access` (text or JSON by
//! the subscriber). With the ConfigMap's nginx keys (`access-log-path`, `log-format-upstream`)
//! it is an nginx-format line ([`nginx`]); `disable-access-log` turns it off. Fields are
//! captured as cheap clones (Bytes-backed) when the request arrives; what only the nginx
//! format reads is captured only then.

mod nginx;
pub mod writer;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderValue, Method, Uri, Version};
use portico_model::{AccessLogSettings, BackendId};
use tokio::time::Instant;

pub(crate) use nginx::NginxSink;

use crate::snapshot::Snapshot;

/// Target of access-log events; the binary formats them (text or JSON) via the subscriber.
pub const ACCESS_LOG_TARGET: &str = "portico::access";

/// Where the access log of the live table goes: swapped with the table when its settings
/// change (a file is opened then, never per request).
#[derive(Debug)]
pub(crate) struct AccessOutput {
    settings: AccessLogSettings,
    mode: Mode,
}

#[derive(Debug)]
enum Mode {
    Off,
    Tracing,
    Nginx(NginxSink),
}

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
    /// The upstream's status and time to its response head.
    pub(crate) upstream_status: Option<(u16, Duration)>,
    /// The client as the forwarded headers name it (`$remote_addr`).
    pub(crate) client: Option<IpAddr>,
    /// The routed backend (`$proxy_upstream_name`).
    pub(crate) backend: Option<BackendId>,
    /// `enable-access-log` of the routed location.
    pub(crate) enabled: bool,
    /// Only for nginx-format lines.
    nginx: Option<Box<nginx::Captured>>,
    output: Arc<AccessOutput>,
    /// ingress-nginx's request metrics, recorded with the line (whatever the output).
    pub(crate) metrics: crate::request_metrics::Recorder,
}

// === impl AccessOutput ===

impl AccessOutput {
    /// The output `settings` ask for; a file that cannot be opened falls back to the
    /// structured event (logged).
    pub(crate) fn new(settings: &AccessLogSettings) -> Self {
        let mode = match (&settings.nginx, settings.disabled) {
            (_, true) => Mode::Off,
            (None, false) => Mode::Tracing,
            (Some(nginx), false) => match NginxSink::open(nginx) {
                Ok(sink) => Mode::Nginx(sink),
                Err(error) => {
                    tracing::error!(path = %nginx.path, %error, "cannot open access-log-path");
                    Mode::Tracing
                }
            },
        };
        Self { settings: settings.clone(), mode }
    }

    /// Whether this output was built for `settings`.
    pub(crate) fn serves(&self, settings: &AccessLogSettings) -> bool {
        self.settings == *settings
    }
}

impl Default for AccessOutput {
    fn default() -> Self {
        Self::new(&AccessLogSettings::default())
    }
}

// === impl AccessLog ===

impl AccessLog {
    /// When the request arrived.
    pub(crate) fn started(&self) -> Instant {
        self.started
    }

    /// The request's method, target and Host, as the client sent them.
    pub(crate) fn request(&self) -> (&Method, &Uri, Option<&HeaderValue>) {
        (&self.method, &self.uri, self.host.as_ref())
    }

    /// Starts the line of a request with `headers`, on a connection from `peer` (`tls`).
    pub(crate) fn start(
        output: Arc<AccessOutput>,
        method: &Method,
        uri: &Uri,
        host: Option<&HeaderValue>,
        (version, headers, peer, tls): (Version, &HeaderMap, SocketAddr, bool),
        snapshot: Option<&Arc<Snapshot>>,
    ) -> Self {
        let nginx = match &output.mode {
            Mode::Nginx(sink) => {
                Some(Box::new(sink.capture(version, headers, peer, tls, snapshot)))
            }
            _ => None,
        };
        Self {
            started: Instant::now(),
            method: method.clone(),
            host: host.cloned(),
            uri: uri.clone(),
            status: 0,
            upstream: None,
            ingress: None,
            request_id: None,
            upstream_status: None,
            client: None,
            backend: None,
            enabled: true,
            nginx,
            output,
            metrics: Default::default(),
        }
    }

    /// The line of a request refused before routing (head limits, framing): method and target
    /// as far as the request line was read, started when its head did. `None` when the
    /// structured event is the access log (the caller writes it, with its own fields).
    pub(crate) fn refused(
        output: Arc<AccessOutput>,
        (method, target): (&str, &str),
        peer: SocketAddr,
        status: u16,
        started: Option<Instant>,
    ) -> Option<Self> {
        if matches!(output.mode, Mode::Tracing) {
            return None;
        }
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let uri = Uri::try_from(target).unwrap_or_else(|_| Uri::from_static("/"));
        let seen = (Version::HTTP_11, &HeaderMap::new(), peer, false);
        let mut log = Self::start(output, &method, &uri, None, seen, None);
        log.status = status;
        log.started = started.unwrap_or(log.started);
        Some(log)
    }

    /// Writes the line. `complete`: the whole body was sent (else the client or upstream
    /// went away mid-stream).
    pub(crate) fn emit(&self, bytes: u64, complete: bool) {
        // Metrics count every request, also where `enable-access-log: false` or no output.
        let now = Instant::now(); // the one clock read of the request's end
        self.metrics.finish(&self.method, self.status, self.started, now, bytes);
        if !self.enabled {
            return;
        }
        match &self.output.mode {
            Mode::Off => {}
            Mode::Tracing => self.emit_event(bytes, complete, now),
            Mode::Nginx(sink) => {
                if let Some(captured) = &self.nginx {
                    sink.write(self, captured, bytes);
                }
            }
        }
    }

    /// Portico's structured event.
    fn emit_event(&self, bytes: u64, complete: bool, now: Instant) {
        let host = self.host.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("-");
        let path = self.uri.path_and_query().map_or("-", |pq| pq.as_str());
        let request_id = self.request_id.as_ref().and_then(|h| h.to_str().ok()).unwrap_or("-");
        let duration_ms = now.saturating_duration_since(self.started).as_secs_f64() * 1000.0;
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
