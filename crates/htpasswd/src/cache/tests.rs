use super::*;

#[test]
fn hit_after_insert_only_for_the_same_credential_and_version() {
    let cache = CredentialCache::default();
    assert!(!cache.check("ns/auth@1", "alice", b"pw"));
    cache.insert("ns/auth@1", "alice", b"pw");
    assert!(cache.check("ns/auth@1", "alice", b"pw"));
    assert!(!cache.check("ns/auth@1", "alice", b"pw2"), "other password");
    assert!(!cache.check("ns/auth@1", "alice", b""), "empty password");
    assert!(!cache.check("ns/auth@1", "bob", b"pw"), "other user");
    assert!(!cache.check("ns/auth@2", "alice", b"pw"), "other version");
    // Field boundaries cannot be shifted to forge a key.
    assert!(!cache.check("ns/auth@1a", "lice", b"pw"));
    assert!(!cache.check("ns/auth@1", "alicep", b"w"));
}

#[test]
fn bounded_with_oldest_evicted_first() {
    let cache = CredentialCache::new(3);
    for user in ["a", "b", "c", "d"] {
        cache.insert("v", user, b"pw");
    }
    assert_eq!(cache.len(), 3);
    assert!(!cache.check("v", "a", b"pw"));
    assert!(cache.check("v", "d", b"pw"));
    cache.insert("v", "d", b"pw");
    assert_eq!(cache.len(), 3, "re-inserting does not grow");

    let disabled = CredentialCache::new(0);
    disabled.insert("v", "a", b"pw");
    assert!(disabled.is_empty());
}

#[test]
fn default_capacity_holds() {
    let cache = CredentialCache::default();
    for i in 0..DEFAULT_CACHE_CAPACITY + 50 {
        cache.insert("v", &i.to_string(), b"pw");
    }
    // Sharded: each shard holds its share, so the total is the capacity or a little less.
    let len = cache.len();
    assert!(len <= DEFAULT_CACHE_CAPACITY && len > DEFAULT_CACHE_CAPACITY * 9 / 10, "{len}");
    assert!(cache.check("v", &(DEFAULT_CACHE_CAPACITY + 49).to_string(), b"pw"), "newest kept");
}

#[test]
fn retain_versions_drops_stale_entries() {
    let cache = CredentialCache::new(2);
    cache.insert("old", "alice", b"pw");
    cache.insert("new", "alice", b"pw");
    cache.retain_versions(&HashSet::from(["new"]));
    assert_eq!(cache.len(), 1);
    assert!(!cache.check("old", "alice", b"pw"));
    assert!(cache.check("new", "alice", b"pw"));
    // The eviction order stayed consistent: two more inserts evict "new" first.
    cache.insert("new", "bob", b"pw");
    cache.insert("new", "carol", b"pw");
    assert!(!cache.check("new", "alice", b"pw"));
    assert_eq!(cache.len(), 2);
}

/// Measures what a repeated request pays (a cache hit) against a bcrypt check at cost 10
/// (what nginx pays on every request). `cargo test -p portico-htpasswd --release -- --ignored
/// --nocapture cache_hit_vs_bcrypt`.
#[test]
#[ignore = "a measurement, not a check; run it by hand"]
fn cache_hit_vs_bcrypt() {
    use std::time::Instant;
    let hash = bcrypt::hash("correct horse", 10).unwrap();
    let started = Instant::now();
    assert_eq!(crate::verify(&hash, b"correct horse"), Ok(true));
    let bcrypt = started.elapsed();

    let cache = CredentialCache::default();
    for i in 0..5_000 {
        cache.insert("ns/auth@1", &format!("user{i}"), b"pw");
    }
    cache.insert("ns/auth@1", "alice", b"correct horse");
    let rounds = 1_000_000u32;
    let started = Instant::now();
    for _ in 0..rounds {
        assert!(cache.check(std::hint::black_box("ns/auth@1"), "alice", b"correct horse"));
    }
    let hit = started.elapsed() / rounds;
    eprintln!("bcrypt cost 10 verify: {bcrypt:?}; cache hit: {hit:?}");
    assert!(hit * 1000 < bcrypt, "a hit is orders of magnitude cheaper");
}
