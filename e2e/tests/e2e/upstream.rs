//! Upstream selection through the real binary: round-robin spread, retry to the next endpoint
//! when one refuses, 502 when all fail, 504 on a slow upstream.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;

use portico_e2e::{get, ingress, refusing_addr, service, Backends, Dir, Portico};

#[tokio::test]
async fn round_robin_spreads_requests_evenly() {
    let backends = Backends::start("rr", 3).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "rr", &backends.addrs()));
    dir.write("ing.yaml", ingress("rr").path(Some("rr.test"), "/", "Prefix", "rr"));
    let portico = Portico::start(dir.path(), &[]).await;
    let mut seen = BTreeMap::<String, usize>::new();
    for _ in 0..30 {
        let reply = get(portico.http, "rr.test", "/").await.unwrap();
        assert_eq!(reply.status, 200);
        *seen.entry(reply.echo()["server"].as_str().unwrap().to_string()).or_default() += 1;
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(seen.values().all(|&n| n == 10), "even spread: {seen:?}");
}

#[tokio::test]
async fn refused_endpoint_is_retried_on_the_next_one() {
    let live = Backends::start("live", 1).await;
    let dead = refusing_addr().await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "mixed", &[dead, live.addr(0)]));
    dir.write("ing.yaml", ingress("mixed").path(Some("retry.test"), "/", "Prefix", "mixed"));
    let portico = Portico::start(dir.path(), &[]).await;
    for _ in 0..6 {
        let reply = get(portico.http, "retry.test", "/").await.unwrap();
        assert_eq!(reply.status, 200, "{}", reply.text());
        assert_eq!(reply.echo()["server"], "live-0");
    }
}

#[tokio::test]
async fn all_endpoints_refusing_is_502() {
    let dead = [refusing_addr().await, refusing_addr().await];
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "dead", &dead));
    dir.write("ing.yaml", ingress("dead").path(Some("dead.test"), "/", "Prefix", "dead"));
    let portico = Portico::start(dir.path(), &[]).await;
    let reply = get(portico.http, "dead.test", "/").await.unwrap();
    assert_eq!(reply.status, 502, "{}", reply.text());
}

#[tokio::test]
async fn slow_upstream_is_504_after_the_read_timeout() {
    let slow = Backends::start("slow", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "slow", &slow.addrs()));
    dir.write(
        "ing.yaml",
        ingress("slow").annotation("proxy-read-timeout", "1").path(
            Some("slow.test"),
            "/",
            "Prefix",
            "slow",
        ),
    );
    let portico = Portico::start(dir.path(), &[]).await;
    let reply = get(portico.http, "slow.test", "/?echo.delay_ms=3000").await.unwrap();
    assert_eq!(reply.status, 504, "{}", reply.text());
    let reply = get(portico.http, "slow.test", "/?echo.delay_ms=10").await.unwrap();
    assert_eq!(reply.status, 200);
}
