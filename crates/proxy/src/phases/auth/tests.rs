use std::time::{Duration, Instant};

use base64::Engine as _;
use portico_model::{Location, LocationPolicy, PathType, Server, Target};

use super::*;

// htpasswd -nbB -C 4 alice 'correct horse'
const BCRYPT: &str = "$2y$04$0Bw4nIp66vv5R5Cdch.JmewvY5v1Gm0FQ0BdoKdaSMk/RT5g3WOKu";

fn auth(version: &str, users: &[(&str, &str)]) -> Arc<BasicAuth> {
    Arc::new(BasicAuth {
        realm: "Restricted".into(),
        secret_version: version.into(),
        users: BasicAuth::users_from(users.iter().map(|(u, h)| (u.to_string(), h.to_string()))),
    })
}

fn basic(credentials: &str) -> HeaderValue {
    let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
    HeaderValue::try_from(format!("Basic {encoded}")).unwrap()
}

fn users() -> Arc<BasicAuth> {
    auth(
        "default/basic@1",
        &[
            ("alice", BCRYPT),
            ("plain", "{PLAIN}bar"),
            ("empty", ""),
            ("broken", "{SSHA}!!!!"),
            ("argon", "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"),
        ],
    )
}

#[tokio::test]
async fn verdicts() {
    let a = Authenticator::new(CredentialCache::default(), 2);
    let users = users();
    let cases: [(Option<HeaderValue>, Verdict); 11] = [
        (Some(basic("alice:correct horse")), Verdict::Allow),
        (Some(basic("alice:correct horsE")), Verdict::Deny),
        (Some(basic("plain:bar")), Verdict::Allow),
        (Some(basic("plain:baz")), Verdict::Deny),
        (Some(basic("nobody:bar")), Verdict::Deny),
        (Some(basic("empty:")), Verdict::Deny),
        (Some(basic("argon:x")), Verdict::Deny),
        (Some(basic("broken:x")), Verdict::Fail),
        (Some(HeaderValue::from_static("Bearer abc")), Verdict::Deny),
        (Some(HeaderValue::from_static("Basic !!!")), Verdict::Deny),
        (None, Verdict::Deny),
    ];
    for (header, want) in cases {
        assert_eq!(a.check(&users, header.as_ref()).await, want, "{header:?}");
    }
    assert_eq!(a.cached(), 2, "only the two successes are cached");
    assert_eq!(challenge(&users), "Basic realm=\"Restricted\"");
}

#[tokio::test]
async fn a_hit_skips_the_hash_and_the_version_bounds_it() {
    let lookups = CacheCounters::default();
    let a = Authenticator::counted(lookups.clone());
    let v1 = auth("default/basic@1", &[("alice", BCRYPT)]);
    let header = basic("alice:correct horse");
    assert_eq!(a.check(&v1, Some(&header)).await, Verdict::Allow);
    // Same user and password, but the hash now says something else: a hit must come from
    // the cache alone (version unchanged), and must not survive a new version.
    let same_version = auth("default/basic@1", &[("alice", "{PLAIN}other")]);
    assert_eq!(a.check(&same_version, Some(&header)).await, Verdict::Allow, "cache hit");
    let v2 = auth("default/basic@2", &[("alice", "{PLAIN}other")]);
    assert_eq!(a.check(&v2, Some(&header)).await, Verdict::Deny, "new version, new check");
    let removed = auth("default/basic@3", &[]);
    assert_eq!(a.check(&removed, Some(&header)).await, Verdict::Deny, "removed user");
    // Looked up for a known user only: v1 (miss, then hit) and v2 (miss).
    assert_eq!((lookups.hit.get(), lookups.miss.get()), (1, 2));
}

#[tokio::test]
async fn retain_keeps_the_versions_of_the_table() {
    let a = Authenticator::new(CredentialCache::default(), 2);
    let (old, live) = (auth("ns/s@1", &[("u", "{PLAIN}p")]), auth("ns/s@2", &[("u", "{PLAIN}p")]));
    for users in [&old, &live] {
        assert_eq!(a.check(users, Some(&basic("u:p"))).await, Verdict::Allow);
    }
    assert_eq!(a.cached(), 2);
    let mut policy = LocationPolicy::default();
    policy.filters.set(portico_model::Filter::BasicAuth(live));
    let policy = Arc::new(policy);
    let location = Location {
        path: "/".into(),
        path_type: PathType::Prefix,
        backends: portico_model::Backends::single(Target::NotFound),
        policy,
        ingress: None,
        implicit: false,
        order: 0,
    };
    let server = Server { locations: vec![location], ..Server::default() };
    let table = RouteTable { servers: vec![server], ..RouteTable::default() };
    a.retain(&table);
    assert_eq!(a.cached(), 1);
}

/// On a single-threaded runtime, a slow bcrypt check must not stop other tasks: it runs on
/// a blocking thread.
#[tokio::test(flavor = "current_thread")]
async fn verification_does_not_block_the_runtime() {
    // htpasswd -nbB -C 12 u pw
    let slow = "$2y$12$giN9K09Jo84P1eclh/D7oOeo42Rc7IrgZSH72tcktkLu8BCX4Qz2m";
    let a = Arc::new(Authenticator::new(CredentialCache::default(), 1));
    let users = auth("ns/s@1", &[("u", slow)]);
    let checking = {
        let a = Arc::clone(&a);
        tokio::spawn(async move {
            let started = Instant::now();
            (a.check(&users, Some(&basic("u:pw"))).await, started.elapsed())
        })
    };
    let mut ticks = 0;
    while !checking.is_finished() {
        tokio::time::sleep(Duration::from_millis(5)).await;
        ticks += 1;
    }
    let (verdict, took) = checking.await.unwrap();
    assert_eq!(verdict, Verdict::Allow);
    assert!(ticks >= 3, "the runtime kept running during a {took:?} check ({ticks} ticks)");
}

#[tokio::test]
async fn a_user_is_found_among_many_and_the_first_line_of_a_name_wins() {
    let a = Authenticator::new(CredentialCache::default(), 2);
    let mut pairs: Vec<(String, String)> =
        (0..1000).map(|i| (format!("user{i}"), format!("{{PLAIN}}pw{i}"))).collect();
    pairs.push(("user7".into(), "{PLAIN}later".into()));
    let many = Arc::new(BasicAuth {
        realm: "Restricted".into(),
        secret_version: "default/many@1".into(),
        users: BasicAuth::users_from(pairs),
    });
    assert_eq!(many.users.len(), 1000);
    assert_eq!(a.check(&many, Some(&basic("user999:pw999"))).await, Verdict::Allow);
    assert_eq!(a.check(&many, Some(&basic("user7:pw7"))).await, Verdict::Allow);
    assert_eq!(a.check(&many, Some(&basic("user7:later"))).await, Verdict::Deny, "first wins");
    assert_eq!(a.check(&many, Some(&basic("user1000:pw1000"))).await, Verdict::Deny);
}
