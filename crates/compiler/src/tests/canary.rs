//! Canary Ingresses: they join the main location with the same host and path, never own one.

use portico_model::{RouteTable, Severity, Target};

use super::fixtures::{ingress, Port, World};
use super::{messages, one_diagnostic, routes, server};

fn world() -> World {
    let mut world = World::new();
    for (name, ip) in [("main", "10.0.0.1"), ("canary", "10.0.0.2"), ("other", "10.0.0.3")] {
        world.backend("default", name, ip);
    }
    world
}

fn name(table: &RouteTable, target: Target) -> String {
    match target {
        Target::Backend(id) => table.backend(id).map_or("?".into(), |b| b.name.clone()),
        Target::NotFound => "404".into(),
    }
}

#[test]
fn canary_joins_the_main_location_whatever_the_names_and_order() {
    // Without creationTimestamps the `-canary` Ingress sorts last by name and used to win the
    // tie-break: it must never own the path.
    let mut world = world();
    world.ingress(
        ingress("default", "web-canary")
            .nginx("canary", "true")
            .nginx("canary-weight", "20")
            .nginx("canary-by-header", "X-Canary")
            .rule("h.io", &[("/", "Prefix", "canary", Port::N(80))]),
    );
    world.ingress(ingress("default", "web").rule("h.io", &[("/", "Prefix", "main", Port::N(80))]));
    let compiled = world.compile();
    assert_eq!(
        routes(&compiled, "h.io"),
        ["Prefix / -> default-main-80 (web)"],
        "{}",
        compiled.table
    );
    let location = &server(&compiled, "h.io").locations[0];
    let targets = location.backends.targets();
    assert_eq!(targets.len(), 2);
    assert_eq!(name(&compiled.table, targets[1].target), "default-canary-80");
    assert_eq!((targets[0].weight, targets[1].weight), (80, 20));
    assert_eq!(location.backends.rules().len(), 2, "header always / never");
    assert!(compiled.diagnostics.is_empty(), "{:#?}", messages(&compiled));
    let text = compiled.table.to_string();
    assert!(
        text.contains("-> default-main-80 (ingress default/web) [canary default-canary-80 weight 20/100 if header x-canary=always unless header x-canary=never]"),
        "{text}"
    );
}

#[test]
fn canary_without_a_main_ingress_serves_nothing() {
    let mut world = world();
    world.ingress(ingress("default", "web").rule("h.io", &[("/", "Prefix", "main", Port::N(80))]));
    world.ingress(
        ingress("default", "c1")
            .nginx("canary", "true")
            .rule("other.io", &[("/", "Prefix", "canary", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "c2")
            .nginx("canary", "true")
            .rule("h.io", &[("/api", "Prefix", "canary", Port::N(80))]),
    );
    let compiled = world.compile();
    assert!(compiled.table.servers.iter().all(|s| s.host.to_string() != "other.io"));
    assert_eq!(routes(&compiled, "h.io"), ["Prefix / -> default-main-80 (web)"]);
    let d = one_diagnostic(&compiled, "no main Ingress serves host other.io");
    assert_eq!(d.severity, Severity::Warning);
    assert!(d.to_string().contains("default/c1"), "{d}");
    one_diagnostic(&compiled, "no main Ingress serves path \"/api\" (Prefix) on host h.io");
    assert!(
        compiled.table.backends.iter().all(|b| b.name != "default-canary-80"),
        "not registered"
    );
}

#[test]
fn one_canary_per_location_and_not_the_main_service() {
    let mut world = world();
    world.ingress(ingress("default", "web").rule("h.io", &[("/", "Prefix", "main", Port::N(80))]));
    for (name, at, svc) in [("c-old", 1, "canary"), ("c-new", 2, "other"), ("c-same", 3, "main")] {
        world.ingress(
            ingress("default", name)
                .created(at)
                .nginx("canary", "true")
                .rule("h.io", &[("/", "Prefix", svc, Port::N(80))]),
        );
    }
    let compiled = world.compile();
    let location = &server(&compiled, "h.io").locations[0];
    assert_eq!(location.backends.targets().len(), 2);
    assert_eq!(name(&compiled.table, location.backends.targets()[1].target), "default-canary-80");
    one_diagnostic(&compiled, "already has canary Ingress default/c-old");
    one_diagnostic(&compiled, "is the main Ingress's own backend");
}

#[test]
fn path_type_must_match_and_catch_all_canary_joins_the_default_server() {
    let mut world = world();
    world.ingress(ingress("default", "web").rule("h.io", &[("/x", "Exact", "main", Port::N(80))]));
    world.ingress(ingress("default", "all").default_backend("main", Port::N(80)));
    world.ingress(
        ingress("default", "c")
            .nginx("canary", "true")
            .nginx("canary-by-cookie", "beta")
            .default_backend("canary", Port::N(80))
            .rule("h.io", &[("/x", "Prefix", "canary", Port::N(80))]),
    );
    let compiled = world.compile();
    assert_eq!(
        server(&compiled, "h.io").locations.iter().map(|l| l.backends.targets().len()).max(),
        Some(1)
    );
    one_diagnostic(&compiled, "no main Ingress serves path \"/x\" (Prefix)");
    let root = &server(&compiled, "_").locations[0];
    assert_eq!(root.backends.targets().len(), 2, "{}", compiled.table);
}
