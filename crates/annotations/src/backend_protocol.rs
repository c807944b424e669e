//! The backend group of ingress-nginx (`annotations/backendprotocol`, `annotations/upstreamvhost`):
//! the protocol spoken to the backend and the Host header sent to it.
//!
//! `backend-protocol` accepts ingress-nginx's set case-insensitively, spaces trimmed:
//! `HTTP`, `HTTPS`, `AUTO_HTTP`, `GRPC`, `GRPCS`, `FCGI`. Anything else (`H2C`, `AJP`, ...) is
//! ingress-nginx's validation error, which its parser swallows: HTTP with a warning. `FCGI` is
//! accepted by ingress-nginx but Portico does not speak FastCGI: serving it as HTTP would send
//! the backend requests it cannot read, so the location is denied (503) with an error.
//!
//! `upstream-vhost` is checked with ingress-nginx's `ValidateServerName`; its parser returns the
//! validation error, so a bad value does not load the Ingress.

use portico_model::{ConnectionHeader, LocationPolicy, UpstreamProtocol};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};

/// ingress-nginx's `validProtocols` (compared lowercased).
const PROTOCOLS: &[&str] = &["auto_http", "http", "https", "grpc", "grpcs", "fcgi"];

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec {
        name: "backend-protocol",
        kind: ValueKind::String,
        validator: Validator {
            describe: "HTTP, HTTPS, AUTO_HTTP, GRPC, GRPCS (case-insensitive); FCGI denies",
            check: check_protocol,
        },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Default,
        default_from: None,
        doc: "Protocol to the backend: HTTP/1.1 (HTTP), HTTP/1.1 over TLS (HTTPS), the client's \
              scheme (AUTO_HTTP), HTTP/2 cleartext (GRPC) or HTTP/2 over TLS (GRPCS).",
    },
    AnnotationSpec {
        name: "upstream-vhost",
        kind: ValueKind::String,
        validator: Validator {
            describe: "server name (letters, digits, -._~:/ and regex characters)",
            check: check_server_name,
        },
        scope: Scope::Location,
        risk: Risk::Low,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc: "Host header sent to the backend instead of the client's.",
    },
    AnnotationSpec::new(
        "connection-proxy-header",
        ValueKind::String,
        Validator {
            describe: "close or keep-alive",
            check: |v| match v {
                "close" | "keep-alive" => Ok(()),
                _ => Err("expected close or keep-alive".to_string()),
            },
        },
        Scope::Location,
        Risk::Low,
        "Connection header sent to HTTP/1 backends (close: the connection is not reused).",
    ),
];

/// What a `backend-protocol` value asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Served(UpstreamProtocol),
    /// `FCGI`: valid in ingress-nginx, not implemented by Portico.
    FastCgi,
}

/// Applies the family onto `policy.upstream` (and `policy.denied` for FCGI).
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy) {
    if let Some(v) = ctx.value("backend-protocol") {
        match parse_protocol(v) {
            Some(Protocol::Served(protocol)) => policy.upstream.protocol = protocol,
            Some(Protocol::FastCgi) => {
                ctx.error(
                    "backend-protocol",
                    "FCGI (FastCGI) is not supported by Portico: every path of this Ingress \
                     answers 503",
                );
                policy.denied = Some("backend-protocol FCGI is not supported".into());
            }
            None => {}
        }
    }
    if let Some(v) = ctx.value("upstream-vhost") {
        policy.upstream.vhost = Some(v.to_string());
    }
    policy.upstream.connection = match ctx.value("connection-proxy-header") {
        Some("close") => Some(ConnectionHeader::Close),
        Some("keep-alive") => Some(ConnectionHeader::KeepAlive),
        _ => None,
    };
}

/// Parses a trimmed `backend-protocol` value; `None` = not one of ingress-nginx's.
pub fn parse_protocol(value: &str) -> Option<Protocol> {
    Some(Protocol::Served(match value.to_ascii_lowercase().as_str() {
        "http" => UpstreamProtocol::Http,
        "https" => UpstreamProtocol::Https,
        "auto_http" => UpstreamProtocol::AutoHttp,
        "grpc" => UpstreamProtocol::Grpc,
        "grpcs" => UpstreamProtocol::Grpcs,
        "fcgi" => return Some(Protocol::FastCgi),
        _ => return None,
    }))
}

fn check_protocol(value: &str) -> Result<(), String> {
    match parse_protocol(value) {
        Some(_) => Ok(()),
        None => Err(format!(
            "not a backend protocol (expected one of {}); using HTTP",
            PROTOCOLS.join(", ").to_ascii_uppercase()
        )),
    }
}

/// ingress-nginx's `IsValidRegex` character set, used by `ValidateServerName`.
fn check_server_name(value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/:^$[](){}*+?|&=\\".contains(c);
    match value.chars().all(allowed) {
        true => Ok(()),
        false => Err("not a server name (letters, digits, -._~:/ and regex characters)".into()),
    }
}

#[cfg(test)]
mod tests;
