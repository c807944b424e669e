//! The spans of one request: the server span (kind server), and its children (kind client)
//! for the external auth subrequest and each upstream attempt. A span ends when it is dropped,
//! so a cancelled request still ends its spans. An unsampled span records nothing; it still
//! carries ids, so that the `traceparent` sent on says "not sampled".

use std::borrow::Cow;
use std::time::SystemTime;

use http::HeaderMap;
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer as _};
use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_sdk::trace::{SdkTracer, Span};

use crate::traceparent;

/// How a server span starts.
#[derive(Debug)]
pub struct ServerStart<'a> {
    /// The client's request headers (for `traceparent`/`tracestate`).
    pub headers: &'a HeaderMap,
    /// `opentelemetry-trust-incoming-span`: continue the client's trace when it names one.
    pub trust_incoming: bool,
    pub name: Cow<'static, str>,
    /// When the request arrived.
    pub start: SystemTime,
}

/// The span of one request as Portico served it.
#[derive(Debug)]
pub struct ServerSpan {
    span: Span,
    tracer: SdkTracer,
}

/// A span of one exchange Portico made for the request (auth subrequest, upstream attempt).
#[derive(Debug)]
pub struct ClientSpan {
    span: Span,
}

// === impl ServerSpan ===

impl ServerSpan {
    /// Starts the request's span: a child of the client's `traceparent` when trusted and
    /// valid (sampled as the sampler decides for a remote parent), else a new trace.
    pub(crate) fn start(tracer: &SdkTracer, start: ServerStart<'_>) -> Self {
        let parent = match start.trust_incoming {
            true => traceparent::extract(start.headers),
            false => None,
        };
        let parent = match parent {
            Some(remote) => Context::new().with_remote_span_context(remote),
            None => Context::new(),
        };
        let span = tracer
            .span_builder(start.name)
            .with_kind(SpanKind::Server)
            .with_start_time(start.start)
            .start_with_context(tracer, &parent);
        Self { span, tracer: tracer.clone() }
    }

    /// Whether the span is sampled: attributes of an unsampled span are not worth building.
    pub fn is_recording(&self) -> bool {
        self.span.is_recording()
    }

    /// Sets attribute `key` (no effect when not recording).
    pub fn set(&mut self, key: &'static str, value: impl Into<Value>) {
        self.span.set_attribute(KeyValue::new(key, value));
    }

    /// Renames the span (`opentelemetry-operation-name`, known once the request is served).
    pub fn rename(&mut self, name: String) {
        self.span.update_name(name);
    }

    /// Records the response status: `http.status_code`, and an error status from 500 on, as
    /// nginx's module does.
    pub fn respond(&mut self, status: u16) {
        self.set("http.status_code", i64::from(status));
        self.span.set_status(match status {
            500.. => Status::error(""),
            _ => Status::Ok,
        });
    }

    /// Starts a child span of kind client named `name`, now.
    pub fn child(&self, name: &'static str) -> ClientSpan {
        let parent = Context::new().with_remote_span_context(self.span.span_context().clone());
        let span = self
            .tracer
            .span_builder(name)
            .with_kind(SpanKind::Client)
            .start_with_context(&self.tracer, &parent);
        ClientSpan { span }
    }

    /// The request's trace context, as `traceparent`/`tracestate` into `headers`.
    pub fn inject(&self, headers: &mut HeaderMap) {
        traceparent::inject(self.span.span_context(), headers);
    }
}

// === impl ClientSpan ===

impl ClientSpan {
    /// Whether the span is sampled.
    pub fn is_recording(&self) -> bool {
        self.span.is_recording()
    }

    /// Sets attribute `key` (no effect when not recording).
    pub fn set(&mut self, key: &'static str, value: impl Into<Value>) {
        self.span.set_attribute(KeyValue::new(key, value));
    }

    /// This exchange's trace context as the request's `traceparent`/`tracestate`: the peer's
    /// spans become children of this one.
    pub fn inject(&self, headers: &mut HeaderMap) {
        traceparent::inject(self.span.span_context(), headers);
    }

    /// The peer answered `status` (an error status from 500 on).
    pub fn respond(&mut self, status: u16) {
        self.set("http.status_code", i64::from(status));
        if status >= 500 {
            self.span.set_status(Status::error(""));
        }
    }

    /// The exchange failed without an answer: error status with `reason`.
    pub fn fail(&mut self, reason: String) {
        self.span.set_status(Status::error(reason));
    }
}
