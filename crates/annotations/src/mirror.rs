//! Request mirroring (ingress-nginx `annotations/mirror`, nginx's `mirror` module):
//! `mirror-target` copies every request the location forwards to a URL (nginx variables such
//! as `$request_uri` allowed), `mirror-request-body: off` leaves the body out of the copies,
//! `mirror-host` sets their `Host` (default: the target's host).
//!
//! Invalid values, as ingress-nginx's parser (which returns no error): a `mirror-target`
//! failing `ValidateServerName`, or one that is not a usable `http(s)://` URL, mirrors nothing
//! (ingress-nginx renders no mirror location for it, so its copies go to no mirror) and is
//! reported as an error ([`OnInvalid::Ignored`]), the location itself being served; an invalid `mirror-host` falls back to the
//! target's host, an invalid `mirror-request-body` to `on`, each with a warning.

use std::sync::Arc;

use portico_model::{LocationPolicy, Mirror, Template};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};

const SERVER_NAME: Validator = Validator {
    describe: "URL: letters, digits, -._~:/ and regex characters; nginx variables such as \
               $request_uri",
    check: check_server_name,
};

pub(crate) const SPECS: &[AnnotationSpec] = &[
    AnnotationSpec::new(
        "mirror-target",
        ValueKind::String,
        SERVER_NAME,
        Scope::Location,
        Risk::High,
        "Every forwarded request is also sent, as a copy, to this http(s) URL (nginx variables \
         allowed, e.g. https://mirror.example$request_uri); its answer is discarded. An \
         unusable URL mirrors nothing (an error).",
    )
    .on_invalid(OnInvalid::Ignored),
    AnnotationSpec::new(
        "mirror-request-body",
        ValueKind::String,
        Validator {
            describe: "on or off",
            check: |v| match v {
                "on" | "off" => Ok(()),
                _ => Err("expected on or off".to_string()),
            },
        },
        Scope::Location,
        Risk::Low,
        "off: copies are sent without the request body (on: with it, when it was buffered).",
    ),
    AnnotationSpec::new(
        "mirror-host",
        ValueKind::String,
        Validator {
            describe: "server name (letters, digits, -._~:/ and regex characters)",
            check: check_server_name,
        },
        Scope::Location,
        Risk::High,
        "Host header of the copies (default: the host of mirror-target).",
    ),
];

/// Applies the family onto `policy.mirror` (the compiler sets its subrequest URI).
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy) {
    let request_body = ctx.value("mirror-request-body") != Some("off");
    let host = ctx.value("mirror-host");
    let target = match ctx.try_value("mirror-target") {
        Ok(Some(target)) => target,
        Ok(None) => {
            for name in ["mirror-request-body", "mirror-host"] {
                if ctx.is_present(name) {
                    ctx.warn(name, "ignored: mirror-target is not set");
                }
            }
            return;
        }
        Err(_) => return, // reported: an error, nothing is mirrored
    };
    match build(target, host, request_body) {
        Ok(mirror) => policy.mirror = Some(Arc::new(mirror)),
        Err(reason) => {
            let message = format!(
                "{reason}; the annotation has no effect: requests are not mirrored \
                 (ingress-nginx renders no mirror location for it either), the location is served"
            );
            ctx.error("mirror-target", message);
        }
    }
}

/// The mirror of `target`: an `http(s)://` URL with a host (a variable host needs
/// `mirror-host`), variables Portico knows; `host` is `mirror-host` when valid.
pub(crate) fn build(
    target: &str,
    host: Option<&str>,
    request_body: bool,
) -> Result<Mirror, String> {
    let template = Template::parse(target).map_err(|e| format!("{target:?}: {e}"))?;
    let prefix = Mirror::literal_prefix(&template);
    let url_host = literal_host(prefix, template.parts.len() > 1)
        .map_err(|reason| format!("{target:?} is not a usable mirror URL: {reason}"))?;
    let host = match (host, url_host) {
        (Some(host), _) => Template::parse(host).map_err(|e| format!("mirror-host: {e}"))?,
        (None, Some(url_host)) => Template::parse(url_host).map_err(|e| e.to_string())?,
        (None, None) => {
            return Err(format!(
                "{target:?}: the host is a variable and mirror-host is not set (ingress-nginx \
                 finds no Host for the copies)"
            ))
        }
    };
    Ok(Mirror { target: template, host, request_body, source: Mirror::source_for("") })
}

/// The host of the literal start `prefix` of a target (ingress-nginx's `StringToURL` on the
/// text before the first `$`); `Ok(None)` when a variable (`more`) stands where the host is.
fn literal_host(prefix: &str, more: bool) -> Result<Option<&str>, String> {
    let (scheme, rest) = prefix.split_once("://").ok_or("no http:// or https:// scheme")?;
    if !matches!(scheme, "http" | "https") {
        return Err(format!("scheme {scheme:?} is not http or https"));
    }
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    match (authority.is_empty(), more && authority.len() == rest.len()) {
        (true, true) => Ok(None),
        (true, false) => Err("no host".to_string()),
        (false, _) => host_of(authority).map(Some),
    }
}

/// `host[:port]` or `[v6][:port]` without the port; the port, if any, must be a number.
fn host_of(authority: &str) -> Result<&str, String> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let (ip, after) = v6.split_once(']').ok_or("unterminated [IPv6] host")?;
            (&authority[..ip.len() + 2], after.strip_prefix(':'))
        }
        None => match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() || host.contains("..") {
        return Err(format!("{authority:?} is not a host"));
    }
    // An empty port is a variable's (`http://m:$port/`), checked once expanded.
    if let Some(port) = port.filter(|p| !p.is_empty()) {
        port.parse::<u16>().map_err(|_| format!("port {port:?} is not a number"))?;
    }
    Ok(host)
}

/// ingress-nginx's `ValidateServerName` (its `IsValidRegex` character set).
fn check_server_name(value: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~/:^$[](){}*+?|&=\\".contains(c);
    match value.chars().find(|c| !allowed(*c)) {
        None => Ok(()),
        Some(c) => Err(format!("character {c:?} is not allowed")),
    }
}

#[cfg(test)]
mod tests;
