//! The two server-certificate checks toward backends: none (nginx's `proxy_ssl_verify off`)
//! and WebPKI with OpenSSL's depth limit (`proxy_ssl_verify_depth`).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

/// Accepts any certificate chain; the handshake signature is still verified with the leaf's
/// key, so the peer holds the key of the certificate it sent.
#[derive(Debug)]
pub(super) struct AcceptAny {
    pub algorithms: WebPkiSupportedAlgorithms,
}

/// WebPKI verification, then OpenSSL's depth rule: at most `depth` intermediates between the
/// leaf and a trust anchor. Certificates the server sends that are themselves anchors (a root
/// appended to the chain) are not counted.
#[derive(Debug)]
pub(super) struct DepthLimited {
    pub inner: Arc<WebPkiServerVerifier>,
    pub depth: u32,
    pub anchors: Vec<CertificateDer<'static>>,
}

// === impl AcceptAny ===

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

// === impl DepthLimited ===

impl ServerCertVerifier for DepthLimited {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let counted = intermediates.iter().filter(|c| !self.anchors.contains(c)).count();
        if counted > self.depth as usize {
            return Err(Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(
                Arc::new(DepthExceeded { depth: self.depth, found: counted }),
            ))));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The chain is longer than `proxy-ssl-verify-depth` allows.
#[derive(Debug, thiserror::Error)]
#[error("certificate chain has {found} intermediates, over proxy-ssl-verify-depth {depth}")]
struct DepthExceeded {
    depth: u32,
    found: usize,
}
