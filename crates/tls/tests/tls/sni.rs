//! SNI selection, protocol versions, ALPN and resumption through real handshakes.

use portico_tls::rustls::{self, HandshakeKind, ProtocolVersion};
use portico_tls::{CertStore, FAKE_CERT_CN};
use x509_parser::parse_x509_certificate;

use crate::support::*;

fn common_name(der: &[u8]) -> String {
    let (_, cert) = parse_x509_certificate(der).unwrap();
    let cn = cert.subject().iter_common_name().next().unwrap().as_str().unwrap();
    cn.to_owned()
}

#[tokio::test]
async fn exact_wildcard_unknown_and_absent_sni() {
    let exact = rcgen_secret("exact", &["a.example.com"]);
    let wild = rcgen_secret("wild", &["*.example.com"]);
    let (store, diags) =
        CertStore::build(&assign(&[("a.example.com", &exact), ("*.example.com", &wild)]), None);
    assert!(diags.is_empty(), "{diags:?}");
    let (_, config) = server(store);

    assert_eq!(leaf_for(&config, Some("a.example.com")).await, chain_of(&exact)[0]);
    assert_eq!(leaf_for(&config, Some("A.EXAMPLE.com")).await, chain_of(&exact)[0]);
    assert_eq!(leaf_for(&config, Some("b.example.com")).await, chain_of(&wild)[0]);
    for sni in [Some("x.b.example.com"), Some("unknown.test"), None] {
        let leaf = leaf_for(&config, sni).await;
        assert_eq!(common_name(&leaf), FAKE_CERT_CN, "SNI {sni:?} gets the fake default");
    }
}

#[tokio::test]
async fn default_ssl_certificate_answers_unknown_sni() {
    let default = rcgen_secret("default-ssl", &["default.example"]);
    let (store, diags) = CertStore::build(&[], Some(&default));
    assert!(diags.is_empty(), "{diags:?}");
    let (_, config) = server(store);
    assert_eq!(leaf_for(&config, Some("nobody.test")).await, chain_of(&default)[0]);
    assert_eq!(leaf_for(&config, None).await, chain_of(&default)[0]);
}

#[tokio::test]
async fn alpn_prefers_h2_and_falls_back_to_http1() {
    let (_, config) = server(CertStore::build(&[], None).0);
    let h2 = connect(&config, &default_client(), Some("a.test")).await;
    assert_eq!(h2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
    let h1_client = client(&[b"http/1.1"], rustls::ALL_VERSIONS);
    let h1 = connect(&config, &h1_client, Some("a.test")).await;
    assert_eq!(h1.get_ref().1.alpn_protocol(), Some(&b"http/1.1"[..]));
    let none = connect(&config, &client(&[], rustls::ALL_VERSIONS), Some("a.test")).await;
    assert_eq!(none.get_ref().1.alpn_protocol(), None, "no ALPN offered is still served");
}

#[tokio::test]
async fn tls12_and_tls13_are_served_and_resumed() {
    let secret = rcgen_secret("s", &["a.example.com"]);
    let (store, _) = CertStore::build(&assign(&[("a.example.com", &secret)]), None);
    let (_, config) = server(store);
    for (version, expected) in [
        (&rustls::version::TLS13, ProtocolVersion::TLSv1_3),
        (&rustls::version::TLS12, ProtocolVersion::TLSv1_2),
    ] {
        let client = client(&[b"h2"], &[version]);
        let mut first = connect(&config, &client, Some("a.example.com")).await;
        assert_eq!(first.get_ref().1.protocol_version(), Some(expected));
        assert_eq!(first.get_ref().1.handshake_kind(), Some(HandshakeKind::Full));
        // TLS 1.3 tickets arrive after the handshake: read them by exchanging data.
        echo(&mut first, b"ping").await;
        let second = connect(&config, &client, Some("a.example.com")).await;
        assert_eq!(
            second.get_ref().1.handshake_kind(),
            Some(HandshakeKind::Resumed),
            "{expected:?} session resumed"
        );
    }
}

#[tokio::test]
async fn expired_certificate_is_still_served() {
    let expired = rcgen_secret_with("old", &["old.example.com"], |p| {
        p.not_before = rcgen::date_time_ymd(2000, 1, 1);
        p.not_after = rcgen::date_time_ymd(2001, 1, 1);
    });
    let (store, diags) = CertStore::build(&assign(&[("old.example.com", &expired)]), None);
    assert_eq!(diags.len(), 1);
    assert!(!diags[0].is_error(), "a warning: {}", diags[0]);
    let (_, config) = server(store);
    assert_eq!(leaf_for(&config, Some("old.example.com")).await, chain_of(&expired)[0]);
}

#[tokio::test]
async fn host_not_covered_gets_default() {
    let other = rcgen_secret("other", &["other.example.com"]);
    let (store, diags) = CertStore::build(&assign(&[("a.example.com", &other)]), None);
    assert!(diags[0].is_error() && diags[0].message.contains("does not cover"), "{diags:?}");
    let (_, config) = server(store);
    let leaf = leaf_for(&config, Some("a.example.com")).await;
    assert_eq!(common_name(&leaf), FAKE_CERT_CN);
}
