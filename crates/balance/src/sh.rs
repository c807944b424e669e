//! `sh`: source hash — the same client address goes to the same endpoint.

use std::sync::atomic::AtomicUsize;

use portico_model::Endpoint;

use crate::hash::{hash_endpoint, hash_ip, rendezvous};
use crate::selection::Selection;
use crate::PickContext;

#[derive(Debug)]
pub(crate) struct SourceHash {
    /// Invariant: one hash per endpoint, same order.
    endpoints: Vec<u64>,
}

impl SourceHash {
    pub(crate) fn new(endpoints: &[Endpoint]) -> Self {
        Self { endpoints: endpoints.iter().map(hash_endpoint).collect() }
    }
}

impl Selection for SourceHash {
    fn select(&self, ctx: &PickContext<'_>, _: &[AtomicUsize], tried: &[usize]) -> Option<usize> {
        rendezvous(hash_ip(ctx.client), &self.endpoints, tried)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{addrs, counters, ctx_for};

    #[test]
    fn same_client_same_endpoint_whatever_the_path() {
        let sh = SourceHash::new(&addrs(4));
        let inflight = counters(&[0; 4]);
        let first = sh.select(&ctx_for("192.0.2.7", "h", "/a"), &inflight, &[]);
        assert!(first.is_some());
        assert_eq!(sh.select(&ctx_for("192.0.2.7", "other", "/b"), &inflight, &[]), first);
        // An IPv4-mapped IPv6 client is the same client.
        assert_eq!(sh.select(&ctx_for("::ffff:192.0.2.7", "h", "/"), &inflight, &[]), first);
        let second = sh.select(&ctx_for("192.0.2.7", "h", "/a"), &inflight, &[first.unwrap_or(0)]);
        assert_ne!(second, first);
        assert!(second.is_some());
    }
}
