//! Secrets made by the real `openssl` CLI, because their formats are the point: the seed's
//! HTTPS recipe users follow (RSA PKCS#8, CN only), PKCS#1 RSA and SEC1 EC keys. Chains and
//! broken Secrets are in `secrets.rs`, made with rcgen.

use std::path::Path;

use portico_tls::CertStore;

use crate::support::*;

/// The seed's recipe, verbatim: RSA-2048 key (PKCS#8), CN `nginxsvc`, no SAN.
fn seed_recipe(dir: &Path) -> std::sync::Arc<portico_model::TlsSecret> {
    run_openssl(
        dir,
        &[
            "req",
            "-x509",
            "-sha256",
            "-nodes",
            "-days",
            "365",
            "-newkey",
            "rsa:2048",
            "-keyout",
            "tls.key",
            "-out",
            "tls.crt",
            "-subj",
            "/CN=nginxsvc/O=nginxsvc",
        ],
    );
    tls_secret("nginxsvc", read(dir, "tls.crt"), read(dir, "tls.key"))
}

/// A self-signed certificate for `host` over an existing key file.
fn self_signed(dir: &Path, key: &str, host: &str, out: &str) {
    let subj = format!("/CN={host}");
    let san = format!("subjectAltName=DNS:{host}");
    run_openssl(
        dir,
        &[
            "req", "-x509", "-new", "-key", key, "-sha256", "-days", "30", "-subj", &subj,
            "-addext", &san, "-out", out,
        ],
    );
}

#[tokio::test]
async fn seed_recipe_is_served_for_its_cn() {
    let Some(dir) = openssl() else { return };
    let secret = seed_recipe(dir.path());
    assert!(String::from_utf8_lossy(&secret.key_pem).contains("BEGIN PRIVATE KEY"), "PKCS#8");
    let (store, diags) = CertStore::build(&assign(&[("nginxsvc", &secret)]), None);
    assert!(diags.is_empty(), "{diags:?}");
    let (_, config) = server(store);
    assert_eq!(leaf_for(&config, Some("nginxsvc")).await, chain_of(&secret)[0]);
}

#[tokio::test]
async fn pkcs1_rsa_and_sec1_ec_keys() {
    let Some(dir) = openssl() else { return };
    let dir = dir.path();
    run_openssl(dir, &["genrsa", "-traditional", "-out", "rsa1.key", "2048"]);
    self_signed(dir, "rsa1.key", "rsa.example.com", "rsa1.crt");
    run_openssl(dir, &["ecparam", "-genkey", "-name", "prime256v1", "-out", "p256.key"]);
    self_signed(dir, "p256.key", "p256.example.com", "p256.crt");
    run_openssl(dir, &["ecparam", "-genkey", "-name", "secp384r1", "-noout", "-out", "p384.key"]);
    self_signed(dir, "p384.key", "p384.example.com", "p384.crt");

    let rsa = tls_secret("rsa", read(dir, "rsa1.crt"), read(dir, "rsa1.key"));
    assert!(String::from_utf8_lossy(&rsa.key_pem).contains("BEGIN RSA PRIVATE KEY"), "PKCS#1");
    let p256 = tls_secret("p256", read(dir, "p256.crt"), read(dir, "p256.key"));
    let sec1 = String::from_utf8_lossy(&p256.key_pem).into_owned();
    assert!(sec1.contains("BEGIN EC PARAMETERS") && sec1.contains("BEGIN EC PRIVATE KEY"));
    let p384 = tls_secret("p384", read(dir, "p384.crt"), read(dir, "p384.key"));

    let assignments = assign(&[
        ("rsa.example.com", &rsa),
        ("p256.example.com", &p256),
        ("p384.example.com", &p384),
    ]);
    let (store, diags) = CertStore::build(&assignments, None);
    assert!(diags.is_empty(), "{diags:?}");
    let (_, config) = server(store);
    for (host, secret) in
        [("rsa.example.com", &rsa), ("p256.example.com", &p256), ("p384.example.com", &p384)]
    {
        assert_eq!(leaf_for(&config, Some(host)).await, chain_of(secret)[0], "{host}");
    }
}
