//! Balancing of shared backends (ingress-nginx `createUpstreams`): first Ingress fixes hashing,
//! affinity mode is the first one set, cookie settings the last, cookies set per Ingress.

use portico_model::{AffinityMode, HashPart, HashVar, ObjectRef};

use super::fixtures::{ingress, Port, World};
use crate::Compiled;

fn world() -> World {
    let mut world = World::new();
    world.backend("default", "svc", "10.0.0.1");
    world
}

fn backend(compiled: &Compiled) -> &portico_model::Backend {
    assert_eq!(compiled.table.backends.len(), 1, "{:?}", compiled.table.backends);
    &compiled.table.backends[0]
}

#[test]
fn the_first_ingress_fixes_hashing() {
    let mut world = world();
    world.ingress(
        ingress("default", "old")
            .created(1)
            .nginx("upstream-hash-by", "$request_uri")
            .rule("a.io", &[("/", "Prefix", "svc", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "new")
            .created(2)
            .nginx("upstream-hash-by", "$host")
            .rule("b.io", &[("/", "Prefix", "svc", Port::N(80))]),
    );
    let compiled = world.compile();
    let hash_by = backend(&compiled).balancing.hash_by.as_ref().expect("hashing");
    assert_eq!(hash_by.parts, [HashPart::Var(HashVar::RequestUri)]);
    assert!(backend(&compiled).balancing.affinity.is_none());
}

#[test]
fn affinity_merges_over_the_ingresses_of_a_backend() {
    let mut world = world();
    world.ingress(
        ingress("default", "a")
            .created(1)
            .nginx("affinity-mode", "persistent")
            .rule("a.io", &[("/", "Prefix", "svc", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "b")
            .created(2)
            .nginx("affinity", "cookie")
            .nginx("session-cookie-name", "FIRST")
            .rule("b.io", &[("/", "Prefix", "svc", Port::N(80))]),
    );
    world.ingress(
        ingress("default", "c")
            .created(3)
            .nginx("affinity", "cookie")
            .nginx("affinity-mode", "balanced")
            .nginx("session-cookie-name", "LAST")
            .rule("c.io", &[("/", "Prefix", "svc", Port::N(80))]),
    );
    let compiled = world.compile();
    let affinity = backend(&compiled).balancing.affinity.as_ref().expect("affinity");
    assert_eq!(affinity.mode, AffinityMode::Persistent);
    assert_eq!(affinity.cookie.name, "LAST");
    let names: Vec<&str> = affinity.ingresses.iter().map(|o: &ObjectRef| o.name.as_str()).collect();
    assert_eq!(names, ["b", "c"]);
}
