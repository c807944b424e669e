//! Balancer state across table swaps, through the real binary: an unrelated manifest change
//! keeps a backend's balancer (round-robin turn, EWMA scores, in-flight counts); a change of its
//! endpoints builds a new one.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeSet;
use std::net::SocketAddr;

use portico_e2e::{eventually, get, ingress, service, Backends, Dir, Portico};

async fn server(addr: SocketAddr, host: &str) -> String {
    let reply = get(addr, host, "/").await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.echo()["server"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn round_robin_turn_survives_an_unrelated_change() {
    let rr = Backends::start("rr", 3).await;
    let other = Backends::start("other", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "rr", &rr.addrs()));
    dir.write("ing.yaml", ingress("rr").path(Some("rr.test"), "/", "Prefix", "rr"));
    let portico = Portico::start(dir.path(), &[]).await;
    let first = server(portico.http, "rr.test").await;

    // Another Ingress and Service: a new table, the rr backend unchanged.
    dir.write("other-svc.yaml", service("default", "other", &other.addrs()));
    dir.write("other.yaml", ingress("other").path(Some("other.test"), "/", "Prefix", "other"));
    let addr = portico.http;
    eventually("other.test is served", || async move {
        get(addr, "other.test", "/").await.is_ok_and(|r| r.status == 200)
    })
    .await;

    // A new balancer would start its turn again at `first`; the kept one goes on.
    let next = [server(addr, "rr.test").await, server(addr, "rr.test").await];
    let all: BTreeSet<&String> = std::iter::once(&first).chain(&next).collect();
    assert_eq!(all.len(), 3, "the turn continues after the swap: {first} then {next:?}");
}
