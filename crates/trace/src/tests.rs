//! The pipeline with an in-memory exporter: parentage, propagation, batching and drops.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderValue};
use opentelemetry::trace::{SpanId, SpanKind, TraceId};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use tokio::sync::Semaphore;

use super::*;
use crate::traceparent::{TraceParent, TRACEPARENT};

const INCOMING: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/// Keeps exported spans; each export first takes a permit of `gate` (closed = blocked).
#[derive(Debug, Clone)]
struct Memory {
    spans: Arc<Mutex<Vec<SpanData>>>,
    gate: Arc<Semaphore>,
}

impl SpanExporter for Memory {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        if let Ok(permit) = self.gate.acquire().await {
            permit.forget();
        }
        self.spans.lock().unwrap().extend(batch);
        Ok(())
    }
}

/// Counts per outcome: exported, dropped, failed.
#[derive(Debug, Default)]
struct Counts([AtomicU64; 3]);

fn pipeline(settings: TracingSettings, open: bool) -> (Tracer, Memory, Arc<Counts>) {
    let gate = Arc::new(Semaphore::new(if open { Semaphore::MAX_PERMITS } else { 0 }));
    let memory = Memory { spans: Arc::default(), gate };
    let counts = Arc::new(Counts::default());
    let seen = Arc::clone(&counts);
    let report: Report = Arc::new(move |outcome, n| {
        let at = match outcome {
            Outcome::Exported => 0,
            Outcome::Dropped => 1,
            Outcome::Failed => 2,
        };
        seen.0[at].fetch_add(n, Ordering::Relaxed);
    });
    let runtime = tokio::runtime::Handle::current();
    let tracer = Tracer::with_exporter(&settings, memory.clone(), report, &runtime);
    (tracer, memory, counts)
}

fn fast() -> TracingSettings {
    TracingSettings {
        collector_host: "collector".to_string(),
        schedule_delay: Duration::from_millis(10),
        ..TracingSettings::default()
    }
}

fn request(trust_incoming: bool, headers: &HeaderMap) -> ServerStart<'_> {
    ServerStart { headers, trust_incoming, name: "/".into(), start: SystemTime::now() }
}

async fn exported(memory: &Memory, count: usize) -> Vec<SpanData> {
    for _ in 0..200 {
        if memory.spans.lock().unwrap().len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    memory.spans.lock().unwrap().clone()
}

#[tokio::test]
async fn a_trusted_parent_is_continued_and_children_propagate() {
    let (tracer, memory, counts) = pipeline(fast(), true);
    let mut headers = HeaderMap::new();
    headers.insert(TRACEPARENT, HeaderValue::from_static(INCOMING));
    let mut server = tracer.server_span(request(true, &headers));
    let upstream = server.child("upstream");
    let mut sent = HeaderMap::new();
    upstream.inject(&mut sent);
    server.respond(200);
    drop(upstream);
    drop(server);
    let spans = exported(&memory, 2).await;
    assert_eq!(spans.len(), 2);
    let (child, parent) = (&spans[0], &spans[1]);
    let incoming = TraceParent::parse(INCOMING.as_bytes()).unwrap();
    assert_eq!(parent.span_kind, SpanKind::Server);
    assert_eq!(parent.span_context.trace_id(), TraceId::from(incoming.trace_id));
    assert_eq!(parent.parent_span_id, SpanId::from(incoming.span_id));
    assert_eq!(child.span_kind, SpanKind::Client);
    assert_eq!(child.parent_span_id, parent.span_context.span_id());
    let propagated = TraceParent::parse(sent[TRACEPARENT].as_bytes()).unwrap();
    assert_eq!(propagated.trace_id, incoming.trace_id);
    assert_eq!(SpanId::from(propagated.span_id), child.span_context.span_id());
    assert!(propagated.sampled());
    assert_eq!(counts.0[0].load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn an_untrusted_parent_starts_a_new_trace() {
    let (tracer, memory, _) = pipeline(fast(), true);
    let mut headers = HeaderMap::new();
    headers.insert(TRACEPARENT, HeaderValue::from_static(INCOMING));
    drop(tracer.server_span(request(false, &headers)));
    let spans = exported(&memory, 1).await;
    let incoming = TraceParent::parse(INCOMING.as_bytes()).unwrap();
    assert_ne!(spans[0].span_context.trace_id(), TraceId::from(incoming.trace_id));
    assert_eq!(spans[0].parent_span_id, SpanId::INVALID);
}

#[tokio::test]
async fn an_unsampled_parent_is_propagated_unsampled() {
    let (tracer, memory, _) = pipeline(fast(), true);
    let mut headers = HeaderMap::new();
    let unsampled = INCOMING.replace("-01", "-00");
    headers.insert(TRACEPARENT, HeaderValue::try_from(unsampled).unwrap());
    let server = tracer.server_span(request(true, &headers));
    assert!(!server.is_recording());
    let mut sent = HeaderMap::new();
    server.child("upstream").inject(&mut sent);
    let propagated = TraceParent::parse(sent[TRACEPARENT].as_bytes()).unwrap();
    assert_eq!(propagated.trace_id, 0x4bf92f3577b34da6a3ce929d0e0e4736);
    assert!(!propagated.sampled());
    drop(server);
    // A window, not a wait: nothing may be recorded in it.
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(memory.spans.lock().unwrap().is_empty(), "nothing recorded");
}

#[tokio::test]
async fn a_full_queue_drops_and_counts() {
    let settings = TracingSettings { max_queue_size: 2, max_export_batch_size: 1, ..fast() };
    let (tracer, memory, counts) = pipeline(settings, false);
    let headers = HeaderMap::new();
    drop(tracer.server_span(request(true, &headers)));
    // The task takes the first span and waits at the closed gate.
    tokio::time::sleep(Duration::from_millis(30)).await;
    for _ in 0..5 {
        drop(tracer.server_span(request(true, &headers)));
    }
    assert_eq!(counts.0[1].load(Ordering::Relaxed), 3, "two queued, three dropped");
    memory.gate.add_permits(10);
    assert_eq!(exported(&memory, 3).await.len(), 3);
}

#[tokio::test]
async fn flush_exports_without_waiting_for_the_schedule() {
    let settings = TracingSettings { schedule_delay: Duration::from_secs(3600), ..fast() };
    let (tracer, memory, _) = pipeline(settings, true);
    let headers = HeaderMap::new();
    drop(tracer.server_span(request(true, &headers)));
    tokio::time::timeout(Duration::from_secs(5), tracer.flush()).await.unwrap();
    assert_eq!(memory.spans.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn settings_decide_reuse() {
    let (tracer, _, _) = pipeline(fast(), true);
    assert!(tracer.serves(&fast()));
    assert!(!tracer.serves(&TracingSettings { service_name: "portico".into(), ..fast() }));
}
