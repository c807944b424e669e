//! `upstream-hash-by-subset`: the key hashes to a subset of endpoints (on a ring of subsets),
//! and each request goes to a random endpoint of it (ingress-nginx `balancer/chashsubset.lua`).
//!
//! Subsets are consecutive runs of `size` endpoints in their stable order; the last one is
//! filled up with endpoints from the start so that every subset has `size` members.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use portico_model::HashBy;
use rand::Rng as _;

use crate::chash::Ring;
use crate::request::{hash_str, request_hash, RequestView};
use crate::selection::Selection;
use crate::{PickContext, RequestKey};

#[derive(Debug)]
pub(crate) struct HashSubset {
    /// Ring of subset indexes.
    ring: Ring,
    /// Invariant: every member is an endpoint index; every subset is non-empty.
    subsets: Vec<Vec<usize>>,
    hash_by: Arc<HashBy>,
}

// === impl HashSubset ===

impl HashSubset {
    pub(crate) fn new(endpoints: usize, size: usize, hash_by: Arc<HashBy>) -> Self {
        let subsets = subsets(endpoints, size.max(1));
        // Subsets are named `set1`, `set2`, ... as ingress-nginx names them.
        let ids: Vec<u64> = (1..=subsets.len()).map(|i| hash_str(&format!("set{i}"))).collect();
        Self { ring: Ring::new(&ids), subsets, hash_by }
    }
}

/// `ceil(n / size)` subsets of `size` members each, endpoints reused to fill the last one.
fn subsets(n: usize, size: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return Vec::new();
    }
    let count = n.div_ceil(size);
    (0..count).map(|s| (0..size).map(|k| (s * size + k) % n).collect()).collect()
}

impl Selection for HashSubset {
    fn read(&self, req: &RequestView<'_>) -> RequestKey {
        RequestKey { hash: Some(request_hash(&self.hash_by.parts, req)), pinned: None }
    }

    fn select(&self, ctx: &PickContext<'_>, _: &[AtomicUsize], tried: &[usize]) -> Option<usize> {
        let mut rng = rand::rng();
        self.ring.walk(ctx.key.hash.unwrap_or(0)).find_map(|subset| {
            let members = self.subsets.get(subset)?;
            let untried = members.iter().filter(|m| !tried.contains(m)).count();
            if untried == 0 {
                return None;
            }
            let nth = rng.random_range(0..untried);
            members.iter().filter(|m| !tried.contains(m)).nth(nth).copied()
        })
    }
}

#[cfg(test)]
mod tests {
    use portico_model::{HashPart, HashVar};

    use super::*;
    use crate::tests::{counters, ctx};

    fn by_uri() -> Arc<HashBy> {
        Arc::new(HashBy {
            source: "$request_uri".into(),
            parts: vec![HashPart::Var(HashVar::RequestUri)],
            subset: Some(3),
        })
    }

    #[test]
    fn subsets_are_filled_from_the_start() {
        assert_eq!(subsets(7, 3), [vec![0, 1, 2], vec![3, 4, 5], vec![6, 0, 1]]);
        assert_eq!(subsets(2, 3), [vec![0, 1, 0]]);
        assert!(subsets(0, 3).is_empty());
    }

    #[test]
    fn one_key_stays_in_one_subset() {
        let s = HashSubset::new(6, 3, by_uri());
        let inflight = counters(&[0; 6]);
        let mut c = ctx();
        c.key.hash = Some(12345);
        let seen: std::collections::BTreeSet<usize> =
            (0..200).filter_map(|_| s.select(&c, &inflight, &[])).collect();
        assert_eq!(seen.len(), 3, "{seen:?}");
        let subset = s.subsets.iter().find(|set| set.contains(seen.iter().next().unwrap()));
        assert!(seen.iter().all(|m| subset.unwrap().contains(m)));
        // Tried members are skipped, then the next subset on the ring.
        let all: Vec<usize> = seen.iter().copied().collect();
        let next = s.select(&c, &inflight, &all).unwrap();
        assert!(!all.contains(&next));
    }
}
