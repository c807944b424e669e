//! Traditional DES crypt(3): 2 salt characters + 11 digest characters, 8-character passwords.
//!
//! No maintained crate implements it (the `des` crate cannot take crypt's salt, which swaps
//! bits of the expansion), so this is a straightforward bit-by-bit DES: 25 encryptions of a
//! zero block per check, microseconds, no tables built at run time.

mod tables;

use self::tables::{E, FP, IP, P, PC1, PC2, SBOXES, SHIFTS};
use crate::crypt64::{ct_eq, is_crypt64, ALPHABET};
use crate::HashError;

/// A 13-character DES crypt hash, borrowed from the stored hash.
pub(crate) struct DesHash<'a> {
    hash: &'a str,
}

// === impl DesHash ===

impl<'a> DesHash<'a> {
    /// Anything that is not 13 crypt-base64 characters never matches under nginx (this is
    /// where plain text without `{PLAIN}` ends up), so it is reported as malformed.
    pub(crate) fn parse(hash: &'a str) -> Result<Self, HashError> {
        if hash.len() != 13 || !is_crypt64(hash) {
            return Err(HashError::Malformed {
                scheme: "des-crypt",
                reason: "not 13 crypt-base64 characters (plain text needs a {PLAIN} prefix)",
            });
        }
        Ok(Self { hash })
    }

    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        let salt = self.hash.as_bytes();
        ct_eq(&des_crypt(password, [salt[0], salt[1]]), self.hash.as_bytes())
    }
}

/// crypt(3) with a two-character salt: the full 13-character result.
pub(crate) fn des_crypt(password: &[u8], salt: [u8; 2]) -> [u8; 13] {
    // Each of the first 8 password bytes, shifted left, is a key byte (bit 0 is parity).
    let key =
        (0..8).fold(0u64, |k, i| k << 8 | u64::from(password.get(i).copied().unwrap_or(0) << 1));
    let subkeys = key_schedule(key);

    // Salt bit i swaps expansion outputs i and i + 24.
    let bits = u32::from(salt_value(salt[0])) | u32::from(salt_value(salt[1])) << 6;
    let mut e = E;
    for i in (0..12).filter(|i| bits >> i & 1 == 1) {
        e.swap(i, i + 24);
    }

    let block = (0..25).fold(0u64, |block, _| encrypt(block, &subkeys, &e));

    let mut out = [0u8; 13];
    out[..2].copy_from_slice(&salt);
    let padded = u128::from(block) << 2; // 66 bits, 11 groups of 6 from the top
    for (i, slot) in out[2..].iter_mut().enumerate() {
        *slot = ALPHABET[(padded >> (60 - 6 * i) & 0x3f) as usize];
    }
    out
}

/// A salt character's 6-bit value; [`DesHash::parse`] keeps it inside [`ALPHABET`].
fn salt_value(c: u8) -> u8 {
    let v = if c >= b'a' {
        c.wrapping_sub(b'a' - 38)
    } else if c >= b'A' {
        c.wrapping_sub(b'A' - 12)
    } else {
        c.wrapping_sub(b'.')
    };
    v & 0x3f
}

/// Output bit `j` is input bit `table[j]` (1-based from the top of a `width`-bit value).
fn permute(input: u64, width: u32, table: &[u8]) -> u64 {
    table.iter().fold(0, |out, &pos| out << 1 | (input >> (width - u32::from(pos)) & 1))
}

/// The 16 48-bit round keys of a 64-bit key.
fn key_schedule(key: u64) -> [u64; 16] {
    const MASK: u64 = 0xfff_ffff;
    let cd = permute(key, 64, &PC1);
    let (mut c, mut d) = (cd >> 28 & MASK, cd & MASK);
    let mut keys = [0u64; 16];
    for (slot, &s) in keys.iter_mut().zip(SHIFTS.iter()) {
        c = (c << s | c >> (28 - s)) & MASK;
        d = (d << s | d >> (28 - s)) & MASK;
        *slot = permute(c << 28 | d, 56, &PC2);
    }
    keys
}

/// One DES encryption of `block`, with expansion table `e`.
fn encrypt(block: u64, subkeys: &[u64; 16], e: &[u8; 48]) -> u64 {
    let ip = permute(block, 64, &IP);
    let (mut l, mut r) = (ip >> 32, ip & 0xffff_ffff);
    for &k in subkeys {
        let expanded = permute(r, 32, e) ^ k;
        let mut sboxed = 0u64;
        for (i, sbox) in SBOXES.iter().enumerate() {
            let six = (expanded >> (42 - 6 * i) & 0x3f) as usize;
            let row = (six >> 4 & 2) | (six & 1);
            sboxed = sboxed << 4 | u64::from(sbox[row * 16 + (six >> 1 & 0xf)]);
        }
        (l, r) = (r, l ^ permute(sboxed, 32, &P));
    }
    permute(r << 32 | l, 64, &FP)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Classic known-answer test: key 133457799BBCDFF1, plaintext 0123456789ABCDEF.
    #[test]
    fn des_known_answer() {
        let keys = key_schedule(0x1334_5779_9BBC_DFF1);
        let ip = permute(0x0123_4567_89AB_CDEF, 64, &IP);
        assert_eq!(permute(ip, 64, &FP), 0x0123_4567_89AB_CDEF, "FP inverts IP");
        assert_eq!(encrypt(0x0123_4567_89AB_CDEF, &keys, &E), 0x85E8_1354_0F0A_B405);
    }

    #[test]
    fn sboxes_rows_are_permutations() {
        for sbox in SBOXES {
            for row in sbox.chunks(16) {
                let mut seen = [false; 16];
                row.iter().for_each(|&v| seen[v as usize] = true);
                assert!(seen.iter().all(|&s| s));
            }
        }
    }
}
