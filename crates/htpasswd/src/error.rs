//! Why a stored hash cannot be used.

/// A stored htpasswd hash that cannot be checked. The proxy answers 401 for every variant
/// except the ones [`HashError::is_server_error`] names (nginx answers 500 there).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The hash field is empty (`user:`); nginx answers 401.
    #[error("empty password hash")]
    Empty,
    /// A `$id$`, `{SCHEME}` or `_` prefix that is not supported (e.g. `$argon2id$`, `$2x$`,
    /// `{MD5}`, BSDi `_` DES); musl's `crypt()` returns `"*"` for these, so nginx answers 401.
    #[error("unsupported hash scheme {0:?}")]
    UnknownScheme(String),
    /// A known scheme whose body does not parse (salt, cost, rounds, length, alphabet). nginx
    /// would compute something that never matches and answer 401.
    #[error("malformed {scheme} hash: {reason}")]
    Malformed { scheme: &'static str, reason: &'static str },
    /// The base64 payload of an `{SSHA}` hash does not decode: nginx's decoder fails and it
    /// answers 500.
    #[error("{scheme} payload is not valid base64")]
    BadBase64 { scheme: &'static str },
}

// === impl HashError ===

impl HashError {
    /// True where ingress-nginx answers 500 instead of the 401 challenge.
    pub fn is_server_error(&self) -> bool {
        matches!(self, HashError::BadBase64 { .. })
    }
}
