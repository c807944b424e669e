//! SNI certificate selection for rustls, over the current [`CertStore`].

use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::store::CertStore;

/// Picks the certificate for each handshake from the current [`CertStore`]. The store is
/// replaced whole by [`SniResolver::swap`]; a handshake reads one snapshot, without locks.
/// Open connections keep the certificate they were handshaken with.
#[derive(Debug)]
pub struct SniResolver {
    store: ArcSwap<CertStore>,
}

// === impl SniResolver ===

impl SniResolver {
    pub fn new(store: CertStore) -> Self {
        Self { store: ArcSwap::from_pointee(store) }
    }

    /// Serves `store` to every handshake that starts after this returns.
    pub fn swap(&self, store: CertStore) {
        self.store.store(Arc::new(store));
    }

    /// [`SniResolver::swap`] for a store also kept elsewhere (e.g. by the routing snapshot).
    pub fn swap_shared(&self, store: Arc<CertStore>) {
        self.store.store(store);
    }

    /// The store new handshakes currently see.
    pub fn current(&self) -> Arc<CertStore> {
        self.store.load_full()
    }
}

impl ResolvesServerCert for SniResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.store.load().resolve(client_hello.server_name())
    }
}
