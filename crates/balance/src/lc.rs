//! `lc`: fewest in-flight requests; equal loads take turns.

use std::sync::atomic::AtomicUsize;

use crate::selection::{least, load, Selection};
use crate::PickContext;

#[derive(Debug, Default)]
pub(crate) struct LeastConnections {
    /// Rotates the scan start so that ties do not always land on the first endpoint.
    next: AtomicUsize,
}

impl Selection for LeastConnections {
    fn select(
        &self,
        _: &PickContext<'_>,
        inflight: &[AtomicUsize],
        tried: &[usize],
    ) -> Option<usize> {
        least(&self.next, inflight.len(), tried, |a, b| load(inflight, a) < load(inflight, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{counters, ctx};

    #[test]
    fn picks_the_least_loaded_untried() {
        let lc = LeastConnections::default();
        let inflight = counters(&[3, 1, 2]);
        for _ in 0..5 {
            assert_eq!(lc.select(&ctx(), &inflight, &[]), Some(1));
        }
        assert_eq!(lc.select(&ctx(), &inflight, &[1]), Some(2));
        assert_eq!(lc.select(&ctx(), &inflight, &[1, 2]), Some(0));
        assert_eq!(lc.select(&ctx(), &inflight, &[0, 1, 2]), None);
    }

    #[test]
    fn ties_take_turns() {
        let lc = LeastConnections::default();
        let inflight = counters(&[0, 5, 0, 0]);
        let picks: Vec<_> = (0..6).map(|_| lc.select(&ctx(), &inflight, &[])).collect();
        assert_eq!(picks, [0, 2, 2, 3, 0, 2].map(Some));
    }
}
