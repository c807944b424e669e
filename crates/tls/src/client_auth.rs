//! Client certificates (`auth-tls-*`, spec §2): per host, the handshake configuration that asks
//! for a certificate, and the verification of what the client sent against the host's CA.
//!
//! As nginx, the handshake never fails because of the client certificate: it is asked for
//! (not required), the client's possession of its key is checked by the handshake signature,
//! and the chain is verified right after the handshake ([`ClientVerifier::verify`]) so that
//! the HTTP layer can answer 400 / 403 as nginx does. A host whose `auth-tls-verify-client` is
//! `off` is served the default configuration: no certificate is asked for.

mod dn;

use std::sync::Arc;

use portico_model::{ClientAuth, RouteTable, TlsSettings};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, TrustAnchor, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};
use webpki::{CertRevocationList, EndEntityCert, KeyUsage, RevocationOptionsBuilder};

use crate::config::build_server_config;
use crate::resolver::SniResolver;
use crate::sni_map::SniMap;

/// Resumable sessions kept per client-authenticating host.
const HOST_SESSION_CACHE_SIZE: usize = 1024;

/// Why a CA Secret cannot verify client certificates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientCaError {
    #[error("ca.crt holds no PEM certificate")]
    NoCertificate,
    #[error("ca.crt: invalid PEM: {0}")]
    Pem(String),
    #[error("ca.crt: certificate #{index} cannot be a trust anchor: {reason}")]
    BadCertificate { index: usize, reason: String },
    #[error("ca.crl: {0}")]
    BadCrl(String),
}

/// The outcome of client verification, as nginx's `$ssl_client_verify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// The certificate chains to the CA (within the depth, not revoked, valid now).
    Success,
    /// No certificate was sent.
    None,
    /// A certificate was sent and did not verify: OpenSSL's reason text.
    Failed(&'static str),
}

// === impl Verification ===

impl Verification {
    /// The chain failed only because its issuer is unknown (a self-signed certificate, or one
    /// from another CA): what `optional_no_ca` tolerates (nginx's
    /// `ngx_ssl_verify_error_optional`). An expired or revoked certificate is not tolerated.
    pub fn is_unknown_issuer(&self) -> bool {
        matches!(self, Verification::Failed(reason) if *reason == UNKNOWN_ISSUER)
    }

    /// `$ssl_client_verify`'s value: `SUCCESS`, `NONE` or `FAILED:<reason>`.
    pub fn to_value(&self) -> String {
        match self {
            Verification::Success => "SUCCESS".to_string(),
            Verification::None => "NONE".to_string(),
            Verification::Failed(reason) => format!("FAILED:{reason}"),
        }
    }
}

const UNKNOWN_ISSUER: &str = "unable to get local issuer certificate";

/// What the client presented on one connection, checked against its SNI host's CA.
#[derive(Debug, Clone)]
pub struct PeerCert {
    /// The settings it was verified under (the SNI host's).
    pub auth: Arc<ClientAuth>,
    pub verification: Verification,
    /// `$ssl_client_s_dn` (RFC 2253, empty without a certificate).
    pub subject: String,
    /// `$ssl_client_i_dn`.
    pub issuer: String,
    /// `$ssl_client_escaped_cert`: the leaf's PEM, URL-encoded; only when the host passes it.
    pub escaped_pem: Option<String>,
}

/// One host's CA, parsed, and the handshake configuration asking for certificates.
pub struct ClientVerifier {
    auth: Arc<ClientAuth>,
    anchors: Vec<TrustAnchor<'static>>,
    crls: Vec<CertRevocationList<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
    config: Arc<ServerConfig>,
    /// The host's TLS settings `config` was built with (the listener's with the host's
    /// `ssl-ciphers`), so that a table with other settings builds a new one.
    settings: TlsSettings,
}

/// The client-certificate settings of every TLS host of one table, looked up by SNI like the
/// certificates ([`crate::CertStore`]). Immutable; swapped whole with the table.
#[derive(Default)]
pub struct ClientAuthStore {
    /// `None` for a host: it asks for no certificate.
    verifiers: SniMap<Arc<ClientVerifier>>,
}

/// The handshake side: asks for a certificate, does not require one, accepts any chain (it is
/// verified after the handshake), and checks the handshake signature with the leaf's key.
#[derive(Debug)]
struct OfferClientAuth {
    hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

/// Parses `ca.crt` (and `ca.crl`) as [`ClientVerifier`] will; for the compiler.
pub fn check_client_ca(ca_pem: &[u8], crl_pem: Option<&[u8]>) -> Result<(), ClientCaError> {
    parse_anchors(ca_pem)?;
    parse_crls(crl_pem)?;
    Ok(())
}

// === impl ClientVerifier ===

impl ClientVerifier {
    /// Parses the CA of `auth` and builds its handshake configuration over `resolver`.
    pub fn new(
        auth: Arc<ClientAuth>,
        resolver: Arc<SniResolver>,
        settings: &TlsSettings,
    ) -> Result<Self, ClientCaError> {
        let anchors = parse_anchors(&auth.ca_pem)?;
        let crls = parse_crls(auth.crl_pem.as_deref())?;
        let provider = rustls::crypto::ring::default_provider();
        let algorithms = provider.signature_verification_algorithms;
        let hints = hints(&anchors);
        let offer = Arc::new(OfferClientAuth { hints, algorithms });
        let sessions = HOST_SESSION_CACHE_SIZE;
        let config = build_server_config(resolver, Some(offer), sessions, settings)
            .map_err(|e| ClientCaError::Pem(e.to_string()))?;
        Ok(Self { auth, anchors, crls, algorithms, config, settings: settings.clone() })
    }

    /// The handshake configuration of the host.
    pub fn server_config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    pub fn auth(&self) -> &Arc<ClientAuth> {
        &self.auth
    }

    /// Verifies the chain the client sent (leaf first; `None` or empty: no certificate).
    pub fn verify(&self, chain: Option<&[CertificateDer<'_>]>) -> PeerCert {
        let mut peer = PeerCert {
            auth: self.auth.clone(),
            verification: Verification::None,
            subject: String::new(),
            issuer: String::new(),
            escaped_pem: None,
        };
        let Some((leaf, intermediates)) = chain.and_then(<[_]>::split_first) else { return peer };
        if let Some((subject, issuer)) = dn::subject_and_issuer(leaf) {
            peer.subject = subject;
            peer.issuer = issuer;
        }
        if self.auth.pass_certificate {
            peer.escaped_pem = Some(dn::escaped_pem(leaf));
        }
        peer.verification = match self.check_chain(leaf, intermediates, UnixTime::now()) {
            Ok(()) => Verification::Success,
            Err(error) => Verification::Failed(reason(&error)),
        };
        peer
    }

    fn check_chain(
        &self,
        leaf: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), webpki::Error> {
        let cert = EndEntityCert::try_from(leaf)?;
        let crls: Vec<&CertRevocationList<'_>> = self.crls.iter().collect();
        // nginx sets X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL with `ssl_crl`: every
        // certificate of the chain needs its issuer's CRL.
        let revocation = RevocationOptionsBuilder::new(&crls).ok().map(|builder| {
            builder
                .with_depth(webpki::RevocationCheckDepth::Chain)
                .with_status_policy(webpki::UnknownStatusPolicy::Deny)
                .with_expiration_policy(webpki::ExpirationPolicy::Enforce)
                .build()
        });
        let depth = usize::try_from(self.auth.depth).unwrap_or(usize::MAX);
        let within_depth =
            |path: &webpki::VerifiedPath<'_>| match path.intermediate_certificates().count()
                <= depth
            {
                true => Ok(()),
                false => Err(webpki::Error::MaximumPathDepthExceeded),
            };
        cert.verify_for_usage(
            self.algorithms.all,
            &self.anchors,
            intermediates,
            now,
            KeyUsage::client_auth(),
            revocation,
            Some(&within_depth),
        )?;
        Ok(())
    }
}

impl std::fmt::Debug for ClientVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientVerifier")
            .field("secret", &self.auth.secret)
            .field("verify", &self.auth.verify)
            .field("anchors", &self.anchors.len())
            .field("crls", &self.crls.len())
            .finish()
    }
}

// === impl ClientAuthStore ===

impl ClientAuthStore {
    /// The hosts of `table` that ask for client certificates, with handshake configurations
    /// over `resolver` (the listener's TLS settings with the host's `ssl-ciphers`). A host
    /// whose settings equal its entry in `previous` keeps that entry (and its session cache).
    /// A CA that does not parse (the compiler checked it, so this is not expected) leaves the
    /// host asking for a certificate it can never verify: requests then fail, never pass (the
    /// error is returned for the log).
    pub fn build(
        table: &RouteTable,
        resolver: &Arc<SniResolver>,
        previous: &ClientAuthStore,
    ) -> (ClientAuthStore, Vec<(String, ClientCaError)>) {
        let mut errors = Vec::new();
        let verifiers = SniMap::build(table, |server| {
            let auth = server.client_auth.as_ref().filter(|a| a.verify.requests_certificate())?;
            let settings = server.tls.apply(&table.global.tls);
            let kept = previous.verifiers.of_host(&server.host);
            if let Some(kept) = kept.filter(|k| *k.auth == **auth && k.settings == settings) {
                return Some(kept.clone());
            }
            match ClientVerifier::new(auth.clone(), resolver.clone(), &settings) {
                Ok(verifier) => Some(Arc::new(verifier)),
                Err(error) => {
                    errors.push((server.host.to_string(), error));
                    ClientVerifier::unverifiable(auth.clone(), resolver.clone(), &settings)
                        .map(Arc::new)
                }
            }
        });
        (ClientAuthStore { verifiers }, errors)
    }

    /// The verifier for a handshake with this SNI: exact host, then the one-label wildcard,
    /// then (for an SNI naming no host, or none) the `_` server's. `None`: no certificate is
    /// asked for.
    pub fn lookup(&self, sni: Option<&str>) -> Option<&Arc<ClientVerifier>> {
        self.verifiers.lookup(sni)
    }

    /// No host asks for a client certificate.
    pub fn is_empty(&self) -> bool {
        self.verifiers.is_empty()
    }
}

impl std::fmt::Debug for ClientAuthStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientAuthStore")
            .field("hosts", &self.verifiers.hosts())
            .field("default", &self.verifiers.has_default())
            .finish()
    }
}

impl ClientVerifier {
    /// A verifier without trust anchors: every certificate fails (fail closed).
    fn unverifiable(
        auth: Arc<ClientAuth>,
        resolver: Arc<SniResolver>,
        settings: &TlsSettings,
    ) -> Option<Self> {
        let provider = rustls::crypto::ring::default_provider();
        let algorithms = provider.signature_verification_algorithms;
        let offer = Arc::new(OfferClientAuth { hints: Vec::new(), algorithms });
        let sessions = HOST_SESSION_CACHE_SIZE;
        let config = build_server_config(resolver, Some(offer), sessions, settings).ok()?;
        let settings = settings.clone();
        Some(Self { auth, anchors: Vec::new(), crls: Vec::new(), algorithms, config, settings })
    }
}

// === impl OfferClientAuth ===

impl ClientCertVerifier for OfferClientAuth {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        // Verified after the handshake against the host's CA (module docs).
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `ca.crt`: every certificate is a trust anchor (nginx's `ssl_client_certificate`).
fn parse_anchors(ca_pem: &[u8]) -> Result<Vec<TrustAnchor<'static>>, ClientCaError> {
    let mut anchors = Vec::new();
    for (index, der) in CertificateDer::pem_slice_iter(ca_pem).enumerate() {
        let der = der.map_err(|e| ClientCaError::Pem(e.to_string()))?;
        let anchor = webpki::anchor_from_trusted_cert(&der)
            .map_err(|e| ClientCaError::BadCertificate { index, reason: format!("{e:?}") })?;
        anchors.push(anchor.to_owned());
    }
    if anchors.is_empty() {
        return Err(ClientCaError::NoCertificate);
    }
    Ok(anchors)
}

/// The CA names sent in the CertificateRequest. A trust anchor keeps the Name without its
/// SEQUENCE header; the hint is the whole DER Name (OpenSSL clients abort on the bare content).
fn hints(anchors: &[TrustAnchor<'_>]) -> Vec<DistinguishedName> {
    anchors.iter().map(|a| DistinguishedName::in_sequence(&a.subject)).collect()
}

/// `ca.crl`: zero or more PEM CRLs.
fn parse_crls(crl_pem: Option<&[u8]>) -> Result<Vec<CertRevocationList<'static>>, ClientCaError> {
    let Some(pem) = crl_pem else { return Ok(Vec::new()) };
    let mut crls = Vec::new();
    for der in CertificateRevocationListDer::pem_slice_iter(pem) {
        let der = der.map_err(|e| ClientCaError::BadCrl(e.to_string()))?;
        let crl = webpki::OwnedCertRevocationList::from_der(&der)
            .map_err(|e| ClientCaError::BadCrl(format!("{e:?}")))?;
        crls.push(crl.into());
    }
    if crls.is_empty() {
        return Err(ClientCaError::BadCrl("no PEM CRL found".to_string()));
    }
    Ok(crls)
}

/// OpenSSL's words for a failed verification (`$ssl_client_verify` is `FAILED:<reason>`).
fn reason(error: &webpki::Error) -> &'static str {
    use webpki::Error as E;
    match error {
        E::UnknownIssuer => UNKNOWN_ISSUER,
        E::CertExpired { .. } => "certificate has expired",
        E::CertNotValidYet { .. } => "certificate is not yet valid",
        E::CertRevoked => "certificate revoked",
        E::UnknownRevocationStatus => "unable to get certificate CRL",
        E::CrlExpired { .. } => "CRL has expired",
        E::MaximumPathDepthExceeded | E::PathLenConstraintViolated => "certificate chain too long",
        E::InvalidSignatureForPublicKey => "certificate signature failure",
        E::RequiredEkuNotFoundContext(_) => "unsupported certificate purpose",
        E::CaUsedAsEndEntity => "invalid CA certificate",
        _ => "certificate verify failed",
    }
}

#[cfg(test)]
mod tests;
