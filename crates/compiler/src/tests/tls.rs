//! §3.1 certificate assignment through whole builds.

use rcgen::{CertificateParams, KeyPair};

use super::fixtures::{ingress, options, World};
use super::{messages, one_diagnostic, server};
use crate::Compiled;

const TLS: Option<&str> = Some("kubernetes.io/tls");

/// A self-signed (`tls.crt`, `tls.key`) PEM pair for `sans`.
fn pair(sans: &[&str]) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    (params.self_signed(&key).unwrap().pem(), key.serialize_pem())
}

fn add_secret(world: &mut World, name: &str, sans: &[&str]) {
    let (crt, key) = pair(sans);
    world.typed_secret(
        "default",
        name,
        TLS,
        &[("tls.crt", crt.as_bytes()), ("tls.key", key.as_bytes())],
    );
}

/// The Secret name assigned to `host`, or `default` for the default certificate.
fn cert(compiled: &Compiled, host: &str) -> String {
    let server = server(compiled, host);
    assert!(server.has_certificate, "{host} has a certificate (§1.4)");
    server.certificate.as_ref().map_or("default".to_string(), |tls| tls.secret.name.clone())
}

#[test]
fn listed_host_wins_then_covering_secret_then_default() {
    let mut world = World::new();
    add_secret(&mut world, "a-cert", &["a.io"]);
    add_secret(&mut world, "wild", &["*.w.io"]);
    world.ingress(
        ingress("default", "web")
            .tls_secret(&["A.io"], "a-cert")
            .tls_secret(&[], "wild")
            .rule("a.io", &[])
            .rule("x.w.io", &[])
            .rule("*.w.io", &[])
            .rule("other.io", &[]),
    );
    let compiled = world.compile();
    assert_eq!(cert(&compiled, "a.io"), "a-cert", "spec.tls hosts match, any case");
    assert_eq!(cert(&compiled, "x.w.io"), "wild", "a Secret of the Ingress covering the host");
    assert_eq!(cert(&compiled, "*.w.io"), "wild", "a wildcard cert covers the wildcard host");
    assert_eq!(cert(&compiled, "other.io"), "default");
    let d = one_diagnostic(&compiled, "no spec.tls entry lists host other.io");
    assert!(!d.is_error());
    assert_eq!(compiled.diagnostics.len(), 1, "{:#?}", messages(&compiled));
}

#[test]
fn oldest_ingress_with_tls_for_the_host_decides() {
    let mut world = World::new();
    add_secret(&mut world, "old", &["h.io"]);
    add_secret(&mut world, "new", &["h.io"]);
    // The oldest Ingress of the host has no TLS: it does not decide.
    world.ingress(ingress("default", "plain").created(1).rule("h.io", &[]));
    world
        .ingress(ingress("default", "b").created(2).tls_secret(&["h.io"], "old").rule("h.io", &[]));
    world
        .ingress(ingress("default", "c").created(3).tls_secret(&["h.io"], "new").rule("h.io", &[]));
    assert_eq!(cert(&world.compile(), "h.io"), "old");
}

#[test]
fn empty_secret_name_means_the_default_certificate() {
    let mut world = World::new();
    add_secret(&mut world, "covers", &["h.io"]);
    world.ingress(
        ingress("default", "web")
            .tls_secret(&["h.io"], "")
            .tls_secret(&[], "covers")
            .rule("h.io", &[]),
    );
    let compiled = world.compile();
    assert_eq!(cert(&compiled, "h.io"), "default", "step 1 decides even with no secretName");
    assert!(compiled.diagnostics.is_empty(), "{:#?}", messages(&compiled));
}

#[test]
fn missing_secret_keeps_the_certificate_flag_and_is_reported_once() {
    let mut world = World::new();
    world.ingress(
        ingress("default", "web")
            .tls_secret(&["a.io", "b.io"], "gone")
            .rule("a.io", &[])
            .rule("b.io", &[]),
    );
    let compiled = world.compile();
    assert_eq!(cert(&compiled, "a.io"), "default");
    assert_eq!(cert(&compiled, "b.io"), "default");
    let d = one_diagnostic(&compiled, "Secret default/gone not found");
    // A warning, as in ingress-nginx: usual while cert-manager has not issued the Secret yet.
    assert!(!d.is_error());
    assert_eq!(d.field.as_deref(), Some("spec.tls[0].secretName"));
    assert_eq!(d.object.as_ref().map(|o| o.name.as_str()), Some("web"));
}

#[test]
fn unusable_secrets_are_named_with_field_and_reason() {
    let mut world = World::new();
    let (crt, key) = pair(&["h.io"]);
    let (crt, key) = (crt.as_bytes(), key.as_bytes());
    world.typed_secret(
        "default",
        "wrong-type",
        Some("kubernetes.io/basic-auth"),
        &[("tls.crt", crt), ("tls.key", key)],
    );
    world.typed_secret("default", "key-only", TLS, &[("tls.key", key)]);
    world.typed_secret("default", "cert-only", TLS, &[("tls.crt", crt)]);
    world.typed_secret("default", "ca-only", TLS, &[("ca.crt", crt)]);
    let huge = vec![b'A'; portico_tls::MAX_PEM_BYTES + 1];
    world.typed_secret("default", "huge", TLS, &[("tls.crt", &huge), ("tls.key", key)]);
    world.typed_secret("default", "opaque", Some("Opaque"), &[("tls.crt", crt), ("tls.key", key)]);
    let names = ["wrong-type", "key-only", "cert-only", "ca-only", "huge", "opaque"];
    let mut ing = ingress("default", "web");
    for name in names {
        let host = format!("{name}.io");
        ing = ing.tls_secret(&[&host], name).rule(&host, &[]);
    }
    world.ingress(ing);
    let compiled = world.compile();
    let expect = [
        ("wrong-type", "type", "type kubernetes.io/basic-auth cannot hold a certificate"),
        ("key-only", "data[\"tls.crt\"]", "tls.key is present but tls.crt is not"),
        ("cert-only", "data[\"tls.key\"]", "tls.crt is present but tls.key is not"),
        ("ca-only", "data", "no tls.crt and no tls.key"),
        ("huge", "data[\"tls.crt\"]", "over the 1048576 byte limit"),
    ];
    for (name, field, reason) in expect {
        assert_eq!(cert(&compiled, &format!("{name}.io")), "default", "{name}");
        let d = one_diagnostic(&compiled, reason);
        assert!(d.is_error(), "{d}");
        assert_eq!(
            d.object.as_ref().map(|o| (o.kind.as_str(), o.name.as_str())),
            Some(("Secret", name))
        );
        assert_eq!(d.field.as_deref(), Some(field), "{d}");
        assert_eq!(d.file.as_deref(), Some(format!("{name}.yaml").as_str()));
    }
    assert_eq!(cert(&compiled, "opaque.io"), "opaque", "Opaque is served, as ingress-nginx does");
    assert!(!one_diagnostic(&compiled, "type is Opaque").is_error());
    assert_eq!(compiled.diagnostics.len(), expect.len() + 1, "{:#?}", messages(&compiled));
}

#[test]
fn broken_pem_is_skipped_by_the_covering_step_with_a_diagnostic() {
    let mut world = World::new();
    world.typed_secret(
        "default",
        "junk",
        TLS,
        &[("tls.crt", &b"junk"[..]), ("tls.key", &b"junk"[..])],
    );
    add_secret(&mut world, "good", &["*.io"]);
    world.ingress(
        ingress("default", "web")
            .tls_secret(&[], "junk")
            .tls_secret(&[], "good")
            .rule("a.io", &[])
            .rule("b.io", &[]),
    );
    let compiled = world.compile();
    assert_eq!(cert(&compiled, "a.io"), "good");
    assert_eq!(cert(&compiled, "b.io"), "good");
    let d = one_diagnostic(&compiled, "no PEM certificate found");
    assert_eq!(d.object.as_ref().map(|o| o.name.as_str()), Some("junk"));
}

#[test]
fn string_data_overrides_data() {
    let mut world = World::new();
    let (crt, key) = pair(&["h.io"]);
    world.typed_secret(
        "default",
        "s",
        TLS,
        &[("tls.crt", &b"stale"[..]), ("tls.key", key.as_bytes())],
    );
    let key_ref = portico_store::ObjectKey::new("default", "s");
    let mut secret = (*world.objects.secrets[&key_ref].object).clone();
    secret.string_data = Some([("tls.crt".to_string(), crt.clone())].into());
    world.objects.secrets.insert(key_ref, portico_store::Sourced::new(secret, None));
    world.ingress(ingress("default", "web").tls_secret(&["h.io"], "s").rule("h.io", &[]));
    let compiled = world.compile();
    let tls = server(&compiled, "h.io").certificate.clone().unwrap();
    assert_eq!(&*tls.cert_pem, crt.as_bytes());
}

#[test]
fn default_ssl_certificate_flag() {
    let mut world = World::new();
    add_secret(&mut world, "fallback", &["example.com"]);
    world.options = Some(crate::Options {
        default_ssl_certificate: Some(portico_store::ObjectKey::new("default", "fallback")),
        ..options()
    });
    let compiled = world.compile();
    let default = compiled.table.default_certificate.as_ref().unwrap();
    assert_eq!(default.secret.name, "fallback");
    assert!(compiled.diagnostics.is_empty());

    world.options = Some(crate::Options {
        default_ssl_certificate: Some(portico_store::ObjectKey::new("infra", "nope")),
        ..options()
    });
    let compiled = world.compile();
    assert!(compiled.table.default_certificate.is_none());
    let d = one_diagnostic(&compiled, "the fake certificate is the default");
    assert_eq!(d.field.as_deref(), Some("--default-ssl-certificate"));
    assert_eq!(d.object.as_ref().map(|o| o.to_string()).as_deref(), Some("Secret infra/nope"));
}

/// A compiler that has served a good `s` for `h.io`, and the world it compiled.
fn served_good() -> (crate::Compiler, World, (String, String)) {
    let mut world = World::new();
    let good = pair(&["h.io"]);
    world.typed_secret(
        "default",
        "s",
        TLS,
        &[("tls.crt", good.0.as_bytes()), ("tls.key", good.1.as_bytes())],
    );
    world.ingress(ingress("default", "web").tls_secret(&["h.io"], "s").rule("h.io", &[]));
    let mut compiler = crate::Compiler::new(options());
    let compiled = compiler.compile(&world.objects);
    assert!(compiled.diagnostics.is_empty(), "{:#?}", messages(&compiled));
    (compiler, world, good)
}

#[test]
fn secret_turned_bad_keeps_serving_its_last_good_version() {
    let (mut compiler, mut world, good) = served_good();
    let garbage = b"-----BEGIN CERTIFICATE-----\nnot base64!!\n-----END CERTIFICATE-----\n";
    let other_key = pair(&["h.io"]).1;
    let turned_bad: [&[(&str, &[u8])]; 3] = [
        &[("tls.crt", garbage), ("tls.key", good.1.as_bytes())],
        &[("tls.crt", good.0.as_bytes()), ("tls.key", other_key.as_bytes())],
        &[("tls.key", good.1.as_bytes())],
    ];
    for fields in turned_bad {
        world.typed_secret("default", "s", TLS, fields);
        for _ in 0..2 {
            let compiled = compiler.compile(&world.objects);
            let tls = server(&compiled, "h.io").certificate.clone().expect("still a Secret");
            assert_eq!(&*tls.cert_pem, good.0.as_bytes(), "the last good version is served");
            let d = one_diagnostic(&compiled, "the last good version of the Secret keeps serving");
            assert!(d.is_error());
            assert_eq!(
                d.object.as_ref().map(|o| o.to_string()).as_deref(),
                Some("Secret default/s")
            );
        }
    }
    // Deleting the Secret is deliberate: the default certificate, nothing kept.
    world.objects.secrets.clear();
    let compiled = compiler.compile(&world.objects);
    assert_eq!(cert(&compiled, "h.io"), "default");
    one_diagnostic(&compiled, "Secret default/s not found");
}

#[test]
fn a_fresh_compiler_has_no_last_good_version() {
    let (_, mut world, good) = served_good();
    world.typed_secret(
        "default",
        "s",
        TLS,
        &[("tls.crt", &b"junk"[..]), ("tls.key", good.1.as_bytes())],
    );
    let compiled = crate::Compiler::new(options()).compile(&world.objects);
    // The bad version goes to the table; portico-tls reports it and serves the default.
    let tls = server(&compiled, "h.io").certificate.clone().unwrap();
    assert_eq!(&*tls.cert_pem, b"junk");
    assert!(compiled.diagnostics.is_empty(), "{:#?}", messages(&compiled));
}
