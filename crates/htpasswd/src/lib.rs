//! htpasswd files and HTTP Basic credentials, with ingress-nginx semantics.
//!
//! Pure code, no I/O and no async runtime: [`verify`] can take tens of milliseconds for bcrypt
//! or SHA-crypt hashes, so the proxy calls it from a blocking thread and keeps successes in a
//! [`CredentialCache`] so that repeated requests cost one keyed-hash lookup.
//!
//! Formats (see [`HashKind`]): `$apr1$`, `$2a$`/`$2b$`/`$2y$` bcrypt, `{SHA}`, `{SSHA}`,
//! `{PLAIN}`, `$1$` MD5-crypt, `$5$`/`$6$` SHA-crypt and 13-character DES crypt: nginx's own
//! schemes plus what Alpine's musl `crypt()` accepts.
//!
//! How the proxy answers a [`HashError`]: 401 with the Basic challenge, except where
//! [`HashError::is_server_error`] says nginx fails with 500. Under musl, `crypt()` never
//! fails (it returns `"*"`, which matches nothing), so the only 500 is an `{SSHA}` payload
//! that nginx's own base64 decoder rejects.
//!
//! ```
//! use portico_htpasswd::{parse_basic_authorization, parse_htpasswd, verify, CredentialCache};
//!
//! let table = parse_htpasswd(b"alice:{PLAIN}secret\n"); // parsed once per Secret version
//! // One user per name already (the first line wins): a map finds a user without a scan.
//! let users: std::collections::HashMap<_, _> = table.users.into_iter().collect();
//! let cache = CredentialCache::default(); // one per process
//! let header = b"Basic YWxpY2U6c2VjcmV0"; // alice:secret
//!
//! let (user, password) = parse_basic_authorization(header).expect("401 if None");
//! let hash = users.get(&user).expect("401 if unknown");
//! let ok = if cache.check("ns/auth@7", &user, &password) {
//!     true
//! } else if verify(hash, &password) == Ok(true) {
//!     // verify runs in spawn_blocking in the proxy; only successes are cached
//!     cache.insert("ns/auth@7", &user, &password);
//!     true
//! } else {
//!     false
//! };
//! assert!(ok);
//! assert!(cache.check("ns/auth@7", "alice", b"secret"));
//! ```
#![forbid(unsafe_code)]

mod blowfish;
mod cache;
mod crypt64;
mod des;
mod error;
mod file;
mod header;
mod kind;
mod md5crypt;
mod rfc2307;
mod scheme;
mod shacrypt;

pub use blowfish::MAX_BCRYPT_COST;
pub use cache::{CredentialCache, DEFAULT_CACHE_CAPACITY};
pub use error::HashError;
pub use file::{parse_htpasswd, LineProblem, Parsed, MAX_HTPASSWD_BYTES};
pub use header::parse_basic_authorization;
pub use kind::{HashKind, Strength};
pub use shacrypt::MAX_SHA_CRYPT_ROUNDS;

/// Checks `password` against one htpasswd `hash`.
///
/// `Ok(false)` is a wrong password; `Err` means the hash itself is unusable (empty, unknown
/// scheme, malformed). Like nginx, which hands the password to C code as a NUL-terminated
/// string, only the bytes before the first NUL count. Slow for bcrypt and SHA-crypt: call it
/// off the async runtime. Digests are compared in constant time.
pub fn verify(hash: &str, password: &[u8]) -> Result<bool, HashError> {
    let password = match password.iter().position(|&b| b == 0) {
        Some(nul) => &password[..nul],
        None => password,
    };
    scheme::Scheme::parse(hash)?.verify(password)
}

/// Names the format of `hash` without hashing anything, for diagnostics: weak formats
/// (DES, `{PLAIN}`, `{SHA}`) deserve a warning, [`HashKind::Invalid`] an error.
pub fn classify(hash: &str) -> HashKind {
    match scheme::Scheme::parse(hash) {
        Ok(scheme) => scheme.kind(),
        Err(err) => HashKind::Invalid(err),
    }
}

#[cfg(test)]
mod tests;
