//! One resolved name: its current addresses, read by requests, written by its refresh task.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::DnsSettings;

/// Longest a request waits for the first lookup of its name (the lookup has its own, shorter,
/// timeouts; this only guards against a refresh task that is gone).
const FIRST_ANSWER_WAIT: Duration = Duration::from_secs(30);

/// The state of one name. Invariant: `answer` is `None` before the first successful lookup and
/// after the last good answer went past its stale bound; `settled` is set after the first
/// lookup finished, whatever its outcome.
#[derive(Debug)]
pub(super) struct Name {
    answer: ArcSwapOption<Answer>,
    /// Round-robin position over the answer's addresses.
    next: AtomicUsize,
    /// A request used the name since the refresh task last looked.
    used: AtomicBool,
    /// The live table lists the name: refreshed even when unused.
    pinned: AtomicBool,
    /// The refresh task was started (exactly one per name).
    started: AtomicBool,
    settled: AtomicBool,
    /// Why the last lookup failed, for the requests that get no address.
    last_error: Mutex<String>,
    /// Wakes the requests waiting for the first answer.
    ready: Notify,
}

/// A good answer: at least one address.
#[derive(Debug)]
struct Answer {
    ips: Box<[IpAddr]>,
    /// When the answer stops being served while lookups fail: its TTL plus the stale bound.
    usable_until: Instant,
}

/// What one lookup found: addresses (maybe none) and their TTL, or why it failed.
pub(super) type Outcome = Result<(Vec<IpAddr>, Duration), String>;

// === impl Name ===

impl Name {
    pub(super) fn new(pinned: bool) -> Self {
        Self {
            answer: ArcSwapOption::empty(),
            next: AtomicUsize::new(0),
            used: AtomicBool::new(true),
            pinned: AtomicBool::new(pinned),
            started: AtomicBool::new(false),
            settled: AtomicBool::new(false),
            last_error: Mutex::new(String::new()),
            ready: Notify::new(),
        }
    }

    /// The next address in turn, if the name has a usable answer. No lock, no allocation.
    pub(super) fn pick(&self) -> Option<IpAddr> {
        let answer = self.answer.load();
        let ips = &answer.as_ref()?.ips;
        match ips.len() {
            1 => ips.first().copied(),
            n => ips.get(self.next.fetch_add(1, Ordering::Relaxed) % n).copied(),
        }
    }

    /// Waits for the first lookup, then its address or why there is none.
    pub(super) async fn first_answer(&self) -> Result<IpAddr, String> {
        let wait = async {
            loop {
                let notified = self.ready.notified();
                if let Some(ip) = self.pick() {
                    return Ok(ip);
                }
                if self.settled.load(Ordering::Acquire) {
                    return Err(self.last_error.lock().clone());
                }
                notified.await;
            }
        };
        match tokio::time::timeout(FIRST_ANSWER_WAIT, wait).await {
            Ok(result) => result,
            Err(_) => Err("no answer in time".to_string()),
        }
    }

    /// Notes a use (a read of a shared flag, written once per refresh period at most).
    pub(super) fn used(&self) {
        if !self.used.load(Ordering::Relaxed) {
            self.used.store(true, Ordering::Relaxed);
        }
    }

    pub(super) fn pin(&self, pinned: bool) {
        self.pinned.store(pinned, Ordering::Relaxed);
    }

    /// True once: the caller starts the refresh task.
    pub(super) fn start(&self) -> bool {
        !self.started.swap(true, Ordering::AcqRel)
    }

    /// Whether to go on refreshing: listed by the table, or used since the last call.
    pub(super) fn keep(&self) -> bool {
        let used = self.used.swap(false, Ordering::Relaxed);
        used || self.pinned.load(Ordering::Relaxed)
    }

    /// Takes a lookup's outcome; returns when to look up again, and whether to ask
    /// [`Name::keep`] first: after a good answer's period, or while there is no answer to
    /// serve; not while a stale answer bridges failed lookups, which would drop it early.
    pub(super) fn settle(&self, outcome: Outcome, settings: &DnsSettings) -> (Duration, bool) {
        let now = Instant::now();
        let next = match outcome {
            Ok((ips, ttl)) if !ips.is_empty() => {
                let ttl = ttl.clamp(settings.min_ttl, settings.max_ttl);
                let usable_until = now + ttl + settings.stale;
                self.answer
                    .store(Some(std::sync::Arc::new(Answer { ips: ips.into(), usable_until })));
                // Looked up again a little before expiry, so the new answer is there in time.
                (ttl - ttl / 10, true)
            }
            failed => {
                let reason = match failed {
                    Err(reason) => reason,
                    Ok(_) => "no addresses".to_string(),
                };
                self.fail(reason, now);
                (settings.min_ttl, self.answer.load().is_none())
            }
        };
        self.settled.store(true, Ordering::Release);
        self.ready.notify_waiters();
        next
    }

    /// A failed lookup: the last good answer stays until its stale bound.
    fn fail(&self, reason: String, now: Instant) {
        let expired = self.answer.load().as_ref().is_some_and(|a| now >= a.usable_until);
        if expired {
            self.answer.store(None);
        }
        let serving = self.answer.load().is_some();
        tracing::warn!(%reason, serving_last_answer = serving, "DNS lookup failed");
        *self.last_error.lock() = reason;
    }
}
