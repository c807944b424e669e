//! Secrets made by the real `openssl` CLI: the seed's HTTPS recipe (RSA PKCS#8, CN only),
//! PKCS#1 RSA and SEC1 EC keys, a leaf + intermediate chain, and broken Secrets.

use std::path::Path;

use portico_tls::{CertStore, FAKE_CERT_CN};

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

fn fake_cn(leaf: &[u8]) -> bool {
    let (_, cert) = x509_parser::parse_x509_certificate(leaf).unwrap();
    let cn = cert.subject().iter_common_name().next().unwrap().as_str().unwrap().to_owned();
    cn == FAKE_CERT_CN
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

#[tokio::test]
async fn chain_is_served_leaf_first_then_intermediate() {
    let Some(dir) = openssl() else { return };
    let dir = dir.path();
    std::fs::write(dir.join("ca.ext"), "basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n")
        .unwrap();
    std::fs::write(dir.join("leaf.ext"), "subjectAltName=DNS:chain.example.com\n").unwrap();
    run_openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "30",
            "-subj",
            "/CN=Test Root CA",
        ],
    );
    run_openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            "int.key",
            "-out",
            "int.csr",
            "-subj",
            "/CN=Test Intermediate",
        ],
    );
    run_openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "int.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "2",
            "-days",
            "30",
            "-extfile",
            "ca.ext",
            "-out",
            "int.crt",
        ],
    );
    run_openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
            "-subj",
            "/CN=chain.example.com",
        ],
    );
    run_openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "int.crt",
            "-CAkey",
            "int.key",
            "-set_serial",
            "3",
            "-days",
            "30",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.crt",
        ],
    );
    let mut crt = read(dir, "leaf.crt");
    crt.extend(read(dir, "int.crt"));
    let secret = tls_secret("chain", crt, read(dir, "leaf.key"));
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
    let Some(dir) = openssl() else { return };
    let good = seed_recipe(dir.path());
    run_openssl(dir.path(), &["genrsa", "-out", "other.key", "2048"]);
    let mismatched = tls_secret("mismatched", &good.cert_pem[..], read(dir.path(), "other.key"));
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
