//! External authentication (ingress-nginx `annotations/authreq`, nginx `auth_request`):
//! `auth-url` asks a service before each request (2xx passes, 401 answers 401 or redirects
//! to `auth-signin`, 403 answers 403, anything else 500); the other annotations configure
//! that request and do nothing without `auth-url`. The ConfigMap's `global-auth-*` keys
//! ([`global`]) give every location without `auth-url` the same check, unless the Ingress
//! says `enable-global-auth: "false"`.
//!
//! Invalid values as ingress-nginx's parser: `auth-url` failing its regex, `auth-request-
//! redirect`, `auth-always-set-cookie` and a malformed `auth-cache-duration` drop the Ingress;
//! an unusable URL, method, header list or cache duration denies the location (503); the
//! rest default with a warning.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, Method};
use portico_model::{AuthCache, CacheRule, ExternalAuth, Filter, LocationPolicy, Template};

use crate::context::Ctx;
use crate::registry::{AnnotationSpec, OnInvalid, Risk, Scope, Validator, ValueKind};
use crate::value;

mod global;

pub(crate) use global::apply as apply_global;

/// `URLWithNginxVariableRegex`: alphanumerics, `-._~/:`, `, `, `,:?&=` and `$`.
const URL_CHARS: &str = "-._~/:, ?&=$";
/// `URLIsValidRegex`.
const URL_VALID_CHARS: &str = "-._~/:,?&=";
const DEFAULT_CACHE_DURATION: &str = "200 202 401 5m";
const DEFAULT_REDIRECT_PARAM: &str = "rd";

const fn spec(
    name: &'static str,
    kind: ValueKind,
    validator: Validator,
    risk: Risk,
    on_invalid: OnInvalid,
    doc: &'static str,
) -> AnnotationSpec {
    AnnotationSpec::new(name, kind, validator, Scope::Location, risk, doc).on_invalid(on_invalid)
}

/// The regex only (failing it drops the Ingress); an unusable URL denies, see [`build`].
const URL: Validator = Validator {
    describe: "http(s) URL, may use $host, $request_uri, $escaped_request_uri, $scheme ...",
    check: |v| only_chars(v, URL_CHARS),
};
const SIGNIN: Validator = Validator {
    describe: "URL, may use nginx variables as auth-url",
    check: |v| {
        only_chars(v, URL_CHARS)?;
        Template::parse(v).map(drop)
    },
};
const URL_VALID: Validator = Validator {
    describe: "regex ^[-._~/:a-zA-Z0-9,?&=]*$",
    check: |v| only_chars(v, URL_VALID_CHARS),
};
const METHOD: Validator = Validator {
    describe: "GET, HEAD, POST, PUT, PATCH, DELETE, CONNECT, OPTIONS or TRACE",
    check: |v| parse_method(v).map(drop),
};
const HEADERS: Validator =
    Validator { describe: "comma-separated header names", check: |v| parse_headers(v).map(drop) };
const CACHE_KEY: Validator = Validator {
    describe: "nginx variables, e.g. $remote_user$http_authorization",
    check: |v| {
        only_chars(v, "-_${}")?;
        Template::parse(v).map(drop)
    },
};
const CACHE_DURATION: Validator = Validator {
    describe: "comma-separated `codes... duration`, e.g. 200 202 401 5m",
    check: |v| only_chars(v, "-._~/:, "),
};
const INT: Validator = Validator { describe: "integer", check: |v| value::parse_int(v).map(drop) };
const BOOL: Validator =
    Validator { describe: "true or false", check: |v| value::parse_bool(v).map(drop) };

pub(crate) const SPECS: &[AnnotationSpec] = &[
    spec(
        "auth-url",
        ValueKind::String,
        URL,
        Risk::High,
        OnInvalid::Fatal,
        "External auth service asked before each request (auth_request): 2xx passes, 401/403 \
         answer so, else 500. An unusable URL answers 503.",
    ),
    spec(
        "auth-method",
        ValueKind::String,
        METHOD,
        Risk::Low,
        OnInvalid::Deny,
        "HTTP method of the auth request (default GET).",
    ),
    spec(
        "auth-signin",
        ValueKind::String,
        SIGNIN,
        Risk::High,
        OnInvalid::Default,
        "Where a 401 of the auth service redirects (302), with the original URL in `rd`.",
    ),
    spec(
        "auth-signin-redirect-param",
        ValueKind::String,
        URL_VALID,
        Risk::Medium,
        OnInvalid::Default,
        "Query parameter of auth-signin naming the original URL (default rd).",
    ),
    spec(
        "auth-response-headers",
        ValueKind::String,
        HEADERS,
        Risk::Medium,
        OnInvalid::Deny,
        "Auth response headers copied onto the upstream request.",
    ),
    spec(
        "auth-request-redirect",
        ValueKind::String,
        URL_VALID,
        Risk::Medium,
        OnInvalid::Fatal,
        "X-Auth-Request-Redirect sent to the auth service (default the request URI).",
    ),
    spec(
        "auth-cache-key",
        ValueKind::String,
        CACHE_KEY,
        Risk::Medium,
        OnInvalid::Default,
        "Caches auth answers under this key (nginx variables).",
    ),
    spec(
        "auth-cache-duration",
        ValueKind::String,
        CACHE_DURATION,
        Risk::Medium,
        OnInvalid::Fatal,
        "How long auth answers are cached by status (default 200 202 401 5m); unusable: 503.",
    ),
    spec(
        "auth-always-set-cookie",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        OnInvalid::Fatal,
        "Set-Cookie of the auth answer on every response, errors included.",
    ),
    spec(
        "auth-proxy-set-headers",
        ValueKind::String,
        Validator {
            describe: "a ConfigMap name, `name` or `namespace/name` (basic characters)",
            check: |v| only_chars(v, "-._~/:"),
        },
        Risk::Medium,
        OnInvalid::Default,
        "ConfigMap whose data are headers set on the auth request (values may use nginx variables); missing or unusable: 503.",
    ),
    spec(
        "auth-keepalive",
        ValueKind::Int,
        INT,
        Risk::Low,
        OnInvalid::Default,
        "Keep-alive connections to the auth service (Portico always pools them).",
    ),
    spec(
        "auth-keepalive-requests",
        ValueKind::Int,
        INT,
        Risk::Low,
        OnInvalid::Default,
        "Requests per auth keep-alive connection (accepted, not used).",
    ),
    spec(
        "auth-keepalive-timeout",
        ValueKind::Int,
        INT,
        Risk::Low,
        OnInvalid::Default,
        "Idle timeout of auth keep-alive connections (accepted, not used).",
    ),
    spec(
        "auth-keepalive-share-vars",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        OnInvalid::Default,
        "Share nginx variables with the auth request (accepted, not used).",
    ),
    spec(
        "enable-global-auth",
        ValueKind::Bool,
        BOOL,
        Risk::Low,
        OnInvalid::Default,
        "false: the ConfigMap's global-auth-url does not apply to this Ingress.",
    ),
];

/// The companions of `auth-url`, ignored without it.
const COMPANIONS: &[&str] = &[
    "auth-method",
    "auth-signin",
    "auth-signin-redirect-param",
    "auth-response-headers",
    "auth-request-redirect",
    "auth-cache-key",
    "auth-cache-duration",
    "auth-always-set-cookie",
    "auth-proxy-set-headers",
    "auth-keepalive",
    "auth-keepalive-requests",
    "auth-keepalive-timeout",
    "auth-keepalive-share-vars",
];

/// Applies the family onto `policy`, whose filters start from the ConfigMap defaults (the
/// global auth): `auth-url` replaces it, `enable-global-auth: "false"` removes it. Returns the
/// `auth-proxy-set-headers` ConfigMap the compiler must read into the auth request.
pub(crate) fn apply(ctx: &mut Ctx<'_>, policy: &mut LocationPolicy) -> Option<String> {
    let global_enabled = ctx.bool("enable-global-auth").unwrap_or(true);
    let url = match ctx.try_value("auth-url") {
        Ok(Some(url)) => url,
        Ok(None) => {
            for name in COMPANIONS {
                if ctx.is_present(name) {
                    ctx.warn(name, "ignored: auth-url is not set");
                }
            }
            if !global_enabled {
                if let Some(auth) = policy.filters.external_auth().cloned() {
                    policy.filters.remove_like(&Filter::ExternalAuth(auth));
                }
            }
            return None;
        }
        Err(_) => return None, // fatal, reported
    };
    match build(ctx, url) {
        Ok(auth) => policy.filters.set(Filter::ExternalAuth(Arc::new(auth))),
        Err(reason) => {
            policy.denied.get_or_insert_with(|| Arc::from(reason.as_str()));
            return None;
        }
    }
    ctx.value("auth-proxy-set-headers").map(str::to_string)
}

/// The auth request of `url` and its companions; `Err` = location denied (reported).
fn build(ctx: &mut Ctx<'_>, url: &str) -> Result<ExternalAuth, String> {
    let template = parse_url(url).map_err(|reason| {
        ctx.error("auth-url", format!("{reason}; every path of this Ingress answers 503"));
        format!("invalid auth-url: {reason}")
    })?;
    let mut auth = ExternalAuth::new(template);
    auth.method = match ctx.try_value("auth-method") {
        Ok(method) => method.and_then(|m| parse_method(m).ok()),
        Err(_) => return Err("invalid auth-method".to_string()),
    };
    let param = ctx.value("auth-signin-redirect-param").unwrap_or(DEFAULT_REDIRECT_PARAM);
    auth.signin = ctx.value("auth-signin").and_then(|s| signin(s, param).ok());
    auth.response_headers = match ctx.try_value("auth-response-headers") {
        Ok(headers) => headers.map(|h| parse_headers(h).unwrap_or_default()).unwrap_or_default(),
        Err(_) => return Err("invalid auth-response-headers".to_string()),
    };
    auth.request_redirect = ctx.value("auth-request-redirect").map(str::to_string);
    auth.always_set_cookie = ctx.bool("auth-always-set-cookie").unwrap_or(false);
    for name in ["auth-keepalive", "auth-keepalive-requests", "auth-keepalive-timeout"] {
        let _ = ctx.value(name); // validated (warning when invalid); pooling is Portico's own
    }
    let _ = ctx.bool("auth-keepalive-share-vars");
    let durations = ctx.value("auth-cache-duration").unwrap_or(DEFAULT_CACHE_DURATION);
    let rules = match parse_cache_durations(durations) {
        Ok(rules) => rules,
        Err(reason) => {
            let message = format!("{reason}; every path of this Ingress answers 503");
            ctx.error("auth-cache-duration", message);
            return Err(format!("invalid auth-cache-duration: {reason}"));
        }
    };
    if let Some(key) = ctx.value("auth-cache-key") {
        let key = Template::parse(key).map_err(|e| format!("auth-cache-key: {e}"))?;
        auth.cache = Some(AuthCache { key, rules });
    }
    Ok(auth)
}

/// Every char of `value` is ASCII alphanumeric or in `extra`.
fn only_chars(value: &str, extra: &str) -> Result<(), String> {
    match value.chars().find(|c| !(c.is_ascii_alphanumeric() || extra.contains(*c))) {
        Some(c) => Err(format!("character {c:?} is not allowed")),
        None => Ok(()),
    }
}

/// `auth-url`: ingress-nginx's URL regex, then an absolute `http`/`https` URL with a host
/// (variables count as text for that check).
pub(crate) fn parse_url(value: &str) -> Result<Template, String> {
    only_chars(value, URL_CHARS)?;
    let template = Template::parse(value)?;
    let probe: String = template
        .parts
        .iter()
        .map(|part| match part {
            portico_model::Part::Literal(text) => text.as_str(),
            portico_model::Part::Var(_) => "x",
        })
        .collect();
    let uri: http::Uri = probe.parse().map_err(|_| format!("{value:?} is not a URL"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(host)) if !host.is_empty() => Ok(template),
        _ => Err(format!("{value:?} is not an http:// or https:// URL with a host")),
    }
}

pub(crate) fn parse_method(value: &str) -> Result<Method, String> {
    const METHODS: &[&str] =
        &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"];
    if !METHODS.contains(&value) {
        return Err(format!("{value:?} is not an HTTP method ingress-nginx accepts"));
    }
    Method::from_bytes(value.as_bytes()).map_err(|e| e.to_string())
}

/// `X-Auth-Request-User, X-Auth-Request-Email`: names of `[A-Za-z0-9_-]`.
pub(crate) fn parse_headers(value: &str) -> Result<Vec<HeaderName>, String> {
    let mut headers = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(format!("{name:?} is not a header name"));
        }
        let header = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes())
            .map_err(|_| format!("{name:?} is not a header name"))?;
        headers.push(header);
    }
    Ok(headers)
}

/// `auth-signin` with the redirect parameter appended unless the query carries it with a
/// value (ingress-nginx `buildAuthSignURL`): `?rd=$scheme://$http_host$escaped_request_uri`.
pub(crate) fn signin(value: &str, param: &str) -> Result<Template, String> {
    let query = value.split_once('?').map(|(_, q)| q.split_once('#').map_or(q, |(q, _)| q));
    let has_param = query.is_some_and(|q| {
        q.split('&').any(|kv| kv.split_once('=').is_some_and(|(k, v)| k == param && !v.is_empty()))
    });
    let separator = if query.is_none() {
        "?"
    } else if value.ends_with('?') || value.ends_with('&') {
        ""
    } else {
        "&"
    };
    let full = if has_param {
        value.to_string()
    } else {
        format!("{value}{separator}{param}=$pass_access_scheme://$http_host$escaped_request_uri")
    };
    Template::parse(&full)
}

/// `200 202 401 5m, 404 1m`: per entry status codes then one nginx duration (ingress-nginx
/// `ValidCacheDuration`); a duration alone means 200, 301 and 302; `any` matches every code.
pub(crate) fn parse_cache_durations(value: &str) -> Result<Vec<CacheRule>, String> {
    let mut rules = Vec::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let mut statuses = Vec::new();
        let mut any = false;
        let mut ttl = None;
        for word in entry.split(' ').filter(|w| !w.is_empty()) {
            if word.len() == 3 && word.bytes().all(|b| b.is_ascii_digit()) {
                if ttl.is_some() {
                    return Err(format!("invalid cache duration {entry:?}: code after duration"));
                }
                statuses.push(word.parse::<u16>().map_err(|e| e.to_string())?);
            } else if word == "any" {
                any = true;
            } else if let Some(duration) = parse_nginx_duration(word) {
                ttl = Some(duration);
            }
        }
        let Some(ttl) = ttl else {
            return Err(format!("invalid cache duration {entry:?}: no duration"));
        };
        if any {
            statuses.clear();
        } else if statuses.is_empty() {
            statuses = vec![200, 301, 302];
        }
        rules.push(CacheRule { statuses, ttl });
    }
    if rules.is_empty() {
        return parse_cache_durations(DEFAULT_CACHE_DURATION);
    }
    Ok(rules)
}

/// `^\d+(ms|s|m|h|d|w|M|y)$` (nginx time units).
fn parse_nginx_duration(word: &str) -> Option<Duration> {
    let digits = word.find(|c: char| !c.is_ascii_digit())?;
    let n: u64 = word[..digits].parse().ok()?;
    let seconds = match &word[digits..] {
        "ms" => return Some(Duration::from_millis(n)),
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        "M" => 30 * 86_400,
        "y" => 365 * 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(n.saturating_mul(seconds)))
}

#[cfg(test)]
mod tests;
