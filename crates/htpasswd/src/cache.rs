//! A bounded cache of successful password checks, so slow hashes are paid once per
//! credential and Secret version instead of once per request.

use std::collections::hash_map::RandomState;
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;

use parking_lot::RwLock;

/// Entries kept by [`CredentialCache::default`].
pub const DEFAULT_CACHE_CAPACITY: usize = 10_000;

/// Shards of a cache of at least [`SHARD_THRESHOLD`] entries (1 below that, so small caches
/// keep an exact oldest-first order).
const SHARDS: usize = 16;
const SHARD_THRESHOLD: usize = 1024;

/// Successful verifications keyed by (Secret version, user, keyed hash of the password).
///
/// Invariants: only successes are stored (the caller inserts after [`crate::verify`] said
/// yes), so the cache never helps a guesser; passwords are never stored, only two SipHash
/// values under keys drawn at random per process, so a dump of memory does not give cheap
/// offline guessing; the Secret version is part of the key, so an entry can never outlive
/// the Secret it was checked against; at most `capacity` entries (rounded up to a multiple
/// of the shard count), oldest evicted first within a shard. A hit takes one shard's read
/// lock, so concurrent hits do not serialize.
#[derive(Debug)]
pub struct CredentialCache {
    keys: [RandomState; 2],
    shard_capacity: usize,
    shards: Box<[RwLock<Inner>]>,
}

/// The map and its insertion order; `order` holds exactly the keys of `entries`.
#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Tag, Entry>,
    order: VecDeque<Tag>,
}

/// 128 bits of keyed hash over (version, user, password).
type Tag = (u64, u64);

/// Stored beside the tag so that version and user are compared exactly, not only hashed.
#[derive(Debug)]
struct Entry {
    version: Box<str>,
    user: Box<str>,
}

// === impl CredentialCache ===

impl CredentialCache {
    /// A cache holding at most `capacity` successes (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        let shards = if capacity >= SHARD_THRESHOLD { SHARDS } else { 1 };
        Self {
            keys: [RandomState::new(), RandomState::new()],
            shard_capacity: capacity.div_ceil(shards),
            shards: (0..shards).map(|_| RwLock::default()).collect(),
        }
    }

    /// True if `password` was verified for `user` under Secret `version` and is still cached.
    pub fn check(&self, version: &str, user: &str, password: &[u8]) -> bool {
        let tag = self.tag(version, user, password);
        let inner = self.shard(tag).read();
        inner.entries.get(&tag).is_some_and(|e| &*e.version == version && &*e.user == user)
    }

    /// Records a successful verification, evicting the shard's oldest entry when full.
    pub fn insert(&self, version: &str, user: &str, password: &[u8]) {
        if self.shard_capacity == 0 {
            return;
        }
        let tag = self.tag(version, user, password);
        let entry = Entry { version: version.into(), user: user.into() };
        let mut inner = self.shard(tag).write();
        if inner.entries.contains_key(&tag) {
            return;
        }
        while inner.entries.len() >= self.shard_capacity {
            let Some(oldest) = inner.order.pop_front() else { break };
            inner.entries.remove(&oldest);
        }
        inner.entries.insert(tag, entry);
        inner.order.push_back(tag);
    }

    /// Drops every entry whose Secret version is not in `live` (call on table swap).
    pub fn retain_versions(&self, live: &HashSet<&str>) {
        for shard in self.shards.iter() {
            let mut inner = shard.write();
            let Inner { entries, order } = &mut *inner;
            entries.retain(|_, e| live.contains(&*e.version));
            order.retain(|tag| entries.contains_key(tag));
        }
    }

    /// Number of cached successes.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.read().entries.len()).sum()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn tag(&self, version: &str, user: &str, password: &[u8]) -> Tag {
        let key = (version, user, password);
        (self.keys[0].hash_one(key), self.keys[1].hash_one(key))
    }

    /// The shard of `tag`: its high bits, independent of the map's own hashing.
    fn shard(&self, tag: Tag) -> &RwLock<Inner> {
        &self.shards[(tag.1 >> 60) as usize % self.shards.len()]
    }
}

impl Default for CredentialCache {
    fn default() -> Self {
        Self::new(DEFAULT_CACHE_CAPACITY)
    }
}

#[cfg(test)]
mod tests;
