//! Load-balancing algorithms behind one trait, built per backend at table-build time.
//!
//! A [`Balancer`] owns one backend's endpoints, a per-endpoint in-flight counter and one
//! [`Selection`] (the algorithm, or cookie affinity / consistent hashing when the backend asks
//! for them, which take precedence as in ingress-nginx). Per request, [`Balancer::read`] takes
//! what the algorithm needs from the request (cookie pin, hash key) into a [`RequestKey`];
//! [`Balancer::pick`] asks for an endpoint not yet tried and returns a [`Pick`] guard that
//! counts as in flight until dropped; retries call `pick` again with the indexes already tried;
//! [`Balancer::observe`] reports the response time. Picking takes no lock; only a new affinity
//! pin allocates (its cookie value).
#![forbid(unsafe_code)]

mod chash;
mod dh;
mod ewma;
mod hash;
mod lc;
mod nq;
mod request;
mod rr;
mod sed;
mod selection;
mod sh;
mod sticky;
mod subset;

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use portico_model::{Backend, Balancing, CookieAffinity, Endpoint, LbAlgorithm};

pub use request::RequestView;

use crate::selection::Selection;

/// What an algorithm may look at to choose.
#[derive(Debug, Clone, Copy)]
pub struct PickContext<'a> {
    pub client: IpAddr,
    pub host: &'a str,
    pub path: &'a str,
    /// What [`Balancer::read`] took from the request (default: nothing).
    pub key: RequestKey,
}

/// What a balancer read from a request ahead of picking.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestKey {
    /// The `upstream-hash-by` key's hash.
    pub(crate) hash: Option<u64>,
    /// The endpoint the affinity cookie pins to.
    pub(crate) pinned: Option<usize>,
}

/// The endpoints of one backend and the algorithm choosing among them.
#[derive(Debug)]
pub struct Balancer {
    endpoints: Vec<Endpoint>,
    /// One counter per endpoint: requests picked and not yet dropped.
    inflight: Arc<[AtomicUsize]>,
    algorithm: LbAlgorithm,
    /// What `selection` was built from, to tell whether a new table may keep this balancer.
    balancing: Balancing,
    selection: Box<dyn Selection>,
}

/// A chosen endpoint; counts as in flight (for `lc`, `sed`, `nq`, `ewma`) until dropped.
#[derive(Debug)]
pub struct Pick {
    pub index: usize,
    /// A new affinity pin: the cookie value to send (`<key>|<backend key>`).
    pub pin: Option<String>,
    inflight: Arc<[AtomicUsize]>,
}

// === impl Balancer ===

impl Balancer {
    /// A balancer running `algorithm` alone.
    pub fn new(endpoints: &[Endpoint], algorithm: LbAlgorithm) -> Self {
        Self::build("", endpoints, algorithm, &Balancing::default())
    }

    /// The balancer of `backend`: affinity, else hashing, else its algorithm.
    pub fn for_backend(backend: &Backend) -> Self {
        Self::build(&backend.name, &backend.endpoints, backend.algorithm, &backend.balancing)
    }

    fn build(name: &str, endpoints: &[Endpoint], algorithm: LbAlgorithm, b: &Balancing) -> Self {
        let selection: Box<dyn Selection> = match (&b.affinity, &b.hash_by) {
            (Some(affinity), _) => Box::new(sticky::Sticky::new(name, endpoints, affinity)),
            (None, Some(hash_by)) => match hash_by.subset {
                Some(size) => {
                    Box::new(subset::HashSubset::new(endpoints.len(), size, Arc::clone(hash_by)))
                }
                None => Box::new(chash::ConsistentHash::new(endpoints, Arc::clone(hash_by))),
            },
            (None, None) => algorithm_selection(endpoints, algorithm),
        };
        Self {
            endpoints: endpoints.to_vec(),
            inflight: endpoints.iter().map(|_| AtomicUsize::new(0)).collect(),
            algorithm,
            balancing: b.clone(),
            selection,
        }
    }

    /// The balancer of `backend` when `previous` served it with other endpoints (or settings):
    /// EWMA keeps the scores of the endpoints still there and starts new ones at the average
    /// (ingress-nginx keeps them per address); other algorithms start afresh.
    pub fn after(backend: &Backend, previous: &Balancer) -> Self {
        let mut next = Self::for_backend(backend);
        if let (Some(new), Some(old)) = (next.selection.as_ewma_mut(), previous.selection.as_ewma())
        {
            new.inherit(old, &previous.endpoints, &backend.endpoints);
        }
        next
    }

    /// Whether this balancer serves `backend` as a new one would, so that a new table may keep
    /// it with its state (turns, in-flight counts, latencies).
    pub fn serves(&self, backend: &Backend) -> bool {
        self.endpoints == backend.endpoints
            && self.algorithm == backend.algorithm
            && self.balancing == backend.balancing
    }

    /// The request is pinned to this backend by its affinity cookie (which backend of a
    /// location with a canary takes it, before the canary rules).
    pub fn is_affinitized(&self, headers: &http::HeaderMap) -> bool {
        self.selection.affinitized(headers)
    }

    /// Reads what the algorithm needs from the request, once before the first pick.
    pub fn read(&self, req: &RequestView<'_>) -> RequestKey {
        self.selection.read(req)
    }

    /// Chooses an endpoint not in `tried`; `None` when every endpoint was tried or none exist.
    pub fn pick(&self, ctx: &PickContext<'_>, tried: &[usize]) -> Option<Pick> {
        let (index, pin) = self.selection.select_pin(ctx, &self.inflight, tried)?;
        self.inflight.get(index)?.fetch_add(1, Ordering::Relaxed);
        Some(Pick { index, pin, inflight: Arc::clone(&self.inflight) })
    }

    /// The endpoint of `pick` answered (response headers) after `rtt`.
    pub fn observe(&self, pick: &Pick, rtt: Duration) {
        self.selection.observe(pick.index, rtt);
    }

    pub fn endpoint(&self, index: usize) -> Option<&Endpoint> {
        self.endpoints.get(index)
    }

    pub fn len(&self) -> usize {
        self.endpoints.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn algorithm(&self) -> LbAlgorithm {
        self.algorithm
    }

    /// The cookie affinity this balancer pins by, if any.
    pub fn affinity(&self) -> Option<&CookieAffinity> {
        self.balancing.affinity.as_deref()
    }

    /// Requests currently picked for endpoint `index` and not yet dropped.
    pub fn in_flight(&self, index: usize) -> usize {
        self.inflight.get(index).map_or(0, |n| n.load(Ordering::Relaxed))
    }
}

fn algorithm_selection(endpoints: &[Endpoint], algorithm: LbAlgorithm) -> Box<dyn Selection> {
    match algorithm {
        LbAlgorithm::RoundRobin => Box::new(rr::RoundRobin::default()),
        LbAlgorithm::LeastConnections => Box::new(lc::LeastConnections::default()),
        LbAlgorithm::DestinationHash => Box::new(dh::DestinationHash::new(endpoints)),
        LbAlgorithm::SourceHash => Box::new(sh::SourceHash::new(endpoints)),
        LbAlgorithm::ShortestExpectedDelay => {
            Box::new(sed::ShortestExpectedDelay::new(endpoints.len()))
        }
        LbAlgorithm::NeverQueue => Box::new(nq::NeverQueue::new(endpoints.len())),
        LbAlgorithm::Ewma => Box::new(ewma::Ewma::new(endpoints.len())),
    }
}

// === impl PickContext ===

impl<'a> PickContext<'a> {
    /// A context without request key (for algorithms that need none).
    pub fn new(client: IpAddr, host: &'a str, path: &'a str) -> Self {
        Self { client, host, path, key: RequestKey::default() }
    }
}

// === impl Pick ===

impl Drop for Pick {
    fn drop(&mut self) {
        if let Some(n) = self.inflight.get(self.index) {
            n.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests;
