//! A TLS client for tests that look at what a server presented instead of trusting it: any
//! certificate is accepted as long as the handshake signature verifies. Used by these e2e tests
//! and by `portico-tls`'s own tests.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme, SupportedProtocolVersion};

/// A client config (ring provider) offering ALPN `alpn` and protocol `versions`, accepting any
/// server certificate whose handshake signature verifies.
///
/// # Panics
/// When rustls refuses `versions` (a test setup error).
pub fn accept_any_client(
    alpn: &[&[u8]],
    versions: &[&'static SupportedProtocolVersion],
) -> ClientConfig {
    accept_any_client_offering(None, alpn, versions)
}

/// [`accept_any_client`] offering only the `suites` named (IANA names, in this order of
/// preference) when given, else the provider's.
///
/// # Panics
/// When rustls refuses `versions` (a test setup error).
pub fn accept_any_client_offering(
    suites: Option<&[&str]>,
    alpn: &[&[u8]],
    versions: &[&'static SupportedProtocolVersion],
) -> ClientConfig {
    let mut provider = ring::default_provider();
    if let Some(names) = suites {
        let all = std::mem::take(&mut provider.cipher_suites);
        provider.cipher_suites = names
            .iter()
            .filter_map(|name| all.iter().find(|s| s.suite().as_str() == Some(name)).copied())
            .collect();
    }
    let provider = Arc::new(provider);
    let mut config = ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .expect("the ring provider supports these protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAny(provider)))
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// Accepts any certificate whose signature verifies: the tests look at what was presented.
#[derive(Debug)]
struct AcceptAny(Arc<CryptoProvider>);

// === impl AcceptAny ===

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
