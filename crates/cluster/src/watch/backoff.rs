//! Retry delays of a failing watch: exponential with jitter, reset by the first success.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Doubles from `min` to `max`, plus up to 25 % jitter so replicas do not retry in step.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

// === impl Backoff ===

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        Self { min, max: max.max(min), next: min }
    }
}

impl Iterator for Backoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let delay = self.next;
        self.next = (self.next * 2).min(self.max);
        let jitter = std::collections::hash_map::RandomState::new().build_hasher().finish() % 1000;
        Some(delay + delay.mul_f64(jitter as f64 / 4000.0))
    }
}

impl kube::runtime::utils::Backoff for Backoff {
    fn reset(&mut self) {
        self.next = self.min;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::runtime::utils::Backoff as _;

    #[test]
    fn doubles_to_the_cap_with_bounded_jitter_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let delays: Vec<Duration> = b.by_ref().take(4).collect();
        let bases = [100, 200, 350, 350].map(Duration::from_millis);
        for (delay, base) in delays.iter().zip(bases) {
            assert!(*delay >= base && *delay <= base.mul_f64(1.25), "{delay:?} vs {base:?}");
        }
        b.reset();
        assert!(b.next().is_some_and(|d| d < Duration::from_millis(126)));
    }
}
