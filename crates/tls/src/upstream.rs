//! TLS toward backends (`backend-protocol: HTTPS`/`GRPCS`, `proxy-ssl-*`): the rustls client
//! configuration of one location's settings, built when a table is swapped in, never per
//! request.
//!
//! nginx's semantics, which ingress-nginx keeps:
//! - verification is off by default: any server certificate is accepted (the handshake
//!   signature is still checked against the certificate's key);
//! - with `proxy-ssl-verify: on` the chain must lead to `ca.crt` within `verify-depth`
//!   intermediates and cover the name (`proxy-ssl-name`, else `upstream_balancer`);
//! - SNI is sent only with `proxy-ssl-server-name: on`;
//! - the client certificate (`tls.crt`/`tls.key`) is presented when the Secret has one.

mod verify;

use std::sync::Arc;

use portico_model::{UpstreamTls, DEFAULT_PROXY_SSL_NAME};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{ring, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{CipherSuite, ClientConfig, RootCertStore, SupportedCipherSuite};

use crate::secret;
use crate::SecretError;

/// Why a location's upstream TLS settings cannot be used (the location is denied).
#[derive(Debug, thiserror::Error)]
pub enum UpstreamTlsError {
    #[error("ca.crt: {0}")]
    Ca(String),
    #[error("client certificate: {0}")]
    ClientCert(#[from] SecretError),
    #[error("proxy-ssl-name {0:?} is not a name a certificate can be verified for")]
    Name(String),
    #[error("{0}")]
    Config(#[from] rustls::Error),
}

/// The OpenSSL names of the TLS 1.2 suites rustls implements, with their rustls identifier.
const TLS12_SUITES: &[(&str, CipherSuite)] = &[
    ("ECDHE-ECDSA-AES128-GCM-SHA256", CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256),
    ("ECDHE-ECDSA-AES256-GCM-SHA384", CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384),
    ("ECDHE-ECDSA-CHACHA20-POLY1305", CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256),
    ("ECDHE-RSA-AES128-GCM-SHA256", CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256),
    ("ECDHE-RSA-AES256-GCM-SHA384", CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384),
    ("ECDHE-RSA-CHACHA20-POLY1305", CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256),
];

/// The client configuration for `tls` (`None`: nginx's defaults), offering ALPN `h2` when
/// `h2` (gRPC) and no ALPN otherwise (as nginx's `proxy_pass https://`).
pub fn upstream_client_config(
    tls: Option<&UpstreamTls>,
    h2: bool,
) -> Result<Arc<ClientConfig>, UpstreamTlsError> {
    let provider = Arc::new(provider(tls));
    let versions = versions(tls);
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)?
        .dangerous()
        .with_custom_certificate_verifier(verifier(tls, &provider)?);
    let mut config = match tls.and_then(|t| t.client_cert.as_ref()) {
        Some(cert) => {
            secret::load(&cert.cert_pem, &cert.key_pem)?;
            let chain = CertificateDer::pem_slice_iter(&cert.cert_pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| SecretError::CertificatePem(e.to_string()))?;
            let key = PrivateKeyDer::from_pem_slice(&cert.key_pem)
                .map_err(|e| SecretError::KeyPem(e.to_string()))?;
            builder.with_client_auth_cert(chain, key)?
        }
        None => builder.with_no_client_auth(),
    };
    config.enable_sni = tls.is_some_and(|t| t.server_name);
    if h2 {
        config.alpn_protocols = vec![b"h2".to_vec()];
    }
    Ok(Arc::new(config))
}

/// The name verified (and sent as SNI when enabled): `proxy-ssl-name`, else nginx's
/// `$proxy_host` as ingress-nginx renders it.
pub fn upstream_server_name(
    tls: Option<&UpstreamTls>,
) -> Result<ServerName<'static>, UpstreamTlsError> {
    let name = tls.map_or(DEFAULT_PROXY_SSL_NAME, |t| t.name.as_str());
    ServerName::try_from(name.to_string()).map_err(|_| UpstreamTlsError::Name(name.to_string()))
}

/// Checks that `tls` builds (CA, client certificate, name), for the compiler. `ca.crt` must
/// parse even when verification is off, as ingress-nginx refuses such a Secret.
pub fn check_upstream_tls(tls: &UpstreamTls) -> Result<(), UpstreamTlsError> {
    if let Some(ca) = &tls.ca_pem {
        roots(ca)?;
    }
    upstream_client_config(Some(tls), false)?;
    upstream_server_name(Some(tls))?;
    Ok(())
}

/// ring with every TLS 1.3 suite and the TLS 1.2 suites `proxy-ssl-ciphers` names (all when
/// it names none).
fn provider(tls: Option<&UpstreamTls>) -> CryptoProvider {
    let mut provider = ring::default_provider();
    let Some(names) = tls.map(|t| &t.ciphers).filter(|c| !c.is_empty()) else { return provider };
    let wanted: Vec<CipherSuite> = TLS12_SUITES
        .iter()
        .filter(|(name, _)| names.iter().any(|n| n == name))
        .map(|(_, suite)| *suite)
        .collect();
    provider.cipher_suites.retain(|suite| match suite {
        SupportedCipherSuite::Tls13(_) => true,
        SupportedCipherSuite::Tls12(_) => wanted.contains(&suite.suite()),
    });
    provider
}

fn versions(tls: Option<&UpstreamTls>) -> Vec<&'static rustls::SupportedProtocolVersion> {
    let wanted = tls.map(|t| t.versions).unwrap_or_default();
    let mut versions = Vec::new();
    if wanted.tls13 {
        versions.push(&rustls::version::TLS13);
    }
    if wanted.tls12 || versions.is_empty() {
        versions.push(&rustls::version::TLS12);
    }
    versions
}

/// WebPKI against `ca.crt` within the depth when verification is on, else accept any chain.
fn verifier(
    tls: Option<&UpstreamTls>,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, UpstreamTlsError> {
    let algorithms = provider.signature_verification_algorithms;
    let Some((tls, ca)) = tls.filter(|t| t.verify).and_then(|t| Some((t, t.ca_pem.as_ref()?)))
    else {
        return Ok(Arc::new(verify::AcceptAny { algorithms }));
    };
    let (roots, anchors) = roots(ca)?;
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| UpstreamTlsError::Ca(e.to_string()))?;
    Ok(Arc::new(verify::DepthLimited { inner, depth: tls.verify_depth, anchors }))
}

/// The trust anchors of `ca.crt`, and its certificates as sent (for the depth rule).
fn roots(ca: &[u8]) -> Result<(RootCertStore, Vec<CertificateDer<'static>>), UpstreamTlsError> {
    let mut roots = RootCertStore::empty();
    let mut anchors = Vec::new();
    for cert in CertificateDer::pem_slice_iter(ca) {
        let cert = cert.map_err(|e| UpstreamTlsError::Ca(e.to_string()))?;
        roots.add(cert.clone()).map_err(|e| UpstreamTlsError::Ca(e.to_string()))?;
        anchors.push(cert);
    }
    if anchors.is_empty() {
        return Err(UpstreamTlsError::Ca("no PEM certificate found".to_string()));
    }
    Ok((roots, anchors))
}

#[cfg(test)]
mod tests;
