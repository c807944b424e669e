//! A consistent-hash ring (as ingress-nginx's `resty.chash`): each node owns [`POINTS`] points
//! placed by hashing the node's identity, and a key belongs to the first point at or after its
//! hash. Adding or removing a node moves only the keys of the points it gains or loses, about
//! `1/(n+1)` of them.
//!
//! A sorted `Vec` and a binary search: the ring is built once per table and never changes.
//! (The crates.io rings either allocate per lookup or have no clockwise walk for retries.)

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use portico_model::{Endpoint, HashBy};

use crate::hash::{hash_endpoint, mix};
use crate::request::{request_hash, RequestView};
use crate::selection::Selection;
use crate::{PickContext, RequestKey};

/// Virtual points per node: resty.chash's 160 per unit of weight.
pub(crate) const POINTS: u64 = 160;

/// Points sorted by hash; each names its node by index.
#[derive(Debug)]
pub(crate) struct Ring {
    /// Invariant: sorted by `.0`; every `.1` is a node index given to [`Ring::new`].
    points: Vec<(u64, usize)>,
}

/// `upstream-hash-by` without subsets: the key's node on a ring of the endpoints.
#[derive(Debug)]
pub(crate) struct ConsistentHash {
    ring: Ring,
    hash_by: Arc<HashBy>,
}

// === impl Ring ===

impl Ring {
    /// A ring of nodes identified by `ids` (node `i` has identity `ids[i]`).
    pub(crate) fn new(ids: &[u64]) -> Self {
        let mut points: Vec<(u64, usize)> = ids
            .iter()
            .enumerate()
            .flat_map(|(node, &id)| {
                (0..POINTS).map(move |k| (mix(id ^ mix(k.wrapping_add(0x9e37_79b9))), node))
            })
            .collect();
        points.sort_unstable();
        Self { points }
    }

    /// Ring of endpoints, identified by address (so a node keeps its points whatever its index).
    pub(crate) fn of_endpoints(endpoints: &[Endpoint]) -> Self {
        let ids: Vec<u64> = endpoints.iter().map(hash_endpoint).collect();
        Self::new(&ids)
    }

    /// The node of `key`.
    pub(crate) fn find(&self, key: u64) -> Option<usize> {
        self.walk(key).next()
    }

    /// The nodes clockwise from `key`'s point, once around (a node appears once per point).
    pub(crate) fn walk(&self, key: u64) -> impl Iterator<Item = usize> + '_ {
        let start = self.points.partition_point(|&(h, _)| h < key);
        let (before, after) = self.points.split_at(start);
        after.iter().chain(before).map(|&(_, node)| node)
    }

    /// The first node clockwise from `key` that is not in `tried`.
    pub(crate) fn find_untried(&self, key: u64, tried: &[usize]) -> Option<usize> {
        self.walk(key).find(|node| !tried.contains(node))
    }
}

// === impl ConsistentHash ===

impl ConsistentHash {
    pub(crate) fn new(endpoints: &[Endpoint], hash_by: Arc<HashBy>) -> Self {
        Self { ring: Ring::of_endpoints(endpoints), hash_by }
    }
}

impl Selection for ConsistentHash {
    fn read(&self, req: &RequestView<'_>) -> RequestKey {
        RequestKey { hash: Some(request_hash(&self.hash_by.parts, req)), pinned: None }
    }

    fn select(&self, ctx: &PickContext<'_>, _: &[AtomicUsize], tried: &[usize]) -> Option<usize> {
        self.ring.find_untried(ctx.key.hash.unwrap_or(0), tried)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::addrs;

    fn keys() -> impl Iterator<Item = u64> {
        (0..10_000u64).map(|k| mix(k.wrapping_mul(0x2545_f491_4f6c_dd1d)))
    }

    #[test]
    fn adding_one_node_moves_about_its_share() {
        for n in [2usize, 5, 10] {
            let before = Ring::of_endpoints(&addrs(n));
            let after = Ring::of_endpoints(&addrs(n + 1));
            let moved = keys().filter(|&k| before.find(k) != after.find(k)).count();
            let share = 10_000 / (n + 1);
            // Only keys that now belong to the new node move.
            assert!(keys().all(|k| before.find(k) == after.find(k) || after.find(k) == Some(n)));
            assert!(
                moved > share / 2 && moved < share * 3 / 2,
                "n={n}: moved {moved}, share {share}"
            );
        }
    }

    #[test]
    fn keys_spread_over_nodes() {
        let ring = Ring::of_endpoints(&addrs(4));
        let mut counts = [0usize; 4];
        for k in keys() {
            counts[ring.find(k).unwrap()] += 1;
        }
        assert!(counts.iter().all(|&c| (1_500..=3_500).contains(&c)), "{counts:?}");
    }

    #[test]
    fn walk_skips_tried_and_ends() {
        let ring = Ring::of_endpoints(&addrs(3));
        let first = ring.find(42).unwrap();
        let second = ring.find_untried(42, &[first]).unwrap();
        assert_ne!(first, second);
        let third = ring.find_untried(42, &[first, second]).unwrap();
        assert_eq!(ring.find_untried(42, &[first, second, third]), None);
        assert_eq!(Ring::new(&[]).find(1), None);
    }
}
