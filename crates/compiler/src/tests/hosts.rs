//! Host normalization, wildcards, invalid hosts, host-less rules and server order.

use portico_model::{HostPattern, Severity};

use super::fixtures::{ingress, Port, World};
use super::{one_diagnostic, routes};

#[test]
fn hosts_are_normalized_and_sorted() {
    let mut world = World::new();
    world.backend("default", "web", "10.0.0.1");
    world.ingress(
        ingress("default", "web")
            .rule("B.Example.COM.", &[("/b", "Prefix", "web", Port::N(80))])
            .rule("*.Example.com", &[("/w", "Prefix", "web", Port::N(80))])
            .rule("a.example.com", &[("/a", "Prefix", "web", Port::N(80))])
            .rule("b.example.com", &[("/b2", "Prefix", "web", Port::N(80))]),
    );
    let compiled = world.compile();
    let hosts: Vec<&HostPattern> = compiled.table.servers.iter().map(|s| &s.host).collect();
    assert_eq!(
        hosts,
        [
            &HostPattern::Wildcard("example.com".to_string()),
            &HostPattern::Exact("a.example.com".to_string()),
            &HostPattern::Exact("b.example.com".to_string()),
        ]
    );
    // Both spellings of b.example.com merged into one server.
    assert_eq!(
        routes(&compiled, "b.example.com"),
        [
            "Prefix /b2 -> default-web-80 (web)",
            "Prefix /b -> default-web-80 (web)",
            "Prefix / -> 404 (web) [implicit]",
        ]
    );
    assert!(compiled.diagnostics.is_empty(), "{:?}", compiled.diagnostics);
}

#[test]
fn invalid_hosts_skip_their_rule_only() {
    for (host, needle) in [
        ("10.1.2.3", "IP address"),
        ("a.*.example.com", "`*` is only allowed"),
        ("bad_host.example.com", "DNS-1123"),
        ("example.com:8080", "DNS-1123"),
    ] {
        let mut world = World::new();
        world.backend("default", "web", "10.0.0.1");
        world.ingress(
            ingress("default", "web")
                .rule(host, &[("/", "Prefix", "web", Port::N(80))])
                .rule("ok.example.com", &[("/", "Prefix", "web", Port::N(80))]),
        );
        let compiled = world.compile();
        let hosts: Vec<String> =
            compiled.table.servers.iter().map(|s| s.host.to_string()).collect();
        assert_eq!(hosts, ["ok.example.com"], "{host}");
        let d = one_diagnostic(&compiled, needle);
        assert_eq!(d.severity, Severity::Error);
        assert_eq!(d.field.as_deref(), Some("spec.rules[0].host"), "{host}");
        assert_eq!(d.file.as_deref(), Some("web.yaml"));
        assert_eq!(
            d.object.as_ref().map(|o| o.to_string()).as_deref(),
            Some("Ingress default/web")
        );
    }
}

#[test]
fn hostless_rules_go_to_the_default_server() {
    let mut world = World::new();
    world.backend("default", "web", "10.0.0.1");
    world.ingress(ingress("default", "web").rule("", &[("/api", "Prefix", "web", Port::N(80))]));
    let compiled = world.compile();
    assert!(compiled.table.servers.is_empty());
    assert_eq!(
        routes(&compiled, "_"),
        ["Prefix /api -> default-web-80 (web)", "Prefix / -> 404 (-) [implicit]"]
    );
    assert_eq!(compiled.table.default_server.host, HostPattern::CatchAll);
}
