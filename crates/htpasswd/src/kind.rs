//! What a stored hash is, for diagnostics.

use crate::HashError;

/// The format of one stored hash, as [`crate::classify`] sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashKind {
    /// `$apr1$`: Apache MD5, `htpasswd`'s default.
    Apr1,
    /// `$2a$`, `$2b$`, `$2y$`: bcrypt.
    Bcrypt,
    /// `{SHA}`: unsalted SHA-1.
    Sha1,
    /// `{SSHA}`: salted SHA-1.
    Ssha,
    /// `{PLAIN}`: the password itself.
    Plain,
    /// `$1$`: MD5-crypt.
    Md5Crypt,
    /// `$5$`: SHA-256-crypt.
    Sha256Crypt,
    /// `$6$`: SHA-512-crypt.
    Sha512Crypt,
    /// Traditional 13-character DES crypt (only 8 password characters count).
    Des,
    /// Nothing can match this hash; the error says why.
    Invalid(HashError),
}

/// How a diagnostic should treat a [`HashKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// Fine to use.
    Ok,
    /// Works, but should be replaced (warning).
    Weak,
    /// Never matches (error).
    Invalid,
}

// === impl HashKind ===

impl HashKind {
    /// Short name for logs and diagnostics.
    pub fn name(&self) -> &'static str {
        match self {
            HashKind::Apr1 => "apr1-md5",
            HashKind::Bcrypt => "bcrypt",
            HashKind::Sha1 => "{SHA}",
            HashKind::Ssha => "{SSHA}",
            HashKind::Plain => "{PLAIN}",
            HashKind::Md5Crypt => "md5-crypt",
            HashKind::Sha256Crypt => "sha256-crypt",
            HashKind::Sha512Crypt => "sha512-crypt",
            HashKind::Des => "des-crypt",
            HashKind::Invalid(_) => "invalid",
        }
    }

    /// DES (8-character passwords, 12-bit salt), `{PLAIN}` and unsalted `{SHA}` are weak;
    /// MD5 schemes are not flagged because `htpasswd` still produces them by default.
    pub fn strength(&self) -> Strength {
        match self {
            HashKind::Des | HashKind::Plain | HashKind::Sha1 => Strength::Weak,
            HashKind::Invalid(_) => Strength::Invalid,
            _ => Strength::Ok,
        }
    }
}
