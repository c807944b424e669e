//! Host-level redirect features and default backends through whole builds:
//! `from-to-www-redirect` twins, `server-alias`, `default-backend`, `custom-http-errors`.

use portico_model::Target;

use super::fixtures::{ingress, service, Port, World};
use super::{one_diagnostic, routes, server};

const WEB: (&str, &str, &str, Port) = ("/", "Prefix", "web", Port::N(80));

#[test]
fn www_twins_are_added_unless_the_name_is_a_host() {
    let mut world = World::new();
    world.backend("default", "web", "10.0.0.1");
    world.ingress(
        ingress("default", "a")
            .nginx("from-to-www-redirect", "true")
            .rule("a.com", &[WEB])
            .rule("www.b.com", &[WEB])
            .rule("c.com", &[WEB]),
    );
    world.ingress(ingress("default", "c").rule("www.c.com", &[WEB]));
    let compiled = world.compile();
    let hosts: Vec<String> = compiled.table.servers.iter().map(|s| s.host.to_string()).collect();
    assert_eq!(hosts, ["a.com", "b.com", "c.com", "www.a.com", "www.b.com", "www.c.com"]);
    assert_eq!(server(&compiled, "www.a.com").redirect_to.as_deref(), Some("a.com"));
    assert_eq!(server(&compiled, "b.com").redirect_to.as_deref(), Some("www.b.com"));
    assert!(server(&compiled, "b.com").locations.is_empty());
    assert_eq!(server(&compiled, "www.c.com").redirect_to, None, "an Ingress host stays one");
    one_diagnostic(&compiled, "www.c.com is already an Ingress host");
}

#[test]
fn aliases_come_from_the_first_ingress_and_never_take_a_host() {
    let mut world = World::new();
    world.backend("default", "web", "10.0.0.1");
    world.ingress(
        ingress("default", "first")
            .created(1)
            .nginx("server-alias", "x.com, b.com, A.com")
            .rule("a.com", &[WEB]),
    );
    world.ingress(
        ingress("default", "later")
            .created(2)
            .nginx("server-alias", "y.com")
            .rule("a.com", &[("/y", "Prefix", "web", Port::N(80))])
            .rule("b.com", &[WEB]),
    );
    let compiled = world.compile();
    assert_eq!(server(&compiled, "a.com").aliases, ["x.com"], "own host and b.com dropped");
    assert_eq!(server(&compiled, "b.com").aliases, ["y.com"]);
    one_diagnostic(&compiled, "server-alias \"b.com\" of host a.com");
}

#[test]
fn default_backend_serves_locations_without_endpoints() {
    let mut world = World::new();
    world.backend("default", "web", "10.0.0.1");
    world.backend("default", "errors", "10.0.0.2");
    world.service(service("default", "empty").port("http", 80, 8080));
    world.ingress(
        ingress("default", "down")
            .nginx("default-backend", "errors")
            .nginx("custom-http-errors", "404")
            .rule("down.com", &[("/", "Prefix", "empty", Port::N(80))])
            .rule("up.com", &[WEB]),
    );
    world.ingress(
        ingress("default", "missing")
            .nginx("default-backend", "nowhere")
            .rule("missing.com", &[("/", "Prefix", "empty", Port::N(80))]),
    );
    let compiled = world.compile();
    assert_eq!(
        routes(&compiled, "down.com"),
        ["Prefix / -> custom-default-backend-default-errors (down)"]
    );
    assert_eq!(routes(&compiled, "up.com"), ["Prefix / -> default-web-80 (down)"]);
    assert_eq!(routes(&compiled, "missing.com"), ["Prefix / -> default-empty-80 (missing)"]);
    let d =
        one_diagnostic(&compiled, "default-backend \"nowhere\": service default/nowhere not found");
    assert!(d.field.as_deref().is_some_and(|f| f.ends_with("/default-backend\"]")), "{d:?}");
    let location = &server(&compiled, "up.com").locations[0];
    let errors = location.policy.filters.custom_errors().unwrap();
    assert_eq!(errors.codes, [404]);
    assert!(matches!(errors.target, Target::Backend(_)), "the default-backend Service");
    assert_eq!((errors.service.as_str(), errors.port.as_str()), ("web", "80"));
    assert_eq!((errors.namespace.as_str(), errors.ingress.as_str()), ("default", "down"));
}
