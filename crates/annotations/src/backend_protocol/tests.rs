use std::collections::BTreeMap;

use portico_model::{GlobalConfig, Severity, UpstreamProtocol};

use super::*;
use crate::{parse_ingress, DEFAULT_PREFIX};

fn parse(pairs: &[(&str, &str)]) -> crate::Parsed {
    let raw: BTreeMap<String, String> =
        pairs.iter().map(|(k, v)| (format!("{DEFAULT_PREFIX}/{k}"), v.to_string())).collect();
    parse_ingress(&raw, DEFAULT_PREFIX, &GlobalConfig::default())
}

#[test]
fn protocols_are_case_insensitive_and_trimmed() {
    let cases = [
        ("HTTP", UpstreamProtocol::Http),
        ("https", UpstreamProtocol::Https),
        ("Auto_Http", UpstreamProtocol::AutoHttp),
        ("GRPC", UpstreamProtocol::Grpc),
        ("  grpcs ", UpstreamProtocol::Grpcs),
    ];
    for (value, expected) in cases {
        let parsed = parse(&[("backend-protocol", value)]);
        assert_eq!(parsed.annotations.policy.upstream.protocol, expected, "{value:?}");
        assert!(parsed.diagnostics.is_empty(), "{value:?}: {:?}", parsed.diagnostics);
        assert!(parsed.annotations.policy.denied.is_none());
    }
}

#[test]
fn unknown_protocols_fall_back_to_http_with_a_warning() {
    for value in ["H2C", "AJP", "http2", "grpc+tls", "HTTP HTTPS"] {
        let parsed = parse(&[("backend-protocol", value)]);
        assert_eq!(parsed.annotations.policy.upstream.protocol, UpstreamProtocol::Http);
        assert!(!parsed.fatal, "{value}");
        let [d] = &parsed.diagnostics[..] else { panic!("{value}: {:?}", parsed.diagnostics) };
        assert_eq!(d.severity, Severity::Warning, "{value}");
        assert!(d.message.contains(value.trim()), "{value}: {}", d.message);
        assert!(d.field.as_deref().is_some_and(|f| f.contains("backend-protocol")));
    }
}

#[test]
fn fastcgi_denies_the_location() {
    for value in ["FCGI", "fcgi"] {
        let parsed = parse(&[("backend-protocol", value)]);
        assert!(parsed.annotations.policy.denied.is_some(), "{value}");
        let [d] = &parsed.diagnostics[..] else { panic!("{:?}", parsed.diagnostics) };
        assert_eq!(d.severity, Severity::Error);
    }
}

#[test]
fn upstream_vhost_sets_the_host_and_bad_values_are_fatal() {
    let parsed = parse(&[("upstream-vhost", "internal.example.com")]);
    assert_eq!(parsed.annotations.policy.upstream.vhost.as_deref(), Some("internal.example.com"));
    for bad in ["a b", "x;y", "host\"", "h@st"] {
        let parsed = parse(&[("upstream-vhost", bad)]);
        assert!(parsed.fatal, "{bad}");
        assert_eq!(parsed.annotations.policy.upstream.vhost, None, "{bad}");
    }
}

#[test]
fn parse_protocol_table() {
    assert_eq!(parse_protocol("fCgI"), Some(Protocol::FastCgi));
    assert_eq!(parse_protocol("h2c"), None);
    assert_eq!(parse_protocol(""), None);
}
