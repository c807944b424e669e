//! `rr`: each endpoint in turn.

use std::sync::atomic::AtomicUsize;

use crate::selection::{untried, Selection};
use crate::PickContext;

/// A shared turn counter; a tried endpoint is skipped for the next one in turn.
#[derive(Debug, Default)]
pub(crate) struct RoundRobin {
    next: AtomicUsize,
}

impl Selection for RoundRobin {
    fn select(
        &self,
        _: &PickContext<'_>,
        inflight: &[AtomicUsize],
        tried: &[usize],
    ) -> Option<usize> {
        untried(&self.next, inflight.len(), tried).next()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{counters, ctx};

    #[test]
    fn turns_and_skips_tried() {
        let rr = RoundRobin::default();
        let inflight = counters(&[0, 0, 0]);
        let picks: Vec<_> = (0..6).map(|_| rr.select(&ctx(), &inflight, &[])).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2].map(Some));
        assert_eq!(rr.select(&ctx(), &inflight, &[0]), Some(1));
        assert_eq!(rr.select(&ctx(), &inflight, &[1, 2]), Some(0));
        assert_eq!(rr.select(&ctx(), &inflight, &[0, 1, 2]), None);
        assert_eq!(rr.select(&ctx(), &counters(&[]), &[]), None);
    }
}
