use std::collections::BTreeMap;

use portico_model::{GlobalConfig, Limits, RateLimit, Severity};

use crate::parse_configmap;
use crate::tests::{diags_for, parse, parse_with};

fn limits(pairs: &[(&str, &str)]) -> Option<Limits> {
    parse(pairs).annotations.policy.filters.limits().cloned()
}

fn configmap(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn rates_connections_and_burst() {
    let l = limits(&[("limit-rps", "10"), ("limit-rpm", "300")]).expect("filter");
    assert_eq!((l.rps, l.rpm, l.connections, l.burst_multiplier), (10, 300, 0, 5));
    assert_eq!((l.burst(l.rps), l.burst(l.rpm)), (50, 1500), "rate × limit-burst-multiplier");
    assert_eq!((l.req_status, l.conn_status), (503, 503));
    let l = limits(&[("limit-connections", "2"), ("limit-burst-multiplier", "2")]).unwrap();
    assert_eq!((l.rps, l.connections, l.burst_multiplier), (0, 2, 2));
    let off: &[&[(&str, &str)]] =
        &[&[], &[("limit-rps", "0")], &[("limit-rpm", "-3")], &[("limit-burst-multiplier", "3")]];
    for pairs in off {
        assert!(limits(pairs).is_none(), "{pairs:?}: no limit, no filter");
    }
}

#[test]
fn allowlist_and_its_old_name() {
    let ip = |s: &str| s.parse().unwrap();
    let l = limits(&[("limit-rps", "1"), ("limit-whitelist", "10.0.0.0/8")]).unwrap();
    assert!(l.exempt(ip("10.1.2.3")) && !l.exempt(ip("192.0.2.1")));
    assert!(l.exempt(ip("::ffff:10.1.2.3")), "IPv4-mapped is IPv4");
    let l = limits(&[
        ("limit-rps", "1"),
        ("limit-allowlist", "192.0.2.0/24"),
        ("limit-whitelist", "10.0.0.0/8"),
    ])
    .unwrap();
    assert!(l.exempt(ip("192.0.2.1")) && !l.exempt(ip("10.1.2.3")), "the new name wins");
}

#[test]
fn invalid_limits_drop_the_ingress_as_ingress_nginx() {
    for (name, value) in [
        ("limit-rps", "ten"),
        ("limit-rpm", "1.5"),
        ("limit-connections", " 3"),
        ("limit-allowlist", "10.0.0.0/8, nonsense"),
    ] {
        let parsed = parse(&[("limit-rpm", "5"), (name, value)]);
        assert!(parsed.fatal, "{name}={value:?}");
        let diags = diags_for(&parsed, name);
        assert_eq!(diags.len(), 1, "{name}: {diags:?}");
        assert_eq!(diags[0].severity, Severity::Error);
        assert!(diags[0].to_string().contains(value.trim()), "{}", diags[0]);
    }
}

#[test]
fn invalid_multiplier_keeps_5_with_a_warning() {
    for value in ["x", "-2"] {
        let parsed = parse(&[("limit-rps", "2"), ("limit-burst-multiplier", value)]);
        assert!(!parsed.fatal);
        let l = parsed.annotations.policy.filters.limits().cloned().unwrap();
        assert_eq!(l.burst_multiplier, 5, "{value:?}");
        let diags = diags_for(&parsed, "limit-burst-multiplier");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].severity, Severity::Warning);
    }
}

#[test]
fn bandwidth_in_kilobytes_with_configmap_defaults() {
    let rate = |pairs: &[(&str, &str)], global: &GlobalConfig| {
        parse_with(pairs, global).annotations.policy.filters.rate_limit()
    };
    let global = GlobalConfig::default();
    assert_eq!(
        rate(&[("limit-rate", "100"), ("limit-rate-after", "10")], &global),
        Some(RateLimit { bytes_per_second: 100 * 1024, after: 10 * 1024 })
    );
    assert_eq!(rate(&[("limit-rate", "0")], &global), None);
    assert_eq!(rate(&[("limit-rate-after", "10")], &global), None, "no rate, nothing to pace");
    let (global, diags) =
        parse_configmap(&configmap(&[("limit-rate", "8"), ("limit-rate-after", "1")]));
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(rate(&[], &global), Some(RateLimit { bytes_per_second: 8192, after: 1024 }));
    assert_eq!(rate(&[("limit-rate", "0")], &global), None, "the annotation switches it off");
    let parsed = parse_with(&[("limit-rate", "fast")], &global);
    let paced = parsed.annotations.policy.filters.rate_limit();
    assert_eq!(paced.map(|r| r.bytes_per_second), Some(8192), "invalid: the ConfigMap's");
    assert_eq!(diags_for(&parsed, "limit-rate")[0].severity, Severity::Warning);
}

#[test]
fn configmap_statuses() {
    let data = configmap(&[("limit-req-status-code", "429"), ("limit-conn-status-code", "200")]);
    let (global, diags) = parse_configmap(&data);
    assert_eq!((global.limits.req_status, global.limits.conn_status), (429, 503));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(diags[0].to_string().contains("limit-conn-status-code"), "{}", diags[0]);
    let parsed = parse_with(&[("limit-rps", "1")], &global);
    assert_eq!(parsed.annotations.policy.filters.limits().unwrap().req_status, 429);
}
