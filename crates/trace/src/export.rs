//! Export off the request path: ended spans go into a bounded queue (`otel-max-queuesize`)
//! with `try_send`, never waiting; a full queue drops the span and counts it. One task per
//! tracer takes batches of at most `otel-max-export-batch-size` spans, at the latest every
//! `otel-schedule-delay-millis`, and sends each to the collector (one export at a time).
//! When every handle to the tracer is gone the queue closes; the task exports what is left
//! and ends.

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// What became of ended spans, reported in counts (for `portico_trace_spans_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by the collector.
    Exported,
    /// Dropped because the queue was full.
    Dropped,
    /// Lost because an export request failed (collector unreachable, non-2xx answer).
    Failed,
}

/// Receives the counts of [`Outcome`]s; called from the request path for drops, so it must be
/// cheap (an atomic add).
pub type Report = Arc<dyn Fn(Outcome, u64) + Send + Sync>;

/// How the export task batches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Batching {
    pub queue: usize,
    pub batch: usize,
    pub delay: Duration,
}

/// The SDK's span processor of a [`crate::Tracer`]: hands ended, sampled spans to the queue.
pub(crate) struct QueueProcessor {
    queue: mpsc::Sender<SpanData>,
    report: Report,
}

impl std::fmt::Debug for QueueProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueProcessor").field("capacity", &self.queue.max_capacity()).finish()
    }
}

// === impl QueueProcessor ===

impl QueueProcessor {
    /// The processor and its export task, spawned on `runtime`.
    pub(crate) fn spawn<E: SpanExporter + 'static>(
        exporter: E,
        batching: Batching,
        report: Report,
        runtime: &tokio::runtime::Handle,
    ) -> Self {
        let (queue, spans) = mpsc::channel(batching.queue.max(1));
        runtime.spawn(run(spans, exporter, batching, Arc::clone(&report)));
        Self { queue, report }
    }
}

impl SpanProcessor for QueueProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if self.queue.try_send(span).is_err() {
            (self.report)(Outcome::Dropped, 1);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    /// The queue closes when the processor is dropped; the task then exports what is left.
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

/// The export task: batches until the queue is closed and empty.
async fn run<E: SpanExporter>(
    mut spans: mpsc::Receiver<SpanData>,
    exporter: E,
    batching: Batching,
    report: Report,
) {
    let size = batching.batch.clamp(1, batching.queue.max(1));
    let mut batch = Vec::with_capacity(size);
    loop {
        let closed = fill(&mut spans, &mut batch, size, batching.delay).await;
        if !batch.is_empty() {
            let count = batch.len() as u64;
            match exporter.export(std::mem::replace(&mut batch, Vec::with_capacity(size))).await {
                Ok(()) => report(Outcome::Exported, count),
                Err(error) => {
                    tracing::warn!(%error, spans = count, "OpenTelemetry export failed");
                    report(Outcome::Failed, count);
                }
            }
        }
        if closed {
            let _ = exporter.shutdown();
            return;
        }
    }
}

/// Adds spans to `batch` until it holds `size`, `delay` has passed, or the queue is closed
/// and empty (`true`).
async fn fill(
    spans: &mut mpsc::Receiver<SpanData>,
    batch: &mut Vec<SpanData>,
    size: usize,
    delay: Duration,
) -> bool {
    let deadline = Instant::now() + delay;
    while batch.len() < size {
        let room = size - batch.len();
        match tokio::time::timeout_at(deadline, spans.recv_many(batch, room)).await {
            Ok(0) => return true,
            Ok(_) => {}
            Err(_elapsed) => return false,
        }
    }
    false
}
