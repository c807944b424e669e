//! Header ConfigMaps: `add-headers` / `proxy-set-headers` read into the global settings, and
//! the `custom-headers` annotation (allowed keys only, else the Ingress's paths are denied).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::ConfigMap;
use portico_model::{Filter, HeaderEdit};
use portico_store::{ObjectKey, Sourced};

use super::fixtures::{ingress, options, Port, World};
use super::{one_diagnostic, server};

fn configmap(world: &mut World, namespace: &str, name: &str, data: &[(&str, &str)]) {
    let data: BTreeMap<String, String> =
        data.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let cm = ConfigMap { data: Some(data), ..Default::default() };
    world.objects.config_maps.insert(ObjectKey::new(namespace, name), Sourced::new(cm, None));
}

fn world() -> World {
    let mut world = World::new();
    world.backend("default", "web", "10.0.0.1");
    let mut opts = options();
    opts.configmap = Some(ObjectKey::new("ingress", "portico"));
    world.options = Some(opts);
    world
}

#[test]
fn global_header_configmaps_are_read() {
    let mut world = world();
    configmap(
        &mut world,
        "ingress",
        "portico",
        &[("add-headers", "ingress/add"), ("proxy-set-headers", "ingress/missing")],
    );
    configmap(&mut world, "ingress", "add", &[("X-A", "1"), ("bad name", "2")]);
    let compiled = world.compile();
    let add = &compiled.table.global.headers.add;
    assert_eq!(add.len(), 1);
    assert_eq!((add[0].0.as_str(), add[0].1.to_str().unwrap()), ("x-a", "1"));
    one_diagnostic(&compiled, "invalid header name \"bad name\"");
    one_diagnostic(&compiled, "ConfigMap ingress/missing (proxy-set-headers) not found");
}

#[test]
fn custom_headers_need_every_key_allowed() {
    let mut world = world();
    configmap(&mut world, "ingress", "portico", &[("global-allowed-response-headers", "X-A")]);
    configmap(&mut world, "default", "ok", &[("X-A", "1")]);
    configmap(&mut world, "default", "extra", &[("X-A", "1"), ("X-B", "2")]);
    configmap(&mut world, "default", "ctl", &[("X-A", "bad\u{7f}")]);
    for (name, cm) in [("ok", "ok"), ("extra", "default/extra"), ("ctl", "ctl"), ("gone", "gone")] {
        world.ingress(
            ingress("default", name)
                .nginx("custom-headers", cm)
                .rule(&format!("{name}.com"), &[("/", "Prefix", "web", Port::N(80))]),
        );
    }
    let compiled = world.compile();
    let policy = &server(&compiled, "ok.com").locations[0].policy;
    assert!(policy.denied.is_none());
    let edits = policy.filters.iter().find_map(|f| match f {
        Filter::ResponseHeaders(edits) => Some(edits.to_vec()),
        _ => None,
    });
    assert!(matches!(edits.as_deref(), Some([HeaderEdit::Set { .. }])), "{edits:?}");
    for host in ["extra.com", "ctl.com", "gone.com"] {
        assert!(server(&compiled, host).locations[0].policy.denied.is_some(), "{host}");
    }
    one_diagnostic(&compiled, "header X-B of ConfigMap default/extra is not allowed");
    one_diagnostic(&compiled, "invalid header value of X-A");
    one_diagnostic(&compiled, "unable to find ConfigMap default/gone");
}
