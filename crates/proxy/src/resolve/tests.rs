use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use portico_dns_testkit::{Reply, StubDns};

use super::*;

/// A table with one ExternalName backend: `host`, port 80.
fn table_naming(host: &str) -> RouteTable {
    let mut table = RouteTable::default();
    table.backends.push(portico_model::Backend {
        name: "default-ext-80".into(),
        namespace: "default".into(),
        service: "ext".into(),
        endpoints: vec![Endpoint::Dns { host: host.into(), port: 80 }],
        algorithm: Default::default(),
        balancing: Default::default(),
        unavailable: None,
    });
    table
}

fn settings(stub: &StubDns, stale: Duration) -> DnsSettings {
    DnsSettings {
        nameservers: vec![stub.addr],
        min_ttl: Duration::from_millis(200),
        max_ttl: Duration::from_secs(300),
        stale,
    }
}

fn v4(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

async fn ip(resolver: &Resolver, host: &str) -> Result<IpAddr, ProxyError> {
    resolver.addr(host, 80).await.map(|addr| addr.ip())
}

#[tokio::test]
async fn several_addresses_are_used_in_turn() {
    let stub = StubDns::start().await;
    stub.set("multi.test", Reply::A(vec![v4(2), v4(3), v4(4)], 60));
    let resolver = Resolver::new(settings(&stub, Duration::from_secs(30)));
    let mut seen = Vec::new();
    for _ in 0..6 {
        seen.push(ip(&resolver, "multi.test").await.unwrap());
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert_eq!(stub.queries(), 1, "one lookup serves every request within the TTL");
}

#[tokio::test]
async fn the_answer_is_looked_up_again_at_its_ttl() {
    let stub = StubDns::start().await;
    stub.set("moving.test", Reply::A(vec![v4(5)], 1));
    let resolver = Resolver::new(settings(&stub, Duration::from_secs(30)));
    assert_eq!(ip(&resolver, "moving.test").await.unwrap(), IpAddr::V4(v4(5)));
    stub.set("moving.test", Reply::A(vec![v4(6)], 1));
    assert_eq!(ip(&resolver, "moving.test").await.unwrap(), IpAddr::V4(v4(5)), "still valid");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(ip(&resolver, "moving.test").await.unwrap(), IpAddr::V4(v4(6)));
}

#[tokio::test]
async fn a_failing_lookup_keeps_the_last_answer_until_the_stale_bound() {
    let stub = StubDns::start().await;
    stub.set("flaky.test", Reply::A(vec![v4(7)], 1));
    let resolver = Resolver::new(settings(&stub, Duration::from_secs(1)));
    assert_eq!(ip(&resolver, "flaky.test").await.unwrap(), IpAddr::V4(v4(7)));
    stub.set("flaky.test", Reply::ServFail);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(ip(&resolver, "flaky.test").await.unwrap(), IpAddr::V4(v4(7)), "stale, served");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let error = ip(&resolver, "flaky.test").await.unwrap_err();
    assert!(matches!(error, ProxyError::Resolve { .. }), "{error}");
    stub.set("flaky.test", Reply::A(vec![v4(8)], 1));
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(ip(&resolver, "flaky.test").await.unwrap(), IpAddr::V4(v4(8)), "recovered");
}

#[tokio::test]
async fn an_unknown_name_fails_at_once_and_localhost_resolves() {
    let stub = StubDns::start().await;
    let resolver = Resolver::new(settings(&stub, Duration::from_secs(30)));
    assert!(matches!(ip(&resolver, "nowhere.test").await, Err(ProxyError::Resolve { .. })));
    assert!(ip(&resolver, "localhost").await.unwrap().is_loopback());
}

#[tokio::test]
async fn names_of_the_table_are_resolved_before_their_first_request() {
    let stub = StubDns::start().await;
    stub.set("listed.test", Reply::A(vec![v4(9)], 60));
    let resolver = Resolver::new(settings(&stub, Duration::from_secs(30)));
    resolver.track(&table_naming("listed.test"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(stub.queries(), 1);
    let name = Arc::clone(resolver.inner.names.load().get("listed.test").unwrap());
    assert_eq!(name.pick(), Some(IpAddr::V4(v4(9))), "an address without waiting");
}

#[tokio::test]
async fn unused_names_are_dropped_and_listed_ones_kept() {
    let stub = StubDns::start().await;
    stub.set("once.test", Reply::A(vec![v4(10)], 0)); // TTL 0: kept for min_ttl, 200 ms
    stub.set("listed.test", Reply::A(vec![v4(11)], 0));
    let resolver = Resolver::new(settings(&stub, Duration::from_secs(30)));
    ip(&resolver, "once.test").await.unwrap();
    resolver.track(&table_naming("listed.test"));
    tokio::time::sleep(Duration::from_millis(800)).await;
    let names = resolver.inner.names.load();
    assert!(names.get("once.test").is_none(), "unused for a period: dropped");
    assert!(names.get("listed.test").is_some(), "listed by the table: kept");
    assert!(stub.queries() >= 4, "the listed name was looked up again: {}", stub.queries());
}
