//! Secrets beyond one self-signed leaf, made with rcgen: a leaf + intermediate chain served in
//! file order, and broken Secrets that get the default certificate without harming others.

use std::sync::Arc;

use portico_model::TlsSecret;
use portico_tls::{CertStore, FAKE_CERT_CN};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

use crate::support::*;

/// A CA named `cn` (self-signed when `parent` is `None`) able to sign further certificates.
fn ca(cn: &str, parent: Option<&Issuer<'static, KeyPair>>) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let key = KeyPair::generate().unwrap();
    let cert = match parent {
        Some(parent) => params.signed_by(&key, parent).unwrap(),
        None => params.self_signed(&key).unwrap(),
    };
    (cert.pem(), Issuer::new(params, key))
}

/// A Secret `name` for `host`: a leaf signed by an intermediate signed by a root, `tls.crt`
/// holding the leaf then the intermediate.
fn chained_secret(name: &str, host: &str) -> Arc<TlsSecret> {
    let (_, root) = ca("Test Root CA", None);
    let (int_pem, int) = ca("Test Intermediate", Some(&root));
    let mut params = CertificateParams::new(vec![host.to_string()]).unwrap();
    params.distinguished_name.push(DnType::CommonName, host);
    let key = KeyPair::generate().unwrap();
    let leaf = params.signed_by(&key, &int).unwrap();
    tls_secret(name, leaf.pem() + &int_pem, key.serialize_pem())
}

fn fake_cn(leaf: &[u8]) -> bool {
    let (_, cert) = x509_parser::parse_x509_certificate(leaf).unwrap();
    let cn = cert.subject().iter_common_name().next().unwrap().as_str().unwrap().to_owned();
    cn == FAKE_CERT_CN
}

#[tokio::test]
async fn chain_is_served_leaf_first_then_intermediate() {
    let secret = chained_secret("chain", "chain.example.com");
    let expected = chain_of(&secret);
    assert_eq!(expected.len(), 2);

    let (store, diags) = CertStore::build(&assign(&[("chain.example.com", &secret)]), None);
    assert!(diags.is_empty(), "{diags:?}");
    let (_, config) = server(store);
    let conn = connect(&config, &default_client(), Some("chain.example.com")).await;
    assert_eq!(presented(&conn), expected, "leaf then intermediate, as in tls.crt");
}

#[tokio::test]
async fn broken_secrets_get_default_and_spare_other_hosts() {
    let good = rcgen_secret("nginxsvc", &["nginxsvc"]);
    let other_key = KeyPair::generate().unwrap().serialize_pem();
    let mismatched = tls_secret("mismatched", &good.cert_pem[..], other_key);
    let garbage = tls_secret("garbage", "not a certificate", "not a key");
    let no_key = tls_secret("no-key", &good.cert_pem[..], "");
    let assignments = assign(&[
        ("nginxsvc", &good),
        ("mismatched.example.com", &mismatched),
        ("garbage.example.com", &garbage),
        ("no-key.example.com", &no_key),
    ]);
    let (store, diags) = CertStore::build(&assignments, None);

    let named: Vec<_> = diags
        .iter()
        .map(|d| (d.object.as_ref().unwrap().name.as_str(), d.field.as_deref().unwrap()))
        .collect();
    assert_eq!(
        named,
        [
            ("mismatched", "data[\"tls.key\"]"),
            ("garbage", "data[\"tls.crt\"]"),
            ("no-key", "data[\"tls.key\"]"),
        ]
    );
    assert!(diags.iter().all(|d| d.is_error()));
    assert!(diags[0].message.contains("does not match"), "{}", diags[0]);

    let (_, config) = server(store);
    for host in ["mismatched.example.com", "garbage.example.com", "no-key.example.com"] {
        assert!(fake_cn(&leaf_for(&config, Some(host)).await), "{host} gets the default");
    }
    assert_eq!(leaf_for(&config, Some("nginxsvc")).await, chain_of(&good)[0]);
}
