use std::sync::Arc;

use portico_model::{
    ClientAuth, CnPattern, HostPattern, ObjectRef, RouteTable, Server, VerifyClient,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair,
    KeyUsagePurpose, RevokedCertParams, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::CertStore;

type Ca = CertifiedIssuer<'static, KeyPair>;

fn ca(cn: &str, parent: Option<&Ca>) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let key = KeyPair::generate().unwrap();
    match parent {
        Some(parent) => CertifiedIssuer::signed_by(params, key, parent).unwrap(),
        None => CertifiedIssuer::self_signed(params, key).unwrap(),
    }
}

fn client(cn: &str, issuer: &Ca, serial: u64, expired: bool) -> CertificateDer<'static> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::OrganizationName, "Example, Inc.");
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.serial_number = Some(SerialNumber::from(serial));
    if expired {
        params.not_before = OffsetDateTime::now_utc() - Duration::days(10);
        params.not_after = OffsetDateTime::now_utc() - Duration::days(1);
    }
    let key = KeyPair::generate().unwrap();
    params.signed_by(&key, issuer).unwrap().der().clone()
}

fn auth(ca_pem: &str, crl_pem: Option<String>, depth: u32) -> Arc<ClientAuth> {
    Arc::new(ClientAuth {
        secret: ObjectRef::new("Secret", "default", "ca"),
        ca_pem: Arc::from(ca_pem.as_bytes()),
        crl_pem: crl_pem.map(|c| Arc::from(c.as_bytes())),
        verify: VerifyClient::On,
        depth,
        error_page: None,
        pass_certificate: true,
        match_cn: Some(CnPattern::new("CN=alice").unwrap()),
    })
}

fn resolver() -> Arc<SniResolver> {
    Arc::new(SniResolver::new(CertStore::build(&[], None).0))
}

fn verifier(auth: Arc<ClientAuth>) -> ClientVerifier {
    ClientVerifier::new(auth, resolver(), &Default::default()).unwrap()
}

#[test]
fn a_certificate_from_the_ca_verifies_with_nginx_dns() {
    let root = ca("Root CA", None);
    let v = verifier(auth(&root.pem(), None, 1));
    let leaf = client("alice", &root, 1, false);
    let peer = v.verify(Some(&[leaf]));
    assert_eq!(peer.verification, Verification::Success);
    assert_eq!(peer.verification.to_value(), "SUCCESS");
    assert_eq!(peer.subject, "CN=alice,O=Example\\, Inc.");
    assert_eq!(peer.issuer, "CN=Root CA");
    let pem = peer.escaped_pem.unwrap();
    assert!(pem.starts_with("-----BEGIN%20CERTIFICATE-----%0A"), "{pem}");
    assert!(!pem.contains(['+', '/', '=', '\n']), "URL-encoded: {pem}");

    let none = v.verify(None);
    assert_eq!((none.verification, none.subject.as_str()), (Verification::None, ""));
    assert_eq!(v.verify(Some(&[])).verification.to_value(), "NONE");
}

#[test]
fn failures_carry_openssl_reasons() {
    let root = ca("Root CA", None);
    let other = ca("Other CA", None);
    let v = verifier(auth(&root.pem(), None, 1));
    let foreign = v.verify(Some(&[client("alice", &other, 1, false)])).verification;
    assert_eq!(foreign.to_value(), "FAILED:unable to get local issuer certificate");
    assert!(foreign.is_unknown_issuer());
    let expired = v.verify(Some(&[client("alice", &root, 2, true)])).verification;
    assert_eq!(expired.to_value(), "FAILED:certificate has expired");
    assert!(!expired.is_unknown_issuer(), "optional_no_ca does not tolerate expiry");
}

#[test]
fn depth_counts_intermediates() {
    let root = ca("Root CA", None);
    let mid1 = ca("Intermediate 1", Some(&root));
    let mid2 = ca("Intermediate 2", Some(&mid1));
    let one = [client("alice", &mid1, 1, false), mid1.der().clone()];
    let two = [client("alice", &mid2, 2, false), mid2.der().clone(), mid1.der().clone()];
    let depth1 = verifier(auth(&root.pem(), None, 1));
    assert_eq!(depth1.verify(Some(&one)).verification, Verification::Success);
    assert_eq!(
        depth1.verify(Some(&two)).verification.to_value(),
        "FAILED:certificate chain too long"
    );
    let depth2 = verifier(auth(&root.pem(), None, 2));
    assert_eq!(depth2.verify(Some(&two)).verification, Verification::Success);
}

#[test]
fn revoked_certificates_fail_with_a_crl() {
    let root = ca("Root CA", None);
    let now = OffsetDateTime::now_utc();
    let crl = CertificateRevocationListParams {
        this_update: now - Duration::hours(1),
        next_update: now + Duration::days(1),
        crl_number: SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![RevokedCertParams {
            serial_number: SerialNumber::from(7u64),
            revocation_time: now - Duration::minutes(30),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: KeyIdMethod::Sha256,
    }
    .signed_by(&root)
    .unwrap()
    .pem()
    .unwrap();
    check_client_ca(root.pem().as_bytes(), Some(crl.as_bytes())).unwrap();
    let v = verifier(auth(&root.pem(), Some(crl), 1));
    let revoked = v.verify(Some(&[client("alice", &root, 7, false)])).verification;
    assert_eq!(revoked.to_value(), "FAILED:certificate revoked");
    assert_eq!(
        v.verify(Some(&[client("bob", &root, 8, false)])).verification,
        Verification::Success
    );
}

#[test]
fn unusable_ca_secrets_are_errors() {
    assert_eq!(check_client_ca(b"", None), Err(ClientCaError::NoCertificate));
    assert_eq!(check_client_ca(b"not pem at all", None), Err(ClientCaError::NoCertificate));
    let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert!(matches!(
        check_client_ca(broken.as_bytes(), None),
        Err(ClientCaError::BadCertificate { .. })
    ));
    let root = ca("Root CA", None).pem();
    assert!(matches!(
        check_client_ca(root.as_bytes(), Some(b"junk")),
        Err(ClientCaError::BadCrl(_))
    ));
}

#[test]
fn lookup_by_sni_exact_wildcard_then_default_server() {
    let root = ca("Root CA", None).pem();
    let on = auth(&root, None, 1);
    let off = Arc::new(ClientAuth { verify: VerifyClient::Off, ..(*on).clone() });
    let server = |host: HostPattern, auth: Option<&Arc<ClientAuth>>| Server {
        host,
        client_auth: auth.cloned(),
        ..Server::default()
    };
    let table = RouteTable {
        servers: vec![
            server(HostPattern::Exact("mtls.test".into()), Some(&on)),
            server(HostPattern::Exact("off.test".into()), Some(&off)),
            server(HostPattern::Exact("open.test".into()), None),
            server(HostPattern::Wildcard("wild.test".into()), Some(&on)),
        ],
        default_server: server(HostPattern::CatchAll, Some(&on)),
        ..RouteTable::default()
    };
    let resolver = resolver();
    let (store, errors) = ClientAuthStore::build(&table, &resolver, &ClientAuthStore::default());
    assert!(errors.is_empty() && !store.is_empty());
    assert!(store.lookup(Some("MTLS.test.")).is_some());
    assert!(store.lookup(Some("a.wild.test")).is_some());
    assert!(store.lookup(Some("off.test")).is_none(), "off asks for no certificate");
    assert!(store.lookup(Some("open.test")).is_none());
    assert!(store.lookup(Some("unknown.test")).is_some(), "the _ server's");
    assert!(store.lookup(None).is_some());

    let (again, _) = ClientAuthStore::build(&table, &resolver, &store);
    let (a, b) =
        (store.lookup(Some("mtls.test")).unwrap(), again.lookup(Some("mtls.test")).unwrap());
    assert!(Arc::ptr_eq(a, b), "unchanged settings keep their configuration (and sessions)");
}
