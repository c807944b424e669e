//! Export off the request path: ended spans go into a bounded queue (`otel-max-queuesize`)
//! with `try_send`, never waiting; a full queue drops the span and counts it. One task per
//! tracer takes batches of at most `otel-max-export-batch-size` spans, at the latest every
//! `otel-schedule-delay-millis`, and sends each to the collector (one export at a time).
//! When every handle to the tracer is gone the queue closes; the task exports what is left
//! and ends. [`Flusher::flush`] exports what is queued now (on shutdown).

use std::sync::Arc;
use std::time::Duration;

use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use tokio::sync::{mpsc, oneshot};
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

/// Asks the export task to export every queued span now.
#[derive(Debug, Clone)]
pub(crate) struct Flusher(mpsc::Sender<oneshot::Sender<()>>);

/// Why [`fill`] stopped adding spans to the batch.
enum Filled {
    Ready,
    Closed,
    Flush(oneshot::Sender<()>),
}

// === impl QueueProcessor ===

impl QueueProcessor {
    /// The processor and its export task, spawned on `runtime`.
    pub(crate) fn spawn<E: SpanExporter + 'static>(
        exporter: E,
        batching: Batching,
        report: Report,
        runtime: &tokio::runtime::Handle,
    ) -> (Self, Flusher) {
        let (queue, spans) = mpsc::channel(batching.queue.max(1));
        let (flusher, flushes) = mpsc::channel(1);
        let export = Export { exporter, report: Arc::clone(&report) };
        runtime.spawn(run(spans, flushes, export, batching));
        (Self { queue, report }, Flusher(flusher))
    }
}

// === impl Flusher ===

impl Flusher {
    /// Returns once the spans queued now are exported (or the task has ended).
    pub(crate) async fn flush(&self) {
        let (done, exported) = oneshot::channel();
        if self.0.send(done).await.is_ok() {
            let _ = exported.await;
        }
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

/// The exporter and where its results are counted.
struct Export<E> {
    exporter: E,
    report: Report,
}

impl<E: SpanExporter> Export<E> {
    /// Sends `batch` (emptied) to the collector, when it holds spans.
    async fn send(&self, batch: &mut Vec<SpanData>) {
        if batch.is_empty() {
            return;
        }
        let count = batch.len() as u64;
        let spans = std::mem::replace(batch, Vec::with_capacity(batch.capacity()));
        match self.exporter.export(spans).await {
            Ok(()) => (self.report)(Outcome::Exported, count),
            Err(error) => {
                tracing::warn!(%error, spans = count, "OpenTelemetry export failed");
                (self.report)(Outcome::Failed, count);
            }
        }
    }
}

/// The export task: batches until the queue is closed and empty.
async fn run<E: SpanExporter>(
    mut spans: mpsc::Receiver<SpanData>,
    mut flushes: mpsc::Receiver<oneshot::Sender<()>>,
    export: Export<E>,
    batching: Batching,
) {
    let size = batching.batch.clamp(1, batching.queue.max(1));
    let mut batch = Vec::with_capacity(size);
    loop {
        let filled = fill(&mut spans, &mut flushes, &mut batch, size, batching.delay).await;
        export.send(&mut batch).await;
        match filled {
            Filled::Ready => {}
            Filled::Closed => {
                let _ = export.exporter.shutdown();
                return;
            }
            Filled::Flush(done) => {
                while let Ok(span) = spans.try_recv() {
                    batch.push(span);
                    if batch.len() >= size {
                        export.send(&mut batch).await;
                    }
                }
                export.send(&mut batch).await;
                let _ = done.send(());
            }
        }
    }
}

/// Adds spans to `batch` until it holds `size` or `delay` has passed (`Ready`), the queue is
/// closed and empty, or a flush is asked for.
async fn fill(
    spans: &mut mpsc::Receiver<SpanData>,
    flushes: &mut mpsc::Receiver<oneshot::Sender<()>>,
    batch: &mut Vec<SpanData>,
    size: usize,
    delay: Duration,
) -> Filled {
    let deadline = Instant::now() + delay;
    while batch.len() < size {
        let room = size - batch.len();
        tokio::select! {
            received = spans.recv_many(batch, room) => {
                if received == 0 {
                    return Filled::Closed;
                }
            }
            Some(done) = flushes.recv() => return Filled::Flush(done),
            () = tokio::time::sleep_until(deadline) => return Filled::Ready,
        }
    }
    Filled::Ready
}
