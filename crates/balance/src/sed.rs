//! `sed`: shortest expected delay, IPVS's `(in-flight + 1) / weight`. Weights are all 1 today
//! (Kubernetes endpoints carry none), which orders endpoints like `lc`; the weights stay
//! explicit so the formula is the real one.

use std::sync::atomic::AtomicUsize;

use crate::selection::{least, load, Selection};
use crate::PickContext;

#[derive(Debug)]
pub(crate) struct ShortestExpectedDelay {
    /// Invariant: one weight ≥ 1 per endpoint.
    weights: Vec<u64>,
    next: AtomicUsize,
}

impl ShortestExpectedDelay {
    pub(crate) fn new(endpoints: usize) -> Self {
        Self { weights: vec![1; endpoints], next: AtomicUsize::new(0) }
    }

    /// `(load(a) + 1) / w(a) < (load(b) + 1) / w(b)`, compared without division.
    fn cheaper(&self, inflight: &[AtomicUsize], a: usize, b: usize) -> bool {
        let delay = |i: usize| (load(inflight, i) as u128).saturating_add(1);
        let weight = |i: usize| u128::from(self.weights.get(i).copied().unwrap_or(1));
        delay(a) * weight(b) < delay(b) * weight(a)
    }

    pub(crate) fn select_untried(
        &self,
        inflight: &[AtomicUsize],
        tried: &[usize],
    ) -> Option<usize> {
        least(&self.next, inflight.len(), tried, |a, b| self.cheaper(inflight, a, b))
    }
}

impl Selection for ShortestExpectedDelay {
    fn select(
        &self,
        _: &PickContext<'_>,
        inflight: &[AtomicUsize],
        tried: &[usize],
    ) -> Option<usize> {
        self.select_untried(inflight, tried)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{counters, ctx};

    #[test]
    fn shortest_expected_delay() {
        let sed = ShortestExpectedDelay::new(3);
        let inflight = counters(&[2, 0, 1]);
        assert_eq!(sed.select(&ctx(), &inflight, &[]), Some(1));
        assert_eq!(sed.select(&ctx(), &inflight, &[1]), Some(2));
        assert_eq!(sed.select(&ctx(), &inflight, &[1, 2]), Some(0));
        assert_eq!(sed.select(&ctx(), &inflight, &[0, 1, 2]), None);
    }

    #[test]
    fn weights_scale_the_delay() {
        let sed = ShortestExpectedDelay { weights: vec![4, 1], next: AtomicUsize::new(0) };
        // (3+1)/4 = 1 < (1+1)/1 = 2.
        assert_eq!(sed.select(&ctx(), &counters(&[3, 1]), &[]), Some(0));
        // (8+1)/4 > (1+1)/1.
        assert_eq!(sed.select(&ctx(), &counters(&[8, 1]), &[]), Some(1));
    }
}
