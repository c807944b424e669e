//! Redirect annotations (ingress-nginx `annotations/redirect/redirect.go`, the template's
//! `return {{ $location.Redirect.Code }} {{ $location.Redirect.URL }}`; spec §1.6):
//! `temporal-redirect` / `permanent-redirect` with their codes, `relative-redirects` and
//! `from-to-www-redirect`. A value failing its validator drops the Ingress (the ingress-nginx
//! parser returns the validation error); a code outside its range silently becomes the
//! default.

use std::sync::Arc;

use portico_model::{Filter, StaticRedirect};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::value;
use crate::IngressAnnotations;

/// `permanent-redirect-code` outside 300–308 is this (ingress-nginx `defaultPermanentRedirectCode`).
pub const DEFAULT_PERMANENT_CODE: u16 = 301;
/// `temporal-redirect-code` outside 300–307 is this (ingress-nginx `defaultTemporalRedirectCode`).
pub const DEFAULT_TEMPORAL_CODE: u16 = 302;

const BOOL: Validator =
    Validator { describe: "bool (Go ParseBool)", check: |v| value::parse_bool(v).map(drop) };
const INT: Validator =
    Validator { describe: "integer (Go Atoi)", check: |v| value::parse_int(v).map(drop) };
/// ingress-nginx's `URLIsValidRegex`.
const URL: Validator = Validator {
    describe: "URL of letters, digits and - . _ ~ / : , ? & =",
    check: check_url_chars,
};

const fn spec(
    name: &'static str,
    kind: ValueKind,
    validator: Validator,
    risk: Risk,
    doc: &'static str,
) -> AnnotationSpec {
    AnnotationSpec {
        name,
        kind,
        validator,
        scope: Scope::Location,
        risk,
        on_invalid: OnInvalid::Fatal,
        default_from: None,
        doc,
    }
}

pub(crate) const SPECS: &[AnnotationSpec] = &[
    spec(
        "permanent-redirect",
        ValueKind::String,
        URL,
        Risk::Medium,
        "Answer every request of the location with a redirect (301) to this URL, as written; \
         a path is made absolute with the request's scheme and host.",
    ),
    spec(
        "permanent-redirect-code",
        ValueKind::Int,
        INT,
        Risk::Low,
        "Status of permanent-redirect: 300-308, anything else is 301.",
    ),
    spec(
        "temporal-redirect",
        ValueKind::String,
        URL,
        Risk::Medium,
        "Answer every request of the location with a redirect (302) to this URL, as written; \
         takes precedence over permanent-redirect.",
    ),
    spec(
        "temporal-redirect-code",
        ValueKind::Int,
        INT,
        Risk::Low,
        "Status of temporal-redirect: 300-307, anything else is 302.",
    ),
    spec(
        "from-to-www-redirect",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        "Redirect (http-redirect-code) www.<host> to <host>, or <host> to www.<host>, unless \
         that name is an Ingress host; over HTTPS with the host's certificate when it covers it.",
    ),
    spec(
        "use-port-in-redirects",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        "The listener's port in the Location of redirects Portico builds from a path (nginx's \
         port_in_redirect; default from the ConfigMap's use-port-in-redirects).",
    ),
    spec(
        "relative-redirects",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        "Keep the Location of redirects Portico builds from a path relative (nginx's \
         absolute_redirect off); false leaves the ConfigMap's relative-redirects in force.",
    ),
];

/// Applies the family onto `out`: the redirect filter (temporal first, as ingress-nginx),
/// relative redirects when the annotation says so (the ConfigMap's default is already in the
/// policy; `false` cannot undo it, as nginx's `absolute_redirect off` at `http` level), and
/// `from-to-www-redirect`. A `temporal-redirect` that is no http(s) URL makes ingress-nginx's
/// parser fail without a validation error: the whole family is then ignored, the Ingress kept.
pub(crate) fn apply(ctx: &mut Ctx<'_>, out: &mut IngressAnnotations) {
    let www = ctx.bool("from-to-www-redirect") == Some(true);
    let relative = ctx.bool("relative-redirects") == Some(true);
    match ctx.bool("use-port-in-redirects") {
        Some(true) => out.policy.filters.set(Filter::PortInRedirects),
        Some(false) => out.policy.filters.remove_like(&Filter::PortInRedirects),
        None => {}
    }
    let Ok(redirect) = parse_redirect(ctx) else { return };
    if relative {
        out.policy.filters.set(Filter::RelativeRedirects);
    }
    if let Some(redirect) = redirect {
        out.policy.filters.set(Filter::Redirect(Arc::new(redirect)));
    }
    out.from_to_www_redirect = www;
}

/// ingress-nginx's order: `temporal-redirect` wins (its code alone is then read); otherwise
/// `permanent-redirect-code` is validated even without `permanent-redirect`. `Err`: the
/// temporal URL is unusable (reported).
fn parse_redirect(ctx: &mut Ctx<'_>) -> Result<Option<StaticRedirect>, ()> {
    if let Some(url) = ctx.value("temporal-redirect") {
        let status = code(ctx, "temporal-redirect-code", 300..=307, DEFAULT_TEMPORAL_CODE);
        if let Err(reason) = check_http_url(url) {
            let message = format!(
                "invalid value {url:?}: {reason}; the redirect annotations of this Ingress \
                 (temporal-, permanent-, relative-, from-to-www-redirect) are ignored, as \
                 ingress-nginx"
            );
            ctx.error("temporal-redirect", message);
            return Err(());
        }
        if ctx.is_present("permanent-redirect") {
            ctx.warn(
                "permanent-redirect",
                "ignored: temporal-redirect is set and takes precedence (as ingress-nginx)",
            );
        }
        return Ok(Some(StaticRedirect { status, url: url.to_string() }));
    }
    let status = code(ctx, "permanent-redirect-code", 300..=308, DEFAULT_PERMANENT_CODE);
    let url = ctx.value("permanent-redirect");
    Ok(url.map(|url| StaticRedirect { status, url: url.to_string() }))
}

/// The code annotation `name`: within `range`, else `default` (silently, as ingress-nginx).
fn code(ctx: &mut Ctx<'_>, name: &str, range: std::ops::RangeInclusive<u16>, default: u16) -> u16 {
    let parsed = ctx.value(name).and_then(|v| value::parse_int(v).ok());
    parsed.and_then(|n| u16::try_from(n).ok()).filter(|n| range.contains(n)).unwrap_or(default)
}

/// `URLIsValidRegex`: `^[-._~a-zA-Z0-9/:,?&=]*$`, so no nginx variable, quote or space.
fn check_url_chars(value: &str) -> Result<(), String> {
    if value.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~/:,?&=".contains(&b)) {
        Ok(())
    } else {
        Err("only letters, digits and - . _ ~ / : , ? & = are allowed".to_string())
    }
}

/// `temporal-redirect` is also checked by ingress-nginx's `isValidURL`: Go `url.Parse` must
/// accept it and its scheme must start with `http`.
fn check_http_url(value: &str) -> Result<(), String> {
    let scheme = url_scheme(value).unwrap_or_default().to_ascii_lowercase();
    if !scheme.starts_with("http") {
        return Err(format!("only http and https are valid protocols ({scheme:?})"));
    }
    let rest = &value[scheme.len() + 1..];
    if let Some(authority) = rest.strip_prefix("//") {
        let end = authority.find(['/', '?']).unwrap_or(authority.len());
        let host_port = &authority[..end];
        if let Some((_, port)) = host_port.rsplit_once(':') {
            if !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("invalid port {port:?}"));
            }
        }
    }
    Ok(())
}

/// Go's `getScheme`: letters, then letters, digits, `+`, `-`, `.` up to the first `:`.
fn url_scheme(value: &str) -> Option<&str> {
    let (scheme, _) = value.split_once(':')?;
    let mut bytes = scheme.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    (first_ok && rest_ok).then_some(scheme)
}

#[cfg(test)]
mod tests;
