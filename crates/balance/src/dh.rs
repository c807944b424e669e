//! `dh`: destination hash — the same host + path goes to the same endpoint.

use std::sync::atomic::AtomicUsize;

use portico_model::Endpoint;

use crate::hash::{hash_bytes, hash_endpoint, mix, rendezvous};
use crate::selection::Selection;
use crate::PickContext;

#[derive(Debug)]
pub(crate) struct DestinationHash {
    /// Invariant: one hash per endpoint, same order.
    endpoints: Vec<u64>,
}

impl DestinationHash {
    pub(crate) fn new(endpoints: &[Endpoint]) -> Self {
        Self { endpoints: endpoints.iter().map(hash_endpoint).collect() }
    }
}

/// Hash of the request destination; host and path are length-delimited, so `a`+`b/` ≠ `ab`+`/`.
pub(crate) fn destination_key(ctx: &PickContext<'_>) -> u64 {
    mix(hash_bytes(hash_bytes(0, ctx.host.as_bytes()), ctx.path.as_bytes()))
}

impl Selection for DestinationHash {
    fn select(&self, ctx: &PickContext<'_>, _: &[AtomicUsize], tried: &[usize]) -> Option<usize> {
        rendezvous(destination_key(ctx), &self.endpoints, tried)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{addrs, counters, ctx_for};

    #[test]
    fn same_destination_same_endpoint_and_same_fallbacks() {
        let dh = DestinationHash::new(&addrs(5));
        let inflight = counters(&[0; 5]);
        let c = ctx_for("10.0.0.1", "a.example.com", "/x");
        let first = dh.select(&c, &inflight, &[]);
        let other_client = ctx_for("10.9.9.9", "a.example.com", "/x");
        assert_eq!(dh.select(&other_client, &inflight, &[]), first);
        let mut tried = Vec::new();
        while let Some(i) = dh.select(&c, &inflight, &tried) {
            assert!(!tried.contains(&i));
            tried.push(i);
        }
        assert_eq!(tried.len(), 5);
        assert_eq!(Some(tried[0]), first);
        // The retry order is a function of the destination only.
        let mut again = Vec::new();
        while let Some(i) = dh.select(&c, &inflight, &again) {
            again.push(i);
        }
        assert_eq!(again, tried);
    }

    #[test]
    fn host_and_path_are_delimited() {
        let a = destination_key(&ctx_for("10.0.0.1", "ab", "/"));
        let b = destination_key(&ctx_for("10.0.0.1", "a", "b/"));
        assert_ne!(a, b);
    }
}
