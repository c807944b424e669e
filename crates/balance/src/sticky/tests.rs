//! Cookie affinity: decoding, pins per mode, re-pins when an endpoint is gone or failed.

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method, Uri};
use portico_model::{AffinityCookie, AffinityMode, CookieAffinity, Endpoint};

use super::*;
use crate::tests::{addrs, counters, ctx};

fn affinity(mode: AffinityMode, change_on_failure: bool) -> CookieAffinity {
    CookieAffinity {
        mode,
        cookie: AffinityCookie {
            name: "INGRESSCOOKIE".into(),
            path: None,
            domain: None,
            samesite: None,
            conditional_samesite_none: false,
            secure: false,
            expires: None,
            max_age: None,
            change_on_failure,
        },
        ingresses: Vec::new(),
    }
}

/// The key the balancer reads from a request carrying `cookie`.
fn read(sticky: &Sticky, cookie: &str) -> RequestKey {
    let mut headers = HeaderMap::new();
    headers.insert(http::header::COOKIE, HeaderValue::from_str(cookie).unwrap());
    let uri = Uri::from_static("/");
    let req = RequestView {
        client: "10.0.0.1".parse().unwrap(),
        host: "h",
        path: "/",
        scheme: "http",
        method: &Method::GET,
        uri: &uri,
        headers: &headers,
    };
    sticky.read(&req)
}

/// Picks without a cookie: the endpoint and the new cookie value.
fn first_pick(sticky: &Sticky, n: usize) -> (usize, String) {
    let (index, pin) = sticky.select_pin(&ctx(), &counters(&vec![0; n]), &[]).unwrap();
    (index, pin.expect("a new pin sets a cookie"))
}

fn pinned(sticky: &Sticky, cookie_value: &str, tried: &[usize]) -> Option<(usize, Option<String>)> {
    let mut c = ctx();
    c.key = read(sticky, &format!("other=1; INGRESSCOOKIE={cookie_value}"));
    sticky.select_pin(&c, &counters(&[0; 8]), tried)
}

#[test]
fn cookie_value_is_key_and_backend_key() {
    let sticky = Sticky::new("default-web-80", &addrs(3), &affinity(AffinityMode::Balanced, false));
    let (_, value) = first_pick(&sticky, 3);
    let (key, backend) = value.split_once('|').unwrap();
    assert!(!key.is_empty());
    assert_eq!(backend, md5_hex(&format!("{}default-web-80", md5_hex("default-web-80"))));
    assert_eq!(backend.len(), 32);
}

#[test]
fn balanced_cookie_sticks_and_moves_with_the_ring() {
    let eps = addrs(4);
    let sticky = Sticky::new("b", &eps, &affinity(AffinityMode::Balanced, false));
    let (index, value) = first_pick(&sticky, 4);
    for _ in 0..20 {
        assert_eq!(pinned(&sticky, &value, &[]), Some((index, None)));
    }
    // The pinned endpoint is gone: the key lands on another one, the cookie stays.
    let rest: Vec<Endpoint> =
        eps.iter().enumerate().filter(|(i, _)| *i != index).map(|(_, e)| e.clone()).collect();
    let smaller = Sticky::new("b", &rest, &affinity(AffinityMode::Balanced, false));
    let (moved, pin) = pinned(&smaller, &value, &[]).unwrap();
    assert_eq!(pin, None);
    assert_eq!(pinned(&smaller, &value, &[]), Some((moved, None)));
}

#[test]
fn persistent_cookie_names_the_endpoint() {
    let eps = addrs(3);
    let sticky = Sticky::new("default-web-80", &eps, &affinity(AffinityMode::Persistent, false));
    let (index, value) = first_pick(&sticky, 3);
    let key = value.split('|').next().unwrap();
    assert_eq!(key, md5_hex(&format!("default-web-80{}", eps[index])));
    assert_eq!(pinned(&sticky, &value, &[]), Some((index, None)));
    // Unknown key (endpoint gone): a new pin and cookie.
    let (_, pin) = pinned(&sticky, "0123|x", &[]).unwrap();
    assert!(pin.is_some());
    // No cookie or an empty key: a new pin.
    let (_, pin) = pinned(&sticky, "", &[]).unwrap();
    assert!(pin.is_some());
}

#[test]
fn failure_repins_only_with_change_on_failure() {
    let eps = addrs(3);
    for change in [false, true] {
        let sticky = Sticky::new("b", &eps, &affinity(AffinityMode::Persistent, change));
        let (index, value) = first_pick(&sticky, 3);
        let (retry, pin) = pinned(&sticky, &value, &[index]).unwrap();
        assert_ne!(retry, index);
        assert_eq!(pin.is_some(), change, "change-on-failure {change}");
        assert_eq!(pinned(&sticky, &value, &[0, 1, 2]), None);
    }
}

#[test]
fn new_pins_spread_and_avoid_tried() {
    let sticky = Arc::new(Sticky::new("b", &addrs(3), &affinity(AffinityMode::Balanced, false)));
    let mut seen = [0usize; 3];
    for _ in 0..300 {
        let (index, _) = sticky.select_pin(&ctx(), &counters(&[0; 3]), &[1]).unwrap();
        seen[index] += 1;
    }
    assert_eq!(seen[1], 0);
    assert!(seen[0] > 50 && seen[2] > 50, "{seen:?}");
}
