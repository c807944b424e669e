//! Request and response buffering (ingress-nginx `annotations/proxy/main.go`,
//! `annotations/clientbodybuffersize`): how bodies travel between client, Portico and backend.
//!
//! `proxy-request-buffering`, `client-body-buffer-size` and `proxy-http-version` change what
//! the backend sees and are honoured. The response-buffer knobs only tune how nginx holds a
//! response it relays; Portico relays responses as they come with bounded memory, so the client
//! and the backend see the same bytes either way: they are validated and have no effect.

use portico_model::LocationPolicy;

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::value;

/// `on` or `off`, exactly (ingress-nginx `ValidateOptions(["on","off"], caseSensitive)`).
pub(crate) const ON_OFF: Validator =
    Validator { describe: "on or off", check: |v| parse_on_off(v).map(drop) };

const HTTP_VERSION: Validator =
    Validator { describe: "1.0 or 1.1", check: |v| parse_http_version(v).map(drop) };

const SIZE: Validator = Validator {
    describe: "nginx size (8k, 1m, bytes), > 0",
    check: |v| value::parse_positive_size(v).map(drop),
};

const SIZE_OR_ZERO: Validator = Validator {
    describe: "nginx size (1024m, bytes); 0 = none",
    check: |v| value::parse_size(v).map(drop),
};

const COUNT: Validator = Validator {
    describe: "integer >= 1",
    check: |v| match value::parse_count::<u32>(v)? {
        0 => Err("must be at least 1".to_string()),
        _ => Ok(()),
    },
};

/// One entry of this family: location scope, low risk, invalid → ConfigMap default.
const fn spec(
    name: &'static str,
    kind: ValueKind,
    validator: Validator,
    doc: &'static str,
) -> AnnotationSpec {
    AnnotationSpec {
        name,
        kind,
        validator,
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Default,
        default_from: Some(name),
        doc,
    }
}

pub(crate) const SPECS: &[AnnotationSpec] = &[
    spec(
        "proxy-request-buffering",
        ValueKind::String,
        ON_OFF,
        "on (default): the request body is read whole (memory up to client-body-buffer-size, \
         then a temporary file; proxy-body-size still answers 413) before the backend is \
         contacted, and sent with a Content-Length; a failed exchange can resend it to the \
         next endpoint (proxy-next-upstream). off: streamed as it arrives.",
    ),
    spec(
        "client-body-buffer-size",
        ValueKind::String,
        SIZE,
        "Largest buffered request body kept in memory; a larger one goes to a temporary file.",
    ),
    spec(
        "proxy-http-version",
        ValueKind::String,
        HTTP_VERSION,
        "HTTP version of requests to the backend. 1.0: bodies are always buffered (no chunked \
         encoding), one request per connection, no WebSocket.",
    ),
    spec(
        "proxy-buffering",
        ValueKind::String,
        ON_OFF,
        "accepted, no effect: Portico relays responses as they arrive with bounded memory; \
         client and backend see the same bytes with on or off.",
    ),
    spec(
        "proxy-buffers-number",
        ValueKind::Int,
        COUNT,
        "accepted, no effect: nginx's number of response buffers; Portico's response memory is \
         bounded without it.",
    ),
    spec(
        "proxy-busy-buffers-size",
        ValueKind::String,
        SIZE,
        "accepted, no effect: nginx's response buffers busy sending to the client; Portico \
         forwards each chunk as it comes.",
    ),
    spec(
        "proxy-max-temp-file-size",
        ValueKind::String,
        SIZE_OR_ZERO,
        "accepted, no effect: responses never go to a temporary file in Portico (as nginx \
         with proxy-buffering off, ingress-nginx's default).",
    ),
];

/// Applies the buffering family onto `policy` (which starts from the ConfigMap defaults).
/// The no-effect knobs are only validated (by `ctx.value`, which reports a bad value).
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy) {
    let body = &mut policy.request_body;
    if let Some(on) = ctx.value("proxy-request-buffering").and_then(|v| parse_on_off(v).ok()) {
        body.buffering = on;
    }
    if let Some(size) =
        ctx.value("client-body-buffer-size").and_then(|v| value::parse_positive_size(v).ok())
    {
        body.memory_limit = size;
    }
    if let Some(http10) = ctx.value("proxy-http-version").and_then(|v| parse_http_version(v).ok()) {
        body.http10 = http10;
    }
    for name in [
        "proxy-buffering",
        "proxy-buffers-number",
        "proxy-busy-buffers-size",
        "proxy-max-temp-file-size",
    ] {
        ctx.value(name);
    }
}

/// `on` → true, `off` → false (nginx flags).
pub(crate) fn parse_on_off(value: &str) -> Result<bool, String> {
    match value {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err("expected on or off".to_string()),
    }
}

/// `proxy-http-version`: `true` for `1.0`, `false` for `1.1`.
pub(crate) fn parse_http_version(value: &str) -> Result<bool, String> {
    match value {
        "1.0" => Ok(true),
        "1.1" => Ok(false),
        _ => Err("expected 1.0 or 1.1".to_string()),
    }
}

#[cfg(test)]
mod tests;
