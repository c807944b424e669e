//! bcrypt (`$2a$`, `$2b$`, `$2y$`) through the `bcrypt` crate, with a cost cap.

use crate::crypt64::is_crypt64;
use crate::HashError;

/// Highest bcrypt cost accepted. nginx accepts up to 31, but each step doubles the work: cost
/// 20 already takes about a minute per check, and failed checks are not cached, so any client
/// could pin the blocking threads. `htpasswd` itself stops at 17.
pub const MAX_BCRYPT_COST: u32 = 20;

const SCHEME: &str = "bcrypt";

/// Checks the shape `$2?$NN$<53 chars>` and the cost; returns the hash for [`verify`].
/// `$2x$` (the 2011 sign-extension bug) and `$2$` are not supported.
pub(crate) fn parse(hash: &str) -> Result<&str, HashError> {
    let malformed = |reason| HashError::Malformed { scheme: SCHEME, reason };
    let variant = hash.get(..4).unwrap_or(hash);
    if !matches!(variant, "$2a$" | "$2b$" | "$2y$") {
        let prefix = hash.split_inclusive('$').take(2).collect::<String>();
        return Err(HashError::UnknownScheme(prefix.chars().take(16).collect()));
    }
    if hash.len() != 60 || !hash.is_ascii() {
        return Err(malformed("not 60 ASCII characters"));
    }
    let cost = hash.get(4..6).filter(|c| c.bytes().all(|b| b.is_ascii_digit()));
    let cost = cost.and_then(|c| c.parse::<u32>().ok()).ok_or(malformed("cost is not 2 digits"))?;
    if hash.as_bytes().get(6) != Some(&b'$') {
        return Err(malformed("missing '$' after cost"));
    }
    if !(4..=MAX_BCRYPT_COST).contains(&cost) {
        return Err(malformed("cost outside 4..=20"));
    }
    if !hash.get(7..).is_some_and(is_crypt64) {
        return Err(malformed("salt and digest are not 53 bcrypt-base64 characters"));
    }
    Ok(hash)
}

/// Verifies a hash accepted by [`parse`]. Passwords past 72 bytes are truncated, as every
/// bcrypt implementation does; the crate compares digests in constant time.
pub(crate) fn verify(hash: &str, password: &[u8]) -> Result<bool, HashError> {
    bcrypt::verify(password, hash)
        .map_err(|_| HashError::Malformed { scheme: SCHEME, reason: "rejected by bcrypt" })
}
