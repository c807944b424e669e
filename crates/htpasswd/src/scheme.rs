//! Recognising a stored hash by its prefix, in nginx's order, and dispatching to its family.

use crate::{blowfish, des, md5crypt, rfc2307, shacrypt, HashError, HashKind};

/// A stored hash parsed far enough to be checked; borrowed from the hash string.
pub(crate) enum Scheme<'a> {
    Md5(md5crypt::Md5Crypt<'a>),
    Bcrypt(&'a str),
    Rfc2307(rfc2307::Rfc2307),
    Sha(shacrypt::ShaCrypt<'a>),
    Des(des::DesHash<'a>),
}

// === impl Scheme ===

impl<'a> Scheme<'a> {
    /// nginx checks `$apr1$`, `{PLAIN}`, `{SSHA}`, `{SHA}` itself and hands everything else
    /// to `crypt()`; musl's `crypt()` knows `$1$`, `$2?$`, `$5$`, `$6$`, `_` and DES.
    pub(crate) fn parse(hash: &'a str) -> Result<Self, HashError> {
        if hash.is_empty() {
            return Err(HashError::Empty);
        }
        if hash.starts_with(md5crypt::APR1) {
            return md5crypt::Md5Crypt::parse(hash, md5crypt::APR1).map(Scheme::Md5);
        }
        if hash.starts_with('{') {
            return rfc2307::Rfc2307::parse(hash).map(Scheme::Rfc2307);
        }
        if hash.starts_with(md5crypt::MD5) {
            return md5crypt::Md5Crypt::parse(hash, md5crypt::MD5).map(Scheme::Md5);
        }
        if hash.starts_with("$2") {
            return blowfish::parse(hash).map(Scheme::Bcrypt);
        }
        if hash.starts_with("$5$") || hash.starts_with("$6$") {
            return shacrypt::ShaCrypt::parse(hash).map(Scheme::Sha);
        }
        if hash.starts_with('$') || hash.starts_with('_') {
            return Err(HashError::UnknownScheme(scheme_prefix(hash)));
        }
        des::DesHash::parse(hash).map(Scheme::Des)
    }

    pub(crate) fn kind(&self) -> HashKind {
        match self {
            Scheme::Md5(md5) => md5.kind(),
            Scheme::Bcrypt(_) => HashKind::Bcrypt,
            Scheme::Rfc2307(rfc) => rfc.kind(),
            Scheme::Sha(sha) => sha.kind(),
            Scheme::Des(_) => HashKind::Des,
        }
    }

    pub(crate) fn verify(&self, password: &[u8]) -> Result<bool, HashError> {
        match self {
            Scheme::Md5(md5) => Ok(md5.verify(password)),
            Scheme::Bcrypt(hash) => blowfish::verify(hash, password),
            Scheme::Rfc2307(rfc) => Ok(rfc.verify(password)),
            Scheme::Sha(sha) => sha.verify(password),
            Scheme::Des(des) => Ok(des.verify(password)),
        }
    }
}

/// The `$id$` or `_` prefix of an unsupported hash, for the error (never the whole hash).
fn scheme_prefix(hash: &str) -> String {
    if hash.starts_with('_') {
        return "_".to_owned();
    }
    let mut prefix = String::new();
    for (i, c) in hash.chars().take(16).enumerate() {
        prefix.push(c);
        if c == '$' && i > 0 {
            break;
        }
    }
    prefix
}
