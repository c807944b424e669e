//! Load-balancing algorithms behind one trait, built per backend at table-build time.
#![forbid(unsafe_code)]

use std::net::IpAddr;

use portico_model::{Endpoint, LbAlgorithm};

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
    _private: (),
}

/// A chosen endpoint; counts as in flight (for `lc`, `sed`, `nq`) until dropped.
#[derive(Debug)]
pub struct Pick {
    pub index: usize,
}

impl Balancer {
    pub fn new(endpoints: &[Endpoint], algorithm: LbAlgorithm) -> Self {
        let _ = (endpoints, algorithm);
        unimplemented!("balancer")
    }

    /// Chooses an endpoint not in `tried`; `None` when every endpoint was tried or none exist.
    pub fn pick(&self, ctx: &PickContext<'_>, tried: &[usize]) -> Option<Pick> {
        let _ = (ctx, tried);
        unimplemented!("balancer")
    }

    pub fn endpoint(&self, index: usize) -> Option<&Endpoint> {
        let _ = index;
        unimplemented!("balancer")
    }

    pub fn len(&self) -> usize {
        unimplemented!("balancer")
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
