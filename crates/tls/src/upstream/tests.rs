use std::sync::Arc;

use portico_model::{ClientCert, ObjectRef, TlsVersions, UpstreamTls, DEFAULT_PROXY_SSL_NAME};
use rcgen::{CertificateParams, KeyPair};

use super::*;

fn self_signed(name: &str) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![name.to_string()]).unwrap().self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn settings() -> UpstreamTls {
    UpstreamTls {
        secret: ObjectRef::new("Secret", "ns", "s"),
        ca_pem: None,
        client_cert: None,
        verify: false,
        verify_depth: 1,
        name: DEFAULT_PROXY_SSL_NAME.to_string(),
        server_name: false,
        versions: TlsVersions { tls12: true, tls13: false },
        ciphers: Vec::new(),
    }
}

#[test]
fn defaults_send_no_sni_and_h2_only_for_grpc() {
    let config = upstream_client_config(None, false).unwrap();
    assert!(!config.enable_sni);
    assert!(config.alpn_protocols.is_empty());
    let config = upstream_client_config(None, true).unwrap();
    assert_eq!(config.alpn_protocols, [b"h2".to_vec()]);
    assert!(upstream_server_name(None).is_ok(), "upstream_balancer is a usable name");
}

#[test]
fn settings_build_and_bad_material_is_reported() {
    let (ca, _) = self_signed("backend.test");
    let (cert, key) = self_signed("client");
    let good = UpstreamTls {
        ca_pem: Some(Arc::from(ca.as_bytes())),
        client_cert: Some(ClientCert {
            cert_pem: Arc::from(cert.as_bytes()),
            key_pem: Arc::from(key.as_bytes()),
        }),
        verify: true,
        server_name: true,
        ..settings()
    };
    check_upstream_tls(&good).unwrap();
    assert!(upstream_client_config(Some(&good), false).unwrap().enable_sni);

    let bad_ca = UpstreamTls { ca_pem: Some(Arc::from(&b"not pem"[..])), ..good.clone() };
    assert!(matches!(check_upstream_tls(&bad_ca), Err(UpstreamTlsError::Ca(_))));
    let unverified = UpstreamTls { verify: false, ..bad_ca };
    assert!(matches!(check_upstream_tls(&unverified), Err(UpstreamTlsError::Ca(_))));
    let (_, other_key) = self_signed("other");
    let mismatch = UpstreamTls {
        client_cert: Some(ClientCert {
            cert_pem: Arc::from(cert.as_bytes()),
            key_pem: Arc::from(other_key.as_bytes()),
        }),
        ..good.clone()
    };
    assert!(matches!(check_upstream_tls(&mismatch), Err(UpstreamTlsError::ClientCert(_))));
    let bad_name = UpstreamTls { name: "a b".to_string(), ..good };
    assert!(matches!(check_upstream_tls(&bad_name), Err(UpstreamTlsError::Name(_))));
}

#[test]
fn ciphers_restrict_tls12_suites_only() {
    let tls =
        UpstreamTls { ciphers: vec!["ECDHE-RSA-AES128-GCM-SHA256".to_string()], ..settings() };
    let provider = provider(Some(&tls));
    let tls12: Vec<_> = provider
        .cipher_suites
        .iter()
        .filter(|s| matches!(s, SupportedCipherSuite::Tls12(_)))
        .map(|s| s.suite())
        .collect();
    assert_eq!(tls12, [CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]);
    assert!(provider.cipher_suites.iter().any(|s| matches!(s, SupportedCipherSuite::Tls13(_))));
}

type Ca = rcgen::CertifiedIssuer<'static, KeyPair>;

fn ca(cn: &str, parent: Option<&Ca>) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, cn);
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    match parent {
        Some(parent) => rcgen::CertifiedIssuer::signed_by(params, key, parent).unwrap(),
        None => rcgen::CertifiedIssuer::self_signed(params, key).unwrap(),
    }
}

fn leaf(issuer: &Ca) -> CertificateDer<'static> {
    let key = KeyPair::generate().unwrap();
    let params = CertificateParams::new(vec!["b.io".to_string()]).unwrap();
    params.signed_by(&key, issuer).unwrap().der().clone()
}

#[test]
fn verify_depth_counts_sent_intermediates_but_not_repeated_anchors() {
    let root = ca("root", None);
    let mid1 = ca("mid1", Some(&root));
    let mid2 = ca("mid2", Some(&mid1));
    let verify = |depth, chain: &[CertificateDer<'static>]| {
        let tls = UpstreamTls {
            ca_pem: Some(Arc::from(root.pem().as_bytes())),
            verify: true,
            verify_depth: depth,
            name: "b.io".to_string(),
            ..settings()
        };
        let provider = Arc::new(provider(Some(&tls)));
        let verifier = verifier(Some(&tls), &provider).unwrap();
        let name = ServerName::try_from("b.io").unwrap();
        let now = rustls::pki_types::UnixTime::now();
        verifier.verify_server_cert(&chain[0], &chain[1..], &name, &[], now).is_ok()
    };
    let one = [leaf(&mid1), mid1.der().clone(), root.der().clone()];
    let two = [leaf(&mid2), mid2.der().clone(), mid1.der().clone()];
    assert!(verify(1, &one), "the repeated root is not counted");
    assert!(!verify(1, &two));
    assert!(verify(2, &two));
    let direct = [leaf(&root)];
    assert!(verify(1, &direct));
    let other = ca("other", None);
    assert!(!verify(5, &[leaf(&other)]), "another CA never verifies");
}
