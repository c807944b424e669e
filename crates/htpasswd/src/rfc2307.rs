//! RFC 2307 schemes that nginx implements itself: `{PLAIN}`, `{SHA}` and `{SSHA}`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::crypt64::ct_eq;
use crate::{HashError, HashKind};

/// A parsed `{SCHEME}payload` hash; SHA payloads are kept decoded.
pub(crate) enum Rfc2307 {
    /// `{PLAIN}password`.
    Plain(Vec<u8>),
    /// `{SHA}base64(sha1(password))`.
    Sha([u8; 20]),
    /// `{SSHA}base64(sha1(password + salt) + salt)`.
    Ssha { digest: [u8; 20], salt: Vec<u8> },
}

// === impl Rfc2307 ===

impl Rfc2307 {
    /// Parses a hash starting with `{`. Scheme names are case-sensitive, as in nginx.
    pub(crate) fn parse(hash: &str) -> Result<Self, HashError> {
        if let Some(plain) = hash.strip_prefix("{PLAIN}") {
            return Ok(Rfc2307::Plain(plain.as_bytes().to_vec()));
        }
        if let Some(payload) = hash.strip_prefix("{SSHA}") {
            // nginx's own decoder fails here → 500 (see `HashError::is_server_error`).
            let bytes =
                STANDARD.decode(payload).map_err(|_| HashError::BadBase64 { scheme: "{SSHA}" })?;
            // An empty salt is allowed: nginx then hashes the password alone.
            if bytes.len() < 20 {
                return Err(HashError::Malformed {
                    scheme: "{SSHA}",
                    reason: "payload shorter than a SHA-1 digest",
                });
            }
            let mut digest = [0u8; 20];
            digest.copy_from_slice(&bytes[..20]);
            return Ok(Rfc2307::Ssha { digest, salt: bytes[20..].to_vec() });
        }
        if let Some(payload) = hash.strip_prefix("{SHA}") {
            // nginx compares the re-encoded digest as a string: bad base64 is just a mismatch.
            let malformed =
                HashError::Malformed { scheme: "{SHA}", reason: "payload is not a base64 SHA-1" };
            let bytes = STANDARD.decode(payload).map_err(|_| malformed.clone())?;
            return bytes.try_into().map(Rfc2307::Sha).map_err(|_| malformed);
        }
        let name = hash.split_inclusive('}').next().unwrap_or(hash);
        Err(HashError::UnknownScheme(name.chars().take(16).collect()))
    }

    pub(crate) fn kind(&self) -> HashKind {
        match self {
            Rfc2307::Plain(_) => HashKind::Plain,
            Rfc2307::Sha(_) => HashKind::Sha1,
            Rfc2307::Ssha { .. } => HashKind::Ssha,
        }
    }

    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        match self {
            Rfc2307::Plain(plain) => ct_eq(plain, password),
            Rfc2307::Sha(digest) => ct_eq(&Sha1::digest(password), digest),
            Rfc2307::Ssha { digest, salt } => {
                let computed = Sha1::new().chain_update(password).chain_update(salt).finalize();
                ct_eq(&computed, digest)
            }
        }
    }
}
