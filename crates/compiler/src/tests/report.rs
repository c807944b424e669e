//! The migration report's facts: each Ingress's standing (worst first) and the annotations
//! that differ from ingress-nginx, grouped with their users.

use portico_annotations::Support;
use portico_model::{Diagnostic, ObjectRef};

use super::fixtures::{ingress, options, Port, World, PREFIX};
use crate::{migration, Migration, Standing};

fn report(world: &World, extra: &[Diagnostic]) -> Migration {
    let compiled = world.compile();
    let mut diagnostics = compiled.diagnostics.clone();
    diagnostics.extend_from_slice(extra);
    let options = world.options.clone().unwrap_or_else(options);
    migration(&world.objects, &options, &compiled.table, &compiled.not_loaded, &diagnostics)
}

fn standing(migration: &Migration, name: &str) -> Standing {
    let found = migration.ingresses.iter().find(|i| i.object.name == name);
    found.unwrap_or_else(|| panic!("no {name} in {migration:#?}")).standing
}

fn site(name: &str, host: &str) -> super::fixtures::IngressBuilder {
    ingress("default", name).rule(host, &[("/", "Prefix", "app", Port::N(80))])
}

#[test]
fn each_ingress_gets_its_worst_standing() {
    let mut world = World::new();
    world.backend("default", "app", "10.0.0.1");
    world.ingress(site("clean", "a.io"));
    world.ingress(site("ignored", "b.io").nginx("fastcgi-index", "index.php"));
    world.ingress(site("denied", "c.io").nginx("global-rate-limit", "10"));
    world.ingress(site("invalid", "d.io").nginx("upstream-hash-by", "bad value!"));
    world.ingress(site("inert", "e.io").nginx("auth-keepalive-timeout", "60"));
    world.ingress(site("theirs", "f.io").class(Some("nginx")).nginx("fastcgi-index", "index.php"));
    let migration = report(&world, &[]);

    assert_eq!(migration.ingresses.len(), 5, "other classes are not ours: {migration:#?}");
    assert_eq!(standing(&migration, "clean"), Standing::Supported);
    // Without auth-url it warns that it does nothing; it never makes the Ingress differ.
    assert_eq!(standing(&migration, "inert"), Standing::Warnings);
    assert_eq!(standing(&migration, "ignored"), Standing::Warnings);
    assert_eq!(standing(&migration, "denied"), Standing::Denied);
    assert_eq!(standing(&migration, "invalid"), Standing::NotLoaded);
    assert_eq!(migration.count(Standing::Supported), 1);

    let differing: Vec<&str> = migration.differing().iter().map(|o| o.name.as_str()).collect();
    assert_eq!(differing, ["ignored"]);
}

#[test]
fn annotations_are_grouped_by_standing_with_their_users() {
    let mut world = World::new();
    world.backend("default", "app", "10.0.0.1");
    world.ingress(site("a", "a.io").nginx("fastcgi-index", "index.php"));
    world.ingress(site("b", "b.io").nginx("fastcgi-index", "1").nginx("rewrite-targt", "/"));
    world.ingress(site("c", "c.io").nginx("auth-keepalive-requests", "10"));
    let migration = report(&world, &[]);
    let line = |support: Support| {
        let found = migration.annotations.iter().filter(|a| a.support == support);
        let found = found.map(|a| {
            let users: Vec<&str> = a.ingresses.iter().map(|o| o.name.as_str()).collect();
            format!("{} {}", a.key, users.join(","))
        });
        found.collect::<Vec<_>>()
    };
    assert_eq!(line(Support::Ignored), [format!("{PREFIX}/fastcgi-index a,b")]);
    assert_eq!(line(Support::Unknown), [format!("{PREFIX}/rewrite-targt b")]);
    assert_eq!(
        line(Support::AcceptedWithoutEffect),
        [format!("{PREFIX}/auth-keepalive-requests c")]
    );
}

#[test]
fn a_router_error_naming_the_ingress_counts() {
    let mut world = World::new();
    world.backend("default", "app", "10.0.0.1");
    world.ingress(site("a", "a.io"));
    let error = Diagnostic::error("regex does not compile")
        .with_object(ObjectRef::new("Ingress", "default", "a"));
    assert_eq!(standing(&report(&world, &[error]), "a"), Standing::Errors);
}

#[test]
fn configmap_keys_portico_does_not_read_make_it_differ() {
    let mut world = World::new();
    world.backend("default", "app", "10.0.0.1");
    world.ingress(site("a", "a.io"));
    assert!(!report(&world, &[]).differs());
    let data = [("enable-underscores-in-headers", "true"), ("ssl-redirect", "false")];
    let data = data.into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let cm = k8s_openapi::api::core::v1::ConfigMap { data: Some(data), ..Default::default() };
    let key = portico_store::ObjectKey::new("ingress", "portico");
    world.objects.config_maps.insert(key.clone(), portico_store::Sourced::new(cm, None));
    world.options = Some(crate::Options { configmap: Some(key), ..options() });
    let migration = report(&world, &[]);
    assert_eq!(migration.unsupported_config_keys, ["enable-underscores-in-headers"]);
    assert!(migration.differs() && migration.differing().is_empty());
}
