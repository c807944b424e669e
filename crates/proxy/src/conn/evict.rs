//! Descriptor exhaustion: when `accept` fails with EMFILE/ENFILE, the oldest idle client
//! connections (silent since accept, or idle between keep-alive requests) are asked to close so
//! that new clients are served, as nginx reuses idle keep-alive connections when it runs out.
//!
//! Every connection registers once at accept and deregisters when it ends (one short lock each
//! way, never per request). Registration order is accept order, so "oldest first" is a scan from
//! the front.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;

use super::ConnShared;

/// The live client connections, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    next: AtomicU64,
    conns: Mutex<BTreeMap<u64, Weak<ConnShared>>>,
}

/// A connection's place in the [`Registry`]; removes it when dropped.
#[derive(Debug)]
pub(crate) struct Registration {
    registry: Arc<Registry>,
    id: u64,
}

// === impl Registry ===

impl Registry {
    pub(crate) fn register(self: &Arc<Self>, shared: &Arc<ConnShared>) -> Registration {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.conns.lock().insert(id, Arc::downgrade(shared));
        Registration { registry: Arc::clone(self), id }
    }

    /// Asks up to `max` of the oldest idle connections to close; returns how many were asked.
    pub(crate) fn evict_idle(&self, max: usize) -> usize {
        let conns = self.conns.lock();
        let mut asked = 0;
        for shared in conns.values().filter_map(Weak::upgrade) {
            if asked == max {
                break;
            }
            if shared.is_idle() && !shared.evict.load(Ordering::Relaxed) {
                shared.evict();
                asked += 1;
            }
        }
        asked
    }

    /// Connections currently open.
    pub(crate) fn len(&self) -> usize {
        self.conns.lock().len()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.registry.conns.lock().remove(&self.id);
    }
}
