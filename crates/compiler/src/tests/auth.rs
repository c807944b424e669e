//! Basic auth resolution: users from auth-file and auth-map Secrets, and every denial.

use std::collections::HashMap;

use portico_model::{Location, Severity};

use super::fixtures::{ingress, options, IngressBuilder, Port, World};
use super::{messages, server};

fn protected(secret: &str) -> IngressBuilder {
    ingress("default", "web")
        .nginx("auth-type", "basic")
        .nginx("auth-secret", secret)
        .nginx("auth-realm", "Private Area")
        .rule(
            "h.io",
            &[
                ("/api", "Prefix", "a", Port::N(80)),
                ("/.well-known/acme-challenge", "Prefix", "a", Port::N(80)),
            ],
        )
}

fn world() -> World {
    let mut world = World::new();
    world.backend("default", "a", "10.0.0.1");
    world
}

fn api(world: &World) -> Location {
    let compiled = world.compile();
    let location = server(&compiled, "h.io").locations.iter().find(|l| l.path == "/api").cloned();
    location.expect("/api")
}

#[test]
fn auth_file_users() {
    let mut world = world();
    world.secret(
        "default",
        "basic",
        &[("auth", "# users\nfoo:$apr1$x$y\n\nbar:{PLAIN}pw:comment\r\nfoo:second\nbroken\n")],
    );
    world.ingress(protected("basic"));
    let compiled = world.compile();
    let server = server(&compiled, "h.io");
    let api = server.locations.iter().find(|l| l.path == "/api").expect("/api");
    let auth = api.policy.filters.basic_auth().expect("auth configured");
    assert_eq!(auth.realm, "Private Area");
    assert_eq!(
        auth.users,
        HashMap::from([
            ("foo".to_string(), "$apr1$x$y".to_string()),
            ("bar".to_string(), "{PLAIN}pw".to_string())
        ]),
        "the first line for foo wins"
    );
    assert!(auth.secret_version.starts_with("default/basic@"), "{}", auth.secret_version);
    let root = server.locations.iter().find(|l| l.implicit).expect("root");
    assert_eq!(
        root.policy.filters.basic_auth(),
        api.policy.filters.basic_auth(),
        "the implicit root of the first Ingress asks too"
    );
    let acme = server.locations.iter().find(|l| l.path.starts_with("/.well-known")).expect("acme");
    assert_eq!(acme.policy.filters.basic_auth(), None, "no-auth-locations");
    // The line without `:` is reported on the Secret (beside the hashes' own diagnostics).
    let line =
        compiled.diagnostics.iter().find(|d| d.field.as_deref() == Some("data.auth (line 6)"));
    let d = line.unwrap_or_else(|| panic!("{:?}", messages(&compiled)));
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.object.as_ref().map(|o| o.to_string()).as_deref(), Some("Secret default/basic"));
    assert_eq!(d.field.as_deref(), Some("data.auth (line 6)"));
}

#[test]
fn auth_map_users() {
    let mut world = world();
    world.secret("default", "map", &[("foo", "$apr1$a\n"), ("bar", "$2y$b")]);
    world.ingress(protected("map").nginx("auth-secret-type", "auth-map"));
    let api = api(&world);
    let auth = api.policy.filters.basic_auth().expect("auth");
    assert_eq!(
        auth.users,
        HashMap::from([
            ("bar".to_string(), "$2y$b".to_string()),
            ("foo".to_string(), "$apr1$a".to_string())
        ])
    );
}

#[test]
fn secret_version_follows_the_content() {
    let version = |content: &str| {
        let mut world = world();
        world.secret("default", "basic", &[("auth", content)]);
        world.ingress(protected("basic"));
        api(&world).policy.filters.basic_auth().expect("auth").secret_version.clone()
    };
    assert_eq!(version("foo:x"), version("foo:x"));
    assert_ne!(version("foo:x"), version("foo:y"));
}

/// (secret reference, secrets present as (ns, name, key), allow cross-namespace) → denial
/// reason fragment.
type Denial =
    (&'static str, &'static [(&'static str, &'static str, &'static str)], bool, &'static str);

#[test]
fn denials() {
    let cases: [Denial; 5] = [
        ("missing", &[], false, "secret default/missing not found"),
        ("basic", &[("default", "basic", "other-key")], false, "has no key \"auth\""),
        ("other/basic", &[("other", "basic", "auth")], false, "another namespace"),
        ("other/missing", &[], true, "secret other/missing not found"),
        ("", &[], false, "auth-secret annotation is missing"),
    ];
    for (reference, secrets, allow, reason) in cases {
        let mut world = world();
        for (ns, name, key) in secrets {
            world.secret(ns, name, &[(key, "foo:bar")]);
        }
        let mut ing = protected(reference);
        if reference.is_empty() {
            ing = ingress("default", "web")
                .nginx("auth-type", "basic")
                .rule("h.io", &[("/api", "Prefix", "a", Port::N(80))]);
        }
        world.ingress(ing);
        if allow {
            let mut data = std::collections::BTreeMap::new();
            data.insert("allow-cross-namespace-resources".to_string(), "true".to_string());
            let cm =
                k8s_openapi::api::core::v1::ConfigMap { data: Some(data), ..Default::default() };
            let key = portico_store::ObjectKey::new("ingress", "portico");
            world.objects.config_maps.insert(key.clone(), portico_store::Sourced::new(cm, None));
            world.options = Some(crate::Options { configmap: Some(key), ..options() });
        }
        let compiled = world.compile();
        for location in &server(&compiled, "h.io").locations {
            let denied = location.policy.denied.as_deref().unwrap_or_default();
            assert!(denied.contains(reason), "{reference}: {} denied {denied:?}", location.path);
            assert_eq!(location.policy.filters.basic_auth(), None);
        }
        let errors: Vec<_> = compiled.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert_eq!(errors.len(), 1, "{reference}: {:?}", messages(&compiled));
        assert!(errors[0].message.contains(reason), "{}", errors[0]);
        assert_eq!(errors[0].object.as_ref().map(|o| o.name.as_str()), Some("web"));
    }
}

#[test]
fn denial_covers_only_its_ingress() {
    let mut world = world();
    world.ingress(protected("missing").created(1));
    world.ingress(
        ingress("default", "open")
            .created(2)
            .rule("h.io", &[("/open", "Prefix", "a", Port::N(80))]),
    );
    let compiled = world.compile();
    let server = server(&compiled, "h.io");
    let open = server.locations.iter().find(|l| l.path == "/open").expect("/open");
    assert_eq!(open.policy.denied, None);
    let root = server.locations.iter().find(|l| l.implicit).expect("root");
    assert!(root.policy.denied.is_some(), "the implicit root carries the first Ingress's denial");
}

#[test]
fn external_auth_skips_no_auth_locations() {
    let mut world = world();
    world.ingress(ingress("default", "web").nginx("auth-url", "http://auth.example/check").rule(
        "h.io",
        &[
            ("/api", "Prefix", "a", Port::N(80)),
            ("/.well-known/acme-challenge", "Prefix", "a", Port::N(80)),
        ],
    ));
    let compiled = world.compile();
    let server = server(&compiled, "h.io");
    let api = server.locations.iter().find(|l| l.path == "/api").expect("/api");
    assert!(api.policy.filters.external_auth().is_some());
    let acme = server.locations.iter().find(|l| l.path.starts_with("/.well-known")).expect("acme");
    assert!(acme.policy.filters.external_auth().is_none(), "no-auth-locations");
}
