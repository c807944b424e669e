//! Parsed Secrets kept across store builds, so a table rebuild that does not touch a Secret
//! does not parse it again (an RSA Secret costs ~100 µs; a rebuild happens on every change of
//! any object). Only builds use it; handshakes never see it.

use std::collections::HashMap;

use parking_lot::Mutex;
use portico_model::{ObjectRef, TlsSecret};

use crate::error::SecretError;
use crate::secret::{self, LoadedCert};

/// Most Secrets kept; beyond this, entries not used by the latest build are dropped.
const MAX_ENTRIES: usize = 16_384;

/// Builds an unused Secret survives.
const KEEP_BUILDS: u64 = 64;

/// One Secret's bytes and what parsing them gave.
struct Entry {
    cert_pem: std::sync::Arc<[u8]>,
    key_pem: std::sync::Arc<[u8]>,
    result: Result<LoadedCert, SecretError>,
    /// The build generation that last used this entry.
    used: u64,
}

#[derive(Default)]
struct Cache {
    entries: HashMap<ObjectRef, Entry>,
    generation: u64,
}

static CACHE: Mutex<Option<Cache>> = Mutex::new(None);

/// Parses `tls`, or returns the earlier result for the same Secret with identical bytes.
/// `generation` is the current build's number from [`begin`].
pub(super) fn load(tls: &TlsSecret, generation: u64) -> Result<LoadedCert, SecretError> {
    {
        let mut cache = CACHE.lock();
        let cache = cache.get_or_insert_with(Cache::default);
        if let Some(entry) = cache.entries.get_mut(&tls.secret) {
            if entry.cert_pem == tls.cert_pem && entry.key_pem == tls.key_pem {
                entry.used = generation;
                return entry.result.clone();
            }
        }
    }
    // Parsed outside the lock: concurrent builds (tests, `check`) do not wait on each other.
    let result = secret::load(&tls.cert_pem, &tls.key_pem);
    if tls.cert_pem.len() > secret::MAX_PEM_BYTES || tls.key_pem.len() > secret::MAX_PEM_BYTES {
        return result;
    }
    let mut cache = CACHE.lock();
    let cache = cache.get_or_insert_with(Cache::default);
    let entry = Entry {
        cert_pem: tls.cert_pem.clone(),
        key_pem: tls.key_pem.clone(),
        result: result.clone(),
        used: generation,
    };
    cache.entries.insert(tls.secret.clone(), entry);
    result
}

/// The generation of the latest build (for a parse outside a build: the entry it leaves counts
/// as used by that build).
pub(super) fn current() -> u64 {
    let mut cache = CACHE.lock();
    cache.get_or_insert_with(Cache::default).generation
}

/// Starts a build: returns its generation number.
pub(super) fn begin() -> u64 {
    let mut cache = CACHE.lock();
    let cache = cache.get_or_insert_with(Cache::default);
    cache.generation += 1;
    cache.generation
}

/// Ends a build: drops Secrets no build used in the last [`KEEP_BUILDS`] builds (their next
/// use parses again), or all those this build did not use when the cache is over
/// [`MAX_ENTRIES`]. The slack keeps concurrent builds (tests, `check`) from evicting each other.
pub(super) fn finish(generation: u64) {
    let mut cache = CACHE.lock();
    let Some(cache) = cache.as_mut() else { return };
    let oldest = if cache.entries.len() > MAX_ENTRIES {
        generation
    } else {
        generation.saturating_sub(KEEP_BUILDS)
    };
    cache.entries.retain(|_, entry| entry.used >= oldest);
}
