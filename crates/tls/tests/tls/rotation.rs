//! Hot rotation: a swapped store is seen by new handshakes; open connections keep theirs.

use portico_tls::{CertStore, FAKE_CERT_CN};

use crate::support::*;

#[tokio::test]
async fn swap_is_seen_by_new_handshakes_while_old_connections_keep_working() {
    let v1 = rcgen_secret("site", &["site.example.com"]);
    let v2 = rcgen_secret("site", &["site.example.com"]);
    let (resolver, config) =
        server(CertStore::build(&assign(&[("site.example.com", &v1)]), None).0);

    let mut old = connect(&config, &default_client(), Some("site.example.com")).await;
    assert_eq!(presented(&old)[0], chain_of(&v1)[0]);
    echo(&mut old, b"before").await;

    resolver.swap(CertStore::build(&assign(&[("site.example.com", &v2)]), None).0);
    let new = connect(&config, &default_client(), Some("site.example.com")).await;
    assert_eq!(presented(&new)[0], chain_of(&v2)[0], "new handshake sees the new cert");
    echo(&mut old, b"after the swap").await;
    assert_eq!(presented(&old)[0], chain_of(&v1)[0], "open connection keeps its cert");

    // The Secret is deleted: the host falls back to the default certificate.
    resolver.swap(CertStore::build(&[], None).0);
    assert!(!resolver.current().has_certificate_for("site.example.com"));
    let leaf = leaf_for(&config, Some("site.example.com")).await;
    let (_, cert) = x509_parser::parse_x509_certificate(&leaf).unwrap();
    let cn = cert.subject().iter_common_name().next().unwrap().as_str().unwrap().to_owned();
    assert_eq!(cn, FAKE_CERT_CN);
    echo(&mut old, b"still open").await;
}
