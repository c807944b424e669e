//! Balancer-level tests (guards, distributions, edge cases) and helpers for the algorithm tests.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::*;

// --- helpers shared with the algorithm modules ---

pub(crate) fn ctx() -> PickContext<'static> {
    PickContext::new(IpAddr::V4(Ipv4Addr::LOCALHOST), "example.com", "/")
}

pub(crate) fn ctx_for<'a>(client: &str, host: &'a str, path: &'a str) -> PickContext<'a> {
    let client = client.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    PickContext::new(client, host, path)
}

pub(crate) fn counters(loads: &[usize]) -> Vec<AtomicUsize> {
    loads.iter().map(|&n| AtomicUsize::new(n)).collect()
}

pub(crate) fn addrs(n: usize) -> Vec<Endpoint> {
    (0..n)
        .map(|i| {
            let ip = Ipv4Addr::new(10, 0, (i / 250) as u8, (i % 250) as u8 + 1);
            Endpoint::Addr(SocketAddr::new(IpAddr::V4(ip), 8080))
        })
        .collect()
}

const ALL: [LbAlgorithm; 7] = [
    LbAlgorithm::RoundRobin,
    LbAlgorithm::LeastConnections,
    LbAlgorithm::DestinationHash,
    LbAlgorithm::SourceHash,
    LbAlgorithm::ShortestExpectedDelay,
    LbAlgorithm::NeverQueue,
    LbAlgorithm::Ewma,
];

/// Picks `n` times, dropping each pick at once, and counts per endpoint.
fn spread(balancer: &Balancer, n: usize, ctx_of: impl Fn(usize) -> (String, String)) -> Vec<usize> {
    let mut counts = vec![0; balancer.len()];
    for k in 0..n {
        let (host, path) = ctx_of(k);
        let c = ctx_for("10.1.2.3", &host, &path);
        if let Some(pick) = balancer.pick(&c, &[]) {
            counts[pick.index] += 1;
        }
    }
    counts
}

// --- tests ---

#[test]
fn round_robin_spreads_exactly() {
    let b = Balancer::new(&addrs(3), LbAlgorithm::RoundRobin);
    assert_eq!(spread(&b, 300, |_| ("h".into(), "/".into())), [100, 100, 100]);
}

#[test]
fn load_based_algorithms_spread_sequential_requests() {
    for algorithm in
        [LbAlgorithm::LeastConnections, LbAlgorithm::ShortestExpectedDelay, LbAlgorithm::NeverQueue]
    {
        let b = Balancer::new(&addrs(3), algorithm);
        assert_eq!(spread(&b, 300, |_| ("h".into(), "/".into())), [100, 100, 100], "{algorithm:?}");
    }
}

#[test]
fn destination_hash_spreads_distinct_paths() {
    let b = Balancer::new(&addrs(3), LbAlgorithm::DestinationHash);
    let counts = spread(&b, 3000, |k| ("h".into(), format!("/item/{k}")));
    for n in &counts {
        assert!((850..=1150).contains(n), "{counts:?}");
    }
}

#[test]
fn source_hash_spreads_distinct_clients() {
    let b = Balancer::new(&addrs(3), LbAlgorithm::SourceHash);
    let mut counts = [0; 3];
    for k in 0..3000u32 {
        let c = PickContext::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + k)), "h", "/");
        if let Some(pick) = b.pick(&c, &[]) {
            counts[pick.index] += 1;
        }
    }
    for n in &counts {
        assert!((850..=1150).contains(n), "{counts:?}");
    }
}

#[test]
fn every_algorithm_skips_tried_and_ends() {
    for algorithm in ALL {
        let b = Balancer::new(&addrs(4), algorithm);
        let mut tried = Vec::new();
        while let Some(pick) = b.pick(&ctx(), &tried) {
            assert!(!tried.contains(&pick.index), "{algorithm:?} repeated {}", pick.index);
            tried.push(pick.index);
        }
        tried.sort_unstable();
        assert_eq!(tried, [0, 1, 2, 3], "{algorithm:?}");
    }
}

#[test]
fn empty_backend_picks_nothing() {
    for algorithm in ALL {
        let b = Balancer::new(&[], algorithm);
        assert!(b.is_empty());
        assert!(b.pick(&ctx(), &[]).is_none(), "{algorithm:?}");
        assert_eq!(b.endpoint(0), None);
        assert_eq!(b.in_flight(0), 0);
    }
}

#[test]
fn single_endpoint_and_out_of_range_tried() {
    for algorithm in ALL {
        let b = Balancer::new(&addrs(1), algorithm);
        assert_eq!(b.pick(&ctx(), &[7, 9]).map(|p| p.index), Some(0), "{algorithm:?}");
        assert!(b.pick(&ctx(), &[0]).is_none(), "{algorithm:?}");
    }
}

#[test]
fn picks_are_in_flight_until_dropped() {
    let b = Balancer::new(&addrs(3), LbAlgorithm::LeastConnections);
    let first = b.pick(&ctx(), &[]);
    let second = b.pick(&ctx(), &[]);
    let (Some(first), Some(second)) = (first, second) else { panic!("picks expected") };
    assert_ne!(first.index, second.index);
    assert_eq!(b.in_flight(first.index) + b.in_flight(second.index), 2);
    // The only idle endpoint is the third one, whatever the rotation.
    let third = b.pick(&ctx(), &[]).map(|p| p.index);
    let idle = (0..3).find(|&i| i != first.index && i != second.index);
    assert_eq!(third, idle);
    drop(first);
    drop(second);
    assert_eq!((0..3).map(|i| b.in_flight(i)).sum::<usize>(), 0);
}

#[test]
fn least_connections_avoids_held_endpoints() {
    let b = Balancer::new(&addrs(3), LbAlgorithm::LeastConnections);
    let held: Vec<Pick> =
        (0..4).filter_map(|_| b.pick(&ctx_for("10.0.0.1", "h", "/"), &[1, 2])).collect();
    assert_eq!(b.in_flight(0), 4);
    for _ in 0..10 {
        let pick = b.pick(&ctx(), &[]).map(|p| p.index);
        assert!(pick == Some(1) || pick == Some(2), "{pick:?}");
    }
    drop(held);
    assert_eq!(b.in_flight(0), 0);
}

#[test]
fn never_queue_prefers_idle_then_least_delay() {
    let b = Balancer::new(&addrs(2), LbAlgorithm::NeverQueue);
    let a = b.pick(&ctx(), &[]);
    let c = b.pick(&ctx(), &[]);
    let indexes: Vec<_> = [&a, &c].iter().filter_map(|p| p.as_ref().map(|p| p.index)).collect();
    assert_eq!(indexes.len(), 2);
    assert_ne!(indexes[0], indexes[1]);
    drop(c);
    // The endpoint of `c` is idle again; `a` still holds the other.
    let next = b.pick(&ctx(), &[]).map(|p| p.index);
    assert_eq!(next, Some(indexes[1]));
}

#[test]
fn endpoints_and_metadata() {
    let eps = vec![
        Endpoint::Addr("10.0.0.1:80".parse().unwrap_or_else(|_| unreachable!())),
        Endpoint::Dns { host: "svc.example.com".into(), port: 443 },
    ];
    let b = Balancer::new(&eps, LbAlgorithm::DestinationHash);
    assert_eq!(b.len(), 2);
    assert_eq!(b.endpoint(1), Some(&eps[1]));
    assert_eq!(b.algorithm(), LbAlgorithm::DestinationHash);
}

#[test]
fn concurrent_picks_keep_counts_consistent() {
    let b = Arc::new(Balancer::new(&addrs(4), LbAlgorithm::LeastConnections));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let b = Arc::clone(&b);
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    let _pick = b.pick(&ctx(), &[]);
                }
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().is_ok());
    }
    assert_eq!((0..4).map(|i| b.in_flight(i)).sum::<usize>(), 0);
}

fn backend(endpoints: Vec<Endpoint>, balancing: Balancing) -> Backend {
    Backend {
        name: "default-web-80".into(),
        namespace: "default".into(),
        service: "web".into(),
        endpoints,
        algorithm: LbAlgorithm::LeastConnections,
        balancing,
        unavailable: None,
    }
}

fn hash_by_uri() -> Arc<portico_model::HashBy> {
    Arc::new(portico_model::HashBy {
        source: "$request_uri".into(),
        parts: vec![portico_model::HashPart::Var(portico_model::HashVar::RequestUri)],
        subset: None,
    })
}

/// `GET uri` with `cookie`, as the balancer reads it.
fn read_request(b: &Balancer, uri: &'static str, cookie: &'static str) -> RequestKey {
    let mut headers = http::HeaderMap::new();
    headers.insert(http::header::COOKIE, http::HeaderValue::from_static(cookie));
    let uri = http::Uri::from_static(uri);
    let view = RequestView {
        client: IpAddr::V4(Ipv4Addr::LOCALHOST),
        host: "h",
        path: uri.path(),
        scheme: "http",
        method: &http::Method::GET,
        uri: &uri,
        headers: &headers,
    };
    b.read(&view)
}

#[test]
fn hashing_wins_over_the_algorithm() {
    let b = Balancer::for_backend(&backend(
        addrs(5),
        Balancing { affinity: None, hash_by: Some(hash_by_uri()) },
    ));
    let mut c = ctx();
    c.key = read_request(&b, "/a?x=1", "");
    let first = b.pick(&c, &[]).map(|p| p.index);
    // Least connections would avoid a held endpoint; the hash does not.
    let _held: Vec<Pick> = (0..3).filter_map(|_| b.pick(&c, &[])).collect();
    assert_eq!(b.pick(&c, &[]).map(|p| p.index), first);
    assert!(b.pick(&c, &[]).unwrap().pin.is_none());
}

#[test]
fn affinity_wins_over_hashing() {
    let affinity = portico_model::CookieAffinity {
        mode: portico_model::AffinityMode::Persistent,
        cookie: portico_model::AffinityCookie {
            name: "INGRESSCOOKIE".into(),
            path: None,
            domain: None,
            samesite: None,
            conditional_samesite_none: false,
            secure: false,
            expires: None,
            max_age: None,
            change_on_failure: false,
        },
        ingresses: Vec::new(),
    };
    let balancing = Balancing { affinity: Some(Arc::new(affinity)), hash_by: Some(hash_by_uri()) };
    let b = Balancer::for_backend(&backend(addrs(3), balancing));
    assert!(b.affinity().is_some());
    let pick = b.pick(&ctx(), &[]).unwrap();
    assert!(pick.pin.is_some(), "no cookie: a new pin");
    let mut c = ctx();
    c.key = read_request(&b, "/", "INGRESSCOOKIE=unknown|x");
    assert!(b.pick(&c, &[]).unwrap().pin.is_some(), "an unknown key re-pins");
}

#[test]
fn a_balancer_serves_the_same_backend_only() {
    let same = backend(addrs(3), Balancing::default());
    let b = Balancer::for_backend(&same);
    assert!(b.serves(&same));
    assert!(!b.serves(&backend(addrs(4), Balancing::default())));
    let mut other = same.clone();
    other.algorithm = LbAlgorithm::Ewma;
    assert!(!b.serves(&other));
    let hashed = backend(addrs(3), Balancing { affinity: None, hash_by: Some(hash_by_uri()) });
    assert!(!b.serves(&hashed));
}
