//! `limit-rps` / `limit-rpm` / `limit-connections` (preaccess, as nginx's `limit_req` and
//! `limit_conn`): per client address, in zones named after the Ingress as ingress-nginx does,
//! so every location of one Ingress shares them.
//!
//! The zones live in the proxy ([`Zones`]), not in the table: a swap hands each location the
//! zone it had when its Ingress and limit are unchanged, and drops the zones no location uses.
//! Each zone is bounded ([`ZONE_CAPACITY`] addresses, least recently seen evicted, as nginx
//! evicts the oldest state of a full zone) and split in [`SHARDS`] locks by address, so
//! requests of different clients rarely wait for one another.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::state::StateStore;
use governor::{Quota, RateLimiter};
use lru::LruCache;
use parking_lot::Mutex;
use portico_metrics::LimitRejections;
use portico_model::{canonical, Limits};

use super::{FilterRequest, Step};
use crate::error::ProxyError;

/// Locks per zone.
const SHARDS: usize = 16;
/// Client addresses remembered per zone (nginx's 5 MB zones hold some 40 to 80 thousand).
pub(crate) const ZONE_CAPACITY: usize = 65_536;

/// Every zone of the live table, by what identifies it across swaps. Locked only at swaps.
#[derive(Debug, Default)]
pub(crate) struct Zones {
    live: Mutex<HashMap<ZoneKey, Zone>>,
}

/// A location's zones, handed out by [`Zones::attach`].
#[derive(Debug, Default)]
pub(crate) struct LimitState {
    rps: Option<Arc<ReqZone>>,
    rpm: Option<Arc<ReqZone>>,
    conn: Option<Arc<ConnZone>>,
    /// The owning Ingress's `portico_limit_rejections_total` counters.
    rejected: LimitRejections,
}

/// Held by a request that passed `limit-connections` until its response body is dropped.
#[derive(Debug)]
pub(crate) struct ConnPermit {
    zone: Arc<ConnZone>,
    client: IpAddr,
}

/// A zone's identity: the owning Ingress, the kind and the numbers nginx's zone carries. A
/// changed rate is a new zone, as a changed `limit_req_zone` is for nginx.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ZoneKey {
    ingress: Arc<str>,
    kind: Kind,
    limit: u32,
    burst: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Rps,
    Rpm,
    Conn,
}

#[derive(Debug, Clone)]
pub(crate) enum Zone {
    Req(Arc<ReqZone>),
    Conn(Arc<ConnZone>),
}

/// GCRA (governor) over a bounded table of client addresses.
type ReqZone = RateLimiter<IpAddr, LruStore, MonotonicClock, NoOpMiddleware<Instant>>;
type Instant = <MonotonicClock as Clock>::Instant;

/// governor's per-key state (the theoretical arrival time), least recently used evicted.
#[derive(Debug)]
pub(crate) struct LruStore {
    shards: Box<[Mutex<LruCache<IpAddr, Nanos>>]>,
}

/// Requests in flight per client address; an address leaves when its count drops to 0.
#[derive(Debug)]
pub(crate) struct ConnZone {
    shards: Box<[Mutex<HashMap<IpAddr, u32>>]>,
}

pub(super) fn apply(limits: &Limits, req: &mut FilterRequest<'_>) -> Result<Step, ProxyError> {
    let client = canonical(req.client);
    if limits.exempt(client) {
        return Ok(Step::Next);
    }
    // A location with limits always gets its zones; without them it fails closed.
    let Some(state) = req.limits else {
        return Err(ProxyError::Limited(limits.req_status));
    };
    // nginx runs limit_req before limit_conn: a refused request holds no connection.
    let rejected = &state.rejected;
    for (zone, counter) in [(&state.rps, &rejected.rps), (&state.rpm, &rejected.rpm)] {
        if zone.as_ref().is_some_and(|zone| zone.check_key(&client).is_err()) {
            counter.inc();
            return Err(ProxyError::Limited(limits.req_status));
        }
    }
    if let Some(zone) = &state.conn {
        match ConnZone::acquire(zone, client, limits.connections) {
            Some(permit) => req.held = Some(permit),
            None => {
                rejected.connections.inc();
                return Err(ProxyError::Limited(limits.conn_status));
            }
        }
    }
    Ok(Step::Next)
}

/// The shard of `client`: a multiplicative hash of its address bits.
fn shard(client: &IpAddr) -> usize {
    let bits = match client {
        IpAddr::V4(v4) => u64::from(u32::from(*v4)),
        IpAddr::V6(v6) => {
            let n = u128::from(*v6);
            (n as u64) ^ ((n >> 64) as u64)
        }
    };
    (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize % SHARDS
}

// === impl Zones ===

impl Zones {
    /// The zones of `limits` for a location of `ingress`: the live ones when they exist, else
    /// new ones. `next` collects what the next table uses; [`Zones::commit`] keeps only that.
    /// Refused requests are counted in `rejected` (the Ingress's counters).
    pub(crate) fn attach(
        &self,
        (ingress, rejected): (&Arc<str>, &LimitRejections),
        limits: &Limits,
        next: &mut HashMap<ZoneKey, Zone>,
    ) -> LimitState {
        let live = self.live.lock();
        let mut get = |kind: Kind, limit: u32, burst: u32| {
            let key = ZoneKey { ingress: ingress.clone(), kind, limit, burst };
            let zone = next
                .get(&key)
                .or_else(|| live.get(&key))
                .cloned()
                .unwrap_or_else(|| Zone::new(kind, limit, burst));
            next.insert(key, zone.clone());
            zone
        };
        let mut state = LimitState { rejected: rejected.clone(), ..LimitState::default() };
        if limits.rps > 0 {
            state.rps = get(Kind::Rps, limits.rps, limits.burst(limits.rps)).req();
        }
        if limits.rpm > 0 {
            state.rpm = get(Kind::Rpm, limits.rpm, limits.burst(limits.rpm)).req();
        }
        if limits.connections > 0 {
            state.conn = get(Kind::Conn, limits.connections, 0).conn();
        }
        state
    }

    /// Makes `next` the live zones; the others go when the last request using them ends.
    pub(crate) fn commit(&self, next: HashMap<ZoneKey, Zone>) {
        *self.live.lock() = next;
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live.lock().len()
    }
}

// === impl Zone ===

impl Zone {
    fn new(kind: Kind, limit: u32, burst: u32) -> Zone {
        let limit = NonZeroU32::new(limit).unwrap_or(NonZeroU32::MIN);
        // nginx passes the first request of a fresh state and `burst` more at once: a GCRA
        // burst of burst + 1.
        let burst = NonZeroU32::new(burst.saturating_add(1)).unwrap_or(NonZeroU32::MIN);
        let quota = match kind {
            Kind::Rps => Quota::per_second(limit),
            Kind::Rpm => Quota::per_minute(limit),
            Kind::Conn => return Zone::Conn(Arc::new(ConnZone::new())),
        };
        let limiter = RateLimiter::new(quota.allow_burst(burst), LruStore::new(), MonotonicClock);
        Zone::Req(Arc::new(limiter))
    }

    fn req(self) -> Option<Arc<ReqZone>> {
        match self {
            Zone::Req(zone) => Some(zone),
            Zone::Conn(_) => None,
        }
    }

    fn conn(self) -> Option<Arc<ConnZone>> {
        match self {
            Zone::Conn(zone) => Some(zone),
            Zone::Req(_) => None,
        }
    }
}

// === impl LruStore ===

impl LruStore {
    fn new() -> Self {
        let per_shard = std::num::NonZeroUsize::new(ZONE_CAPACITY / SHARDS)
            .unwrap_or(std::num::NonZeroUsize::MIN);
        Self { shards: (0..SHARDS).map(|_| Mutex::new(LruCache::new(per_shard))).collect() }
    }
}

impl StateStore for LruStore {
    type Key = IpAddr;

    fn measure_and_replace<T, F, E>(&self, key: &IpAddr, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut shard = self.shards[shard(key)].lock();
        let (outcome, next) = f(shard.get(key).copied())?;
        shard.put(*key, next);
        Ok(outcome)
    }
}

/// governor's housekeeping (the entries whose theoretical arrival time is past carry nothing).
impl ShrinkableKeyedStateStore<IpAddr> for LruStore {
    fn retain_recent(&self, drop_below: Nanos) {
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            let stale: Vec<IpAddr> =
                shard.iter().filter(|(_, tat)| **tat < drop_below).map(|(ip, _)| *ip).collect();
            for ip in stale {
                shard.pop(&ip);
            }
        }
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().len()).sum()
    }

    fn is_empty(&self) -> bool {
        self.shards.iter().all(|shard| shard.lock().is_empty())
    }
}

// === impl ConnZone ===

impl ConnZone {
    fn new() -> Self {
        Self { shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect() }
    }

    /// One more request of `client`, unless it has `limit` already (or the zone is full, as
    /// nginx's `limit_conn` answers when it cannot allocate a state).
    fn acquire(zone: &Arc<ConnZone>, client: IpAddr, limit: u32) -> Option<ConnPermit> {
        let mut shard = zone.shards[shard(&client)].lock();
        let full = shard.len() >= ZONE_CAPACITY / SHARDS;
        match shard.get_mut(&client) {
            Some(count) if *count >= limit => return None,
            Some(count) => *count += 1,
            None if full => return None,
            None => {
                shard.insert(client, 1);
            }
        }
        Some(ConnPermit { zone: zone.clone(), client })
    }
}

// === impl ConnPermit ===

impl Drop for ConnPermit {
    fn drop(&mut self) {
        let mut shard = self.zone.shards[shard(&self.client)].lock();
        if let Some(count) = shard.get_mut(&self.client) {
            *count -= 1;
            if *count == 0 {
                shard.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
