//! `proxy-ssl-*`: the Secret read onto each location's upstream TLS settings, with
//! ingress-nginx's rendering (settings that need `ca.crt`), and unusable Secrets denying.

use portico_model::{Severity, TlsVersions, DEFAULT_PROXY_SSL_NAME};
use rcgen::{CertificateParams, KeyPair};

use super::fixtures::{ingress, IngressBuilder, Port, World};
use super::{messages, server};

fn pem() -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["b.io".to_string()]).unwrap().self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn world() -> World {
    let mut world = World::new();
    world.backend("default", "a", "10.0.0.1");
    world
}

fn web(name: &str) -> IngressBuilder {
    ingress("default", name).rule(&format!("{name}.io"), &[("/", "Prefix", "a", Port::N(80))])
}

#[test]
fn the_secret_fills_the_location_settings() {
    let (cert, key) = pem();
    let mut world = world();
    world.secret("default", "full", &[("ca.crt", &cert), ("tls.crt", &cert), ("tls.key", &key)]);
    world.secret("default", "pair", &[("tls.crt", &cert), ("tls.key", &key)]);
    let settings = |b: IngressBuilder, secret| {
        b.nginx("proxy-ssl-secret", secret)
            .nginx("proxy-ssl-verify", "on")
            .nginx("proxy-ssl-protocols", "TLSv1.3")
            .nginx("proxy-ssl-name", "b.io")
    };
    world.ingress(settings(web("full"), "default/full"));
    world.ingress(settings(web("pair"), "default/pair"));
    let compiled = world.compile();
    let full = &server(&compiled, "full.io").locations[0].policy;
    let tls = full.upstream.tls.as_ref().expect("settings");
    assert!(tls.verify && tls.client_cert.is_some() && tls.ca_pem.is_some());
    assert_eq!(tls.versions, TlsVersions { tls12: false, tls13: true });
    assert_eq!(tls.name, "b.io");
    assert!(full.denied.is_none());
    // Without ca.crt nginx renders neither verify nor protocols.
    let pair = &server(&compiled, "pair.io").locations[0].policy;
    let tls = pair.upstream.tls.as_ref().expect("settings");
    assert!(!tls.verify && tls.client_cert.is_some());
    assert_eq!(tls.versions, TlsVersions::default());
    let warned = messages(&compiled).iter().any(|m| m.contains("has no ca.crt"));
    assert!(warned, "{:?}", messages(&compiled));
}

#[test]
fn verify_without_a_name_warns_about_upstream_balancer() {
    let (cert, _) = pem();
    let mut world = world();
    world.secret("default", "ca", &[("ca.crt", &cert)]);
    world.ingress(web("v").nginx("proxy-ssl-secret", "default/ca").nginx("proxy-ssl-verify", "on"));
    let compiled = world.compile();
    let tls = server(&compiled, "v.io").locations[0].policy.upstream.tls.clone().unwrap();
    assert_eq!(tls.name, DEFAULT_PROXY_SSL_NAME);
    assert!(messages(&compiled).iter().any(|m| m.contains("upstream_balancer")));
}

#[test]
fn unusable_secrets_deny_with_an_error() {
    let (cert, _) = pem();
    let (_, other_key) = pem();
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("default/missing", &[]),
        ("default/empty", &[("other", "x")]),
        ("default/garbage", &[("ca.crt", "not pem")]),
        ("default/mismatch", &[("tls.crt", &cert), ("tls.key", &other_key)]),
        ("other/ca", &[("ca.crt", &cert)]),
    ];
    for (secret, data) in cases {
        let mut world = world();
        if let Some((namespace, name)) = secret.split_once('/') {
            if !data.is_empty() {
                world.secret(namespace, name, data);
            }
        }
        world.ingress(web("d").nginx("proxy-ssl-secret", secret));
        let compiled = world.compile();
        let policy = &server(&compiled, "d.io").locations[0].policy;
        assert!(policy.denied.is_some(), "{secret}");
        assert!(policy.upstream.tls.is_none(), "{secret}");
        let error = compiled.diagnostics.iter().find(|d| d.severity == Severity::Error);
        let error = error.unwrap_or_else(|| panic!("{secret}: {:?}", messages(&compiled)));
        assert!(error.message.contains("proxy-ssl"), "{secret}: {}", error.message);
        assert!(error.object.is_some(), "names the Ingress: {secret}");
    }
}
