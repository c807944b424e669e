//! Why a Secret's certificate cannot be served, and why the TLS setup itself failed.

/// A `kubernetes.io/tls` Secret whose PEM material cannot be served. The host that asked for it
/// gets the default certificate instead; [`SecretError::field`] names the data key at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("{field} is {size} bytes, over the {limit} byte limit")]
    TooLarge { field: &'static str, size: usize, limit: usize },
    #[error("no PEM certificate found")]
    NoCertificate,
    #[error("invalid PEM certificate: {0}")]
    CertificatePem(String),
    #[error("{count} certificates in the chain, over the limit of {limit}")]
    ChainTooLong { count: usize, limit: usize },
    #[error("certificate #{index} of the chain is not valid X.509: {reason}")]
    BadCertificate { index: usize, reason: String },
    #[error("no PEM private key found (PKCS#1, PKCS#8 or SEC1 expected)")]
    NoKey,
    #[error("invalid PEM private key: {0}")]
    KeyPem(String),
    #[error("unsupported private key: {0}")]
    UnsupportedKey(String),
    #[error("private key does not match the certificate in tls.crt")]
    KeyMismatch,
}

/// The TLS machinery itself could not be set up (not a user input problem).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("building the TLS server configuration: {0}")]
    Config(#[from] rustls::Error),
    #[error("generating the fake default certificate: {0}")]
    FakeCertificate(String),
}

// === impl SecretError ===

impl SecretError {
    /// The diagnostic field: `data["tls.crt"]` or `data["tls.key"]`.
    pub fn field(&self) -> &'static str {
        match self {
            SecretError::TooLarge { field, .. } => field,
            SecretError::NoCertificate
            | SecretError::CertificatePem(_)
            | SecretError::ChainTooLong { .. }
            | SecretError::BadCertificate { .. } => CERT_FIELD,
            SecretError::NoKey
            | SecretError::KeyPem(_)
            | SecretError::UnsupportedKey(_)
            | SecretError::KeyMismatch => KEY_FIELD,
        }
    }
}

pub(crate) const CERT_FIELD: &str = "data[\"tls.crt\"]";
pub(crate) const KEY_FIELD: &str = "data[\"tls.key\"]";
