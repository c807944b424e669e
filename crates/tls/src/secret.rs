//! Parsing one Secret's PEM material into a servable certificate: chain, key, and what the
//! leaf covers. Pure; every failure is a [`SecretError`], never a panic.

use std::sync::Arc;

use portico_model::TlsSecret;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use rustls::InconsistentKeys;
use x509_parser::parse_x509_certificate;

use crate::error::{SecretError, CERT_FIELD, KEY_FIELD};
use crate::names::{CertNames, Validity};

/// Largest accepted `tls.crt` or `tls.key`, in bytes.
pub const MAX_PEM_BYTES: usize = 1 << 20;
/// Most certificates accepted in one chain (leaf included).
pub const MAX_CHAIN_LEN: usize = 16;

/// A Secret that parsed: the chain (leaf first, served in this order) with a key proven to
/// match the leaf, plus the leaf's names and validity.
#[derive(Debug, Clone)]
pub(crate) struct LoadedCert {
    pub(crate) key: Arc<CertifiedKey>,
    pub(crate) names: CertNames,
    pub(crate) validity: Validity,
}

/// Parses `tls.crt` and `tls.key`. The certificate is checked first, so a Secret broken in
/// both fields is reported for `tls.crt`.
pub(crate) fn load(cert_pem: &[u8], key_pem: &[u8]) -> Result<LoadedCert, SecretError> {
    check_size(CERT_FIELD, cert_pem)?;
    check_size(KEY_FIELD, key_pem)?;
    let chain = parse_chain(cert_pem)?;
    let (names, validity) = inspect_chain(&chain)?;
    let signing_key = parse_key(key_pem)?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // `Unknown`: the key type cannot report its public half; the handshake will tell.
        Ok(()) | Err(rustls::Error::InconsistentKeys(InconsistentKeys::Unknown)) => {}
        Err(rustls::Error::InconsistentKeys(InconsistentKeys::KeyMismatch)) => {
            return Err(SecretError::KeyMismatch)
        }
        Err(other) => {
            return Err(SecretError::BadCertificate { index: 0, reason: other.to_string() })
        }
    }
    Ok(LoadedCert { key: Arc::new(certified), names, validity })
}

/// Whether `tls` loads and its leaf covers `host` (SAN, or CN without SAN; `*.` matches one
/// label). For §3.1 step 2: picking, among an Ingress's TLS Secrets, one that covers a host.
pub fn secret_covers(tls: &TlsSecret, host: &str) -> Result<bool, SecretError> {
    Ok(load(&tls.cert_pem, &tls.key_pem)?.names.covers(host))
}

/// `(alias, Secret)` for each `server-alias` of a server with a Secret that covers the alias
/// (ingress-nginx serves an alias the host's certificate only then); host names win.
pub(crate) fn alias_assignments(
    table: &portico_model::RouteTable,
) -> Vec<(String, std::sync::Arc<TlsSecret>)> {
    let mut out = Vec::new();
    for server in table.servers.iter().filter(|s| !s.aliases.is_empty()) {
        let Some(secret) = &server.certificate else { continue };
        let Ok(names) = secret_names(secret) else { continue };
        for alias in &server.aliases {
            let taken = table.servers.iter().any(|s| s.host.to_string() == *alias);
            if !taken && names.names.covers(alias) {
                out.push((alias.clone(), secret.clone()));
            }
        }
    }
    out
}

/// What a Secret's leaf certificate covers, after a full load (chain, key, key match). For
/// checking one Secret against many hosts without parsing it again each time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretNames {
    names: CertNames,
}

/// Loads `tls` once and returns what its leaf covers; `Err` says why it cannot be served.
pub fn secret_names(tls: &TlsSecret) -> Result<SecretNames, SecretError> {
    Ok(SecretNames { names: load(&tls.cert_pem, &tls.key_pem)?.names })
}

// === impl SecretNames ===

impl SecretNames {
    pub(crate) fn of(cert: &LoadedCert) -> SecretNames {
        SecretNames { names: cert.names.clone() }
    }

    /// Whether the certificate is valid for `host` (any case; `*.` matches one label; a
    /// `*.suffix` host is covered by a literal `*.suffix` name).
    pub fn covers(&self, host: &str) -> bool {
        self.names.covers(host)
    }
}

fn check_size(field: &'static str, pem: &[u8]) -> Result<(), SecretError> {
    if pem.len() > MAX_PEM_BYTES {
        return Err(SecretError::TooLarge { field, size: pem.len(), limit: MAX_PEM_BYTES });
    }
    Ok(())
}

/// Every `CERTIFICATE` block in order; other PEM blocks are ignored.
fn parse_chain(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, SecretError> {
    let mut chain = Vec::new();
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| SecretError::CertificatePem(pem_error(&e)))?;
        chain.push(cert);
        if chain.len() > MAX_CHAIN_LEN {
            let count = CertificateDer::pem_slice_iter(pem).count();
            return Err(SecretError::ChainTooLong { count, limit: MAX_CHAIN_LEN });
        }
    }
    if chain.is_empty() {
        return Err(SecretError::NoCertificate);
    }
    Ok(chain)
}

/// A PEM error as text: rustls prints the markers and lines it quotes as byte arrays
/// (`[67, 69, 82, ...]`).
fn pem_error(error: &pem::Error) -> String {
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).trim().to_string();
    match error {
        pem::Error::MissingSectionEnd { end_marker } => {
            format!("missing section end marker \"-----END {}-----\"", text(end_marker))
        }
        pem::Error::IllegalSectionStart { line } => {
            format!("illegal section start line \"{}\"", text(line))
        }
        other => other.to_string(),
    }
}

/// Checks every certificate is X.509 and reads the leaf's names and validity.
fn inspect_chain(chain: &[CertificateDer<'_>]) -> Result<(CertNames, Validity), SecretError> {
    let mut leaf = None;
    for (index, der) in chain.iter().enumerate() {
        let (_, cert) = parse_x509_certificate(der.as_ref())
            .map_err(|e| SecretError::BadCertificate { index, reason: e.to_string() })?;
        if index == 0 {
            leaf = Some((CertNames::of(&cert), Validity::of(&cert)));
        }
    }
    leaf.ok_or(SecretError::NoCertificate)
}

/// The first private key block: `RSA PRIVATE KEY` (PKCS#1), `PRIVATE KEY` (PKCS#8) or
/// `EC PRIVATE KEY` (SEC1).
fn parse_key(pem: &[u8]) -> Result<Arc<dyn rustls::sign::SigningKey>, SecretError> {
    let der = match PrivateKeyDer::from_pem_slice(pem) {
        Ok(der) => der,
        Err(pem::Error::NoItemsFound) => return Err(SecretError::NoKey),
        Err(e) => return Err(SecretError::KeyPem(pem_error(&e))),
    };
    rustls::crypto::ring::sign::any_supported_type(&der)
        .map_err(|e| SecretError::UnsupportedKey(e.to_string()))
}

#[cfg(test)]
mod tests;
