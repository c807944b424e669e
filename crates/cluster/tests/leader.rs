//! Leader election against the test API server: acquire a free Lease, renew, release; a
//! second replica waits, takes over when the leader stops renewing, and conflicting
//! takeovers have one winner.
#![allow(clippy::unwrap_used)]

#[path = "support/fixtures.rs"]
mod fixtures;

use std::time::Duration;

use fixtures::*;
use k8s_openapi::api::coordination::v1::Lease;
use portico_cluster::Elector;

fn lease_holder(server: &portico_cluster_testkit::ApiServer) -> Option<String> {
    server.get::<Lease>("portico", "portico-leader")?.spec?.holder_identity
}

#[tokio::test]
async fn acquires_a_free_lease_renews_it_and_releases_it() {
    let (server, client, _dir) = start("a").await;
    let mut a = Elector::new(client, config("a").lease);
    assert!(a.step().await, "a missing Lease is created and held");
    let first = server.get::<Lease>("portico", "portico-leader").unwrap().spec.unwrap();
    assert_eq!(first.holder_identity.as_deref(), Some("a"));
    assert_eq!((first.lease_duration_seconds, first.lease_transitions), (Some(1), Some(0)));

    // Not a wait for a condition: the renew time must be able to differ from the first.
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(a.step().await, "renewed");
    let renewed = server.get::<Lease>("portico", "portico-leader").unwrap().spec.unwrap();
    assert!(renewed.renew_time.unwrap().0 > first.renew_time.unwrap().0);
    assert_eq!(renewed.acquire_time, first.acquire_time, "a renewal keeps the acquire time");

    a.release().await;
    assert!(!a.is_leader());
    assert_eq!(lease_holder(&server), None, "released for the next replica");
}

#[tokio::test]
async fn leadership_moves_when_the_leader_stops_renewing() {
    let (server, client_a, dir) = start("a").await;
    let client_b = connect(&server, &dir, "b").await;
    let mut a = Elector::new(client_a, config("a").lease);
    let mut b = Elector::new(client_b, config("b").lease);
    assert!(a.step().await);
    // b sees a fresh record: it must wait a full lease duration of it not changing.
    let started = tokio::time::Instant::now();
    assert!(!b.step().await);
    while !b.step().await {
        assert!(started.elapsed() < PATIENCE, "b never took over");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(started.elapsed() >= Duration::from_secs(1), "took over after {:?}", started.elapsed());
    assert_eq!(lease_holder(&server).as_deref(), Some("b"));
    let spec = server.get::<Lease>("portico", "portico-leader").unwrap().spec.unwrap();
    assert_eq!(spec.lease_transitions, Some(1));

    // a wakes up: it sees b's record and is not leader any more.
    assert!(!a.step().await);
    assert!(b.step().await);
}

#[tokio::test]
async fn a_released_lease_is_taken_at_once_and_a_live_one_is_not() {
    let (server, client_a, dir) = start("a").await;
    let client_b = connect(&server, &dir, "b").await;
    let mut a = Elector::new(client_a, config("a").lease);
    let mut b = Elector::new(client_b, config("b").lease);
    assert!(a.step().await);
    for _ in 0..5 {
        assert!(!b.step().await, "a renews: b never takes over");
        assert!(a.step().await);
        // The point: 1.5 s in all, past the 1 s lease, proves renewals keep b out.
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    a.release().await;
    assert!(b.step().await, "a released Lease is free at once");
    assert_eq!(lease_holder(&server).as_deref(), Some("b"));
}

#[tokio::test]
async fn concurrent_takeovers_have_one_winner() {
    let (server, client_a, dir) = start("a").await;
    let client_b = connect(&server, &dir, "b").await;
    let client_c = connect(&server, &dir, "c").await;
    let mut a = Elector::new(client_a, config("a").lease);
    let mut b = Elector::new(client_b, config("b").lease);
    let mut c = Elector::new(client_c, config("c").lease);
    let (ra, rb) = tokio::join!(a.step(), b.step());
    assert!(ra ^ rb, "exactly one creates the Lease: a={ra} b={rb}");
    let holder = lease_holder(&server).unwrap();
    let (rb, rc) = tokio::join!(b.step(), c.step());
    assert!(!rc, "c waits for the record to expire");
    assert_eq!(rb, holder == "b");
    // Nobody renews now; b and c race for the Lease, again and again until it has expired.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let (rb, rc) = loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let (rb, rc) = tokio::join!(b.step(), c.step());
        if rb || rc || tokio::time::Instant::now() > deadline {
            break (rb, rc);
        }
    };
    assert!(rb ^ rc, "one winner: b={rb} c={rc}");
    let conflicts =
        server.writes().iter().filter(|w| w.path.contains("/leases") && w.status == 409).count();
    assert!(conflicts >= 1, "the loser got a 409");
}
