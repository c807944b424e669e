//! How the Ingresses sharing a backend decide its balancing (ingress-nginx `controller.go`
//! `createUpstreams`): the first Ingress creating the upstream fixes `load-balance` and
//! `upstream-hash-by`; affinity type and mode are each the first non-empty one; the cookie
//! settings are those of the last Ingress with `affinity: cookie` (each overwrites them), and
//! the cookie is set on the locations of every Ingress with `affinity: cookie`.

use std::sync::Arc;

use portico_annotations::IngressAnnotations;
use portico_model::{
    AffinityCookie, AffinityMode, Balancing, CookieAffinity, HashBy, LbAlgorithm, ObjectRef,
};

/// What one Ingress asks of a backend it references.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wanted<'a> {
    pub algorithm: LbAlgorithm,
    /// `service-upstream`: the Service's ClusterIP:port instead of its endpoints.
    pub cluster_ip: bool,
    pub hash_by: Option<&'a HashBy>,
    pub mode: Option<AffinityMode>,
    pub cookie: Option<&'a AffinityCookie>,
}

/// A backend's balancing while its Ingresses are registered.
#[derive(Debug)]
pub(crate) struct Draft {
    pub algorithm: LbAlgorithm,
    /// `service-upstream` of the first Ingress.
    pub cluster_ip: bool,
    hash_by: Option<Arc<HashBy>>,
    mode: Option<AffinityMode>,
    cookie: Option<AffinityCookie>,
    /// The Ingresses with `affinity: cookie`, in registration order.
    cookie_ingresses: Vec<ObjectRef>,
}

// === impl Wanted ===

impl<'a> Wanted<'a> {
    /// The wishes of an Ingress's annotations; `default` is the ConfigMap `load-balance`.
    pub(crate) fn of(annotations: &'a IngressAnnotations, default: LbAlgorithm) -> Self {
        Self {
            algorithm: annotations.load_balance.unwrap_or(default),
            cluster_ip: annotations.service_upstream,
            hash_by: annotations.hash_by.as_ref(),
            mode: annotations.affinity.mode,
            cookie: annotations.affinity.cookie.as_ref(),
        }
    }
}

// === impl Draft ===

impl Draft {
    /// The draft of a backend created by `first`.
    pub(crate) fn new(first: &Wanted<'_>) -> Self {
        Self {
            algorithm: first.algorithm,
            cluster_ip: first.cluster_ip,
            hash_by: first.hash_by.cloned().map(Arc::new),
            mode: None,
            cookie: None,
            cookie_ingresses: Vec::new(),
        }
    }

    /// Adds the affinity wishes of `ingress` (every use, the first included).
    pub(crate) fn add(&mut self, ingress: &ObjectRef, wanted: &Wanted<'_>) {
        if self.mode.is_none() {
            self.mode = wanted.mode;
        }
        if let Some(cookie) = wanted.cookie {
            self.cookie = Some(cookie.clone());
            if !self.cookie_ingresses.contains(ingress) {
                self.cookie_ingresses.push(ingress.clone());
            }
        }
    }

    pub(crate) fn finish(self) -> Balancing {
        let mode = self.mode.unwrap_or_default();
        let ingresses = self.cookie_ingresses;
        let affinity =
            self.cookie.map(|cookie| Arc::new(CookieAffinity { mode, cookie, ingresses }));
        Balancing { affinity, hash_by: self.hash_by }
    }
}
