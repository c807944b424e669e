//! The algorithm seam (as pingora's `selection/mod.rs`): each algorithm is built once from the
//! endpoint set and then chooses per request, lock-free, from shared in-flight counts.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::ewma::Ewma;
use crate::request::RequestView;
use crate::{PickContext, RequestKey};

/// One load-balancing algorithm.
pub(crate) trait Selection: Send + Sync + fmt::Debug {
    /// The endpoint to try next. Invariants: the result is `< inflight.len()` and not in
    /// `tried`; `None` only when every endpoint is in `tried` (or there are none).
    /// `inflight[i]` is how many requests endpoint `i` holds right now.
    fn select(
        &self,
        ctx: &PickContext<'_>,
        inflight: &[AtomicUsize],
        tried: &[usize],
    ) -> Option<usize>;

    /// Like [`Selection::select`], with the new affinity cookie value when the choice is a new
    /// pin (only cookie affinity pins).
    fn select_pin(
        &self,
        ctx: &PickContext<'_>,
        inflight: &[AtomicUsize],
        tried: &[usize],
    ) -> Option<(usize, Option<String>)> {
        self.select(ctx, inflight, tried).map(|index| (index, None))
    }

    /// The request carries this backend's affinity cookie (sticky.lua `is_affinitized`: the
    /// cookie's backend key is this backend's). Only cookie affinity says yes.
    fn affinitized(&self, _headers: &http::HeaderMap) -> bool {
        false
    }

    /// What this algorithm needs from the request, read once before the first pick.
    fn read(&self, _req: &RequestView<'_>) -> RequestKey {
        RequestKey::default()
    }

    /// Endpoint `index` answered after `rtt` (only latency-aware algorithms care).
    fn observe(&self, _index: usize, _rtt: Duration) {}

    /// The EWMA state, which outlives an endpoint change ([`crate::Balancer::after`]).
    fn as_ewma(&self) -> Option<&Ewma> {
        None
    }

    fn as_ewma_mut(&mut self) -> Option<&mut Ewma> {
        None
    }
}

/// The endpoints not in `tried`, starting at the next turn of `turn` and wrapping around: the
/// scan every rotating algorithm shares. The turn is taken when this is called.
pub(crate) fn untried<'a>(
    turn: &AtomicUsize,
    len: usize,
    tried: &'a [usize],
) -> impl Iterator<Item = usize> + 'a {
    rotation(next_start(turn, len), len).filter(move |i| !tried.contains(i))
}

/// The untried endpoint that minimises cost, scanning from the next turn of `turn` so that
/// equal costs take turns. `better(a, b)` must be true when `a` is strictly cheaper than `b`.
pub(crate) fn least(
    turn: &AtomicUsize,
    len: usize,
    tried: &[usize],
    better: impl Fn(usize, usize) -> bool,
) -> Option<usize> {
    untried(turn, len, tried).fold(None, |best, i| match best {
        Some(b) if !better(i, b) => Some(b),
        _ => Some(i),
    })
}

pub(crate) fn load(inflight: &[AtomicUsize], index: usize) -> usize {
    inflight.get(index).map_or(usize::MAX, |n| n.load(Ordering::Relaxed))
}

/// Endpoint indexes starting at `start`, wrapping around: `start, start+1, ..., start-1`.
fn rotation(start: usize, len: usize) -> impl Iterator<Item = usize> {
    (0..len).map(move |k| (start.wrapping_add(k)) % len)
}

/// The next start position of a rotating counter (spreads ties and round robin turns).
fn next_start(counter: &AtomicUsize, len: usize) -> usize {
    if len == 0 {
        0
    } else {
        counter.fetch_add(1, Ordering::Relaxed) % len
    }
}
