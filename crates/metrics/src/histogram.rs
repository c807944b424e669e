//! A lock-free histogram for the request path: one relaxed atomic add per bucket hit, one for
//! the count and a compare-and-swap loop for the sum. Buckets are cumulated only when encoded.
//!
//! prometheus-client's `Histogram` takes a lock per observation; this one never does.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The upper bounds of a histogram's buckets, ascending, without `+Inf` (implicit).
pub type Buckets = Arc<[f64]>;

/// Non-cumulative bucket counts (the last slot is `+Inf`), count and sum (f64 bits).
#[derive(Debug)]
pub(crate) struct AtomicHistogram {
    bounds: Buckets,
    counts: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_bits: AtomicU64,
}

// === impl AtomicHistogram ===

impl AtomicHistogram {
    pub(crate) fn new(bounds: Buckets) -> Self {
        let counts = (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect();
        Self { bounds, counts, count: AtomicU64::new(0), sum_bits: AtomicU64::new(0f64.to_bits()) }
    }

    /// Records one value: a linear scan of the (few) bounds, then relaxed atomic adds.
    pub(crate) fn observe(&self, value: f64) {
        let index = self.bounds.iter().position(|&le| value <= le).unwrap_or(self.bounds.len());
        if let Some(slot) = self.counts.get(index) {
            slot.fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let _ = self.sum_bits.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
            Some((f64::from_bits(bits) + value).to_bits())
        });
    }

    /// Writes the `_bucket`, `_sum` and `_count` samples of `name` with `labels` (already
    /// rendered `k="v",…`, or empty) in the Prometheus text format.
    pub(crate) fn encode(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0u64;
        let sep = if labels.is_empty() { "" } else { "," };
        for (index, slot) in self.counts.iter().enumerate() {
            cumulative += slot.load(Ordering::Relaxed);
            let le = self.bounds.get(index).map_or_else(|| "+Inf".to_string(), |b| fmt_f64(*b));
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}");
        }
        let sum = fmt_f64(f64::from_bits(self.sum_bits.load(Ordering::Relaxed)));
        let count = self.count.load(Ordering::Relaxed);
        match labels.is_empty() {
            true => {
                let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
            }
            false => {
                let _ =
                    writeln!(out, "{name}_sum{{{labels}}} {sum}\n{name}_count{{{labels}}} {count}");
            }
        }
    }
}

/// A float as Prometheus writes bucket bounds: always with a decimal point (`10.0`, `0.005`).
pub(crate) fn fmt_f64(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulates_buckets_on_encode() {
        let h = AtomicHistogram::new(Arc::from([0.1, 1.0]));
        h.observe(0.05);
        h.observe(0.5);
        h.observe(7.0);
        let mut out = String::new();
        h.encode(&mut out, "x", "a=\"b\"");
        assert!(out.contains("x_bucket{a=\"b\",le=\"0.1\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"1.0\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{a=\"b\",le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_sum{a=\"b\"} 7.55\n"), "{out}");
        assert!(out.contains("x_count{a=\"b\"} 3\n"), "{out}");
    }
}
