//! `ewma`: exponentially weighted moving average of response time, weighted by in-flight
//! requests; each pick compares two random untried endpoints and takes the lower score
//! (ingress-nginx `balancer/ewma.lua`, after Finagle's peak EWMA).
//!
//! Score: `ewma(now) × (in-flight + 1)`, where `ewma` decays towards 0 with time constant
//! [`DECAY`] since the endpoint last answered (an endpoint unheard of for a while is tried
//! again). On each answer: `ewma ← ewma·w + rtt·(1 − w)`, `w = exp(−Δt / DECAY)`.
//!
//! Each endpoint's state is one `AtomicU64` (f32 seconds ‖ u32 milliseconds since the balancer
//! was built), updated by compare-and-swap: no lock. The millisecond clock wraps after 49 days,
//! which only makes one decay after such a pause shorter.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use portico_model::Endpoint;
use rand::Rng as _;

use crate::selection::{load, Selection};
use crate::PickContext;

/// ingress-nginx's `DECAY_TIME`.
pub(crate) const DECAY: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub(crate) struct Ewma {
    epoch: Instant,
    /// Invariant: one per endpoint; see [`pack`].
    stats: Vec<AtomicU64>,
}

// === impl Ewma ===

impl Ewma {
    pub(crate) fn new(endpoints: usize) -> Self {
        Self { epoch: Instant::now(), stats: (0..endpoints).map(|_| AtomicU64::new(0)).collect() }
    }

    /// Takes over `old`'s clock and the scores of the endpoints still there; endpoints new to
    /// the backend start at the average of the measured ones (ewma.lua `sync`'s slow start), so
    /// that they are not flooded for looking unmeasured.
    pub(crate) fn inherit(
        &mut self,
        old: &Ewma,
        old_endpoints: &[Endpoint],
        endpoints: &[Endpoint],
    ) {
        self.epoch = old.epoch;
        let measured: Vec<f32> = old
            .stats
            .iter()
            .map(|s| unpack(s.load(Ordering::Acquire)))
            .filter(|&(ewma, at)| ewma != 0.0 || at != 0)
            .map(|(ewma, _)| ewma)
            .collect();
        let average =
            (!measured.is_empty()).then(|| measured.iter().sum::<f32>() / measured.len() as f32);
        let now = self.now_ms();
        for (stat, endpoint) in self.stats.iter().zip(endpoints) {
            let kept = old_endpoints.iter().position(|e| e == endpoint);
            let word = match (kept.and_then(|i| old.stats.get(i)), average) {
                (Some(old), _) => old.load(Ordering::Acquire),
                (None, Some(average)) => pack(average, now),
                (None, None) => 0,
            };
            stat.store(word, Ordering::Release);
        }
    }

    fn now_ms(&self) -> u32 {
        // Truncation is the documented wrap-around.
        self.epoch.elapsed().as_millis() as u32
    }

    /// Records that endpoint `index` answered after `rtt`.
    pub(crate) fn record(&self, index: usize, rtt: Duration) {
        self.record_at(index, rtt, self.now_ms());
    }

    fn record_at(&self, index: usize, rtt: Duration, now: u32) {
        let Some(stat) = self.stats.get(index) else { return };
        let rtt = rtt.as_secs_f32();
        let _ = stat.fetch_update(Ordering::AcqRel, Ordering::Acquire, |old| {
            let (ewma, at) = unpack(old);
            let w = weight(ewma, at, now);
            Some(pack(ewma * w + rtt * (1.0 - w), now))
        });
    }

    /// The decayed average of `index` at `now`, in seconds.
    fn average_at(&self, index: usize, now: u32) -> f32 {
        let Some(stat) = self.stats.get(index) else { return f32::MAX };
        let (ewma, at) = unpack(stat.load(Ordering::Acquire));
        ewma * weight(ewma, at, now)
    }

    fn score(&self, inflight: &[AtomicUsize], index: usize, now: u32) -> f32 {
        self.average_at(index, now) * (load(inflight, index) as f32 + 1.0)
    }

    fn select_at(&self, inflight: &[AtomicUsize], tried: &[usize], now: u32) -> Option<usize> {
        let n = inflight.len().min(self.stats.len());
        let untried = || (0..n).filter(|i| !tried.contains(i));
        let count = untried().count();
        let mut rng = rand::rng();
        let first = untried().nth(rng.random_range(0..count.max(1)))?;
        if count == 1 {
            return Some(first);
        }
        let second = untried().filter(|&i| i != first).nth(rng.random_range(0..count - 1))?;
        if self.score(inflight, second, now) < self.score(inflight, first, now) {
            Some(second)
        } else {
            Some(first)
        }
    }
}

/// `exp(−Δt / DECAY)`; 0 for a never-touched endpoint (ewma 0 at time 0).
fn weight(ewma: f32, at: u32, now: u32) -> f32 {
    if ewma == 0.0 && at == 0 {
        return 0.0;
    }
    let dt = now.wrapping_sub(at) as f32 / 1000.0;
    (-dt / DECAY.as_secs_f32()).exp()
}

/// f32 bits of the average in the high word, the millisecond timestamp in the low word.
fn pack(ewma: f32, at: u32) -> u64 {
    (u64::from(ewma.to_bits()) << 32) | u64::from(at)
}

fn unpack(word: u64) -> (f32, u32) {
    (f32::from_bits((word >> 32) as u32), word as u32)
}

impl Selection for Ewma {
    fn select(
        &self,
        _: &PickContext<'_>,
        inflight: &[AtomicUsize],
        tried: &[usize],
    ) -> Option<usize> {
        self.select_at(inflight, tried, self.now_ms())
    }

    fn observe(&self, index: usize, rtt: Duration) {
        self.record(index, rtt);
    }

    fn as_ewma_mut(&mut self) -> Option<&mut Ewma> {
        Some(self)
    }

    fn as_ewma(&self) -> Option<&Ewma> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{addrs, counters};

    #[test]
    fn average_moves_towards_samples_and_decays() {
        let e = Ewma::new(1);
        e.record_at(0, Duration::from_millis(100), 1);
        assert!((e.average_at(0, 1) - 0.1).abs() < 1e-6);
        // 10 s later, half-way-ish (w = 1/e) to a 0.5 s sample.
        e.record_at(0, Duration::from_millis(500), 10_001);
        let expected = 0.1 / std::f32::consts::E + 0.5 * (1.0 - 1.0 / std::f32::consts::E);
        assert!((e.average_at(0, 10_001) - expected).abs() < 1e-4);
        // Unheard of for a minute: the score has mostly decayed.
        assert!(e.average_at(0, 70_001) < 0.01);
    }

    #[test]
    fn prefers_the_faster_endpoint() {
        let e = Ewma::new(3);
        e.record_at(0, Duration::from_millis(300), 1);
        e.record_at(1, Duration::from_millis(10), 1);
        e.record_at(2, Duration::from_millis(20), 1);
        let inflight = counters(&[0, 0, 0]);
        let picks: Vec<usize> = (0..300).filter_map(|_| e.select_at(&inflight, &[], 2)).collect();
        assert!(!picks.contains(&0), "the slow endpoint is never the better of two");
        assert!(picks.iter().filter(|&&i| i == 1).count() > picks.len() / 2);
    }

    #[test]
    fn scores_survive_an_endpoint_change_and_newcomers_start_at_the_average() {
        let eps = addrs(3);
        let old = Ewma::new(3);
        old.record_at(0, Duration::from_millis(100), 1);
        old.record_at(1, Duration::from_millis(300), 1);
        // Endpoint 2 leaves; a new endpoint (index 3 of addrs(4)) arrives.
        let next_eps = vec![eps[1].clone(), addrs(4)[3].clone(), eps[0].clone()];
        let mut next = Ewma::new(3);
        next.inherit(&old, &eps, &next_eps);
        let now = next.now_ms();
        let close = |a: f32, b: f32| (a - b).abs() < 0.01;
        assert!(close(next.average_at(0, 1), 0.3));
        assert!(close(next.average_at(2, 1), 0.1));
        assert!(close(next.average_at(1, now), 0.2), "the newcomer starts at the average");
    }

    #[test]
    fn in_flight_requests_weigh_the_score() {
        let e = Ewma::new(2);
        e.record_at(0, Duration::from_millis(10), 1);
        e.record_at(1, Duration::from_millis(30), 1);
        // 10 ms × 5 in flight > 30 ms × 1.
        assert_eq!(e.select_at(&counters(&[4, 0]), &[], 2), Some(1));
        assert_eq!(e.select_at(&counters(&[0, 0]), &[], 2), Some(0));
        assert_eq!(e.select_at(&counters(&[0, 0]), &[0], 2), Some(1));
        assert_eq!(e.select_at(&counters(&[0, 0]), &[0, 1], 2), None);
    }
}
