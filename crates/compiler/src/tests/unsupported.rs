//! Unsupported access-restricting annotations fail closed: every location of their Ingress is
//! denied (503) with a reason naming the annotation; other Ingresses and non-restricting
//! unsupported annotations are unaffected.

use portico_model::Severity;

use super::fixtures::{ingress, options, Port, World, PREFIX};
use super::{messages, server};

fn world() -> World {
    let mut world = World::new();
    world.backend("default", "a", "10.0.0.1");
    world
}

/// `(annotation, value, denied)` on an Ingress with `/app` on `h.io`.
#[test]
fn which_annotations_deny_the_locations() {
    let cases = [
        ("global-rate-limit", "10", true),
        ("global-rate-limit", "0", false),
        ("enable-modsecurity", "true", true),
        ("enable-modsecurity", "false", false),
        ("auth-snippet", "proxy_set_header X 1;", false),
        ("configuration-snippet", "deny all;", false),
        ("satisfy", "any", false),
    ];
    for (name, value, denied) in cases {
        let mut world = world();
        world.ingress(
            ingress("default", "web")
                .nginx(name, value)
                .rule("h.io", &[("/app", "Prefix", "a", Port::N(80))]),
        );
        let compiled = world.compile();
        let key = format!("{PREFIX}/{name}");
        for location in &server(&compiled, "h.io").locations {
            let reason = location.policy.denied.as_deref();
            match denied {
                true => assert!(
                    reason.is_some_and(|r| r.contains(&key)),
                    "{name}={value}: {} {reason:?}",
                    location.path
                ),
                false => assert_eq!(reason, None, "{name}={value}: {}", location.path),
            }
        }
        let d = compiled
            .diagnostics
            .iter()
            .find(|d| d.field.as_deref() == Some(&format!("metadata.annotations[{key:?}]")))
            .unwrap_or_else(|| panic!("{name}: {:?}", messages(&compiled)));
        let want = if denied { Severity::Error } else { Severity::Warning };
        assert_eq!(d.severity, want, "{d}");
        assert_eq!(
            d.object.as_ref().map(|o| o.to_string()).as_deref(),
            Some("Ingress default/web")
        );
        if denied {
            assert!(d.message.contains(&key) && d.message.contains("503"), "{d}");
        }
    }
}

#[test]
fn the_denial_covers_its_ingress_only_and_its_catch_all() {
    let mut world = world();
    world.ingress(
        ingress("default", "restricted")
            .created(1)
            .nginx("enable-modsecurity", "true")
            .rule("h.io", &[("/private", "Prefix", "a", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "open")
            .created(2)
            .rule("h.io", &[("/public", "Prefix", "a", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "catch-all")
            .created(3)
            .nginx("global-rate-limit", "5")
            .default_backend("a", Port::N(80)),
    );
    let compiled = world.compile();
    let locations = &server(&compiled, "h.io").locations;
    let find = |path: &str| locations.iter().find(|l| l.path == path && !l.implicit);
    let private = find("/private").expect("/private");
    assert!(private.policy.denied.is_some());
    let public = find("/public").expect("/public");
    assert_eq!(public.policy.denied, None, "another Ingress of the same host is served");
    let catch_all = server(&compiled, "_").locations.iter().find(|l| l.path == "/");
    let catch_all = catch_all.unwrap_or_else(|| panic!("{}", compiled.table));
    let reason = catch_all.policy.denied.as_deref().unwrap_or_default();
    assert!(reason.contains("global-rate-limit"), "{reason:?}");
    let errors: Vec<_> = compiled.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 2, "{:?}", messages(&compiled));
}

#[test]
fn the_unsupported_reason_is_kept_over_a_basic_auth_denial() {
    let mut world = world();
    world.ingress(
        ingress("default", "web")
            .nginx("auth-type", "basic")
            .nginx("auth-secret", "missing")
            .nginx("enable-modsecurity", "true")
            .rule("h.io", &[("/app", "Prefix", "a", Port::N(80))]),
    );
    let compiled = world.compile();
    for location in &server(&compiled, "h.io").locations {
        let reason = location.policy.denied.as_deref().unwrap_or_default();
        assert!(reason.contains("enable-modsecurity"), "{reason:?}");
    }
    assert_eq!(compiled.diagnostics.iter().filter(|d| d.is_error()).count(), 2);
}

#[test]
fn the_annotations_prefix_is_respected() {
    let mut world = world();
    world.options = Some(crate::Options { annotations_prefix: "example.com".into(), ..options() });
    world.ingress(
        ingress("default", "web")
            .annotation("example.com/enable-modsecurity", "true")
            .rule("h.io", &[("/app", "Prefix", "a", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "other")
            .nginx("enable-modsecurity", "true")
            .rule("o.io", &[("/app", "Prefix", "a", Port::N(80))]),
    );
    let compiled = world.compile();
    let denied = |host: &str| {
        server(&compiled, host)
            .locations
            .iter()
            .map(|l| l.policy.denied.clone())
            .collect::<Vec<_>>()
    };
    assert!(denied("h.io")
        .iter()
        .all(|d| d.as_deref().is_some_and(|r| r.contains("example.com/"))));
    assert!(denied("o.io").iter().all(Option::is_none), "other prefixes are not read");
}
