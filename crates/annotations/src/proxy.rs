//! Proxy limits, timeouts and retries (ingress-nginx `annotations/proxy/main.go`; spec §5.4).
//! Every parser here swallows errors: an invalid value keeps the ConfigMap default.

use portico_model::{LocationPolicy, NextUpstream};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::value;

/// Tokens ingress-nginx accepts in `proxy-next-upstream`.
const NEXT_UPSTREAM_TOKENS: &[&str] = &[
    "error",
    "timeout",
    "invalid_header",
    "http_500",
    "http_502",
    "http_503",
    "http_504",
    "http_403",
    "http_404",
    "http_429",
    "non_idempotent",
    "off",
];

const SECONDS: Validator = Validator {
    describe: "whole seconds without unit, >= 1",
    check: |v| value::parse_seconds(v).map(drop),
};

/// A timeout annotation: the same entry shape for connect, read and send.
const fn timeout(name: &'static str, doc: &'static str) -> AnnotationSpec {
    AnnotationSpec {
        name,
        kind: ValueKind::Int,
        validator: SECONDS,
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Default,
        default_from: Some(name),
        doc,
    }
}

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec {
        name: "proxy-body-size",
        kind: ValueKind::String,
        validator: Validator {
            describe: "nginx size (8k, 1m, 1g, bytes); 0 = unlimited",
            check: |v| value::parse_size(v).map(drop),
        },
        scope: Scope::Location,
        risk: Risk::Medium,
        on_invalid: OnInvalid::Default,
        default_from: Some("proxy-body-size"),
        doc: "Largest request body accepted; larger Content-Length answers 413.",
    },
    AnnotationSpec {
        name: "proxy-buffer-size",
        kind: ValueKind::String,
        validator: Validator {
            describe: "nginx size (4k, 16k, bytes), > 0",
            check: |v| value::parse_positive_size(v).map(drop),
        },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Default,
        default_from: Some("proxy-buffer-size"),
        doc: "Largest upstream response head; a larger one answers 502 (upstream sent too big \
              header).",
    },
    timeout("proxy-connect-timeout", "Timeout for connecting to an endpoint, in seconds."),
    timeout("proxy-read-timeout", "Timeout between two reads from the upstream, in seconds."),
    timeout("proxy-send-timeout", "Timeout between two writes to the upstream, in seconds."),
    AnnotationSpec {
        name: "proxy-next-upstream",
        kind: ValueKind::String,
        validator: Validator {
            describe: "space-separated: error timeout invalid_header http_5xx/403/404/429 \
                       non_idempotent off",
            check: |v| parse_next_upstream(v, NextUpstream::default()).map(drop),
        },
        scope: Scope::Location,
        risk: Risk::Medium,
        on_invalid: OnInvalid::Default,
        default_from: Some("proxy-next-upstream"),
        doc: "When a failed attempt tries the next endpoint (Portico acts on error, timeout, \
              non_idempotent, off).",
    },
    AnnotationSpec {
        name: "proxy-next-upstream-tries",
        kind: ValueKind::Int,
        validator: Validator {
            describe: "integer >= 0 (0 = every endpoint once)",
            check: |v| value::parse_count::<u32>(v).map(drop),
        },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Default,
        default_from: Some("proxy-next-upstream-tries"),
        doc: "Total attempts of a request, the first one included.",
    },
];

/// Applies the proxy family onto `policy` (which starts from the ConfigMap defaults).
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy) {
    if let Some(size) = ctx.value("proxy-body-size").and_then(|v| value::parse_size(v).ok()) {
        policy.max_body_size = size;
    }
    if let Some(size) =
        ctx.value("proxy-buffer-size").and_then(|v| value::parse_positive_size(v).ok())
    {
        policy.proxy_buffer_size = size;
    }
    let timeouts = [
        ("proxy-connect-timeout", &mut policy.timeouts.connect),
        ("proxy-read-timeout", &mut policy.timeouts.read),
        ("proxy-send-timeout", &mut policy.timeouts.send),
    ];
    for (name, slot) in timeouts {
        if let Some(d) = ctx.value(name).and_then(|v| value::parse_seconds(v).ok()) {
            *slot = d;
        }
    }
    if let Some(v) = ctx.value("proxy-next-upstream") {
        if let Ok((next, ignored)) = parse_next_upstream(v, policy.next_upstream) {
            policy.next_upstream = next;
            if !ignored.is_empty() {
                ctx.warn("proxy-next-upstream", unsupported_tokens_message(&ignored));
            }
        }
    }
    if let Some(tries) =
        ctx.value("proxy-next-upstream-tries").and_then(|v| value::parse_count::<u32>(v).ok())
    {
        policy.next_upstream.tries = tries;
    }
}

/// Parses `proxy-next-upstream` over `base` (whose `tries` is kept): the listed conditions
/// replace the base ones. Returns the accepted tokens Portico does not act on.
/// `off` must stand alone.
pub fn parse_next_upstream(
    value: &str,
    base: NextUpstream,
) -> Result<(NextUpstream, Vec<&str>), String> {
    let mut next =
        NextUpstream { on_error: false, on_timeout: false, non_idempotent: false, ..base };
    let mut ignored = Vec::new();
    let tokens: Vec<&str> = value.split_whitespace().collect();
    if tokens.is_empty() {
        return Err("no condition given".to_string());
    }
    for token in &tokens {
        match *token {
            "error" => next.on_error = true,
            "timeout" => next.on_timeout = true,
            "non_idempotent" => next.non_idempotent = true,
            "off" if tokens.len() > 1 => return Err("\"off\" cannot be combined".to_string()),
            "off" => {}
            t if NEXT_UPSTREAM_TOKENS.contains(&t) => ignored.push(t),
            t => {
                return Err(format!(
                    "unknown condition {t:?} (expected {})",
                    NEXT_UPSTREAM_TOKENS.join(" ")
                ))
            }
        }
    }
    Ok((next, ignored))
}

/// The warning for accepted `proxy-next-upstream` tokens that Portico does not act on.
pub fn unsupported_tokens_message(tokens: &[&str]) -> String {
    format!(
        "proxy-next-upstream condition(s) {} not supported by Portico (ignored); \
         only error, timeout, non_idempotent and off take effect",
        tokens.join(" ")
    )
}

#[cfg(test)]
mod tests;
