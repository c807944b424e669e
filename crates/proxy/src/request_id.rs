//! `X-Request-ID` generation: 32 lowercase hex characters, like nginx's `$request_id`.

use http::HeaderValue;

/// A fresh random request id (thread-local RNG: no lock, no syscall per request).
pub(crate) fn generate() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut value: u128 = rand::random();
    let mut out = [0u8; 32];
    for byte in out.iter_mut().rev() {
        *byte = HEX[(value & 0xf) as usize];
        value >>= 4;
    }
    HeaderValue::from_bytes(&out).unwrap_or_else(|_| HeaderValue::from_static("-"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn thirty_two_hex_chars() {
        let a = super::generate();
        let b = super::generate();
        assert_eq!(a.len(), 32);
        assert!(a.as_bytes().iter().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }
}
