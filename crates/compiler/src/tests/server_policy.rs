//! Host-wide effects and per-location policy: regex mode, needsRewrite, app-root, certificates,
//! ACME exemption, catch-all policy.

use super::fixtures::{ingress, Port, World};
use super::server;

fn world() -> World {
    let mut world = World::new();
    world.backend("default", "a", "10.0.0.1");
    world
}

#[test]
fn regex_mode_is_host_wide() {
    let mut world = world();
    world.ingress(
        ingress("default", "plain")
            .created(1)
            .rule("h.io", &[("/plain", "Exact", "a", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "regex")
            .created(2)
            .nginx("use-regex", "true")
            .rule("h.io", &[("/id/[0-9]+", "ImplementationSpecific", "a", Port::N(80))])
            .rule("other.io", &[("/x", "Prefix", "a", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "third")
            .created(3)
            .rule("third.io", &[("/x", "Prefix", "a", Port::N(80))]),
    );
    let compiled = world.compile();
    assert!(server(&compiled, "h.io").regex_mode, "a later Ingress turns the host to regex");
    assert!(server(&compiled, "other.io").regex_mode);
    assert!(!server(&compiled, "third.io").regex_mode);
    assert!(!compiled.table.default_server.regex_mode);
}

#[test]
fn rewrite_needs_a_different_target() {
    // (rewrite-target, path) → (kept target, regex mode). The implicit `/` of the Ingress
    // carries the same target, so only a target of `/` leaves the host out of regex mode.
    let cases = [
        ("/", "/", None, false),
        ("/api", "/api", None, true),
        ("/$2", "/something(/|$)(.*)", Some("/$2"), true),
        ("/", "/api", Some("/"), true),
    ];
    for (target, path, want, regex) in cases {
        let mut world = world();
        world.ingress(
            ingress("default", "web")
                .nginx("rewrite-target", target)
                .nginx("x-forwarded-prefix", "/pre")
                .rule("h.io", &[(path, "ImplementationSpecific", "a", Port::N(80))]),
        );
        let compiled = world.compile();
        let server = server(&compiled, "h.io");
        let location = server.locations.iter().find(|l| l.path == path).expect("location");
        let rewrite = location.policy.filters.rewrite();
        assert_eq!(rewrite.map(|r| r.target.as_str()), want, "{target} on {path}");
        let prefix = want.map(|_| "/pre");
        let got = rewrite.and_then(|r| r.x_forwarded_prefix.as_deref());
        assert_eq!(got, prefix, "{target} on {path}");
        assert_eq!(server.regex_mode, regex, "{target} on {path}");
    }
}

#[test]
fn implicit_root_counts_for_regex_mode() {
    // The first Ingress rewrites everything to /app: its implicit `/` rewrites too, so the host
    // is in regex mode even though the explicit path's target equals its path.
    let mut world = world();
    world.ingress(
        ingress("default", "web")
            .nginx("rewrite-target", "/app")
            .rule("h.io", &[("/app", "Prefix", "a", Port::N(80))]),
    );
    let compiled = world.compile();
    let server = server(&compiled, "h.io");
    assert!(server.regex_mode);
    let root = server.locations.iter().find(|l| l.implicit).expect("implicit root");
    assert_eq!(root.policy.filters.rewrite().map(|r| r.target.as_str()), Some("/app"));
}

#[test]
fn app_root_from_the_oldest_ingress_that_sets_it() {
    let mut world = world();
    world.ingress(
        ingress("default", "none").created(1).rule("h.io", &[("/n", "Prefix", "a", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "newer").created(3).nginx("app-root", "/newer").rule("h.io", &[]),
    );
    world.ingress(
        ingress("default", "older").created(2).nginx("app-root", "/older").rule("h.io", &[]),
    );
    let compiled = world.compile();
    assert_eq!(server(&compiled, "h.io").app_root.as_deref(), Some("/older"));
}

#[test]
fn certificate_from_any_ingress_with_tls_for_the_host() {
    let mut world = world();
    world.ingress(ingress("default", "plain").created(1).rule("tls.io", &[]).rule("plain.io", &[]));
    // spec.tls that does not even list tls.io still gives it the default certificate (§1.4).
    world.ingress(
        ingress("default", "tls")
            .created(2)
            .tls(&["elsewhere.io"])
            .rule("tls.io", &[])
            .rule("", &[]),
    );
    let compiled = world.compile();
    assert!(server(&compiled, "tls.io").has_certificate);
    assert!(!server(&compiled, "plain.io").has_certificate);
    assert!(!compiled.table.default_server.has_certificate);
}

#[test]
fn acme_paths_are_exempt_from_tls_redirects() {
    let mut world = world();
    world.ingress(ingress("default", "web").rule(
        "h.io",
        &[
            ("/.well-known/acme-challenge/token", "Exact", "a", Port::N(80)),
            ("/.well-known", "Prefix", "a", Port::N(80)),
        ],
    ));
    let compiled = world.compile();
    let exempt: Vec<(&str, bool)> = server(&compiled, "h.io")
        .locations
        .iter()
        .map(|l| (l.path.as_str(), l.policy.filters.https_redirect().is_none()))
        .collect();
    assert_eq!(
        exempt,
        [("/.well-known/acme-challenge/token", true), ("/.well-known", false), ("/", false)]
    );
}

#[test]
fn catch_all_ignores_rewrites_and_redirects() {
    let mut world = world();
    world.ingress(
        ingress("default", "catch")
            .nginx("rewrite-target", "/x")
            .nginx("force-ssl-redirect", "true")
            .nginx("proxy-body-size", "5m")
            .default_backend("a", Port::N(80)),
    );
    let compiled = world.compile();
    let root = &compiled.table.default_server.locations[0];
    assert_eq!(root.policy.filters.rewrite(), None);
    assert!(root.policy.filters.https_redirect().is_some_and(|r| !r.force));
    assert_eq!(root.policy.max_body_size, Some(5 * 1024 * 1024));
    assert!(!compiled.table.default_server.regex_mode);
}
