//! Prometheus metrics shared by the proxy and the admin listener. Labels are bounded: status
//! class and Ingress name, never paths or pod addresses (unless `--metrics-per-path`).
//!
//! Two sets: ingress-nginx's (`nginx_ingress_controller_*`, [`requests`] and [`controller`]),
//! under its names and labels so existing dashboards and alerts keep working; and Portico's
//! own (`portico_*`) for what has no nginx equivalent.
//!
//! The request path never hashes labels: the proxy asks for a [`RequestCounters`] per Ingress
//! and a [`Handle`] per location when a table is swapped in and then only updates atomics.
#![forbid(unsafe_code)]

pub mod controller;
mod guards;
mod histogram;
mod labels;
pub mod process;
pub mod requests;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

pub use controller::{CertificateExpiry, ControllerMetrics, IngressCheck};
pub use guards::{AuthCacheCounters, CacheCounters, LimitRejections};
pub use histogram::Buckets;
pub use process::ProcessMetrics;
pub use requests::{
    ControllerLabels, Handle, HandleKey, Observation, RequestMetric, RequestMetrics,
    RequestMetricsConfig,
};

/// Upper bounds (seconds) of the upstream latency histogram: few buckets on purpose.
pub const UPSTREAM_BUCKETS: [f64; 6] = [0.005, 0.025, 0.1, 0.5, 2.5, 10.0];

/// Every metric Portico exports, and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    /// `portico_upstream_response_seconds`: lock-free, encoded by hand.
    upstream_latency: histogram::AtomicHistogram,
    /// Where the count of dropped log lines comes from, asked at scrape time.
    dropped_log_lines: std::sync::OnceLock<Scraped>,
    rebuilds: Counter,
    rebuild_errors: Counter,
    generation: Gauge<i64, AtomicI64>,
    table_age: Gauge<f64, AtomicU64>,
    /// Unix time (ms) of the last swap; 0 = never. Read at scrape time to compute the age.
    last_swap_ms: AtomicU64,
    /// Cluster mode: watches restarted after an error, by kind (a handful of label values).
    watch_restarts: Family<KindLabels, Counter>,
    /// Ended, sampled spans by what became of them (`enable-opentelemetry`).
    trace_spans: TraceSpans,
    /// `portico_mirror_requests_total`, one counter per [`MirrorOutcome`] (created up front, so
    /// counting is one atomic add).
    mirror: [Counter; 3],
    /// Auth cache hits and misses, limit rejections.
    guards: guards::Guards,
    /// ingress-nginx's request metrics.
    nginx_requests: RequestMetrics,
    /// ingress-nginx's controller metrics.
    nginx_controller: ControllerMetrics,
    /// ingress-nginx's `nginx_process_*` metrics.
    nginx_process: ProcessMetrics,
}

/// A value read at scrape time.
struct Scraped(Box<dyn Fn() -> u64 + Send + Sync>);

impl std::fmt::Debug for Scraped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scraped")
    }
}

/// Label set of `portico_watch_restarts_total`: the Kubernetes kind watched.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: &'static str,
}

/// Label set of `portico_trace_spans_total`: exported, dropped or failed.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// The counters of `portico_trace_spans_total`, one per outcome: counting is one atomic add.
#[derive(Debug, Clone)]
pub struct TraceSpans {
    /// Accepted by the collector.
    pub exported: Counter,
    /// Dropped: the export queue (`otel-max-queuesize`) was full.
    pub dropped: Counter,
    /// Lost: their export request failed.
    pub failed: Counter,
}

/// What became of one copy of a request (`mirror-target`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MirrorOutcome {
    /// The mirror answered (whatever its status).
    Answered,
    /// Resolving, connecting, sending or reading the answer failed or timed out.
    Failed,
    /// Not sent: too many copies were in flight already.
    Dropped,
}

/// Label set of `portico_mirror_requests_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MirrorLabels {
    outcome: &'static str,
}

/// The request counters of one Ingress, one per status class: incrementing is one atomic add.
#[derive(Debug, Clone)]
pub struct RequestCounters {
    by_class: [Counter; 5],
}

/// Label set of `portico_requests_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    status_class: StatusClass,
    ingress: IngressLabel,
}

/// `1xx` .. `5xx`; anything outside 100..=599 counts as `5xx`.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq)]
struct StatusClass(u8);

/// `namespace/name` of an Ingress, or empty when no Ingress answered.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
struct IngressLabel(Arc<str>);

// === impl MirrorOutcome ===

impl MirrorOutcome {
    /// The `outcome` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            MirrorOutcome::Answered => "answered",
            MirrorOutcome::Failed => "failed",
            MirrorOutcome::Dropped => "dropped",
        }
    }
}

// === impl Metrics ===

impl Metrics {
    /// With ingress-nginx's default labels and buckets and empty controller labels.
    pub fn new() -> Self {
        Self::with_config(RequestMetricsConfig::default())
    }

    /// With the request metrics labelled and bucketed as `config` says.
    pub fn with_config(config: RequestMetricsConfig) -> Self {
        let mut registry = Registry::with_prefix("portico");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by status class and Ingress (namespace/name, empty if none)",
            requests.clone(),
        );
        let upstream_latency =
            histogram::AtomicHistogram::new(std::sync::Arc::from(UPSTREAM_BUCKETS));
        let rebuilds = Counter::default();
        registry.register("table_rebuilds", "Routing tables built", rebuilds.clone());
        let rebuild_errors = Counter::default();
        registry.register(
            "table_rebuild_errors",
            "Error diagnostics reported while building routing tables",
            rebuild_errors.clone(),
        );
        let generation = Gauge::<i64, AtomicI64>::default();
        registry.register("table_generation", "Generation of the live table", generation.clone());
        let table_age = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "table_age_seconds",
            "Seconds since the live routing table was swapped in",
            table_age.clone(),
        );
        let watch_restarts = Family::<KindLabels, Counter>::default();
        registry.register(
            "watch_restarts",
            "Kubernetes API watches restarted after an error (disconnect, 410 Gone, 403), by kind",
            watch_restarts.clone(),
        );
        let spans = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "trace_spans",
            "Ended, sampled OpenTelemetry spans by outcome: exported, dropped (queue full) or \
             failed (export request failed)",
            spans.clone(),
        );
        let outcome = |outcome| spans.get_or_create(&OutcomeLabels { outcome }).clone();
        let trace_spans = TraceSpans {
            exported: outcome("exported"),
            dropped: outcome("dropped"),
            failed: outcome("failed"),
        };
        let mirror_family = Family::<MirrorLabels, Counter>::default();
        registry.register(
            "mirror_requests",
            "Copies of requests sent to mirror-target, by outcome (answered, failed, or dropped \
             because too many were in flight)",
            mirror_family.clone(),
        );
        let mirror = [MirrorOutcome::Answered, MirrorOutcome::Failed, MirrorOutcome::Dropped].map(
            |outcome| {
                mirror_family.get_or_create(&MirrorLabels { outcome: outcome.as_str() }).clone()
            },
        );
        let guards = guards::Guards::register(&mut registry);
        Self {
            registry,
            mirror,
            guards,
            requests,
            upstream_latency,
            dropped_log_lines: std::sync::OnceLock::new(),
            rebuilds,
            rebuild_errors,
            generation,
            table_age,
            last_swap_ms: AtomicU64::new(0),
            watch_restarts,
            trace_spans,
            nginx_controller: ControllerMetrics::new(&config.controller),
            nginx_process: ProcessMetrics::new(&config.controller),
            nginx_requests: RequestMetrics::new(config),
        }
    }

    /// ingress-nginx's request metrics (handles are taken at swap time).
    pub fn requests(&self) -> &RequestMetrics {
        &self.nginx_requests
    }

    /// ingress-nginx's process metrics (connections, CPU, memory).
    pub fn process(&self) -> &ProcessMetrics {
        &self.nginx_process
    }

    /// ingress-nginx's controller metrics (reloads, certificates, leader election).
    pub fn controller(&self) -> &ControllerMetrics {
        &self.nginx_controller
    }

    /// The counters of one Ingress (`namespace/name`, or `""`). Call once per table build, not
    /// per request: it hashes and may allocate.
    pub fn request_counters(&self, ingress: &str) -> RequestCounters {
        let ingress = IngressLabel(Arc::from(ingress));
        let by_class = [1u8, 2, 3, 4, 5].map(|class| {
            let labels =
                RequestLabels { status_class: StatusClass(class), ingress: ingress.clone() };
            self.requests.get_or_create(&labels).clone()
        });
        RequestCounters { by_class }
    }

    /// Counts one answered request. Convenience for rare paths; the proxy uses
    /// [`RequestCounters`] prepared at swap time.
    pub fn record_request(&self, status: u16, ingress: &str) {
        let labels = RequestLabels {
            status_class: StatusClass::of(status),
            ingress: IngressLabel(Arc::from(ingress)),
        };
        self.requests.get_or_create(&labels).inc();
    }

    /// Where the number of log lines dropped by full writer queues comes from (set once).
    pub fn count_dropped_log_lines(&self, source: impl Fn() -> u64 + Send + Sync + 'static) {
        let _ = self.dropped_log_lines.set(Scraped(Box::new(source)));
    }

    /// Portico's own metrics that are not in the registry: recorded lock-free or read at
    /// scrape time.
    fn encode_own(&self, out: &mut String) {
        let name = "portico_upstream_response_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time from sending a request upstream to its response headers"
        );
        let _ = writeln!(out, "# TYPE {name} histogram");
        self.upstream_latency.encode(out, name, "");
        if let Some(dropped) = self.dropped_log_lines.get() {
            let name = "portico_log_lines_dropped_total";
            let _ = writeln!(out, "# HELP {name} Log lines (access log included) dropped because the writer fell behind");
            let _ = writeln!(out, "# TYPE {name} counter\n{name} {}", (dropped.0)());
        }
    }

    /// Counts one copy of a request for `mirror-target`.
    pub fn record_mirror(&self, outcome: MirrorOutcome) {
        self.mirror[outcome as usize].inc();
    }

    /// The counters of the basic-auth and external-auth caches (cloning shares them).
    pub fn auth_cache(&self) -> AuthCacheCounters {
        self.guards.auth_cache()
    }

    /// The `limit-*` rejection counters of `ingress` (`namespace/name`). Call once per table
    /// build, not per request: it hashes and may allocate.
    pub fn limit_rejections(&self, ingress: &Arc<str>) -> LimitRejections {
        self.guards.limit_rejections(ingress)
    }

    /// Records the time from sending a request upstream to its response headers.
    pub fn observe_upstream(&self, secs: f64) {
        self.upstream_latency.observe(secs);
    }

    /// Counts one table build and the error diagnostics it produced.
    pub fn table_rebuilt(&self, diagnostic_errors: u64) {
        self.rebuilds.inc();
        self.rebuild_errors.inc_by(diagnostic_errors);
    }

    /// Records that table `generation` is now live (the age restarts from zero).
    pub fn table_swapped(&self, generation: u64) {
        self.generation.set(i64::try_from(generation).unwrap_or(i64::MAX));
        self.last_swap_ms.store(now_ms().max(1), Ordering::Relaxed);
        self.nginx_controller.table_live(generation);
    }

    /// The span counters, for the tracer's export report.
    pub fn trace_spans(&self) -> &TraceSpans {
        &self.trace_spans
    }

    /// Counts one watch of `kind` (e.g. `Ingress`) restarted after an error.
    pub fn watch_restarted(&self, kind: &'static str) {
        self.watch_restarts.get_or_create(&KindLabels { kind }).inc();
    }

    /// All metrics in the Prometheus/OpenMetrics text format.
    pub fn encode(&self) -> String {
        let last = self.last_swap_ms.load(Ordering::Relaxed);
        if last != 0 {
            self.table_age.set(now_ms().saturating_sub(last) as f64 / 1000.0);
        }
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode_registry(&mut out, &self.registry);
        self.encode_own(&mut out);
        // Hand-written in the 0.0.4 text format: ingress-nginx's counters have no `_total`.
        self.nginx_controller.encode(&mut out);
        self.nginx_process.encode(&mut out);
        self.nginx_requests.encode(&mut out);
        let _ = prometheus_client::encoding::text::encode_eof(&mut out);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

// === impl RequestCounters ===

impl RequestCounters {
    /// Counts one request answered with `status`.
    pub fn record(&self, status: u16) {
        self.by_class[usize::from(StatusClass::of(status).0 - 1)].inc();
    }
}

// === impl StatusClass ===

impl StatusClass {
    fn of(status: u16) -> Self {
        match status {
            100..=599 => Self((status / 100) as u8),
            _ => Self(5),
        }
    }
}

impl EncodeLabelValue for StatusClass {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        write!(encoder, "{}xx", self.0)
    }
}

// === impl IngressLabel ===

impl EncodeLabelValue for IngressLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        encoder.write_str(&self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests: a panic is the failure report
mod tests {
    use super::*;

    #[test]
    fn counts_by_class_and_ingress() {
        let m = Metrics::new();
        let web = m.request_counters("default/web");
        web.record(200);
        web.record(204);
        web.record(503);
        m.record_request(404, "");
        m.record_request(99, "");
        let text = m.encode();
        assert!(
            text.contains(r#"portico_requests_total{status_class="2xx",ingress="default/web"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"portico_requests_total{status_class="5xx",ingress="default/web"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"portico_requests_total{status_class="4xx",ingress=""} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"portico_requests_total{status_class="5xx",ingress=""} 1"#),
            "{text}"
        );
    }

    #[test]
    fn mirror_copies_by_outcome() {
        let m = Metrics::new();
        m.record_mirror(MirrorOutcome::Answered);
        m.record_mirror(MirrorOutcome::Dropped);
        m.record_mirror(MirrorOutcome::Dropped);
        let text = m.encode();
        for line in [
            r#"portico_mirror_requests_total{outcome="answered"} 1"#,
            r#"portico_mirror_requests_total{outcome="failed"} 0"#,
            r#"portico_mirror_requests_total{outcome="dropped"} 2"#,
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
    }

    #[test]
    fn histogram_rebuilds_and_generation() {
        let m = Metrics::new();
        m.observe_upstream(0.003);
        m.observe_upstream(3.0);
        m.table_rebuilt(2);
        m.table_rebuilt(0);
        m.table_swapped(7);
        m.watch_restarted("Ingress");
        m.trace_spans().dropped.inc_by(3);
        let text = m.encode();
        assert!(text.contains(r#"portico_trace_spans_total{outcome="dropped"} 3"#), "{text}");
        assert!(text.contains(r#"portico_trace_spans_total{outcome="exported"} 0"#), "{text}");
        assert!(
            text.contains(r#"portico_upstream_response_seconds_bucket{le="0.005"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"portico_upstream_response_seconds_bucket{le="10.0"} 2"#),
            "{text}"
        );
        assert!(text.contains("portico_upstream_response_seconds_count 2"), "{text}");
        assert!(text.contains("portico_table_rebuilds_total 2"), "{text}");
        assert!(text.contains("portico_table_rebuild_errors_total 2"), "{text}");
        assert!(text.contains("portico_table_generation 7"), "{text}");
        assert!(text.contains("portico_table_age_seconds"), "{text}");
        assert!(text.contains(r#"portico_watch_restarts_total{kind="Ingress"} 1"#), "{text}");
    }
}
