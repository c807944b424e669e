//! OpenTelemetry tracing as ingress-nginx configures it: the exporter and sampler of the
//! controller ConfigMap (`enable-opentelemetry`, `otlp-collector-*`, `otel-*`) and what each
//! location does (`enable-opentelemetry`, `opentelemetry-trust-incoming-span`,
//! `opentelemetry-operation-name`, as ConfigMap keys and annotations).

use std::sync::Arc;
use std::time::Duration;

use crate::LogFormat;

/// The OTLP/HTTP port used when `otlp-collector-port` is not set. ingress-nginx's default,
/// 4317, is the collector's OTLP/gRPC port; Portico speaks OTLP/HTTP, whose port is 4318.
pub const OTLP_HTTP_PORT: u16 = 4318;

/// The exporter and sampler of the process (ConfigMap only). Traces are exported when some
/// location traces and [`TracingSettings::collector_host`] is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracingSettings {
    /// `otlp-collector-host`: the collector's host name or address (`""` = none).
    pub collector_host: String,
    /// `otlp-collector-port` (default [`OTLP_HTTP_PORT`]).
    pub collector_port: u16,
    /// `otel-sampler`, `otel-sampler-ratio`, `otel-sampler-parent-based`.
    pub sampler: Sampler,
    /// `otel-service-name`: the `service.name` resource attribute (default `nginx`).
    pub service_name: String,
    /// `otel-max-queuesize`: ended spans waiting for export; past it spans are dropped.
    pub max_queue_size: usize,
    /// `otel-schedule-delay-millis`: the longest wait between two exports.
    pub schedule_delay: Duration,
    /// `otel-max-export-batch-size`: spans per export request (at most the queue size).
    pub max_export_batch_size: usize,
}

/// Which traces are recorded and exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sampler {
    pub root: RootSampler,
    /// `otel-sampler-ratio`, in millionths (0 to 1 000 000): the share of trace ids
    /// `TraceIdRatioBased` keeps. Kept as an integer so that settings compare exactly.
    pub ratio_ppm: u32,
    /// `otel-sampler-parent-based`: a span with a parent follows the parent's sampled flag;
    /// only root spans ask [`Sampler::root`].
    pub parent_based: bool,
}

/// `otel-sampler`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSampler {
    AlwaysOn,
    AlwaysOff,
    TraceIdRatioBased,
}

/// What one location does about tracing (ConfigMap defaults, then annotations).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LocationTracing {
    /// `enable-opentelemetry`: requests to the location get spans and a `traceparent` of
    /// Portico's toward the backend. Off: `traceparent`/`tracestate` pass through unchanged.
    pub enabled: bool,
    /// `opentelemetry-trust-incoming-span` (default true): a valid incoming `traceparent`
    /// becomes the parent of the server span; off, every request starts a new trace.
    pub trust_incoming: bool,
    /// `opentelemetry-operation-name`: the server span's name (nginx variables); `None` =
    /// the location's path, as nginx names the span after its location.
    pub operation_name: Option<Arc<LogFormat>>,
}

// === impl TracingSettings ===

impl Default for TracingSettings {
    fn default() -> Self {
        Self {
            collector_host: String::new(),
            collector_port: OTLP_HTTP_PORT,
            sampler: Sampler::default(),
            service_name: "nginx".to_string(),
            max_queue_size: 2048,
            schedule_delay: Duration::from_millis(5000),
            max_export_batch_size: 512,
        }
    }
}

impl TracingSettings {
    /// The OTLP/HTTP traces endpoint, `http://<host>:<port>/v1/traces` (IPv6 bracketed);
    /// `None` without a collector host.
    pub fn endpoint(&self) -> Option<String> {
        let host = self.collector_host.as_str();
        if host.is_empty() {
            return None;
        }
        let bracketed = host.contains(':') && !host.starts_with('[');
        let host = if bracketed { format!("[{host}]") } else { host.to_string() };
        Some(format!("http://{host}:{}/v1/traces", self.collector_port))
    }
}

// === impl Sampler ===

impl Default for Sampler {
    /// ingress-nginx's: `AlwaysOn`, ratio 0.01, parent-based.
    fn default() -> Self {
        Self { root: RootSampler::AlwaysOn, ratio_ppm: 10_000, parent_based: true }
    }
}

impl Sampler {
    /// The ratio as a fraction of 1.
    pub fn ratio(&self) -> f64 {
        f64::from(self.ratio_ppm) / 1_000_000.0
    }
}

// === impl LocationTracing ===

impl LocationTracing {
    /// ingress-nginx's defaults: off, trusting incoming spans, no operation name.
    pub fn new() -> Self {
        Self { enabled: false, trust_incoming: true, operation_name: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_is_otlp_http() {
        let mut settings = TracingSettings::default();
        assert_eq!(settings.endpoint(), None);
        settings.collector_host = "otel.monitoring".to_string();
        assert_eq!(settings.endpoint().as_deref(), Some("http://otel.monitoring:4318/v1/traces"));
        settings.collector_host = "::1".to_string();
        settings.collector_port = 4317;
        assert_eq!(settings.endpoint().as_deref(), Some("http://[::1]:4317/v1/traces"));
    }

    #[test]
    fn ratio_in_millionths() {
        assert!((Sampler::default().ratio() - 0.01).abs() < 1e-12);
    }
}
