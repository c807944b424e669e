//! `service-upstream`: the ClusterIP endpoint, fixed by the oldest Ingress using the backend.

use portico_model::{Endpoint, Target};

use super::fixtures::{ingress, service, slice, IngressBuilder, Port, World};
use super::{messages, server};
use crate::Compiled;

fn world(cluster_ip: &str) -> World {
    let mut world = World::new();
    world.service(service("default", "svc").cluster_ip(cluster_ip).port("http", 80, 8080));
    world.slice(slice("default", "svc-1", "svc").port("http", 8080).ready("10.0.0.1"));
    world
}

fn web(name: &str, host: &str, created: i64) -> IngressBuilder {
    ingress("default", name).created(created).rule(host, &[("/", "Prefix", "svc", Port::N(80))])
}

fn endpoints(compiled: &Compiled, host: &str) -> Vec<String> {
    let Target::Backend(id) = server(compiled, host).locations[0].target() else { panic!() };
    let backend = compiled.table.backend(id).unwrap();
    backend.endpoints.iter().map(Endpoint::to_string).collect()
}

#[test]
fn the_oldest_ingress_decides() {
    let mut world = world("10.96.0.10");
    world.ingress(web("first", "a.io", 1).nginx("service-upstream", "true"));
    world.ingress(web("second", "b.io", 2));
    let compiled = world.compile();
    assert_eq!(endpoints(&compiled, "a.io"), ["10.96.0.10:80"]);
    assert_eq!(endpoints(&compiled, "b.io"), ["10.96.0.10:80"], "one backend, first one wins");

    let mut world = self::world("10.96.0.10");
    world.ingress(web("first", "a.io", 1));
    world.ingress(web("second", "b.io", 2).nginx("service-upstream", "true"));
    assert_eq!(endpoints(&world.compile(), "b.io"), ["10.0.0.1:8080"]);
}

#[test]
fn without_a_cluster_ip_the_endpoints_are_used_with_a_warning() {
    let mut world = world("None");
    world.ingress(web("first", "a.io", 1).nginx("service-upstream", "true"));
    let compiled = world.compile();
    assert_eq!(endpoints(&compiled, "a.io"), ["10.0.0.1:8080"]);
    assert!(
        messages(&compiled).iter().any(|m| m.contains("has no ClusterIP")),
        "{:?}",
        messages(&compiled)
    );
}
