//! Across builds: last good versions, determinism, global config, scale.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use portico_store::{ObjectKey, Sourced};

use super::fixtures::{ingress, options, Port, World};
use super::{messages, one_diagnostic, routes};
use crate::Compiler;

fn world() -> World {
    let mut world = World::new();
    world.backend("default", "a", "10.0.0.1");
    world.backend("default", "b", "10.0.0.2");
    world
}

#[test]
fn invalid_ingress_keeps_its_last_good_version() {
    let mut world = world();
    world.ingress(ingress("default", "web").rule("h.io", &[("/v1", "Prefix", "a", Port::N(80))]));
    world.ingress(ingress("default", "other").rule("o.io", &[("/", "Prefix", "a", Port::N(80))]));
    let mut compiler = Compiler::new(options());
    let first = compiler.compile(&world.objects);
    assert_eq!(routes(&first, "h.io")[0], "Prefix /v1 -> default-a-80 (web)");

    // auth-type fails validation (case-sensitive): the Ingress is not loaded.
    world.ingress(
        ingress("default", "web")
            .nginx("auth-type", "Basic")
            .rule("h.io", &[("/v2", "Prefix", "b", Port::N(80))]),
    );
    world.ingress(ingress("default", "other").rule("o.io", &[("/", "Prefix", "b", Port::N(80))]));
    let second = compiler.compile(&world.objects);
    assert_eq!(routes(&second, "h.io")[0], "Prefix /v1 -> default-a-80 (web)", "last good");
    assert_eq!(routes(&second, "o.io")[0], "Prefix / -> default-b-80 (other)", "others update");
    let d = one_diagnostic(&second, "last good version keeps serving");
    assert!(d.is_error());
    assert_eq!(d.file.as_deref(), Some("web.yaml"));
    assert_eq!(second.stats.ingresses_retained, 1);
    assert_eq!(second.stats.ingresses_loaded, 1);

    // Still bad: still the last good one. Fixed: the new version.
    let third = compiler.compile(&world.objects);
    assert_eq!(routes(&third, "h.io")[0], "Prefix /v1 -> default-a-80 (web)");
    world.ingress(ingress("default", "web").rule("h.io", &[("/v3", "Prefix", "b", Port::N(80))]));
    let fourth = compiler.compile(&world.objects);
    assert_eq!(routes(&fourth, "h.io")[0], "Prefix /v3 -> default-b-80 (web)");
}

#[test]
fn invalid_ingress_without_history_is_not_served() {
    let mut world = world();
    world.ingress(
        ingress("default", "web")
            .nginx("auth-type", "Basic")
            .rule("h.io", &[("/", "Prefix", "a", Port::N(80))]),
    );
    let compiled = world.compile();
    assert!(compiled.table.servers.is_empty());
    one_diagnostic(&compiled, "invalid annotations: the Ingress is not loaded");
    assert_eq!(compiled.stats.ingresses_rejected, 1);
}

#[test]
fn deleted_ingress_is_forgotten() {
    let mut world = world();
    world.ingress(ingress("default", "web").rule("h.io", &[("/v1", "Prefix", "a", Port::N(80))]));
    let mut compiler = Compiler::new(options());
    compiler.compile(&world.objects);
    world.objects.ingresses.clear();
    assert!(compiler.compile(&world.objects).table.servers.is_empty());
    world.ingress(ingress("default", "web").nginx("auth-type", "Basic").rule("h.io", &[]));
    let compiled = compiler.compile(&world.objects);
    assert!(compiled.table.servers.is_empty(), "no resurrection of a deleted version");
}

#[test]
fn output_is_deterministic() {
    let mut world = world();
    for i in 0..50 {
        world.ingress(
            ingress(&format!("ns{}", i % 3), &format!("ing{i}"))
                .created(i64::from(i % 7))
                .rule(
                    &format!("h{}.io", i % 5),
                    &[
                        ("/x", "Prefix", "a", Port::N(80)),
                        (&format!("/p{i}"), "Exact", "gone", Port::N(80)),
                    ],
                )
                .rule("", &[("/x", "Prefix", "b", Port::Name("http"))]),
        );
    }
    let first = world.compile();
    let second = Compiler::new(options()).compile(&world.objects.clone());
    assert_eq!(first.table, second.table);
    assert_eq!(first.diagnostics, second.diagnostics);
    assert!(!first.diagnostics.is_empty());
}

#[test]
fn configmap_settings_and_diagnostics() {
    let mut world = world();
    world.ingress(ingress("default", "web").rule("h.io", &[("/", "Prefix", "a", Port::N(80))]));
    let key = ObjectKey::new("ingress", "portico");
    world.options = Some(crate::Options { configmap: Some(key.clone()), ..options() });
    let missing = world.compile();
    let d = one_diagnostic(&missing, "not found");
    assert_eq!(
        d.object.as_ref().map(|o| o.to_string()).as_deref(),
        Some("ConfigMap ingress/portico")
    );

    let data = BTreeMap::from([
        ("load-balance".to_string(), "lc".to_string()),
        ("http-redirect-code".to_string(), "299".to_string()),
    ]);
    let cm = ConfigMap { data: Some(data), ..Default::default() };
    world.objects.config_maps.insert(key, Sourced::new(cm, Some("cm.yaml".to_string())));
    let compiled = world.compile();
    assert_eq!(compiled.table.global.load_balance, portico_model::LbAlgorithm::LeastConnections);
    assert_eq!(compiled.table.backends[0].algorithm, portico_model::LbAlgorithm::LeastConnections);
    assert!(!compiled.diagnostics.is_empty(), "an invalid http-redirect-code is reported");
    for d in &compiled.diagnostics {
        assert_eq!(
            d.object.as_ref().map(|o| o.to_string()).as_deref(),
            Some("ConfigMap ingress/portico")
        );
        assert_eq!(d.file.as_deref(), Some("cm.yaml"), "{}", d);
    }
}

#[test]
fn many_ingresses() {
    let mut world = World::new();
    for s in 0..500 {
        world.backend(
            &format!("ns{}", s % 10),
            &format!("svc{s}"),
            &format!("10.0.{}.{}", s / 250, s % 250),
        );
    }
    for i in 0..5_000 {
        let s = i % 500;
        world.ingress(
            ingress(&format!("ns{}", s % 10), &format!("ing{i}")).created(i64::from(i)).rule(
                &format!("h{}.example.com", i % 1000),
                &[(&format!("/p{i}"), "Prefix", &format!("svc{s}"), Port::N(80))],
            ),
        );
    }
    let compiled = world.compile();
    assert!(compiled.diagnostics.is_empty(), "{:?}", &messages(&compiled)[..3]);
    assert_eq!(compiled.table.servers.len(), 1000);
    assert_eq!(compiled.table.backends.len(), 500);
    assert_eq!(compiled.stats.ingresses_loaded, 5_000);
    assert!(compiled.table.backends.iter().all(|b| b.endpoints.len() == 1));
}
