use rcgen::{CertificateParams, KeyPair};

use super::*;

/// A self-signed ECDSA P-256 certificate for `sans`, as (`tls.crt`, `tls.key`) PEM (PKCS#8).
fn rcgen_pair(sans: &[&str]) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let params =
        CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

#[test]
fn ecdsa_pkcs8_loads_and_covers_its_sans() {
    let (crt, key) = rcgen_pair(&["a.example.com", "*.wild.example.com"]);
    let loaded = load(crt.as_bytes(), key.as_bytes()).unwrap();
    assert_eq!(loaded.key.cert.len(), 1);
    assert!(loaded.names.covers("a.example.com"));
    assert!(loaded.names.covers("x.wild.example.com"));
    assert!(loaded.names.covers("*.wild.example.com"));
    assert!(!loaded.names.covers("b.example.com"));
}

#[test]
fn missing_or_garbage_certificate() {
    let (_, key) = rcgen_pair(&["a.example.com"]);
    let key = key.as_bytes();
    assert_eq!(load(b"", key).unwrap_err(), SecretError::NoCertificate);
    assert_eq!(load(b"\x00\xffnot pem at all", key).unwrap_err(), SecretError::NoCertificate);
    // A key where the certificate should be.
    assert_eq!(load(key, key).unwrap_err(), SecretError::NoCertificate);
    let bad_base64 = b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
    assert!(matches!(load(bad_base64, key), Err(SecretError::CertificatePem(_))));
    let unterminated = b"-----BEGIN CERTIFICATE-----\nAAAA\n";
    assert!(matches!(load(unterminated, key), Err(SecretError::CertificatePem(_))));
    let not_x509 = b"-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
    let err = load(not_x509, key).unwrap_err();
    assert!(matches!(err, SecretError::BadCertificate { index: 0, .. }), "{err}");
    assert_eq!(err.field(), "data[\"tls.crt\"]");
}

#[test]
fn missing_garbage_or_mismatched_key() {
    let (crt, key) = rcgen_pair(&["a.example.com"]);
    let (_, other_key) = rcgen_pair(&["a.example.com"]);
    let crt = crt.as_bytes();
    let err = load(crt, b"").unwrap_err();
    assert_eq!(err, SecretError::NoKey);
    assert_eq!(err.field(), "data[\"tls.key\"]");
    assert_eq!(load(crt, crt).unwrap_err(), SecretError::NoKey, "a cert is not a key");
    let junk_key = b"-----BEGIN PRIVATE KEY-----\naGVsbG8gd29ybGQ=\n-----END PRIVATE KEY-----\n";
    assert!(matches!(load(crt, junk_key), Err(SecretError::UnsupportedKey(_))));
    let bad_base64 = b"-----BEGIN EC PRIVATE KEY-----\n%%%%\n-----END EC PRIVATE KEY-----\n";
    assert!(matches!(load(crt, bad_base64), Err(SecretError::KeyPem(_))));
    assert_eq!(load(crt, other_key.as_bytes()).unwrap_err(), SecretError::KeyMismatch);
    assert!(load(crt, key.as_bytes()).is_ok());
}

#[test]
fn size_and_chain_limits() {
    let (crt, key) = rcgen_pair(&["a.example.com"]);
    let huge = vec![b'A'; MAX_PEM_BYTES + 1];
    let err = load(&huge, key.as_bytes()).unwrap_err();
    assert!(matches!(err, SecretError::TooLarge { field: "data[\"tls.crt\"]", .. }), "{err}");
    let err = load(crt.as_bytes(), &huge).unwrap_err();
    assert_eq!(err.field(), "data[\"tls.key\"]");
    let long_chain = crt.repeat(MAX_CHAIN_LEN + 1);
    assert_eq!(
        load(long_chain.as_bytes(), key.as_bytes()).unwrap_err(),
        SecretError::ChainTooLong { count: MAX_CHAIN_LEN + 1, limit: MAX_CHAIN_LEN }
    );
    let max_chain = crt.repeat(MAX_CHAIN_LEN);
    assert_eq!(load(max_chain.as_bytes(), key.as_bytes()).unwrap().key.cert.len(), MAX_CHAIN_LEN);
}

#[test]
fn non_certificate_blocks_are_skipped() {
    let (crt, key) = rcgen_pair(&["a.example.com"]);
    let mixed = format!("{key}{crt}");
    let loaded = load(mixed.as_bytes(), key.as_bytes()).unwrap();
    assert_eq!(loaded.key.cert.len(), 1);
}

#[test]
fn secret_covers_checks_load_and_names() {
    let (crt, key) = rcgen_pair(&["*.example.com"]);
    let tls = TlsSecret {
        secret: portico_model::ObjectRef::new("Secret", "ns", "s"),
        cert_pem: crt.into_bytes().into(),
        key_pem: key.into_bytes().into(),
        file: None,
    };
    assert_eq!(secret_covers(&tls, "a.example.com"), Ok(true));
    assert_eq!(secret_covers(&tls, "example.com"), Ok(false));
    let names = secret_names(&tls).unwrap();
    assert!(names.covers("B.example.com") && !names.covers("a.b.example.com"));
    let broken = TlsSecret { key_pem: Arc::from(&b""[..]), ..tls };
    assert_eq!(secret_covers(&broken, "a.example.com"), Err(SecretError::NoKey));
    assert_eq!(secret_names(&broken), Err(SecretError::NoKey));
}

#[test]
fn pem_errors_quote_markers_as_text() {
    let cut = "-----BEGIN CERTIFICATE-----\nMIIB\n";
    let Err(SecretError::CertificatePem(reason)) = load(cut.as_bytes(), b"") else {
        panic!("a certificate without its END line is a PEM error")
    };
    assert_eq!(reason, "missing section end marker \"-----END CERTIFICATE-----\"");
    let (crt, _) = rcgen_pair(&["h.io"]);
    let Err(SecretError::KeyPem(reason)) =
        load(crt.as_bytes(), b"-----BEGIN PRIVATE KEY-----\nMIIB\n")
    else {
        panic!("a key without its END line is a PEM error")
    };
    assert!(!reason.contains('['), "{reason}");
    assert!(reason.contains("\"-----END PRIVATE KEY-----\""), "{reason}");
}
