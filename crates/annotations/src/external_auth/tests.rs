use std::collections::BTreeMap;
use std::time::Duration;

use portico_model::{ExternalAuth, Severity, Template};

use super::{parse_cache_durations, parse_headers, parse_url, signin};
use crate::tests::{diags_for, parse, parse_with};
use crate::{parse_configmap, Parsed};

fn ext(parsed: &Parsed) -> Option<ExternalAuth> {
    parsed.annotations.policy.filters.external_auth().map(|a| (**a).clone())
}

fn configmap(
    pairs: &[(&str, &str)],
) -> (portico_model::GlobalConfig, Vec<portico_model::Diagnostic>) {
    let data: BTreeMap<String, String> =
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    parse_configmap(&data)
}

#[test]
fn oauth2_proxy_setup() {
    let parsed = parse(&[
        ("auth-url", "http://oauth2.example/oauth2/auth"),
        ("auth-signin", "https://$host/oauth2/start?rd=$escaped_request_uri"),
        ("auth-response-headers", "X-Auth-Request-User, X-Auth-Request-Email"),
    ]);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let auth = ext(&parsed).expect("filter");
    assert_eq!(auth.fixed_url.unwrap().to_string(), "http://oauth2.example/oauth2/auth");
    assert_eq!(
        auth.signin.unwrap().raw,
        "https://$host/oauth2/start?rd=$escaped_request_uri",
        "rd present: kept as is"
    );
    let names: Vec<_> = auth.response_headers.iter().map(|h| h.as_str()).collect();
    assert_eq!(names, ["x-auth-request-user", "x-auth-request-email"]);
    assert!(auth.cache.is_none(), "no cache without auth-cache-key");
    assert!(parsed.annotations.policy.denied.is_none());
}

#[test]
fn signin_gets_the_redirect_parameter() {
    let t = |v: &str, p: &str| signin(v, p).unwrap().raw;
    let rd = "$pass_access_scheme://$http_host$escaped_request_uri";
    assert_eq!(t("http://a/start", "rd"), format!("http://a/start?rd={rd}"));
    assert_eq!(t("http://a/start?x=1", "rd"), format!("http://a/start?x=1&rd={rd}"));
    assert_eq!(t("http://a/start?orig=1", "orig"), "http://a/start?orig=1");
    assert_eq!(t("http://a/start", "orig"), format!("http://a/start?orig={rd}"));
}

#[test]
fn values() {
    assert!(parse_url("https://$host/oauth2/auth").is_ok());
    for bad in ["oauth2/auth", "ftp://a/b", "http://a/{x}", "http://a/%20", "http://$nope/"] {
        assert!(parse_url(bad).is_err(), "{bad:?}");
    }
    assert!(parse_headers("X-A,, X-B ").is_ok());
    assert!(parse_headers("X-A; X-B").is_err());
    let rules = parse_cache_durations("200 202 401 5m, 404 1m, 30s").unwrap();
    assert_eq!(rules[0].statuses, [200, 202, 401]);
    assert_eq!(rules[0].ttl, Duration::from_secs(300));
    assert_eq!(rules[2].statuses, [200, 301, 302]);
    assert!(parse_cache_durations("5m 200").is_err(), "code after duration");
    assert!(parse_cache_durations("200 202").is_err(), "no duration");
    assert_eq!(parse_cache_durations("").unwrap()[0].statuses, [200, 202, 401]);
    assert!(Template::parse("$remote_user$http_authorization").is_ok());
}

#[test]
fn invalid_values_follow_ingress_nginx() {
    let url = ("auth-url", "http://auth/");
    // Fatal: the Ingress is not loaded.
    for (name, value) in [
        ("auth-url", "http://auth/{x}"),
        ("auth-request-redirect", "/a b"),
        ("auth-always-set-cookie", "yes"),
        ("auth-cache-duration", "200 5m; x"),
    ] {
        let parsed =
            if name == "auth-url" { parse(&[(name, value)]) } else { parse(&[url, (name, value)]) };
        assert!(parsed.fatal, "{name}={value:?}");
    }
    // Denied: 503.
    for (name, value) in [
        ("auth-url", "auth/no-scheme"),
        ("auth-method", "FETCH"),
        ("auth-response-headers", "X-A;"),
        ("auth-cache-duration", "200 202"),
    ] {
        let parsed =
            if name == "auth-url" { parse(&[(name, value)]) } else { parse(&[url, (name, value)]) };
        assert!(!parsed.fatal, "{name}={value:?}");
        assert!(parsed.annotations.policy.denied.is_some(), "{name}={value:?}");
        assert!(ext(&parsed).is_none(), "{name}={value:?}");
        assert_eq!(diags_for(&parsed, name)[0].severity, Severity::Error, "{name}");
    }
    // Default with a warning: the auth still applies.
    for (name, value) in [
        ("auth-signin", "http://a/{x}"),
        ("auth-signin-redirect-param", "r d"),
        ("auth-cache-key", "$nope"),
        ("auth-keepalive", "x"),
    ] {
        let parsed = parse(&[url, (name, value)]);
        assert!(!parsed.fatal && parsed.annotations.policy.denied.is_none(), "{name}");
        assert!(ext(&parsed).is_some(), "{name}");
        assert_eq!(diags_for(&parsed, name)[0].severity, Severity::Warning, "{name}");
    }
}

#[test]
fn companions_without_auth_url_warn() {
    let parsed = parse(&[("auth-signin", "http://a/"), ("auth-keepalive", "10")]);
    assert!(ext(&parsed).is_none());
    assert_eq!(diags_for(&parsed, "auth-signin")[0].severity, Severity::Warning);
    assert!(parsed.annotations.policy.denied.is_none());
}

#[test]
fn cache_key_and_duration() {
    let parsed = parse(&[
        ("auth-url", "http://auth/"),
        ("auth-cache-key", "$remote_user$http_authorization"),
        ("auth-cache-duration", "200 1m"),
    ]);
    let cache = ext(&parsed).unwrap().cache.unwrap();
    assert_eq!(cache.rules[0].statuses, [200]);
}

#[test]
fn global_auth_applies_unless_opted_out() {
    let (global, diags) = configmap(&[
        ("global-auth-url", "http://auth.example/check"),
        ("global-auth-signin", "http://auth.example/start"),
        ("global-auth-response-headers", "X-User, bad;header"),
        ("global-auth-method", "FETCH"),
    ]);
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert!(diags.iter().all(|d| d.severity == Severity::Warning));
    let parsed = parse_with(&[], &global);
    let auth = ext(&parsed).expect("global auth");
    assert_eq!(auth.response_headers.len(), 1);
    assert!(auth.method.is_none());
    let own = parse_with(&[("auth-url", "http://own/")], &global);
    assert_eq!(ext(&own).unwrap().url.raw, "http://own/");
    let out = parse_with(&[("enable-global-auth", "false")], &global);
    assert!(ext(&out).is_none());
}

#[test]
fn invalid_global_auth_url_fails_closed() {
    let (global, diags) = configmap(&[("global-auth-url", "not a url")]);
    assert!(global.location_defaults.denied.is_some());
    assert_eq!(diags[0].severity, Severity::Error);
    let (_, diags) = configmap(&[("global-auth-signin", "http://a/")]);
    assert_eq!(diags[0].severity, Severity::Warning, "companion without url");
}
