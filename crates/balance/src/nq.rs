//! `nq`: never queue — an idle endpoint when there is one (taking turns), else `sed`.

use std::sync::atomic::AtomicUsize;

use crate::sed::ShortestExpectedDelay;
use crate::selection::{load, untried, Selection};
use crate::PickContext;

#[derive(Debug)]
pub(crate) struct NeverQueue {
    next: AtomicUsize,
    fallback: ShortestExpectedDelay,
}

impl NeverQueue {
    pub(crate) fn new(endpoints: usize) -> Self {
        Self { next: AtomicUsize::new(0), fallback: ShortestExpectedDelay::new(endpoints) }
    }
}

impl Selection for NeverQueue {
    fn select(
        &self,
        _: &PickContext<'_>,
        inflight: &[AtomicUsize],
        tried: &[usize],
    ) -> Option<usize> {
        untried(&self.next, inflight.len(), tried)
            .find(|&i| load(inflight, i) == 0)
            .or_else(|| self.fallback.select_untried(inflight, tried))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{counters, ctx};

    #[test]
    fn idle_first_then_shortest_delay() {
        let nq = NeverQueue::new(3);
        let idle = counters(&[1, 0, 0]);
        let picks: Vec<_> = (0..4).map(|_| nq.select(&ctx(), &idle, &[])).collect();
        assert_eq!(picks, [1, 1, 2, 1].map(Some));
        assert_eq!(nq.select(&ctx(), &counters(&[3, 1, 2]), &[]), Some(1));
        assert_eq!(nq.select(&ctx(), &counters(&[3, 1, 2]), &[1]), Some(2));
        assert_eq!(nq.select(&ctx(), &idle, &[1, 2]), Some(0));
        assert_eq!(nq.select(&ctx(), &idle, &[0, 1, 2]), None);
    }
}
