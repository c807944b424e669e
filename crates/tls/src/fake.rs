//! The fake default certificate, as ingress-nginx generates when no `--default-ssl-certificate`
//! loads: CN `Kubernetes Ingress Controller Fake Certificate`, O `Acme Co`, SAN `ingress.local`,
//! valid 365 days. Generated once per process.
//!
//! Difference: ingress-nginx uses RSA-2048; `ring` cannot generate RSA keys, so this one is
//! ECDSA P-256 (every TLS 1.2/1.3 client supports it; probes checking the CN/SAN still pass).

use std::sync::{Arc, OnceLock};

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_ECDSA_P256_SHA256};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;

use crate::error::Error;

/// Subject CN of the fake certificate (what probes look for).
pub const FAKE_CERT_CN: &str = "Kubernetes Ingress Controller Fake Certificate";
/// Subject O of the fake certificate.
pub const FAKE_CERT_ORG: &str = "Acme Co";
/// The only SAN of the fake certificate.
pub const FAKE_CERT_SAN: &str = "ingress.local";

static FAKE: OnceLock<Result<Arc<CertifiedKey>, String>> = OnceLock::new();

/// The process-wide fake certificate, generated on first use and shared afterwards.
pub fn fake_certificate() -> Result<Arc<CertifiedKey>, Error> {
    FAKE.get_or_init(|| generate().map(Arc::new).map_err(|e| e.to_string()))
        .clone()
        .map_err(Error::FakeCertificate)
}

fn generate() -> Result<CertifiedKey, Box<dyn std::error::Error>> {
    let key_pair = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?;
    let mut params = CertificateParams::new(vec![FAKE_CERT_SAN.to_owned()])?;
    let mut subject = DistinguishedName::new();
    subject.push(DnType::CommonName, FAKE_CERT_CN);
    subject.push(DnType::OrganizationName, FAKE_CERT_ORG);
    params.distinguished_name = subject;
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now;
    params.not_after = now + time::Duration::days(365);
    let cert = params.self_signed(&key_pair)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
    let signing_key = rustls::crypto::ring::sign::any_supported_type(&key_der)?;
    Ok(CertifiedKey::new(vec![cert.der().clone()], signing_key))
}
