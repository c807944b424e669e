//! `ssl-ciphers` / `ssl-prefer-server-ciphers`: host-wide, the oldest Ingress of the host with
//! a value decides each, later ones asking otherwise are warned; rules without host set the
//! `_` server's.

use portico_model::Severity;

use super::fixtures::{ingress, IngressBuilder, Port, World};
use super::{messages, one_diagnostic, server};

const CHACHA: &str = "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256";
const AES: &str = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";

fn site(name: &str, host: &str, created: i64) -> IngressBuilder {
    ingress("default", name).created(created).rule(host, &[("/", "Prefix", "app", Port::N(80))])
}

fn world() -> World {
    let mut world = World::new();
    world.backend("default", "app", "10.0.0.1");
    world
}

#[test]
fn the_oldest_ingress_of_the_host_decides_each_setting() {
    let mut world = world();
    world.ingress(site("newer", "a.io", 20).nginx("ssl-ciphers", "ECDHE-RSA-AES128-GCM-SHA256"));
    world.ingress(
        site("older", "a.io", 10)
            .nginx("ssl-ciphers", "ECDHE-RSA-CHACHA20-POLY1305")
            .nginx("ssl-prefer-server-ciphers", "true"),
    );
    world.ingress(site("same", "a.io", 30).nginx("ssl-ciphers", "ECDHE-RSA-CHACHA20-POLY1305"));
    world.ingress(site("other", "b.io", 5).nginx("ssl-prefer-server-ciphers", "false"));
    let compiled = world.compile();
    let a = &server(&compiled, "a.io").tls;
    assert_eq!(a.tls12_suites.as_deref(), Some(&[CHACHA.to_string()][..]));
    assert_eq!(a.prefer_server_ciphers, Some(true));
    let b = &server(&compiled, "b.io").tls;
    assert_eq!((b.tls12_suites.as_ref(), b.prefer_server_ciphers), (None, Some(false)));
    assert!(server(&compiled, "_").tls.is_default());
    let d = one_diagnostic(&compiled, "ssl-ciphers ignored for host a.io");
    assert_eq!(d.severity, Severity::Warning);
    assert_eq!(d.object.as_ref().map(|o| o.name.as_str()), Some("newer"));
    assert!(d.message.contains("default/older"), "{d}");
    let about_tls = compiled.diagnostics.iter().filter(|d| d.message.contains("ssl-")).count();
    assert_eq!(about_tls, 1, "an equal value is not warned: {:#?}", messages(&compiled));
}

#[test]
fn rules_without_host_set_the_default_server_s() {
    let mut world = world();
    let hostless = ingress("default", "catch")
        .nginx("ssl-ciphers", "ECDHE-RSA-AES128-GCM-SHA256")
        .raw_rule(k8s_openapi::api::networking::v1::IngressRule {
            host: None,
            http: Some(k8s_openapi::api::networking::v1::HTTPIngressRuleValue {
                paths: vec![k8s_openapi::api::networking::v1::HTTPIngressPath {
                    path: Some("/".into()),
                    path_type: "Prefix".into(),
                    backend: super::fixtures::backend("app", Port::N(80)),
                }],
            }),
        });
    world.ingress(hostless);
    let compiled = world.compile();
    let default = &server(&compiled, "_").tls;
    assert_eq!(default.tls12_suites.as_deref(), Some(&[AES.to_string()][..]));
    assert!(compiled
        .table
        .to_string()
        .contains("[ssl-ciphers TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]"));
}

#[test]
fn canaries_do_not_set_them() {
    let mut world = world();
    world.ingress(site("main", "a.io", 10));
    world.ingress(
        site("canary", "a.io", 5)
            .nginx("canary", "true")
            .nginx("canary-weight", "10")
            .nginx("ssl-ciphers", "ECDHE-RSA-AES128-GCM-SHA256"),
    );
    let compiled = world.compile();
    assert!(server(&compiled, "a.io").tls.is_default(), "{:#?}", messages(&compiled));
}
