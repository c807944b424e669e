use rcgen::{CertificateParams, KeyPair};
use x509_parser::parse_x509_certificate;

use super::*;
use crate::fake::{FAKE_CERT_CN, FAKE_CERT_ORG};
use portico_model::Severity;

fn secret(name: &str, sans: &[&str]) -> Arc<TlsSecret> {
    secret_with(name, sans, |_| {})
}

fn secret_with(
    name: &str,
    sans: &[&str],
    edit: impl FnOnce(&mut CertificateParams),
) -> Arc<TlsSecret> {
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    edit(&mut params);
    let cert = params.self_signed(&key).unwrap();
    Arc::new(TlsSecret {
        secret: ObjectRef::new("Secret", "default", name),
        cert_pem: cert.pem().into_bytes().into(),
        key_pem: key.serialize_pem().into_bytes().into(),
        file: None,
    })
}

fn assign(pairs: &[(&str, &Arc<TlsSecret>)]) -> Vec<(String, Arc<TlsSecret>)> {
    pairs.iter().map(|(host, s)| (host.to_string(), Arc::clone(s))).collect()
}

fn served_leaf(store: &CertStore, sni: Option<&str>) -> Vec<u8> {
    store.resolve(sni).unwrap().cert[0].to_vec()
}

fn leaf_of(tls: &TlsSecret) -> Vec<u8> {
    crate::secret::load(&tls.cert_pem, &tls.key_pem).unwrap().key.cert[0].to_vec()
}

#[test]
fn exact_wildcard_unknown_and_absent_sni() {
    let exact = secret("exact", &["a.example.com"]);
    let wild = secret("wild", &["*.example.com"]);
    let (store, diags) =
        CertStore::build(&assign(&[("a.example.com", &exact), ("*.example.com", &wild)]), None);
    assert!(diags.is_empty(), "{diags:?}");
    let default = store.default_certificate().unwrap().cert[0].to_vec();
    assert_eq!(served_leaf(&store, Some("a.example.com")), leaf_of(&exact));
    assert_eq!(served_leaf(&store, Some("A.Example.COM.")), leaf_of(&exact));
    assert_eq!(served_leaf(&store, Some("b.example.com")), leaf_of(&wild));
    assert_eq!(served_leaf(&store, Some("x.b.example.com")), default, "one level only");
    assert_eq!(served_leaf(&store, Some("example.com")), default);
    assert_eq!(served_leaf(&store, Some("other.test")), default);
    assert_eq!(served_leaf(&store, None), default);
    assert_eq!(store.secret_for("b.example.com").unwrap().name, "wild");
    assert!(store.has_certificate_for("a.example.com"));
    assert!(!store.has_certificate_for("other.test"));
}

#[test]
fn bad_secret_falls_back_to_default_and_spares_other_hosts() {
    let good = secret("good", &["good.example.com"]);
    let wild = secret("wild", &["*.example.com"]);
    let mut bad = (*secret("bad", &["bad.example.com"])).clone();
    bad.key_pem = good.key_pem.clone();
    let bad = Arc::new(bad);
    let assignments = assign(&[
        ("good.example.com", &good),
        ("bad.example.com", &bad),
        ("also-bad.example.com", &bad),
        ("*.example.com", &wild),
    ]);
    let (store, diags) = CertStore::build(&assignments, None);
    assert_eq!(diags.len(), 1, "one diagnostic per bad Secret: {diags:?}");
    let diag = &diags[0];
    assert_eq!(diag.severity, Severity::Error);
    assert_eq!(diag.object.as_ref().unwrap().name, "bad");
    assert_eq!(diag.field.as_deref(), Some("data[\"tls.key\"]"));
    assert!(diag.message.contains("does not match"), "{diag}");
    let default = store.default_certificate().unwrap().cert[0].to_vec();
    assert_eq!(served_leaf(&store, Some("bad.example.com")), default, "not the wildcard's");
    assert!(!store.has_certificate_for("bad.example.com"));
    assert_eq!(served_leaf(&store, Some("good.example.com")), leaf_of(&good));
    assert_eq!(served_leaf(&store, Some("x.example.com")), leaf_of(&wild));
}

#[test]
fn host_not_covered_gets_default_with_error() {
    let other = secret("other", &["other.example.com"]);
    let (store, diags) = CertStore::build(&assign(&[("a.example.com", &other)]), None);
    assert_eq!(diags.len(), 1);
    assert!(diags[0].is_error());
    assert!(diags[0].message.contains("does not cover host a.example.com"), "{}", diags[0]);
    assert_eq!(diags[0].field.as_deref(), Some("data[\"tls.crt\"]"));
    assert!(!store.has_certificate_for("a.example.com"));
}

#[test]
fn wildcard_host_needs_wildcard_name() {
    let exact = secret("exact", &["a.example.com"]);
    let wild = secret("wild", &["*.example.com"]);
    let (store, diags) =
        CertStore::build(&assign(&[("*.example.com", &exact), ("*.example.org", &wild)]), None);
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert!(!store.has_certificate_for("x.example.com"));
    assert!(!store.has_certificate_for("x.example.org"));
}

#[test]
fn expired_certificate_is_served_with_warning() {
    let expired = secret_with("old", &["old.example.com"], |p| {
        p.not_before = rcgen::date_time_ymd(2000, 1, 1);
        p.not_after = rcgen::date_time_ymd(2001, 1, 1);
    });
    let (store, diags) = CertStore::build(&assign(&[("old.example.com", &expired)]), None);
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].severity, Severity::Warning);
    assert!(diags[0].message.contains("expired"), "{}", diags[0]);
    assert_eq!(served_leaf(&store, Some("old.example.com")), leaf_of(&expired));
}

#[test]
fn default_secret_is_used_when_it_loads() {
    let default = secret("default-cert", &["anything.example"]);
    let (store, diags) = CertStore::build(&[], Some(&default));
    assert!(diags.is_empty());
    assert_eq!(served_leaf(&store, None), leaf_of(&default));

    let mut broken = (*default).clone();
    broken.cert_pem = Arc::from(&b"garbage"[..]);
    let (store, diags) = CertStore::build(&[], Some(&broken));
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.contains("fake certificate"), "{}", diags[0]);
    let fake = fake_certificate().unwrap();
    assert!(Arc::ptr_eq(store.default_certificate().unwrap(), &fake));
}

#[test]
fn fake_certificate_is_generated_once_like_ingress_nginx() {
    let first = fake_certificate().unwrap();
    assert!(Arc::ptr_eq(&first, &fake_certificate().unwrap()));
    first.keys_match().unwrap();
    let (_, cert) = parse_x509_certificate(first.cert[0].as_ref()).unwrap();
    let cn: Vec<_> = cert.subject().iter_common_name().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(cn, [FAKE_CERT_CN]);
    let org: Vec<_> = cert.subject().iter_organization().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(org, [FAKE_CERT_ORG]);
    let names = crate::names::CertNames::of(&cert);
    assert!(names.covers("ingress.local"));
    let validity = cert.validity();
    let days = (validity.not_after.timestamp() - validity.not_before.timestamp()) / 86_400;
    assert_eq!(days, 365);
}

#[test]
fn first_assignment_of_a_host_wins() {
    let first = secret("first", &["a.example.com"]);
    let second = secret("second", &["a.example.com"]);
    let (store, _) =
        CertStore::build(&assign(&[("A.example.com", &first), ("a.example.com", &second)]), None);
    assert_eq!(store.secret_for("a.example.com").unwrap().name, "first");
    assert!(format!("{store:?}").contains("a.example.com => Secret default/first"));
}

#[test]
fn from_table_pins_default_hosts_and_uses_the_table_default() {
    use portico_model::{HostPattern, RouteTable, Server};
    let wild = secret("wild", &["*.example.com"]);
    let fallback = secret("fallback", &["fallback.test"]);
    let server = |host: HostPattern, certificate: Option<&Arc<TlsSecret>>| Server {
        host,
        has_certificate: true,
        certificate: certificate.cloned(),
        ..Server::default()
    };
    let table = RouteTable {
        servers: vec![
            server(HostPattern::Wildcard("example.com".into()), Some(&wild)),
            // §3.1 fell back to the default for this host: it must not get the wildcard cert.
            server(HostPattern::Exact("a.example.com".into()), None),
            Server {
                has_certificate: false,
                ..server(HostPattern::Exact("b.example.com".into()), None)
            },
        ],
        default_certificate: Some(fallback.clone()),
        ..RouteTable::default()
    };
    let (store, diags) = CertStore::from_table(&table);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(served_leaf(&store, Some("x.example.com")), leaf_of(&wild));
    assert_eq!(served_leaf(&store, Some("a.example.com")), leaf_of(&fallback));
    assert_eq!(served_leaf(&store, Some("b.example.com")), leaf_of(&wild), "no TLS of its own");
    assert_eq!(served_leaf(&store, None), leaf_of(&fallback));
}

#[test]
fn unchanged_secrets_are_not_parsed_again_across_builds() {
    let v1 = secret("cached", &["c.example.com"]);
    let copy = Arc::new(TlsSecret::clone(&v1));
    let (first, _) = CertStore::build(&assign(&[("c.example.com", &v1)]), None);
    let (second, _) = CertStore::build(&assign(&[("c.example.com", &copy)]), None);
    let key = |store: &CertStore| store.resolve(Some("c.example.com")).unwrap();
    assert!(Arc::ptr_eq(&key(&first), &key(&second)), "same bytes: the parsed key is reused");
    let v2 = secret("cached", &["c.example.com"]);
    let (third, _) = CertStore::build(&assign(&[("c.example.com", &v2)]), None);
    assert!(!Arc::ptr_eq(&key(&first), &key(&third)), "new bytes: parsed again");
    assert_eq!(served_leaf(&third, Some("c.example.com")), leaf_of(&v2));
}

#[test]
fn default_is_fake_unless_the_default_secret_loads() {
    assert!(CertStore::build(&[], None).0.default_is_fake());
    let default = secret("default-cert", &["fallback.example.com"]);
    assert!(!CertStore::build(&[], Some(&default)).0.default_is_fake());
    let broken = TlsSecret { key_pem: Arc::from(&b""[..]), ..TlsSecret::clone(&default) };
    assert!(CertStore::build(&[], Some(&broken)).0.default_is_fake());
}
