//! `auth-tls-*`: the CA Secret read per Ingress, the settings set host-wide (oldest Ingress of
//! the host wins), and every way it cannot be honoured denying the whole host.

use portico_model::{Filter, Severity, VerifyClient};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

use super::fixtures::{ingress, IngressBuilder, Port, World};
use super::{messages, server};

fn ca_pem() -> String {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.self_signed(&KeyPair::generate().unwrap()).unwrap().pem()
}

fn world() -> World {
    let mut world = World::new();
    world.backend("default", "a", "10.0.0.1");
    world
}

fn web(name: &str, path: &str, created: i64) -> IngressBuilder {
    ingress("default", name).created(created).rule("h.io", &[(path, "Prefix", "a", Port::N(80))])
}

#[test]
fn the_oldest_ingress_sets_the_host_and_every_location_checks() {
    let mut world = world();
    world.secret("default", "ca", &[("ca.crt", &ca_pem())]);
    world.ingress(
        web("secure", "/secure", 2)
            .nginx("auth-tls-secret", "default/ca")
            .nginx("auth-tls-verify-client", "optional"),
    );
    world.ingress(web("plain", "/plain", 1));
    world.ingress(web("later", "/later", 3).nginx("auth-tls-secret", "default/ca"));
    let compiled = world.compile();
    let server = server(&compiled, "h.io");
    let auth = server.client_auth.as_ref().expect("host-wide client auth");
    assert_eq!((auth.verify, auth.depth), (VerifyClient::Optional, 1));
    assert_eq!(auth.secret.to_string(), "Secret default/ca");
    for location in &server.locations {
        let filter = location.policy.filters.client_auth();
        assert!(filter.is_some_and(|f| f == auth), "{} checks the certificate", location.path);
        assert!(location.policy.denied.is_none(), "{}", location.path);
    }
    assert!(
        compiled.diagnostics.iter().all(|d| d.severity != Severity::Error),
        "{:?}",
        messages(&compiled)
    );
}

#[test]
fn an_unusable_ca_denies_the_whole_host() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("default/missing", &[]),
        ("default/no-ca", &[("tls.crt", "x")]),
        ("default/garbage", &[("ca.crt", "not a certificate")]),
        ("other/ca", &[]),
    ];
    for (secret, data) in cases {
        let mut world = world();
        let (namespace, name) = secret.split_once('/').unwrap();
        if !data.is_empty() {
            world.secret(namespace, name, data);
        }
        world.secret("other", "ca", &[("ca.crt", &ca_pem())]);
        world.ingress(web("secure", "/secure", 1).nginx("auth-tls-secret", secret));
        world.ingress(web("plain", "/plain", 2));
        world.ingress(
            ingress("default", "elsewhere").rule("o.io", &[("/", "Prefix", "a", Port::N(80))]),
        );
        let compiled = world.compile();
        let h = server(&compiled, "h.io");
        assert!(h.client_auth.is_none(), "{secret}");
        for location in &h.locations {
            let reason = location.policy.denied.as_deref().unwrap_or_else(|| {
                panic!("{secret}: {} must be denied", location.path);
            });
            assert!(reason.contains("auth-tls"), "{reason}");
        }
        assert!(server(&compiled, "o.io").locations.iter().all(|l| l.policy.denied.is_none()));
        let errors: Vec<_> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error && d.message.contains("503"))
            .collect();
        assert_eq!(errors.len(), 1, "{secret}: {:?}", messages(&compiled));
        assert!(errors[0].field.as_deref().is_some_and(|f| f.contains("auth-tls-secret")));
    }
}

#[test]
fn without_auth_tls_nothing_changes() {
    let mut world = world();
    world.ingress(web("plain", "/plain", 1));
    let compiled = world.compile();
    let server = server(&compiled, "h.io");
    assert!(server.client_auth.is_none());
    assert!(server.locations.iter().all(|l| !l
        .policy
        .filters
        .iter()
        .any(|f| matches!(f, Filter::ClientCert(_)))));
}
