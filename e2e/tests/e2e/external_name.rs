//! ExternalName Services through the real binary, resolved by a DNS server of the test
//! (`--dns-resolver`): the answer's TTL decides when Portico looks the name up again, several
//! addresses are used in turn, and a failing DNS server leaves the last good answer in use.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::HashSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use portico_e2e::{eventually, get, ingress, Dir, DnsReply, Portico, StubDns};

const NAME: &str = "ext.portico.test";

/// An ExternalName Service `ext` for [`NAME`], port 80 → `port`.
fn external_service(port: u16) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: ext\n  namespace: default\nspec:\n  \
         type: ExternalName\n  externalName: {NAME}\n  ports:\n  - name: http\n    port: 80\n    \
         targetPort: {port}\n"
    )
}

/// Echo servers `a-0` on 127.0.0.2 and `b-0` on 127.0.0.3, on one port (an ExternalName has
/// one port for all its addresses).
async fn two_backends() -> (u16, Vec<portico_echo::EchoHandle>) {
    loop {
        let a = tokio::net::TcpListener::bind("127.0.0.2:0").await.unwrap();
        let port = a.local_addr().unwrap().port();
        let Ok(b) = tokio::net::TcpListener::bind(("127.0.0.3", port)).await else { continue };
        let servers =
            vec![portico_echo::spawn(a, "a-0").unwrap(), portico_echo::spawn(b, "b-0").unwrap()];
        return (port, servers);
    }
}

async fn served_by(portico: &Portico) -> Option<String> {
    let reply = get(portico.http, "ext.test", "/").await.ok()?;
    (reply.status == 200).then(|| reply.header("x-echo-server").map(str::to_string)).flatten()
}

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

async fn start(dns: SocketAddr, port: u16) -> (Dir, Portico) {
    let dir = Dir::new();
    dir.write("svc.yaml", external_service(port));
    dir.write("ing.yaml", ingress("ext").path(Some("ext.test"), "/", "Prefix", "ext"));
    let portico = Portico::start(dir.path(), &["--dns-resolver", &dns.to_string()]).await;
    (dir, portico)
}

#[tokio::test]
async fn traffic_follows_the_answer_after_its_ttl() {
    let (port, _servers) = two_backends().await;
    let dns = StubDns::start().await;
    dns.set(NAME, DnsReply::A(vec![ip(2)], 1));
    let (_dir, portico) = start(dns.addr, port).await;
    eventually("the first answer is served", || async {
        served_by(&portico).await.as_deref() == Some("a-0")
    })
    .await;
    let lookups = dns.queries();
    for _ in 0..20 {
        assert_eq!(served_by(&portico).await.as_deref(), Some("a-0"));
    }
    assert!(dns.queries() <= lookups + 1, "requests read the cache, they do not look up");
    dns.set(NAME, DnsReply::A(vec![ip(3)], 1));
    let moved = tokio::time::Instant::now();
    eventually("traffic moves to the new address", || async {
        served_by(&portico).await.as_deref() == Some("b-0")
    })
    .await;
    assert!(moved.elapsed() < Duration::from_secs(3), "moved after {:?}", moved.elapsed());
}

#[tokio::test]
async fn several_addresses_take_turns_and_a_dns_failure_keeps_the_last_answer() {
    let (port, _servers) = two_backends().await;
    let dns = StubDns::start().await;
    dns.set(NAME, DnsReply::A(vec![ip(2), ip(3)], 1));
    let (_dir, portico) = start(dns.addr, port).await;
    eventually("served", || async { served_by(&portico).await.is_some() }).await;
    let mut seen = HashSet::new();
    for _ in 0..10 {
        seen.insert(served_by(&portico).await.unwrap());
    }
    assert_eq!(seen.len(), 2, "both addresses are used: {seen:?}");
    dns.set(NAME, DnsReply::ServFail);
    let failing = dns.queries();
    eventually("Portico asked again", || async { dns.queries() > failing + 1 }).await;
    for _ in 0..10 {
        assert!(served_by(&portico).await.is_some(), "{}", portico.log_text());
    }
}

#[tokio::test]
async fn a_name_without_addresses_answers_502() {
    let dns = StubDns::start().await; // knows no name: NXDOMAIN
    let (_dir, portico) = start(dns.addr, 9).await;
    let reply = get(portico.http, "ext.test", "/").await.unwrap();
    assert_eq!(reply.status, 502, "{}", portico.log_text());
    assert!(dns.queries() >= 1);
}
