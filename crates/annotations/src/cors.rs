//! Cross-origin resource sharing (ingress-nginx `annotations/cors/main.go` and the template's
//! `CORS` block): `enable-cors` and the `cors-*` annotations that tune it. Every invalid value
//! falls back to its default with a warning, as ingress-nginx's parser does; an invalid entry of
//! `cors-allow-origin` is skipped. There are no ConfigMap keys for CORS.

use std::sync::{Arc, LazyLock};

use http::HeaderValue;
use portico_model::{Cors, CorsOrigins, Filter, LocationPolicy, OriginPattern};
use regex::Regex;

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, Risk, Scope, Validator, ValueKind};
use crate::value;

/// ingress-nginx's defaults (`defaultCorsMethods`, `defaultCorsHeaders`, `defaultCorsMaxAge`).
pub const DEFAULT_METHODS: &str = "GET, PUT, POST, DELETE, PATCH, OPTIONS";
pub const DEFAULT_HEADERS: &str =
    "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,\
     Range,Authorization";
pub const DEFAULT_MAX_AGE: i64 = 1_728_000;

// ingress-nginx's regexes, with Go's ASCII `\d` and `\s` spelled out (Rust's are Unicode).
/// `corsOriginRegexValidator`, on the whole value with spaces removed.
static ORIGINS: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(((([a-z]+://)?(\*\.)?[A-Za-z0-9\-.]*(:[0-9]+)?,?)|null)+|\*)?$"));
/// `corsOriginRegex`, on each trimmed entry.
static ORIGIN: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^([a-z]+://(\*\.)?[A-Za-z0-9\-.]*(:[0-9]+)?|\*|null)?$"));
/// `parser.HeadersVariable`.
static HEADERS: LazyLock<Regex> = LazyLock::new(|| regex(r"^[A-Za-z0-9\-_, ]*$"));
/// `corsMethodsRegex`.
static METHODS: LazyLock<Regex> = LazyLock::new(|| regex(r"^([A-Za-z]+,?[\t\n\f\r ]?)+$"));
/// `corsExposeHeadersRegex`.
static EXPOSE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^(([A-Za-z0-9\-_]+|\*),?[\t\n\f\r ]?)+$"));

const BOOL: Validator =
    Validator { describe: "bool (Go ParseBool)", check: |v| value::parse_bool(v).map(drop) };

const fn spec(
    name: &'static str,
    kind: ValueKind,
    validator: Validator,
    risk: Risk,
    doc: &'static str,
) -> AnnotationSpec {
    AnnotationSpec::new(name, kind, validator, Scope::Ingress, risk, doc)
}

pub(crate) const SPECS: &[AnnotationSpec] = &[
    spec(
        "enable-cors",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        "Answer CORS preflights (204) and add Access-Control-* headers for allowed origins.",
    ),
    spec(
        "cors-allow-origin",
        ValueKind::String,
        Validator {
            describe: "`*` or comma-separated origins (`https://a.com`, `https://*.a.com:8443`, \
                       `null`); default `*`",
            check: |v| matches(&ORIGINS, &v.replace(' ', ""), "not a list of origins or *"),
        },
        Risk::Medium,
        "Origins allowed; a matching Origin is echoed, `*` is sent as `*`.",
    ),
    spec(
        "cors-allow-methods",
        ValueKind::String,
        Validator {
            describe: "comma-separated methods (letters only); default \
                       `GET, PUT, POST, DELETE, PATCH, OPTIONS`",
            check: |v| matches(&METHODS, v, "not a comma-separated list of methods"),
        },
        Risk::Medium,
        "Access-Control-Allow-Methods.",
    ),
    spec(
        "cors-allow-headers",
        ValueKind::String,
        Validator {
            describe: "comma-separated header names (letters, digits, `_`, `-`); default \
                       `DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,\
                       Cache-Control,Content-Type,Range,Authorization`",
            check: |v| matches(&HEADERS, v, "not a comma-separated list of header names"),
        },
        Risk::Medium,
        "Access-Control-Allow-Headers.",
    ),
    spec(
        "cors-expose-headers",
        ValueKind::String,
        Validator {
            describe: "comma-separated header names or `*`; default none",
            check: |v| matches(&EXPOSE, v, "not a comma-separated list of header names or *"),
        },
        Risk::Medium,
        "Access-Control-Expose-Headers (not sent when empty).",
    ),
    spec(
        "cors-allow-credentials",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        "Send Access-Control-Allow-Credentials: true (default true).",
    ),
    spec(
        "cors-max-age",
        ValueKind::Int,
        Validator {
            describe: "integer seconds (Go Atoi); default 1728000",
            check: |v| value::parse_int(v).map(drop),
        },
        Risk::Low,
        "Access-Control-Max-Age: how long a preflight may be cached.",
    ),
];

/// With `enable-cors`, gives `policy` its two CORS filters (preflight and response headers).
/// The other annotations are read (and their invalid values reported) even without it, as
/// ingress-nginx does.
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy) {
    let enabled = ctx.bool("enable-cors").unwrap_or(false);
    let origins = origins(ctx);
    let allow_methods =
        header(ctx, "cors-allow-methods").unwrap_or(HeaderValue::from_static(DEFAULT_METHODS));
    let allow_headers =
        header(ctx, "cors-allow-headers").unwrap_or(HeaderValue::from_static(DEFAULT_HEADERS));
    let expose_headers = header(ctx, "cors-expose-headers");
    let allow_credentials = ctx.bool("cors-allow-credentials").unwrap_or(true);
    let max_age = ctx.value("cors-max-age").and_then(|v| value::parse_int(v).ok());
    let max_age = HeaderValue::from(max_age.unwrap_or(DEFAULT_MAX_AGE));
    if !enabled {
        return;
    }
    let cors = Arc::new(Cors {
        origins,
        allow_credentials,
        allow_methods,
        allow_headers,
        expose_headers,
        max_age,
    });
    policy.filters.set(Filter::CorsPreflight(Arc::clone(&cors)));
    policy.filters.set(Filter::CorsHeaders(cors));
}

/// `cors-allow-origin`: absent, empty or invalid = `*`; a `*` entry = `*`; an entry that is not
/// an origin is skipped with a warning (ingress-nginx logs it and skips it).
fn origins(ctx: &mut Ctx<'_>) -> CorsOrigins {
    const NAME: &str = "cors-allow-origin";
    let Some(value) = ctx.value(NAME) else { return CorsOrigins::Any };
    let mut patterns = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        if entry == "*" {
            return CorsOrigins::Any;
        }
        if ORIGIN.is_match(entry) {
            patterns.push(OriginPattern::new(entry));
        } else {
            ctx.warn(
                NAME,
                format!(
                    "origin {entry:?} is not scheme://host[:port], scheme://*.host[:port] or \
                     null: skipped, as ingress-nginx does"
                ),
            );
        }
    }
    if patterns.is_empty() {
        ctx.warn(NAME, "no valid origin: no request gets CORS headers, as ingress-nginx");
    }
    CorsOrigins::List(patterns)
}

/// The validated value of `name` as a header value (validation leaves only visible ASCII).
fn header(ctx: &mut Ctx<'_>, name: &str) -> Option<HeaderValue> {
    ctx.value(name).and_then(|v| HeaderValue::from_str(v).ok())
}

fn matches(re: &Regex, value: &str, reason: &str) -> Result<(), String> {
    if re.is_match(value) {
        Ok(())
    } else {
        Err(reason.to_string())
    }
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).unwrap_or_else(|e| panic!("static regex {pattern}: {e}"))
}

#[cfg(test)]
mod tests;
