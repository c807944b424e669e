//! Merging Ingresses per host: paths, precedence, duplicates, implicit roots, default server.

use portico_model::{PathType, Severity};

use super::fixtures::{ingress, options, service, Port, World};
use super::{messages, one_diagnostic, routes};

fn world() -> World {
    let mut world = World::new();
    for (name, ip) in [("a", "10.0.0.1"), ("b", "10.0.0.2"), ("def", "10.0.0.9")] {
        world.backend("default", name, ip);
    }
    world
}

#[test]
fn paths_sorted_by_length_then_descending() {
    let mut world = world();
    world.ingress(ingress("default", "web").rule(
        "h.io",
        &[
            ("/b", "Prefix", "a", Port::N(80)),
            ("/aa", "Exact", "a", Port::N(80)),
            ("", "ImplementationSpecific", "a", Port::N(80)),
            ("/a", "Prefix", "a", Port::N(80)),
            ("/zz", "", "a", Port::N(80)),
        ],
    ));
    let compiled = world.compile();
    assert_eq!(
        routes(&compiled, "h.io"),
        [
            "ImplementationSpecific /zz -> default-a-80 (web)",
            "Exact /aa -> default-a-80 (web)",
            "Prefix /b -> default-a-80 (web)",
            "Prefix /a -> default-a-80 (web)",
            // The empty path became `/` and took over the implicit root.
            "ImplementationSpecific / -> default-a-80 (web)",
        ]
    );
}

#[test]
fn oldest_ingress_wins_duplicates() {
    // (name, creationTimestamp) of two Ingresses declaring the same host+path; the winner and
    // what the diagnostic says decided.
    let cases = [
        (("old", Some(10)), ("new", Some(20)), "old", "(created earlier)"),
        (("new", Some(20)), ("old", Some(10)), "old", "(created earlier)"),
        // No timestamp sorts as the oldest (Go's zero time).
        (("stamped", Some(10)), ("unstamped", None), "unstamped", "counts as oldest"),
        // Equal timestamps: namespace/name descending (sortIngressSlice).
        (("a", Some(10)), ("b", Some(10)), "b", "(same creationTimestamp; kept: the one last by"),
        (("a", None), ("b", None), "b", "(no creationTimestamp on either; kept: the one last"),
    ];
    for ((first, first_at), (second, second_at), winner, why) in cases {
        let mut world = world();
        for (name, at, svc) in [(first, first_at, "a"), (second, second_at, "b")] {
            let mut ing =
                ingress("default", name).rule("h.io", &[("/x", "Prefix", svc, Port::N(80))]);
            if let Some(at) = at {
                ing = ing.created(at);
            }
            world.ingress(ing);
        }
        let compiled = world.compile();
        let x = routes(&compiled, "h.io").into_iter().find(|r| r.contains(" /x ")).expect("/x");
        assert!(x.ends_with(&format!("({winner})")), "{x} should be owned by {winner}");
        let loser = if winner == first { second } else { first };
        let d = one_diagnostic(&compiled, "already defined");
        assert_eq!(d.severity, Severity::Warning);
        assert_eq!(d.object.as_ref().map(|o| o.name.as_str()), Some(loser));
        assert!(d.message.contains(&format!("Ingress default/{winner} ")), "{}", d.message);
        assert!(d.message.contains(why), "{}", d.message);
        assert_eq!(d.field.as_deref(), Some("spec.rules[0].http.paths[0].path"));
    }
}

#[test]
fn same_path_with_other_type_coexists() {
    let mut world = world();
    world.ingress(
        ingress("default", "a").created(1).rule("h.io", &[("/x", "Exact", "a", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "b").created(2).rule("h.io", &[("/x", "Prefix", "b", Port::N(80))]),
    );
    // ImplementationSpecific is Prefix for ingress-nginx: a duplicate of b's path.
    world.ingress(
        ingress("default", "c")
            .created(3)
            .rule("h.io", &[("/x", "ImplementationSpecific", "a", Port::N(80))]),
    );
    let compiled = world.compile();
    assert_eq!(
        routes(&compiled, "h.io")[..2],
        ["Exact /x -> default-a-80 (a)", "Prefix /x -> default-b-80 (b)"]
    );
    let d = one_diagnostic(&compiled, "already defined");
    assert_eq!(d.object.as_ref().map(|o| o.name.as_str()), Some("c"));
}

#[test]
fn duplicate_inside_one_ingress() {
    let mut world = world();
    world.ingress(
        ingress("default", "a").rule(
            "h.io",
            &[("/x", "Prefix", "a", Port::N(80)), ("/x", "Prefix", "b", Port::N(80))],
        ),
    );
    let compiled = world.compile();
    assert!(routes(&compiled, "h.io").contains(&"Prefix /x -> default-a-80 (a)".to_string()));
    let d = one_diagnostic(&compiled, "earlier in this Ingress");
    assert_eq!(d.field.as_deref(), Some("spec.rules[0].http.paths[1].path"));
}

#[test]
fn implicit_root_comes_from_the_first_ingress_of_the_host() {
    // (default backend of the first Ingress, --default-backend-service) → the root's target.
    let cases = [
        (None, false, "404"),
        (None, true, "upstream-default-backend"),
        (Some("b"), false, "default-b-80"),
        (Some("b"), true, "default-b-80"),
    ];
    for (default_backend, global, want) in cases {
        let mut world = world();
        let mut first = ingress("default", "first")
            .created(1)
            .rule("h.io", &[("/a", "Prefix", "a", Port::N(80))]);
        if let Some(svc) = default_backend {
            first = first.default_backend(svc, Port::N(80));
        }
        world.ingress(first);
        world.ingress(
            ingress("default", "second")
                .created(2)
                .default_backend("a", Port::N(80))
                .rule("h.io", &[]),
        );
        if global {
            world.options = Some(crate::Options {
                default_backend_service: Some(portico_store::ObjectKey::new("default", "def")),
                ..options()
            });
        }
        let compiled = world.compile();
        let root = routes(&compiled, "h.io").pop().expect("root");
        assert_eq!(
            root,
            format!("Prefix / -> {want} (first) [implicit]"),
            "{default_backend:?} {global}"
        );
        assert!(compiled.diagnostics.is_empty(), "{:?}", messages(&compiled));
    }
}

#[test]
fn explicit_root_replaces_the_implicit_one() {
    let mut world = world();
    world.ingress(
        ingress("default", "first").created(1).rule("h.io", &[("/a", "Prefix", "a", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "second").created(2).rule("h.io", &[("/", "Prefix", "b", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "third").created(3).rule("h.io", &[("/", "Exact", "a", Port::N(80))]),
    );
    let compiled = world.compile();
    assert_eq!(
        routes(&compiled, "h.io"),
        [
            "Prefix /a -> default-a-80 (first)",
            "Prefix / -> default-b-80 (second)",
            "Exact / -> default-a-80 (third)",
        ]
    );
    assert!(compiled.diagnostics.is_empty(), "{:?}", messages(&compiled));
}

#[test]
fn default_server_catch_all() {
    // (catch-all Ingresses as (name, created), global default) → the `_` root.
    let mut world = world();
    world.ingress(
        ingress("default", "rules-too")
            .created(1)
            .default_backend("a", Port::N(80))
            .rule("h.io", &[]),
    );
    let compiled = world.compile();
    assert_eq!(routes(&compiled, "_"), ["Prefix / -> 404 (-) [implicit]"]);

    world.options = Some(crate::Options {
        default_backend_service: Some(portico_store::ObjectKey::new("default", "def")),
        ..options()
    });
    assert_eq!(
        routes(&world.compile(), "_"),
        ["Prefix / -> upstream-default-backend (-) [implicit]"]
    );

    world.ingress(ingress("default", "catch-new").created(5).default_backend("b", Port::N(80)));
    world.ingress(ingress("default", "catch-old").created(3).default_backend("a", Port::N(80)));
    world.ingress(
        ingress("default", "hostless").created(2).rule("", &[("/", "Prefix", "b", Port::N(80))]),
    );
    let compiled = world.compile();
    // The catch-all owns `/` of `_` even against an older host-less `/` rule.
    assert_eq!(routes(&compiled, "_"), ["Prefix / -> default-a-80 (catch-old)"]);
    let d = one_diagnostic(&compiled, "already defined");
    assert_eq!(d.object.as_ref().map(|o| o.name.as_str()), Some("hostless"));
}

#[test]
fn hostless_root_replaces_the_default_location() {
    let mut world = world();
    world.ingress(ingress("default", "hostless").rule("", &[("/", "Prefix", "b", Port::N(80))]));
    assert_eq!(routes(&world.compile(), "_"), ["Prefix / -> default-b-80 (hostless)"]);
}

#[test]
fn unusable_paths_are_skipped_with_a_diagnostic() {
    let mut world = world();
    let resource = k8s_openapi::api::networking::v1::IngressBackend {
        service: None,
        resource: Some(k8s_openapi::api::core::v1::TypedLocalObjectReference {
            api_group: Some("k8s.example.com".to_string()),
            kind: "StorageBucket".to_string(),
            name: "static".to_string(),
        }),
    };
    let rule = k8s_openapi::api::networking::v1::IngressRule {
        host: Some("h.io".to_string()),
        http: Some(k8s_openapi::api::networking::v1::HTTPIngressRuleValue {
            paths: vec![k8s_openapi::api::networking::v1::HTTPIngressPath {
                path: Some("/static".to_string()),
                path_type: "Prefix".to_string(),
                backend: resource,
            }],
        }),
    };
    world.ingress(
        ingress("default", "web")
            .rule(
                "h.io",
                &[
                    ("relative", "Prefix", "a", Port::N(80)),
                    ("/typo", "prefix", "a", Port::N(80)),
                    ("/ok", "Prefix", "a", Port::N(80)),
                ],
            )
            .raw_rule(rule),
    );
    let compiled = world.compile();
    assert_eq!(
        routes(&compiled, "h.io"),
        ["Prefix /ok -> default-a-80 (web)", "Prefix / -> 404 (web) [implicit]"]
    );
    let fields: Vec<_> =
        compiled.diagnostics.iter().map(|d| d.field.clone().unwrap_or_default()).collect();
    assert_eq!(
        fields,
        [
            "spec.rules[0].http.paths[0].path",
            "spec.rules[0].http.paths[1].pathType",
            "spec.rules[1].http.paths[0].backend.resource",
        ]
    );
    assert!(compiled
        .diagnostics
        .iter()
        .all(|d| d.is_error() && d.file.as_deref() == Some("web.yaml")));
}

#[test]
fn regex_ingress_may_use_paths_without_slash() {
    let mut world = world();
    world.ingress(
        ingress("default", "web")
            .nginx("use-regex", "true")
            .rule("h.io", &[("(?i)/x", "ImplementationSpecific", "a", Port::N(80))]),
    );
    let compiled = world.compile();
    let server = super::server(&compiled, "h.io");
    assert_eq!(server.locations[0].path, "(?i)/x");
    assert_eq!(server.locations[0].path_type, PathType::ImplementationSpecific);
}

#[test]
fn global_default_backend_without_endpoints_is_404() {
    let mut world = world();
    world.service(service("default", "empty").port("http", 80, 8080));
    world.options = Some(crate::Options {
        default_backend_service: Some(portico_store::ObjectKey::new("default", "empty")),
        ..options()
    });
    let compiled = world.compile();
    assert_eq!(routes(&compiled, "_"), ["Prefix / -> 404 (-) [implicit]"]);
    let d = one_diagnostic(&compiled, "--default-backend-service");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.object.as_ref().map(|o| o.to_string()).as_deref(), Some("Service default/empty"));
}

#[test]
fn regex_path_that_does_not_compile_is_left_out_of_the_table_naming_its_field() {
    let mut world = world();
    world.ingress(ingress("default", "re").nginx("use-regex", "true").rule(
        "h.io",
        &[
            ("/ok/[0-9]+", "ImplementationSpecific", "a", Port::N(80)),
            ("/bad(", "Prefix", "b", Port::N(80)),
        ],
    ));
    world.ingress(
        ingress("default", "other")
            .rule("", &[("/x(", "ImplementationSpecific", "a", Port::N(80))]),
    );
    let compiled = world.compile();
    let routes = routes(&compiled, "h.io");
    assert!(routes.iter().all(|r| !r.contains("/bad(")), "left out of the table: {routes:?}");
    assert!(routes.iter().any(|r| r.contains("/ok/[0-9]+")), "{routes:?}");
    let d = one_diagnostic(&compiled, "\"/bad(\" is not a valid regular expression");
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.field.as_deref(), Some("spec.rules[0].http.paths[1].path"));
    assert_eq!(d.file.as_deref(), Some("re.yaml"));
    // Not in regex mode (no use-regex on the default server): `/x(` is a plain prefix.
    assert!(super::routes(&compiled, "_").iter().any(|r| r.contains("/x(")), "{}", compiled.table);
    assert_eq!(compiled.diagnostics.len(), 1, "{:#?}", messages(&compiled));
}
