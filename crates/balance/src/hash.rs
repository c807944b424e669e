//! A small, fast, fixed-seed (so stable across processes) non-cryptographic hash, and
//! rendezvous (highest random weight) choice over endpoint hashes.
//!
//! Rendezvous hashing keeps a key on its endpoint when other endpoints come or go, and gives a
//! deterministic fallback order for retries: the next-highest score.

use std::net::IpAddr;

use portico_model::Endpoint;

const K: u64 = 0x517c_c1b7_2722_0a95;

/// FxHash-style mixing of `bytes` into `state`, length included.
pub(crate) fn hash_bytes(state: u64, bytes: &[u8]) -> u64 {
    let mut h = state;
    for chunk in bytes.chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(word)).wrapping_mul(K);
    }
    (h.rotate_left(5) ^ bytes.len() as u64).wrapping_mul(K)
}

/// splitmix64's finalizer: every input bit affects every output bit.
pub(crate) fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

pub(crate) fn hash_ip(ip: IpAddr) -> u64 {
    match ip.to_canonical() {
        IpAddr::V4(v4) => mix(hash_bytes(4, &v4.octets())),
        IpAddr::V6(v6) => mix(hash_bytes(6, &v6.octets())),
    }
}

pub(crate) fn hash_endpoint(endpoint: &Endpoint) -> u64 {
    match endpoint {
        Endpoint::Addr(addr) => mix(hash_ip(addr.ip()) ^ u64::from(addr.port())),
        Endpoint::Dns { host, port } => mix(hash_bytes(u64::from(*port), host.as_bytes())),
    }
}

/// The untried endpoint with the highest score for `key`; ties go to the lower index.
pub(crate) fn rendezvous(key: u64, endpoints: &[u64], tried: &[usize]) -> Option<usize> {
    endpoints
        .iter()
        .enumerate()
        .filter(|(i, _)| !tried.contains(i))
        .map(|(i, &h)| (mix(key ^ h), i))
        .fold(None, |best: Option<(u64, usize)>, (score, i)| match best {
            Some((top, _)) if top >= score => best,
            _ => Some((score, i)),
        })
        .map(|(_, i)| i)
}
