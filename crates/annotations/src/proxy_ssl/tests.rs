use std::collections::BTreeMap;

use portico_model::{GlobalConfig, Severity, TlsVersions};

use super::*;
use crate::{parse_ingress, DEFAULT_PREFIX};

fn parse(pairs: &[(&str, &str)]) -> crate::Parsed {
    let raw: BTreeMap<String, String> =
        pairs.iter().map(|(k, v)| (format!("{DEFAULT_PREFIX}/{k}"), v.to_string())).collect();
    parse_ingress(&raw, DEFAULT_PREFIX, &GlobalConfig::default())
}

fn request(pairs: &[(&str, &str)]) -> ProxySslRequest {
    let parsed = parse(pairs);
    match parsed.annotations.proxy_ssl {
        Some(Ok(request)) => request,
        other => panic!("{pairs:?}: {other:?} {:?}", parsed.diagnostics),
    }
}

#[test]
fn defaults_with_only_the_secret() {
    let r = request(&[("proxy-ssl-secret", "ns/backend-tls")]);
    assert_eq!((r.secret_namespace.as_str(), r.secret_name.as_str()), ("ns", "backend-tls"));
    assert!(!r.verify && !r.server_name);
    assert_eq!(r.verify_depth, 1);
    assert_eq!(r.name, None);
    assert_eq!(r.versions, TlsVersions { tls12: true, tls13: false });
    assert!(r.ciphers.is_empty());
}

#[test]
fn every_setting_is_read() {
    let r = request(&[
        ("proxy-ssl-secret", "ns/s"),
        ("proxy-ssl-verify", "on"),
        ("proxy-ssl-verify-depth", "3"),
        ("proxy-ssl-name", "backend.internal"),
        ("proxy-ssl-server-name", "on"),
        ("proxy-ssl-protocols", "TLSv1.3 TLSv1.2"),
        ("proxy-ssl-ciphers", "ECDHE-RSA-AES128-GCM-SHA256"),
    ]);
    assert!(r.verify && r.server_name);
    assert_eq!(r.verify_depth, 3);
    assert_eq!(r.name.as_deref(), Some("backend.internal"));
    assert_eq!(r.versions, TlsVersions { tls12: true, tls13: true });
    assert_eq!(r.ciphers, ["ECDHE-RSA-AES128-GCM-SHA256"]);
}

#[test]
fn bad_settings_keep_defaults_with_a_warning() {
    let cases: &[(&str, &str)] = &[
        ("proxy-ssl-verify", "yes"),
        ("proxy-ssl-verify-depth", "-1"),
        ("proxy-ssl-verify-depth", "two"),
        ("proxy-ssl-name", "bad name"),
        ("proxy-ssl-server-name", "true"),
        ("proxy-ssl-protocols", "TLSv1.1"),
        ("proxy-ssl-ciphers", "HIGH:!aNULL"),
        ("proxy-ssl-ciphers", "ECDHE RSA;"),
    ];
    for (name, value) in cases {
        let parsed = parse(&[("proxy-ssl-secret", "ns/s"), (name, value)]);
        assert!(!parsed.fatal, "{name}={value}");
        let [d] = &parsed.diagnostics[..] else { panic!("{name}: {:?}", parsed.diagnostics) };
        assert_eq!(d.severity, Severity::Warning, "{name}={value}");
        assert!(d.field.as_deref().is_some_and(|f| f.contains(name)), "{name}");
        let Some(Ok(r)) = parsed.annotations.proxy_ssl else { panic!("{name}") };
        assert!(!r.verify && !r.server_name && r.verify_depth == 1 && r.name.is_none());
        assert_eq!(r.versions, TlsVersions { tls12: true, tls13: false });
        assert!(r.ciphers.is_empty(), "{name}");
    }
}

#[test]
fn secret_outcomes_follow_ingress_nginx() {
    // Characters outside BasicChars: validation error, the Ingress is not loaded.
    assert!(parse(&[("proxy-ssl-secret", "ns/s;x")]).fatal);
    // Not namespace/name: the locations are denied.
    for value in ["just-a-name", "a/b/c", "/name", "ns/"] {
        let parsed = parse(&[("proxy-ssl-secret", value)]);
        assert!(matches!(parsed.annotations.proxy_ssl, Some(Err(_))), "{value}");
        assert_eq!(parsed.diagnostics[0].severity, Severity::Error, "{value}");
    }
}

#[test]
fn settings_without_the_secret_are_ignored_with_a_warning() {
    let parsed = parse(&[("proxy-ssl-verify", "on"), ("proxy-ssl-server-name", "on")]);
    assert_eq!(parsed.annotations.proxy_ssl, None);
    assert_eq!(parsed.diagnostics.len(), 2);
    assert!(parsed.diagnostics.iter().all(|d| d.severity == Severity::Warning));
}
