//! `auth-cache-key` / `auth-cache-duration`: auth answers kept in memory, bounded, per key.
//! Only locations with a cache key touch it; the lock is held for a map lookup or insert.

use std::collections::HashMap;
use std::sync::Arc;

use http::header::CACHE_CONTROL;
use http::HeaderMap;
use parking_lot::Mutex;
use portico_metrics::CacheCounters;
use portico_model::CacheRule;
use tokio::time::Instant;

use super::Answer;

/// Entries kept at most; when full, expired ones are dropped, and if none is, new answers are
/// not cached (the auth service is asked, never a stale answer served).
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Default)]
pub(crate) struct AnswerCache {
    entries: Mutex<HashMap<String, (Instant, Arc<Answer>)>>,
    /// `portico_auth_cache_lookups_total{cache="external"}`.
    lookups: CacheCounters,
}

// === impl AnswerCache ===

impl AnswerCache {
    /// An empty cache counting its lookups in `lookups`.
    pub(super) fn counted(lookups: CacheCounters) -> Self {
        Self { entries: Mutex::default(), lookups }
    }

    /// The live answer under `key` (the lookup is counted).
    pub(super) fn get(&self, key: &str) -> Option<Arc<Answer>> {
        let answer = self.lookup(key);
        self.lookups.record(answer.is_some());
        answer
    }

    fn lookup(&self, key: &str) -> Option<Arc<Answer>> {
        let mut entries = self.entries.lock();
        match entries.get(key) {
            Some((expires, answer)) if *expires > Instant::now() => Some(Arc::clone(answer)),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `answer` as the rules say. Like nginx's `proxy_cache`, an answer setting a cookie
    /// or marked uncacheable (`Cache-Control: no-store`, `no-cache`, `private`) is not kept.
    pub(super) fn put(
        &self,
        key: String,
        answer: Arc<Answer>,
        rules: &[CacheRule],
        head: &HeaderMap,
    ) {
        let Some(rule) = rules.iter().find(|rule| rule.applies(answer.status)) else { return };
        if !answer.cookies.is_empty() || uncacheable(head) {
            return;
        }
        let expires = Instant::now() + rule.ttl;
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            let now = Instant::now();
            entries.retain(|_, (expires, _)| *expires > now);
            if entries.len() >= MAX_ENTRIES {
                return;
            }
        }
        entries.insert(key, (expires, answer));
    }
}

fn uncacheable(head: &HeaderMap) -> bool {
    head.get_all(CACHE_CONTROL).iter().any(|value| {
        value.to_str().map_or(true, |v| {
            v.split(',').map(str::trim).any(|directive| {
                let d = directive.to_ascii_lowercase();
                d == "no-store" || d == "no-cache" || d == "private" || d == "max-age=0"
            })
        })
    })
}
