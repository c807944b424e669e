//! The ConfigMap's `global-auth-*` keys: the external auth of every location without its own
//! `auth-url` (an Ingress opts out with `enable-global-auth: "false"`). ingress-nginx warns
//! and drops the global auth when `global-auth-url` is unusable; Portico fails closed: every
//! location answers 503. The companions default with a warning, as ingress-nginx.

use std::collections::BTreeMap;
use std::sync::Arc;

use portico_model::{AuthCache, Diagnostic, ExternalAuth, Filter, GlobalConfig, Template};

use super::{
    parse_cache_durations, parse_headers, parse_method, parse_url, signin, DEFAULT_CACHE_DURATION,
    DEFAULT_REDIRECT_PARAM,
};

/// The keys read here (the ConfigMap registry lists them with their docs).
const GLOBAL_KEYS: &[&str] = &[
    "global-auth-url",
    "global-auth-method",
    "global-auth-signin",
    "global-auth-signin-redirect-param",
    "global-auth-response-headers",
    "global-auth-request-redirect",
    "global-auth-cache-key",
    "global-auth-cache-duration",
    "global-auth-always-set-cookie",
];

/// Builds the global auth into `config.location_defaults.filters`.
pub(crate) fn apply(
    data: &BTreeMap<String, String>,
    config: &mut GlobalConfig,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let get = |key: &str| data.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut warn = |key: &str, message: String| {
        diagnostics.push(Diagnostic::warning(message).with_field(format!("data[{key:?}]")));
    };
    let Some(url) = get("global-auth-url") else {
        for key in &GLOBAL_KEYS[1..] {
            if get(key).is_some() {
                warn(key, format!("ConfigMap key {key} ignored: global-auth-url is not set"));
            }
        }
        return;
    };
    let mut auth = match parse_url(url) {
        Ok(template) => ExternalAuth::new(template),
        Err(reason) => {
            let message = format!(
                "invalid value {url:?}: {reason}; every location answers 503 (fails closed; \
                 ingress-nginx would drop the global auth)"
            );
            diagnostics.push(Diagnostic::error(message).with_field("data[\"global-auth-url\"]"));
            config.location_defaults.denied = Some("invalid ConfigMap global-auth-url".into());
            return;
        }
    };
    let mut invalid = |key: &str, value: &str, reason: String| {
        warn(key, format!("invalid value {value:?}: {reason}; ignored"));
    };
    if let Some(method) = get("global-auth-method") {
        match parse_method(method) {
            Ok(method) => auth.method = Some(method),
            Err(reason) => invalid("global-auth-method", method, reason),
        }
    }
    let param = get("global-auth-signin-redirect-param").unwrap_or(DEFAULT_REDIRECT_PARAM);
    if let Some(value) = get("global-auth-signin") {
        match signin(value, param) {
            Ok(template) => auth.signin = Some(template),
            Err(reason) => invalid("global-auth-signin", value, reason),
        }
    }
    if let Some(value) = get("global-auth-response-headers") {
        for header in value.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            match parse_headers(header) {
                Ok(mut names) => auth.response_headers.append(&mut names),
                Err(reason) => invalid("global-auth-response-headers", header, reason),
            }
        }
    }
    auth.request_redirect = get("global-auth-request-redirect").map(str::to_string);
    if let Some(value) = get("global-auth-always-set-cookie") {
        match crate::value::parse_bool(value) {
            Ok(on) => auth.always_set_cookie = on,
            Err(reason) => invalid("global-auth-always-set-cookie", value, reason),
        }
    }
    let durations = get("global-auth-cache-duration").unwrap_or(DEFAULT_CACHE_DURATION);
    let rules = parse_cache_durations(durations).unwrap_or_else(|reason| {
        invalid("global-auth-cache-duration", durations, reason);
        parse_cache_durations(DEFAULT_CACHE_DURATION).unwrap_or_default()
    });
    if let Some(key) = get("global-auth-cache-key") {
        match Template::parse(key) {
            Ok(key) => auth.cache = Some(AuthCache { key, rules }),
            Err(reason) => invalid("global-auth-cache-key", key, reason),
        }
    }
    config.location_defaults.filters.set(Filter::ExternalAuth(Arc::new(auth)));
}
