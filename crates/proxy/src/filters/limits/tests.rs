use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use portico_metrics::LimitRejections;
use portico_model::Limits;

use super::{apply, LimitState, Zones, SHARDS, ZONE_CAPACITY};
use crate::error::ProxyError;
use crate::filters::{OwnedRequest, Step};

fn limits(rps: u32, rpm: u32, connections: u32) -> Limits {
    Limits {
        rps,
        rpm,
        burst_multiplier: 2,
        connections,
        allow: vec!["10.0.0.0/8".parse().unwrap()],
        req_status: 429,
        conn_status: 503,
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// Runs the filter once for `client`: `Ok(held)` passed, `Err(status)` refused.
fn run(limits: &Limits, state: &LimitState, client: &str) -> Result<bool, u16> {
    let owned = OwnedRequest::default();
    let mut req = owned.req(ip(client));
    req.limits = Some(state);
    match apply(limits, &mut req) {
        Ok(Step::Next) => Ok(req.held.is_some()),
        Ok(Step::Respond(_)) => unreachable!("limits answer with errors"),
        Err(ProxyError::Limited(status)) => Err(status),
        Err(other) => panic!("{other}"),
    }
}

fn attach(zones: &Zones, ingress: &str, limits: &Limits) -> LimitState {
    let mut next = HashMap::new();
    let state = zones.attach((&Arc::from(ingress), &LimitRejections::default()), limits, &mut next);
    zones.commit(next);
    state
}

#[test]
fn burst_passes_at_once_then_the_status_per_client() {
    let zones = Zones::default();
    let limits = limits(1, 0, 0);
    let state = attach(&zones, "default/web", &limits);
    // nginx: burst = 1 × 2, plus the request that found the state empty.
    for n in 0..3 {
        assert_eq!(run(&limits, &state, "192.0.2.1"), Ok(false), "request {n}");
    }
    assert_eq!(run(&limits, &state, "192.0.2.1"), Err(429));
    assert_eq!(run(&limits, &state, "::ffff:192.0.2.1"), Err(429), "IPv4-mapped is the same");
    assert_eq!(run(&limits, &state, "192.0.2.2"), Ok(false), "another client is not limited");
    for _ in 0..10 {
        assert_eq!(run(&limits, &state, "10.1.1.1"), Ok(false), "the allow list is exempt");
    }
    assert_eq!(state.rejected.rps.get(), 2, "each refusal counted under its kind");
    assert_eq!(state.rejected.rpm.get() + state.rejected.connections.get(), 0);
}

#[test]
fn rps_and_rpm_both_apply() {
    let zones = Zones::default();
    let limits = limits(100, 1, 0);
    let state = attach(&zones, "default/web", &limits);
    for _ in 0..3 {
        assert_eq!(run(&limits, &state, "192.0.2.1"), Ok(false));
    }
    assert_eq!(run(&limits, &state, "192.0.2.1"), Err(429), "rpm's burst is 1 × 2 + 1");
}

#[test]
fn connections_are_held_until_released() {
    let zones = Zones::default();
    let limits = limits(0, 0, 2);
    let state = attach(&zones, "default/web", &limits);
    let hold = || {
        let owned = OwnedRequest::default();
        let mut req = owned.req(ip("192.0.2.1"));
        req.limits = Some(&state);
        apply(&limits, &mut req).map(|_| req.held)
    };
    let first = hold().unwrap().expect("a permit");
    let second = hold().unwrap().expect("a permit");
    assert!(matches!(hold(), Err(ProxyError::Limited(503))));
    assert_eq!(state.rejected.connections.get(), 1);
    assert_eq!(run(&limits, &state, "192.0.2.9"), Ok(true), "another client has its own count");
    drop(first);
    let third = hold().unwrap().expect("a slot was released");
    drop((second, third));
    let conn = state.conn.as_ref().unwrap();
    assert!(conn.shards.iter().all(|s| s.lock().is_empty()), "no address left behind");
}

#[test]
fn zones_survive_swaps_of_unchanged_limits_and_go_with_them() {
    let zones = Zones::default();
    let limits = limits(1, 0, 1);
    let state = attach(&zones, "default/web", &limits);
    for _ in 0..3 {
        run(&limits, &state, "192.0.2.1").unwrap();
    }
    let permit = {
        let owned = OwnedRequest::default();
        let mut req = owned.req(ip("192.0.2.3"));
        req.limits = Some(&state);
        apply(&limits, &mut req).unwrap();
        req.held
    };
    // The next table: same Ingress and limits, plus another Ingress.
    let mut next = HashMap::new();
    let none = LimitRejections::default();
    let again = zones.attach((&Arc::from("default/web"), &none), &limits, &mut next);
    let other = zones.attach((&Arc::from("default/other"), &none), &limits, &mut next);
    zones.commit(next);
    assert_eq!(run(&limits, &again, "192.0.2.1"), Err(429), "the state survived the swap");
    assert_eq!(run(&limits, &again, "192.0.2.3"), Err(503), "so did the connection count");
    assert_eq!(run(&limits, &other, "192.0.2.1"), Ok(true), "zones are per Ingress");
    drop(permit);
    assert_eq!(zones.len(), 4);
    // A changed rate is a new zone; the old ones leave the registry.
    let changed = limits_with_rps(&limits, 2);
    let fresh = attach(&zones, "default/web", &changed);
    assert_eq!(run(&changed, &fresh, "192.0.2.1"), Ok(true));
    assert_eq!(zones.len(), 2, "only what the live table uses");
}

fn limits_with_rps(limits: &Limits, rps: u32) -> Limits {
    Limits { rps, ..limits.clone() }
}

#[test]
fn the_address_table_is_bounded() {
    let zones = Zones::default();
    let limits = limits(1, 0, 0);
    let state = attach(&zones, "default/web", &limits);
    let owned = OwnedRequest::default();
    for n in 0..(ZONE_CAPACITY as u32 + 5000) {
        let client = IpAddr::from(std::net::Ipv4Addr::from(0xC000_0000 + n));
        let mut req = owned.req(client);
        req.limits = Some(&state);
        apply(&limits, &mut req).unwrap();
    }
    let store = state.rps.as_ref().unwrap();
    let kept = store.len();
    assert!(kept <= ZONE_CAPACITY, "{kept} addresses kept");
    assert!(
        kept > ZONE_CAPACITY / 2,
        "shards fill evenly: {kept} of {ZONE_CAPACITY} ({SHARDS} shards)"
    );
}
