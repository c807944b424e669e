//! OpenTelemetry tracing of proxied requests, as ingress-nginx's `enable-opentelemetry` asks:
//! W3C trace context in and out ([`traceparent`]), the ConfigMap's samplers, and export of
//! ended spans to an OTLP/HTTP collector (protobuf bodies, `POST /v1/traces`) off the request
//! path ([`export`]).
//!
//! A [`Tracer`] is built from [`TracingSettings`] when some location traces; the proxy keeps it
//! while the export settings stay the same. Per request it makes one [`ServerSpan`], whose
//! children ([`ClientSpan`]) are the auth subrequest and each upstream attempt; the context
//! sent to a backend is that of its attempt's span. Nothing here runs for a request whose
//! location does not trace: the proxy never calls in.
#![forbid(unsafe_code)]

pub mod export;
mod sampling;
mod span;
pub mod traceparent;

use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider, SpanExporter};
use opentelemetry_sdk::Resource;
use portico_model::TracingSettings;

pub use export::{Outcome, Report};
pub use span::{ClientSpan, ServerSpan, ServerStart};

/// How long one export request may take before it counts as failed.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// Why tracing could not start.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("no otlp-collector-host is set")]
    NoCollector,
    #[error("tracing needs a Tokio runtime to export from")]
    NoRuntime,
    #[error("the OTLP exporter could not be built: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// The process's tracer: sampler, span processor and exporter for one set of settings.
/// Dropping the last handle (and the last span) closes its queue; what was queued is still
/// exported.
#[derive(Debug)]
pub struct Tracer {
    settings: TracingSettings,
    /// Holds the provider (and so the queue) alive, as does every span.
    tracer: SdkTracer,
    flusher: export::Flusher,
}

// === impl Tracer ===

impl Tracer {
    /// Builds the pipeline of `settings` and spawns its export task on the current Tokio
    /// runtime; `report` counts what becomes of ended spans.
    pub fn start(settings: &TracingSettings, report: Report) -> Result<Self, TraceError> {
        let endpoint = settings.endpoint().ok_or(TraceError::NoCollector)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| TraceError::NoRuntime)?;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(endpoint)
            .with_protocol(Protocol::HttpBinary)
            .with_timeout(EXPORT_TIMEOUT)
            .build()?;
        Ok(Self::with_exporter(settings, exporter, report, &runtime))
    }

    /// The pipeline of `settings` around `exporter`, its task spawned on `runtime`.
    fn with_exporter<E: SpanExporter + 'static>(
        settings: &TracingSettings,
        mut exporter: E,
        report: Report,
        runtime: &tokio::runtime::Handle,
    ) -> Self {
        let resource =
            Resource::builder_empty().with_service_name(settings.service_name.clone()).build();
        exporter.set_resource(&resource);
        let batching = export::Batching {
            queue: settings.max_queue_size,
            batch: settings.max_export_batch_size,
            delay: settings.schedule_delay,
        };
        let (processor, flusher) =
            export::QueueProcessor::spawn(exporter, batching, report, runtime);
        let provider = SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_sampler(sampling::sampler(&settings.sampler))
            .with_resource(resource)
            .build();
        let tracer = provider.tracer("portico");
        Self { settings: settings.clone(), tracer, flusher }
    }

    /// Whether this tracer exports and samples as `settings` say (else build a new one).
    pub fn serves(&self, settings: &TracingSettings) -> bool {
        self.settings == *settings
    }

    /// Exports the spans queued now, without waiting for the schedule (on shutdown).
    pub async fn flush(&self) {
        self.flusher.flush().await;
    }

    /// Starts the span of one request.
    pub fn server_span(&self, start: ServerStart<'_>) -> ServerSpan {
        ServerSpan::start(&self.tracer, start)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
