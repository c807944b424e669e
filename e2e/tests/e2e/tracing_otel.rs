//! OpenTelemetry (`enable-opentelemetry`, `otlp-collector-*`, `otel-*`, the
//! `opentelemetry-*` annotations) through the real binary: an OTLP/HTTP collector written here
//! (hyper on loopback decoding `POST /v1/traces` protobuf bodies) receives the spans, the echo
//! backend reports the `traceparent` it got, and an auth service the one of its subrequest.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::Span;
use portico_e2e::{eventually, get, request, start_site, Portico};
use prost::Message as _;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID: &str = "00f067aa0ba902b7";

/// A span as the collector received it, with the `service.name` of its resource.
#[derive(Debug, Clone)]
struct Got {
    span: Span,
    service: String,
}

/// The collector: every span of every export request; `headers` of the last request to the
/// auth service it also plays (`/auth`, 200).
#[derive(Debug, Default)]
struct Collector {
    spans: Mutex<Vec<Got>>,
    auth_traceparent: Mutex<Option<String>>,
}

impl Collector {
    async fn start() -> (Arc<Collector>, SocketAddr) {
        let state = Arc::new(Collector::default());
        let addr = portico_e2e::serve_answers(Arc::clone(&state)).await;
        (state, addr)
    }

    /// Waits for the spans of trace `trace_id` (hex) until `count` have arrived.
    async fn trace(&self, trace_id: &str, count: usize) -> Vec<Got> {
        let of_trace = || {
            let spans = self.spans.lock().unwrap();
            spans.iter().filter(|g| hex(&g.span.trace_id) == trace_id).cloned().collect::<Vec<_>>()
        };
        eventually(&format!("{count} spans of trace {trace_id}"), || {
            let n = of_trace().len();
            async move { n >= count }
        })
        .await;
        of_trace()
    }
}

impl portico_e2e::Answer for Collector {
    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        if req.uri().path() == "/auth" {
            let traceparent = req.headers().get("traceparent").and_then(|v| v.to_str().ok());
            *self.auth_traceparent.lock().unwrap() = traceparent.map(str::to_string);
            return Response::new(Full::default());
        }
        assert_eq!(req.uri().path(), "/v1/traces");
        assert_eq!(req.headers()["content-type"], "application/x-protobuf");
        let body = req.into_body().collect().await.unwrap().to_bytes();
        let export = ExportTraceServiceRequest::decode(body).unwrap();
        let mut spans = self.spans.lock().unwrap();
        for resource in export.resource_spans {
            let attributes = resource.resource.map(|r| r.attributes).unwrap_or_default();
            let service = string(&attributes, "service.name").unwrap_or_default();
            for scope in resource.scope_spans {
                let got =
                    scope.spans.into_iter().map(|span| Got { span, service: service.clone() });
                spans.extend(got);
            }
        }
        Response::builder()
            .header("content-type", "application/x-protobuf")
            .body(Full::default())
            .unwrap()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn attribute<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?.value.as_ref()
}

fn string(attributes: &[KeyValue], key: &str) -> Option<String> {
    match attribute(attributes, key)? {
        Value::StringValue(s) => Some(s.clone()),
        _ => None,
    }
}

fn int(attributes: &[KeyValue], key: &str) -> Option<i64> {
    match attribute(attributes, key)? {
        Value::IntValue(n) => Some(*n),
        _ => None,
    }
}

fn kind(spans: &[Got], kind: SpanKind, name: &str) -> Span {
    let found = spans.iter().find(|g| g.span.kind == kind as i32 && g.span.name == name);
    found.unwrap_or_else(|| panic!("no {kind:?} span {name}: {spans:#?}")).span.clone()
}

/// `GET /` on `host` with `headers`; the echo backend's view of `traceparent`/`tracestate`.
async fn send(
    portico: &Portico,
    host: &str,
    headers: &[(&str, &str)],
) -> (Option<String>, Option<String>) {
    let mut req = Request::get("/").header("host", host);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let reply = request(portico.http, req.body(Full::default()).unwrap()).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    (reply.echo_header("traceparent"), reply.echo_header("tracestate"))
}

/// The ids of a `traceparent`: trace id, parent id, flags.
fn ids(traceparent: &str) -> (String, String, String) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!((parts.len(), parts[0]), (4, "00"), "{traceparent}");
    (parts[1].to_string(), parts[2].to_string(), parts[3].to_string())
}

fn configmap(collector: SocketAddr, extra: &str) -> String {
    format!(
        "  enable-opentelemetry: \"true\"\n  otlp-collector-host: \"127.0.0.1\"\n  \
         otlp-collector-port: \"{}\"\n  otel-schedule-delay-millis: \"50\"\n{extra}",
        collector.port()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trusted_traceparent_is_continued_through_server_and_upstream_spans() {
    let (collector, addr) = Collector::start().await;
    let none: &[(&str, &str)] = &[];
    let cm = configmap(addr, "");
    let (_web, _dir, portico) = start_site(&[("traced.test", none)], Some(&cm)).await;

    let incoming = format!("00-{TRACE_ID}-{PARENT_ID}-01");
    let sent = [("traceparent", incoming.as_str()), ("tracestate", "vendor=opaque")];
    let (traceparent, tracestate) = send(&portico, "traced.test", &sent).await;
    let (trace_id, upstream_id, flags) = ids(&traceparent.unwrap());
    assert_eq!((trace_id.as_str(), flags.as_str()), (TRACE_ID, "01"), "same trace, sampled");
    assert_ne!(upstream_id, PARENT_ID, "the backend's parent is Portico's span");
    assert_eq!(tracestate.as_deref(), Some("vendor=opaque"), "tracestate carried along");

    let spans = collector.trace(TRACE_ID, 2).await;
    let server = kind(&spans, SpanKind::Server, "/");
    let upstream = kind(&spans, SpanKind::Client, "upstream");
    assert_eq!(hex(&server.parent_span_id), PARENT_ID, "the server span continues the client's");
    assert_eq!(upstream.parent_span_id, server.span_id, "the upstream span is its child");
    assert_eq!(hex(&upstream.span_id), upstream_id, "the backend got the upstream span's id");
    assert!(spans.iter().all(|g| g.service == "nginx"), "ingress-nginx's otel-service-name");
    let attrs = &server.attributes;
    assert_eq!(string(attrs, "http.method").as_deref(), Some("GET"));
    assert_eq!(string(attrs, "http.target").as_deref(), Some("/"));
    assert_eq!(string(attrs, "http.host").as_deref(), Some("traced.test"));
    assert_eq!(string(attrs, "http.server_name").as_deref(), Some("traced.test"));
    assert_eq!(int(attrs, "http.status_code"), Some(200));
    assert_eq!(string(attrs, "k8s.namespace.name").as_deref(), Some("default"));
    assert_eq!(string(attrs, "k8s.ingress.name").as_deref(), Some("traced"));
    assert_eq!(string(attrs, "k8s.service.name").as_deref(), Some("web"));
    let attrs = &upstream.attributes;
    assert_eq!(int(attrs, "http.status_code"), Some(200));
    assert_eq!(int(attrs, "upstream.attempt"), Some(1));
    assert_eq!(string(attrs, "net.peer.ip").as_deref(), Some("127.0.0.1"));
    assert!(server.start_time_unix_nano <= upstream.start_time_unix_nano);
    assert!(upstream.end_time_unix_nano <= server.end_time_unix_nano);

    // An unsampled parent: propagated unsampled, nothing exported.
    let unsampled = format!("00-{}-{PARENT_ID}-00", "1".repeat(32));
    let (traceparent, _) = send(&portico, "traced.test", &[("traceparent", &unsampled)]).await;
    let (trace_id, _, flags) = ids(&traceparent.unwrap());
    assert_eq!((trace_id, flags.as_str()), ("1".repeat(32), "00"));

    let metrics = get(portico.admin, "localhost", "/metrics").await.unwrap().text();
    let exported = metrics
        .lines()
        .find(|l| l.starts_with("portico_trace_spans_total{outcome=\"exported\"}"))
        .and_then(|l| l.rsplit(' ').next()?.parse::<u64>().ok());
    assert!(exported.is_some_and(|n| n >= 2), "{metrics}");
    assert!(collector
        .spans
        .lock()
        .unwrap()
        .iter()
        .all(|g| hex(&g.span.trace_id) != "1".repeat(32)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_traceparent_starts_a_new_trace() {
    let (collector, addr) = Collector::start().await;
    let untrusting = [
        ("enable-opentelemetry", "true"),
        ("opentelemetry-trust-incoming-span", "false"),
        ("opentelemetry-operation-name", "checkout"),
    ];
    let cm = configmap(addr, "  otel-service-name: \"edge\"\n");
    let sites = [("untrusting.test", &untrusting[..])];
    let (_web, _dir, portico) = start_site(&sites, Some(&cm)).await;

    let incoming = format!("00-{TRACE_ID}-{PARENT_ID}-01");
    let sent = [("traceparent", incoming.as_str()), ("tracestate", "vendor=opaque")];
    let (traceparent, tracestate) = send(&portico, "untrusting.test", &sent).await;
    let (trace_id, _, flags) = ids(&traceparent.unwrap());
    assert_ne!(trace_id, TRACE_ID, "a new trace");
    assert_eq!(flags, "01", "AlwaysOn");
    assert_eq!(tracestate, None, "the untrusted tracestate is not passed on");

    let spans = collector.trace(&trace_id, 2).await;
    let server = kind(&spans, SpanKind::Server, "checkout");
    assert!(server.parent_span_id.is_empty(), "a root span");
    assert!(spans.iter().all(|g| g.service == "edge"), "otel-service-name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auth_subrequest_gets_a_span_of_its_own() {
    let (collector, addr) = Collector::start().await;
    let auth = [("auth-url", format!("http://{addr}/auth"))];
    let cm =
        configmap(addr, "  opentelemetry-operation-name: \"HTTP $request_method $service_name\"\n");
    let (_web, _dir, portico) = start_site(&[("auth.test", &auth[..])], Some(&cm)).await;

    let incoming = format!("00-{TRACE_ID}-{PARENT_ID}-01");
    let (traceparent, _) = send(&portico, "auth.test", &[("traceparent", &incoming)]).await;
    let (_, upstream_id, _) = ids(&traceparent.unwrap());

    let spans = collector.trace(TRACE_ID, 3).await;
    let server = kind(&spans, SpanKind::Server, "HTTP GET web");
    let auth_span = kind(&spans, SpanKind::Client, "auth_request");
    let upstream = kind(&spans, SpanKind::Client, "upstream");
    assert_eq!(auth_span.parent_span_id, server.span_id);
    assert_eq!(upstream.parent_span_id, server.span_id);
    assert_eq!(hex(&upstream.span_id), upstream_id);
    assert_eq!(int(&auth_span.attributes, "http.status_code"), Some(200));
    let seen = collector.auth_traceparent.lock().unwrap().clone().unwrap();
    let (trace_id, auth_id, _) = ids(&seen);
    assert_eq!((trace_id.as_str(), auth_id), (TRACE_ID, hex(&auth_span.span_id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_tracing_trace_headers_pass_unchanged() {
    let (collector, addr) = Collector::start().await;
    let off = [("enable-opentelemetry", "false")];
    let none: &[(&str, &str)] = &[];
    let cm = configmap(addr, "");
    let sites = [("off.test", off.as_slice()), ("on.test", none)];
    let (_web, _dir, portico) = start_site(&sites, Some(&cm)).await;
    let (_web2, _dir2, plain) = start_site(&[("plain.test", none)], None).await;

    let incoming = format!("00-{TRACE_ID}-{PARENT_ID}-01");
    let sent = [("traceparent", incoming.as_str()), ("tracestate", "vendor=opaque")];
    for (portico, host) in [(&portico, "off.test"), (&plain, "plain.test")] {
        let (traceparent, tracestate) = send(portico, host, &sent).await;
        assert_eq!(traceparent.as_deref(), Some(incoming.as_str()), "{host}");
        assert_eq!(tracestate.as_deref(), Some("vendor=opaque"), "{host}");
    }
    // An invalid traceparent on a traced location: a new trace, as if none was sent.
    let bad = "00-zzzz-yyyy-01";
    let (traceparent, _) = send(&portico, "on.test", &[("traceparent", bad)]).await;
    let (trace_id, _, _) = ids(&traceparent.unwrap());
    collector.trace(&trace_id, 2).await;
    let off_spans = collector.spans.lock().unwrap();
    assert!(off_spans.iter().all(|g| hex(&g.span.trace_id) != TRACE_ID), "off.test: no span");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_spans_are_exported_on_shutdown() {
    let (collector, addr) = Collector::start().await;
    let none: &[(&str, &str)] = &[];
    // Far beyond the test's patience: only the shutdown flush can export them.
    let cm = configmap(addr, "  otel-schedule-delay-millis: \"600000\"\n")
        .replace("  otel-schedule-delay-millis: \"50\"\n", "");
    let (_web, _dir, mut portico) = start_site(&[("late.test", none)], Some(&cm)).await;
    let incoming = format!("00-{TRACE_ID}-{PARENT_ID}-01");
    send(&portico, "late.test", &[("traceparent", &incoming)]).await;
    // A window, not a wait: no span may be exported in it.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(collector.spans.lock().unwrap().is_empty(), "not exported before shutdown");
    let status = tokio::task::spawn_blocking(move || portico.terminate()).await.unwrap();
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    let spans = collector.trace(TRACE_ID, 2).await;
    assert_eq!(spans.len(), 2);
}
