//! MD5-crypt (`$1$`, FreeBSD's scheme) and Apache's `$apr1$`, which differs only in its magic.
//!
//! Implemented here from the reference algorithm (a page of code) on the `md-5` crate; no
//! maintained crate covers `$apr1$`.

use md5::{Digest, Md5};

use crate::crypt64::{ct_eq, is_crypt64, push_le};
use crate::{HashError, HashKind};

/// Apache's magic, checked by nginx itself.
pub(crate) const APR1: &str = "$apr1$";
/// FreeBSD's magic, handled by libc `crypt()`.
pub(crate) const MD5: &str = "$1$";

/// `<magic><salt ≤ 8>$<22 digest chars>`, borrowed from the stored hash.
pub(crate) struct Md5Crypt<'a> {
    magic: &'static str,
    salt: &'a str,
    digest: &'a str,
}

// === impl Md5Crypt ===

impl<'a> Md5Crypt<'a> {
    /// Splits a hash that starts with `magic`. nginx and libc take at most 8 salt characters
    /// and re-emit them, so a longer salt could never match: it is rejected as malformed.
    pub(crate) fn parse(hash: &'a str, magic: &'static str) -> Result<Self, HashError> {
        let scheme = if magic == APR1 { "apr1-md5" } else { "md5-crypt" };
        let malformed = |reason| HashError::Malformed { scheme, reason };
        let rest = hash.strip_prefix(magic).ok_or(malformed("missing magic"))?;
        let (salt, digest) = rest.split_once('$').ok_or(malformed("missing '$' after salt"))?;
        if salt.len() > 8 {
            return Err(malformed("salt longer than 8 characters"));
        }
        if digest.len() != 22 || !is_crypt64(digest) {
            return Err(malformed("digest is not 22 crypt-base64 characters"));
        }
        Ok(Self { magic, salt, digest })
    }

    pub(crate) fn kind(&self) -> HashKind {
        if self.magic == APR1 {
            HashKind::Apr1
        } else {
            HashKind::Md5Crypt
        }
    }

    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let digest = md5_crypt(password, self.salt.as_bytes(), self.magic.as_bytes());
        ct_eq(&encode(&digest), self.digest.as_bytes())
    }
}

/// The 1000-round MD5-crypt digest of `password` with `salt` (≤ 8 bytes) and `magic`.
fn md5_crypt(password: &[u8], salt: &[u8], magic: &[u8]) -> [u8; 16] {
    let alt = Md5::new().chain_update(password).chain_update(salt).chain_update(password);
    let alt = alt.finalize();

    let mut ctx = Md5::new().chain_update(password).chain_update(magic).chain_update(salt);
    for chunk in password.chunks(16) {
        ctx.update(&alt[..chunk.len()]);
    }
    // Odd length bits add a zero byte (the reference reads its just-cleared digest buffer).
    let mut bits = password.len();
    while bits != 0 {
        if bits & 1 == 1 {
            ctx.update([0u8]);
        } else {
            ctx.update(&password[..1]);
        }
        bits >>= 1;
    }
    let mut digest: [u8; 16] = ctx.finalize().into();

    for round in 0..1000 {
        let mut ctx = Md5::new();
        if round & 1 == 1 {
            ctx.update(password);
        } else {
            ctx.update(digest);
        }
        if round % 3 != 0 {
            ctx.update(salt);
        }
        if round % 7 != 0 {
            ctx.update(password);
        }
        if round & 1 == 1 {
            ctx.update(digest);
        } else {
            ctx.update(password);
        }
        digest = ctx.finalize().into();
    }
    digest
}

/// The 22-character encoding, with MD5-crypt's byte shuffle.
fn encode(d: &[u8; 16]) -> Vec<u8> {
    let mut out = Vec::with_capacity(22);
    for (a, b, c) in [(0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5)] {
        push_le(&mut out, u32::from(d[a]) << 16 | u32::from(d[b]) << 8 | u32::from(d[c]), 4);
    }
    push_le(&mut out, u32::from(d[11]), 2);
    out
}
