//! Client-certificate authentication of a host (ingress-nginx `auth-tls-*`, spec §2): the CA
//! the TLS layer verifies client certificates against, and what the access phase does with
//! the outcome.

use std::sync::Arc;

use crate::ObjectRef;

/// The `auth-tls-*` settings of one host, with the CA Secret's content. Host-wide: the TLS
/// handshake of the host asks for a certificate, and every location of the host checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuth {
    /// The CA Secret (`auth-tls-secret`), for logs and diagnostics.
    pub secret: ObjectRef,
    /// `ca.crt`: the certificates client chains must end at (PEM, already checked to parse).
    pub ca_pem: Arc<[u8]>,
    /// `ca.crl`, when present: revoked client certificates (PEM).
    pub crl_pem: Option<Arc<[u8]>>,
    pub verify: VerifyClient,
    /// `auth-tls-verify-depth`: intermediate CA certificates allowed between the client
    /// certificate and the CA (nginx's `ssl_verify_depth`, default 1).
    pub depth: u32,
    /// `auth-tls-error-page`: 302 here instead of the 400 for a missing or bad certificate.
    pub error_page: Option<Arc<str>>,
    /// `auth-tls-pass-certificate-to-upstream`: send `ssl-client-cert` (URL-encoded PEM).
    pub pass_certificate: bool,
    /// `auth-tls-match-cn`: the subject DN must match, else 403.
    pub match_cn: Option<CnPattern>,
}

/// `auth-tls-verify-client` (nginx's `ssl_verify_client`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum VerifyClient {
    /// A certificate signed by the CA is required: 400 without one or with a bad one.
    #[default]
    On,
    /// No certificate is asked for; the headers say `NONE`.
    Off,
    /// Asked for, not required; a certificate sent must verify (else 400).
    Optional,
    /// Asked for, not required, not verified: any certificate passes (`ssl-client-verify`
    /// says whether it verified).
    OptionalNoCa,
}

/// A compiled `auth-tls-match-cn` regex (unanchored, matched against the subject DN as
/// nginx's `$ssl_client_s_dn !~ "CN=..."`). Compared by source.
#[derive(Debug, Clone)]
pub struct CnPattern(regex::Regex);

// === impl VerifyClient ===

impl VerifyClient {
    /// The annotation value: `on`, `off`, `optional`, `optional_no_ca`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "on" => Some(Self::On),
            "off" => Some(Self::Off),
            "optional" => Some(Self::Optional),
            "optional_no_ca" => Some(Self::OptionalNoCa),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Off => "off",
            Self::Optional => "optional",
            Self::OptionalNoCa => "optional_no_ca",
        }
    }

    /// The handshake asks the client for a certificate.
    pub fn requests_certificate(self) -> bool {
        self != Self::Off
    }
}

// === impl CnPattern ===

impl CnPattern {
    pub fn new(source: &str) -> Result<Self, regex::Error> {
        regex::Regex::new(source).map(Self)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether the subject DN matches.
    pub fn matches(&self, subject: &str) -> bool {
        self.0.is_match(subject)
    }
}

impl PartialEq for CnPattern {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for CnPattern {}
