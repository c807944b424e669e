//! Load-balancing algorithms behind one trait, built per backend at table-build time.
//!
//! A [`Balancer`] owns one backend's endpoints, a per-endpoint in-flight counter and one
//! [`Selection`] (the algorithm). [`Balancer::pick`] asks the algorithm for an endpoint not yet
//! tried and returns a [`Pick`] guard that counts as in flight until dropped; retries call
//! `pick` again with the indexes already tried. Picking takes no lock and allocates nothing.
#![forbid(unsafe_code)]

mod dh;
mod hash;
mod lc;
mod nq;
mod rr;
mod sed;
mod selection;
mod sh;

use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use portico_model::{Endpoint, LbAlgorithm};

use crate::selection::Selection;

/// What an algorithm may look at to choose.
#[derive(Debug, Clone, Copy)]
pub struct PickContext<'a> {
    pub client: IpAddr,
    pub host: &'a str,
    pub path: &'a str,
}

/// The endpoints of one backend and the algorithm choosing among them.
#[derive(Debug)]
pub struct Balancer {
    endpoints: Vec<Endpoint>,
    /// One counter per endpoint: requests picked and not yet dropped.
    inflight: Arc<[AtomicUsize]>,
    algorithm: LbAlgorithm,
    selection: Box<dyn Selection>,
}

/// A chosen endpoint; counts as in flight (for `lc`, `sed`, `nq`) until dropped.
#[derive(Debug)]
pub struct Pick {
    pub index: usize,
    inflight: Arc<[AtomicUsize]>,
}

// === impl Balancer ===

impl Balancer {
    pub fn new(endpoints: &[Endpoint], algorithm: LbAlgorithm) -> Self {
        let selection: Box<dyn Selection> = match algorithm {
            LbAlgorithm::RoundRobin => Box::new(rr::RoundRobin::default()),
            LbAlgorithm::LeastConnections => Box::new(lc::LeastConnections::default()),
            LbAlgorithm::DestinationHash => Box::new(dh::DestinationHash::new(endpoints)),
            LbAlgorithm::SourceHash => Box::new(sh::SourceHash::new(endpoints)),
            LbAlgorithm::ShortestExpectedDelay => {
                Box::new(sed::ShortestExpectedDelay::new(endpoints.len()))
            }
            LbAlgorithm::NeverQueue => Box::new(nq::NeverQueue::new(endpoints.len())),
        };
        Self {
            endpoints: endpoints.to_vec(),
            inflight: endpoints.iter().map(|_| AtomicUsize::new(0)).collect(),
            algorithm,
            selection,
        }
    }

    /// Chooses an endpoint not in `tried`; `None` when every endpoint was tried or none exist.
    pub fn pick(&self, ctx: &PickContext<'_>, tried: &[usize]) -> Option<Pick> {
        let index = self.selection.select(ctx, &self.inflight, tried)?;
        self.inflight.get(index)?.fetch_add(1, Ordering::Relaxed);
        Some(Pick { index, inflight: Arc::clone(&self.inflight) })
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

    /// Requests currently picked for endpoint `index` and not yet dropped.
    pub fn in_flight(&self, index: usize) -> usize {
        self.inflight.get(index).map_or(0, |n| n.load(Ordering::Relaxed))
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
