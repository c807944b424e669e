//! W3C Trace Context (<https://www.w3.org/TR/trace-context/>): the `traceparent` header parsed
//! and written, and `tracestate` carried along. Parsing follows the spec's rules for
//! receivers: lowercase hex only, version `ff` and all-zero ids invalid, a version above `00`
//! may append fields after a `-`; a request with several `traceparent` fields has none.

use http::header::{HeaderMap, HeaderName, HeaderValue};
use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};

/// `traceparent`.
pub const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
/// `tracestate`.
pub const TRACESTATE: HeaderName = HeaderName::from_static("tracestate");

/// Length of a version-00 `traceparent`: `00-<32 hex>-<16 hex>-<2 hex>`.
const LENGTH: usize = 55;

/// A parsed `traceparent`: the caller's trace and span ids and its flags.
///
/// Invariant: `trace_id` and `span_id` are non-zero (the spec's invalid values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceParent {
    pub trace_id: u128,
    pub span_id: u64,
    /// Bit 0 is `sampled`; other bits are kept as received.
    pub flags: u8,
}

// === impl TraceParent ===

impl TraceParent {
    /// Parses one `traceparent` value; `None` when it is not valid.
    pub fn parse(value: &[u8]) -> Option<Self> {
        if value.len() < LENGTH {
            return None;
        }
        let version = hex(&value[0..2])? as u8;
        let fits = match version {
            0xff => false,
            0x00 => value.len() == LENGTH,
            _ => value.len() == LENGTH || value[LENGTH] == b'-',
        };
        if !fits || value[2] != b'-' || value[35] != b'-' || value[52] != b'-' {
            return None;
        }
        let trace_id = hex(&value[3..35])?;
        let span_id = hex(&value[36..52])? as u64;
        let flags = hex(&value[53..55])? as u8;
        (trace_id != 0 && span_id != 0).then_some(Self { trace_id, span_id, flags })
    }

    /// The version-00 header value.
    pub fn format(&self) -> String {
        format!("00-{:032x}-{:016x}-{:02x}", self.trace_id, self.span_id, self.flags)
    }

    /// The `sampled` flag.
    pub fn sampled(&self) -> bool {
        self.flags & 1 == 1
    }

    /// The ids of `context` (`None` for an invalid, all-zero one).
    pub fn of(context: &SpanContext) -> Option<Self> {
        let trace_id = u128::from_be_bytes(context.trace_id().to_bytes());
        let span_id = u64::from_be_bytes(context.span_id().to_bytes());
        let flags = context.trace_flags().to_u8();
        (trace_id != 0 && span_id != 0).then_some(Self { trace_id, span_id, flags })
    }
}

/// The remote parent a request names: its one valid `traceparent`, with its `tracestate`
/// (several fields joined with `,`; dropped when not valid). `None` = no valid parent.
pub fn extract(headers: &HeaderMap) -> Option<SpanContext> {
    let mut values = headers.get_all(TRACEPARENT).iter();
    let parent = TraceParent::parse(values.next()?.as_bytes())?;
    if values.next().is_some() {
        return None;
    }
    let state = tracestate(headers);
    Some(SpanContext::new(
        TraceId::from_bytes(parent.trace_id.to_be_bytes()),
        SpanId::from_bytes(parent.span_id.to_be_bytes()),
        TraceFlags::new(parent.flags),
        true,
        state,
    ))
}

/// Writes `context` as the request's `traceparent` and `tracestate` (removed when empty),
/// replacing what the client sent.
pub fn inject(context: &SpanContext, headers: &mut HeaderMap) {
    let Some(parent) = TraceParent::of(context) else { return };
    if let Ok(value) = HeaderValue::try_from(parent.format()) {
        headers.insert(TRACEPARENT, value);
    }
    let state = context.trace_state().header();
    match HeaderValue::try_from(state) {
        Ok(value) if !value.is_empty() => {
            headers.insert(TRACESTATE, value);
        }
        _ => {
            headers.remove(TRACESTATE);
        }
    }
}

/// The request's `tracestate` list, or the empty one when absent or not valid.
fn tracestate(headers: &HeaderMap) -> TraceState {
    let mut joined = String::new();
    for value in headers.get_all(TRACESTATE) {
        let Ok(text) = value.to_str() else { return TraceState::default() };
        if !joined.is_empty() {
            joined.push(',');
        }
        joined.push_str(text);
    }
    let entries = joined.split(',').map(str::trim).filter(|e| !e.is_empty());
    let mut pairs = Vec::new();
    for entry in entries {
        let Some((key, value)) = entry.split_once('=') else { return TraceState::default() };
        pairs.push((key.to_string(), value.to_string()));
    }
    TraceState::from_key_value(pairs).unwrap_or_default()
}

/// The value of lowercase hex digits (at most 32); `None` for any other byte.
fn hex(digits: &[u8]) -> Option<u128> {
    digits.iter().try_fold(0u128, |value, &b| {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => return None,
        };
        Some(value << 4 | u128::from(digit))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
