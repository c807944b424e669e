//! The `./0-9A-Za-z` base64 alphabet of crypt(3) output, and constant-time comparison.

use subtle::ConstantTimeEq;

/// crypt(3)'s alphabet: value `i` is `ALPHABET[i]`.
pub(crate) const ALPHABET: &[u8; 64] =
    b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// True when every byte of `s` is in [`ALPHABET`] (bcrypt uses the same set, reordered).
pub(crate) fn is_crypt64(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/')
}

/// Appends `n` characters for the low `6 * n` bits of `v`, least significant group first:
/// the `to64` helper of MD5-crypt.
pub(crate) fn push_le(out: &mut Vec<u8>, mut v: u32, n: usize) {
    for _ in 0..n {
        out.push(ALPHABET[(v & 0x3f) as usize]);
        v >>= 6;
    }
}

/// Constant-time equality of two byte strings (lengths are not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}
