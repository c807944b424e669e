//! SHA-crypt (`$5$` SHA-256, `$6$` SHA-512, Drepper's scheme) through the `sha-crypt` crate.

use sha_crypt::{sha256_crypt_b64, sha512_crypt_b64, Sha256Params, Sha512Params};

use crate::crypt64::{ct_eq, is_crypt64};
use crate::{HashError, HashKind};

/// Highest `rounds=` accepted: musl's limit (glibc allows 999,999,999), which also bounds the
/// cost of one check. Values below 1000 are raised to 1000, as every libc does.
pub const MAX_SHA_CRYPT_ROUNDS: u32 = 9_999_999;

const MIN_ROUNDS: u32 = 1_000;
const DEFAULT_ROUNDS: u32 = 5_000;

/// `$5$[rounds=N$]<salt ≤ 16>$<digest>`, borrowed from the stored hash.
pub(crate) struct ShaCrypt<'a> {
    sha512: bool,
    rounds: u32,
    salt: &'a str,
    digest: &'a str,
}

// === impl ShaCrypt ===

impl<'a> ShaCrypt<'a> {
    /// Splits a `$5$` or `$6$` hash. A salt over 16 characters is rejected: libc truncates it
    /// and re-emits the short one, so such a hash never matches.
    pub(crate) fn parse(hash: &'a str) -> Result<Self, HashError> {
        let sha512 = hash.starts_with("$6$");
        let scheme = if sha512 { "sha512-crypt" } else { "sha256-crypt" };
        let malformed = |reason| HashError::Malformed { scheme, reason };
        let mut rest = hash.get(3..).ok_or(malformed("missing magic"))?;
        let mut rounds = DEFAULT_ROUNDS;
        if let Some(after) = rest.strip_prefix("rounds=") {
            let (number, tail) = after.split_once('$').ok_or(malformed("missing salt"))?;
            if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
                return Err(malformed("rounds is not a number"));
            }
            let n = number.parse::<u64>().unwrap_or(u64::MAX);
            if n > u64::from(MAX_SHA_CRYPT_ROUNDS) {
                return Err(malformed("rounds above 9999999"));
            }
            rounds = u32::try_from(n).unwrap_or(MAX_SHA_CRYPT_ROUNDS).max(MIN_ROUNDS);
            rest = tail;
        }
        let (salt, digest) = rest.split_once('$').ok_or(malformed("missing '$' after salt"))?;
        if salt.len() > 16 {
            return Err(malformed("salt longer than 16 characters"));
        }
        let want = if sha512 { 86 } else { 43 };
        if digest.len() != want || !is_crypt64(digest) {
            return Err(malformed("digest has the wrong length or alphabet"));
        }
        Ok(Self { sha512, rounds, salt, digest })
    }

    pub(crate) fn kind(&self) -> HashKind {
        if self.sha512 {
            HashKind::Sha512Crypt
        } else {
            HashKind::Sha256Crypt
        }
    }

    /// Recomputes the digest (`rounds` SHA-2 passes: slow) and compares it in constant time.
    pub(crate) fn verify(&self, password: &[u8]) -> Result<bool, HashError> {
        let rounds = self.rounds as usize;
        let salt = self.salt.as_bytes();
        let computed = if self.sha512 {
            Sha512Params::new(rounds).and_then(|p| sha512_crypt_b64(password, salt, &p))
        } else {
            Sha256Params::new(rounds).and_then(|p| sha256_crypt_b64(password, salt, &p))
        };
        let computed = computed.map_err(|_| HashError::Malformed {
            scheme: if self.sha512 { "sha512-crypt" } else { "sha256-crypt" },
            reason: "rejected by sha-crypt",
        })?;
        Ok(ct_eq(computed.as_bytes(), self.digest.as_bytes()))
    }
}
