//! `ssl-passthrough`: the oldest Ingress of a host decides, the `/` location gives the backend,
//! only with `--enable-ssl-passthrough`; every case that does not pass through says why.

use portico_model::Severity;

use super::fixtures::{ingress, options, IngressBuilder, Port, World};
use super::{messages, one_diagnostic, server};
use crate::Options;

fn with_flag(enabled: bool) -> World {
    let mut world = World::new();
    world.backend("default", "tls", "10.0.0.1");
    world.backend("default", "web", "10.0.0.2");
    world.options = Some(Options { enable_ssl_passthrough: enabled, ..options() });
    world
}

fn passing(name: &str, host: &str, path: &str) -> IngressBuilder {
    ingress("default", name)
        .nginx("ssl-passthrough", "true")
        .rule(host, &[(path, "Prefix", "tls", Port::N(80))])
}

fn passthrough_backend(compiled: &crate::Compiled, host: &str) -> Option<String> {
    let id = server(compiled, host).passthrough?;
    compiled.table.backend(id).map(|b| b.name.clone())
}

#[test]
fn the_root_backend_of_a_passthrough_host_is_marked() {
    let mut world = with_flag(true);
    world.ingress(passing("pass", "p.io", "/"));
    world.ingress(ingress("default", "other").rule("o.io", &[("/", "Prefix", "web", Port::N(80))]));
    let compiled = world.compile();
    assert_eq!(passthrough_backend(&compiled, "p.io").as_deref(), Some("default-tls-80"));
    assert_eq!(passthrough_backend(&compiled, "o.io"), None);
    assert!(compiled.diagnostics.is_empty(), "{:#?}", messages(&compiled));
}

#[test]
fn without_the_flag_it_is_a_warning_and_nothing_passes() {
    let mut world = with_flag(false);
    world.ingress(passing("pass", "p.io", "/"));
    let compiled = world.compile();
    assert_eq!(passthrough_backend(&compiled, "p.io"), None);
    let d = one_diagnostic(&compiled, "--enable-ssl-passthrough");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.object.as_ref().map(ToString::to_string).as_deref(), Some("Ingress default/pass"));
    assert!(d.field.as_deref().is_some_and(|f| f.contains("ssl-passthrough")), "{d}");
}

#[test]
fn a_host_without_a_root_backend_is_terminated_with_a_warning() {
    let mut world = with_flag(true);
    world.ingress(passing("pass", "p.io", "/app"));
    let compiled = world.compile();
    assert_eq!(passthrough_backend(&compiled, "p.io"), None);
    one_diagnostic(&compiled, "no backend for path /");
}

#[test]
fn the_oldest_ingress_of_the_host_decides() {
    let mut world = with_flag(true);
    world.ingress(
        ingress("default", "old")
            .created(1)
            .rule("p.io", &[("/old", "Prefix", "web", Port::N(80))]),
    );
    world.ingress(passing("new", "p.io", "/").created(2));
    let compiled = world.compile();
    assert_eq!(passthrough_backend(&compiled, "p.io"), None);
    let d = one_diagnostic(&compiled, "oldest Ingress of the host");
    assert_eq!(d.object.as_ref().map(ToString::to_string).as_deref(), Some("Ingress default/new"));

    let mut second = with_flag(true);
    second.ingress(passing("old", "p.io", "/").created(1));
    second.ingress(
        ingress("default", "new")
            .created(2)
            .rule("p.io", &[("/new", "Prefix", "web", Port::N(80))]),
    );
    let compiled = second.compile();
    assert_eq!(passthrough_backend(&compiled, "p.io").as_deref(), Some("default-tls-80"));
}

#[test]
fn wildcard_hosts_never_pass_through() {
    let mut world = with_flag(true);
    world.ingress(passing("pass", "*.p.io", "/"));
    let compiled = world.compile();
    assert_eq!(passthrough_backend(&compiled, "*.p.io"), None);
    one_diagnostic(&compiled, "wildcard host *.p.io");
}
