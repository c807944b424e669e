//! The server-side session cache (TLS 1.2 session IDs, TLS 1.3 stateful tickets): at most
//! `limit` sessions, the oldest evicted first, as rustls's `ServerSessionMemoryCache`, but
//! growing with use instead of reserving room for `limit` up front. rustls's reserves its whole
//! capacity when made (about 4 MiB for nginx's 40,960 sessions), once per configuration: the
//! listener's and one per host with its own ciphers or client certificates, most of which never
//! see that many handshakes.

use std::collections::{HashMap, VecDeque};

use parking_lot::Mutex;
use rustls::server::StoresServerSessions;

/// A bounded, insertion-ordered session store.
#[derive(Debug)]
pub(crate) struct SessionCache {
    inner: Mutex<Inner>,
    limit: usize,
}

/// Invariant: every live key is in `order` with the stamp `sessions` holds for it; `order` may
/// also hold stale entries (taken or replaced keys), which eviction skips and compaction drops.
#[derive(Debug, Default)]
struct Inner {
    sessions: HashMap<Vec<u8>, (u64, Vec<u8>)>,
    order: VecDeque<(u64, Vec<u8>)>,
    next_stamp: u64,
}

// === impl SessionCache ===

impl SessionCache {
    /// A store of at most `limit` sessions (`limit` ≥ 1).
    pub(crate) fn new(limit: usize) -> Self {
        Self { inner: Mutex::new(Inner::default()), limit: limit.max(1) }
    }
}

impl StoresServerSessions for SessionCache {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        let mut inner = self.inner.lock();
        let stamp = inner.next_stamp;
        inner.next_stamp += 1;
        inner.order.push_back((stamp, key.clone()));
        inner.sessions.insert(key, (stamp, value));
        while inner.sessions.len() > self.limit {
            inner.evict_oldest();
        }
        inner.compact();
        true
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.inner.lock().sessions.get(key).map(|(_, value)| value.clone())
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        let mut inner = self.inner.lock();
        let taken = inner.sessions.remove(key).map(|(_, value)| value);
        inner.compact();
        taken
    }

    fn can_cache(&self) -> bool {
        true
    }
}

// === impl Inner ===

impl Inner {
    /// Removes the oldest live session.
    fn evict_oldest(&mut self) {
        while let Some((stamp, key)) = self.order.pop_front() {
            if self.sessions.get(&key).is_some_and(|(live, _)| *live == stamp) {
                self.sessions.remove(&key);
                return;
            }
        }
    }

    /// Drops stale entries once they outnumber the live ones (amortised O(1) per call).
    fn compact(&mut self) {
        if self.order.len() <= 2 * self.sessions.len() + 64 {
            return;
        }
        let sessions = &self.sessions;
        self.order.retain(|(stamp, key)| sessions.get(key).is_some_and(|(live, _)| live == stamp));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(i: usize) -> Vec<u8> {
        i.to_be_bytes().to_vec()
    }

    #[test]
    fn keeps_at_most_the_limit_evicting_the_oldest() {
        let cache = SessionCache::new(3);
        for i in 0..5 {
            assert!(cache.put(key(i), vec![i as u8]));
        }
        assert_eq!(cache.get(&key(0)), None);
        assert_eq!(cache.get(&key(1)), None);
        assert_eq!(cache.get(&key(2)), Some(vec![2]));
        assert_eq!(cache.get(&key(4)), Some(vec![4]));
    }

    #[test]
    fn take_removes_and_a_replaced_key_counts_from_its_last_put() {
        let cache = SessionCache::new(2);
        cache.put(key(1), vec![1]);
        cache.put(key(2), vec![2]);
        cache.put(key(1), vec![11]); // key 1 is now the newest
        cache.put(key(3), vec![3]); // evicts key 2, the oldest live one
        assert_eq!(cache.get(&key(2)), None);
        assert_eq!(cache.take(&key(1)), Some(vec![11]));
        assert_eq!(cache.take(&key(1)), None, "taken once");
        assert_eq!(cache.get(&key(3)), Some(vec![3]));
    }

    #[test]
    fn stale_entries_do_not_pile_up() {
        let cache = SessionCache::new(40_960);
        for i in 0..10_000 {
            cache.put(key(i), vec![0]);
            assert!(cache.take(&key(i)).is_some());
        }
        let inner = cache.inner.lock();
        assert!(inner.sessions.is_empty());
        assert!(inner.order.len() <= 65, "{}", inner.order.len());
    }
}
