//! `affinity: cookie` (ingress-nginx `balancer/sticky*.lua`): the cookie pins a client to an
//! endpoint. Its value is `<key>|<backend key>`, where the backend key is
//! `md5(md5(backend name) + backend name)` in hex and the key is, per `affinity-mode`:
//!
//! - `balanced`: a random string placed on a hash ring of the endpoints. When endpoints come or
//!   go the key may land on another endpoint, and stays there: sessions rebalance on scale-up.
//! - `persistent`: `md5(backend name + endpoint address)` in hex. The pin holds until that
//!   endpoint is gone; then a new endpoint is picked and a new cookie set.
//!
//! A new pin is chosen (and reported in [`crate::Pick::pin`]) when there is no usable cookie,
//! and with `session-cookie-change-on-failure` when the pinned endpoint failed. Without it, a
//! retry after a failure goes to another endpoint for that request only (ingress-nginx retries
//! the same endpoint; Portico never picks a tried endpoint twice) and the cookie stays.

use std::fmt::Write as _;
use std::sync::atomic::AtomicUsize;
use std::time::{SystemTime, UNIX_EPOCH};

use md5::{Digest as _, Md5};
use portico_model::{AffinityMode, CookieAffinity, Endpoint};
use rand::Rng as _;

use crate::chash::Ring;
use crate::request::{cookie, hash_str, RequestView};
use crate::selection::Selection;
use crate::{PickContext, RequestKey};

/// sticky_balanced.lua's `MAX_UPSTREAM_CHECKS_COUNT`: random keys tried to avoid a failed one.
const MAX_KEY_TRIES: u32 = 20;

#[derive(Debug)]
pub(crate) struct Sticky {
    cookie_name: String,
    backend_key: String,
    change_on_failure: bool,
    pins: Pins,
}

#[derive(Debug)]
enum Pins {
    Balanced(Ring),
    /// Invariant: one key per endpoint, same order.
    Persistent(Vec<String>),
}

// === impl Sticky ===

impl Sticky {
    pub(crate) fn new(backend: &str, endpoints: &[Endpoint], affinity: &CookieAffinity) -> Self {
        let pins = match affinity.mode {
            AffinityMode::Balanced => Pins::Balanced(Ring::of_endpoints(endpoints)),
            AffinityMode::Persistent => Pins::Persistent(
                endpoints.iter().map(|e| md5_hex(&format!("{backend}{e}"))).collect(),
            ),
        };
        Self {
            cookie_name: affinity.cookie.name.clone(),
            backend_key: md5_hex(&format!("{}{backend}", md5_hex(backend))),
            change_on_failure: affinity.cookie.change_on_failure,
            pins,
        }
    }

    /// The endpoint a cookie key pins to, if any.
    fn lookup(&self, key: &str) -> Option<usize> {
        match &self.pins {
            Pins::Balanced(ring) => ring.find(hash_str(key)),
            Pins::Persistent(keys) => keys.iter().position(|k| k == key),
        }
    }

    /// A new pin not in `tried`, with its cookie key when one maps to it.
    fn new_pin(&self, tried: &[usize]) -> Option<(usize, Option<String>)> {
        let mut rng = rand::rng();
        match &self.pins {
            Pins::Balanced(ring) => {
                for attempt in 1..=MAX_KEY_TRIES {
                    let key = random_key(attempt, rng.random_range(0..999_999));
                    match ring.find(hash_str(&key)) {
                        Some(node) if !tried.contains(&node) => return Some((node, Some(key))),
                        Some(_) => continue,
                        None => return None,
                    }
                }
                ring.find_untried(rng.random(), tried).map(|node| (node, None))
            }
            Pins::Persistent(keys) => {
                let untried = || (0..keys.len()).filter(|i| !tried.contains(i));
                let count = untried().count();
                if count == 0 {
                    return None;
                }
                let index = untried().nth(rng.random_range(0..count))?;
                Some((index, keys.get(index).cloned()))
            }
        }
    }
}

/// As sticky_balanced.lua: `<now + attempt>.<pid>.<random>`.
fn random_key(attempt: u32, random: u32) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs_f64();
    format!("{:.3}.{}.{random}", now + f64::from(attempt), std::process::id())
}

fn md5_hex(input: &str) -> String {
    let digest = Md5::digest(input.as_bytes());
    let mut out = String::with_capacity(32);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

impl Selection for Sticky {
    fn affinitized(&self, headers: &http::HeaderMap) -> bool {
        let value = cookie(headers, &self.cookie_name);
        value.and_then(|v| v.split('|').nth(1)).is_some_and(|key| key == self.backend_key)
    }

    fn read(&self, req: &RequestView<'_>) -> RequestKey {
        let key = cookie(req.headers, &self.cookie_name)
            .and_then(|value| value.split('|').next())
            .filter(|key| !key.is_empty());
        RequestKey { hash: None, pinned: key.and_then(|key| self.lookup(key)) }
    }

    fn select(
        &self,
        ctx: &PickContext<'_>,
        inflight: &[AtomicUsize],
        tried: &[usize],
    ) -> Option<usize> {
        self.select_pin(ctx, inflight, tried).map(|(index, _)| index)
    }

    fn select_pin(
        &self,
        ctx: &PickContext<'_>,
        _: &[AtomicUsize],
        tried: &[usize],
    ) -> Option<(usize, Option<String>)> {
        match ctx.key.pinned {
            Some(pinned) if !tried.contains(&pinned) => Some((pinned, None)),
            Some(_) if !self.change_on_failure => {
                self.new_pin(tried).map(|(index, _)| (index, None))
            }
            _ => {
                let (index, key) = self.new_pin(tried)?;
                Some((index, key.map(|key| format!("{key}|{}", self.backend_key))))
            }
        }
    }
}

#[cfg(test)]
mod tests;
