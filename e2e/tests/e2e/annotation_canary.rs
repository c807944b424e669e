//! `canary` and the `canary-by-*` / `canary-weight*` annotations (ingress-nginx
//! `annotations/canary`, the Lua balancer's `route_to_alternative_balancer`,
//! `test/e2e/annotations/canary.go`) through the real binary: a canary Ingress never owns the
//! path, it takes the requests its header, then cookie, then weight select; `never` keeps the
//! main backend; a canary without a main Ingress serves nothing; removing the canary sends
//! everything back to the main backend live.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use portico_e2e::{eventually, ingress, request, service, Backends, Dir, Ingress, Portico};

/// `main` and `canary` echo backends behind Services of those names.
async fn setup() -> (Backends, Backends, Dir) {
    let main = Backends::start("main", 1).await;
    let canary = Backends::start("canary", 1).await;
    let dir = Dir::new();
    dir.write("svc-main.yaml", service("default", "main", &main.addrs()));
    dir.write("svc-canary.yaml", service("default", "canary", &canary.addrs()));
    (main, canary, dir)
}

fn main_ingress(host: &str) -> Ingress {
    ingress("web").path(Some(host), "/", "Prefix", "main")
}

/// The canary Ingress `name` with `annotations`. Named `<main>-canary`, it sorts after the main
/// Ingress: without creationTimestamps it would win a plain tie-break.
fn canary_ingress(name: &str, host: &str, annotations: &[(&str, &str)]) -> Ingress {
    let mut ing = ingress(name).annotation("canary", "true");
    for (key, value) in annotations {
        ing = ing.annotation(key, value);
    }
    ing.path(Some(host), "/", "Prefix", "canary")
}

/// Which backend answered `GET /` on `host` with `headers`.
async fn served_by(addr: SocketAddr, host: &str, headers: &[(&str, &str)]) -> String {
    let mut req = Request::get("/").header("host", host);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let reply = request(addr, req.body(Full::new(Bytes::new())).unwrap()).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    let server = reply.echo()["server"].as_str().unwrap().to_string();
    server.trim_end_matches("-0").to_string()
}

#[tokio::test]
async fn header_always_and_never_then_main_by_default() {
    let (_main, _canary, dir) = setup().await;
    dir.write("main.yaml", main_ingress("canary.test"));
    let annotations = [("canary-by-header", "X-Canary")];
    dir.write("canary.yaml", canary_ingress("web-canary", "canary.test", &annotations));
    let portico = Portico::start(dir.path(), &[]).await;
    let at = portico.http;
    assert_eq!(served_by(at, "canary.test", &[]).await, "main", "no header: the main backend");
    assert_eq!(served_by(at, "canary.test", &[("x-canary", "always")]).await, "canary");
    assert_eq!(served_by(at, "canary.test", &[("X-CANARY", "always")]).await, "canary");
    assert_eq!(served_by(at, "canary.test", &[("x-canary", "never")]).await, "main");
    assert_eq!(served_by(at, "canary.test", &[("x-canary", "yes")]).await, "main");
}

#[tokio::test]
async fn header_value_pattern_and_cookie_precedence() {
    let (_main, _canary, dir) = setup().await;
    dir.write("a.yaml", main_ingress("value.test"));
    let value = [
        ("canary-by-header", "X-Version"),
        ("canary-by-header-value", "v2"),
        ("canary-by-cookie", "beta"),
    ];
    dir.write("a-canary.yaml", canary_ingress("web-canary", "value.test", &value));
    // The canary is older than its main Ingress here: age does not make it an owner.
    let pattern_main = ingress("pat").path(Some("pattern.test"), "/", "Prefix", "main");
    dir.write("b.yaml", pattern_main.created("2024-01-01T00:00:00Z"));
    let pattern = [("canary-by-header", "X-Version"), ("canary-by-header-pattern", "^v(3|4)$")];
    let pattern_canary = canary_ingress("pat-canary", "pattern.test", &pattern);
    dir.write("b-canary.yaml", pattern_canary.created("2023-01-01T00:00:00Z"));
    let portico = Portico::start(dir.path(), &[]).await;
    let at = portico.http;
    assert_eq!(served_by(at, "value.test", &[("x-version", "v2")]).await, "canary");
    assert_eq!(
        served_by(at, "value.test", &[("x-version", "always")]).await,
        "main",
        "with a header value, `always` is just another value"
    );
    assert_eq!(
        served_by(at, "value.test", &[("x-version", "v1"), ("cookie", "a=1; beta=always")]).await,
        "canary",
        "a non-matching header falls through to the cookie"
    );
    assert_eq!(served_by(at, "value.test", &[("cookie", "beta=never")]).await, "main");
    assert_eq!(
        served_by(at, "value.test", &[("x-version", "v2"), ("cookie", "beta=never")]).await,
        "canary",
        "the header decides before the cookie"
    );
    assert_eq!(served_by(at, "pattern.test", &[("x-version", "v4")]).await, "canary");
    assert_eq!(served_by(at, "pattern.test", &[("x-version", "v5")]).await, "main");
}

#[tokio::test]
async fn weight_splits_within_statistical_bounds_and_never_overrides_it() {
    let (_main, _canary, dir) = setup().await;
    dir.write("main.yaml", main_ingress("weight.test"));
    let annotations = [("canary-weight", "30"), ("canary-by-cookie", "beta")];
    dir.write("canary.yaml", canary_ingress("web-canary", "weight.test", &annotations));
    let portico = Portico::start(dir.path(), &[]).await;
    let mut seen = BTreeMap::<String, usize>::new();
    for _ in 0..400 {
        *seen.entry(served_by(portico.http, "weight.test", &[]).await).or_default() += 1;
    }
    // Binomial(400, 0.3): mean 120, standard deviation 9.2; the bounds are over 4 deviations.
    let canary = seen.get("canary").copied().unwrap_or(0);
    assert!((80..=160).contains(&canary), "canary share of 400: {seen:?}");
    for _ in 0..50 {
        let got = served_by(portico.http, "weight.test", &[("cookie", "beta=never")]).await;
        assert_eq!(got, "main", "`never` beats the weight");
    }
    // Weight 100 sends everything to the canary; weight 0 (the default) nothing.
    dir.write(
        "canary.yaml",
        canary_ingress("web-canary", "weight.test", &[("canary-weight", "100")]),
    );
    // Live once 10 requests in a row take the canary (0.3^10 under the old weight).
    eventually("weight 100 is live", || async {
        for _ in 0..10 {
            if served_by(portico.http, "weight.test", &[]).await != "canary" {
                return false;
            }
        }
        true
    })
    .await;
    for _ in 0..30 {
        assert_eq!(served_by(portico.http, "weight.test", &[]).await, "canary");
    }
}

#[tokio::test]
async fn canary_alone_serves_nothing_and_removal_is_live() {
    let (_main, _canary, dir) = setup().await;
    dir.write(
        "canary.yaml",
        canary_ingress("web-canary", "alone.test", &[("canary-weight", "100")]),
    );
    dir.write("main.yaml", main_ingress("main.test"));
    dir.write(
        "main-canary.yaml",
        canary_ingress("main-canary", "main.test", &[("canary-by-header", "X-Canary")]),
    );
    let portico = Portico::start(dir.path(), &[]).await;
    let reply = portico_e2e::get(portico.http, "alone.test", "/").await.unwrap();
    assert_eq!(reply.status, 404, "a canary owns no host: {}", reply.text());
    let check = portico.check();
    assert!(check.contains("no main Ingress serves host alone.test"), "{check}");
    assert_eq!(served_by(portico.http, "main.test", &[("x-canary", "always")]).await, "canary");
    dir.remove("main-canary.yaml");
    eventually("the canary is gone", || async {
        served_by(portico.http, "main.test", &[("x-canary", "always")]).await == "main"
    })
    .await;
}

/// Which backend answered, and the `name=value` of its `Set-Cookie`, if any.
async fn served_with_cookie(
    addr: SocketAddr,
    host: &str,
    cookie: Option<&str>,
) -> (String, Option<String>) {
    let mut req = Request::get("/").header("host", host);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    let reply = request(addr, req.body(Full::new(Bytes::new())).unwrap()).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    let server = reply.echo()["server"].as_str().unwrap().trim_end_matches("-0").to_string();
    let set = reply.header("set-cookie").map(|c| c.split(';').next().unwrap_or(c).to_string());
    (server, set)
}

/// Requests without a cookie until `want` answers; its cookie.
async fn first_cookie_from(addr: SocketAddr, host: &str, want: &str) -> Option<String> {
    for _ in 0..100 {
        let (server, cookie) = served_with_cookie(addr, host, None).await;
        if server == want {
            return cookie;
        }
    }
    panic!("{want} never answered {host}");
}

fn sticky_main(host: &str, name: &str) -> Ingress {
    ingress(name).annotation("affinity", "cookie").path(Some(host), "/", "Prefix", "main")
}

#[tokio::test]
async fn affinity_sticks_to_the_canary_by_default() {
    let (_main, _canary, dir) = setup().await;
    dir.write("sticky.yaml", sticky_main("sticky.test", "sticky"));
    let weight = [("canary-weight", "50")];
    dir.write("sticky-canary.yaml", canary_ingress("sticky-canary", "sticky.test", &weight));
    let portico = Portico::start(dir.path(), &[]).await;
    // The canary takes the main backend's affinity: a client pinned to either stays there
    // although the weight is 50/50.
    for backend in ["canary", "main"] {
        let cookie = first_cookie_from(portico.http, "sticky.test", backend).await;
        let cookie = cookie.unwrap_or_else(|| panic!("{backend} set no affinity cookie"));
        assert!(cookie.starts_with("INGRESSCOOKIE="), "{cookie}");
        for _ in 0..20 {
            let (server, _) = served_with_cookie(portico.http, "sticky.test", Some(&cookie)).await;
            assert_eq!(server, backend, "pinned by {cookie}");
        }
    }
}

#[tokio::test]
async fn legacy_canary_behavior_chooses_the_canary_afresh() {
    let (_main, _canary, dir) = setup().await;
    dir.write("legacy.yaml", sticky_main("legacy.test", "legacy"));
    let legacy = [("canary-weight", "50"), ("affinity-canary-behavior", "legacy")];
    dir.write("legacy-canary.yaml", canary_ingress("legacy-canary", "legacy.test", &legacy));
    let portico = Portico::start(dir.path(), &[]).await;
    // The canary has no affinity (no cookie); the main backend still pins its clients.
    assert_eq!(first_cookie_from(portico.http, "legacy.test", "canary").await, None);
    let cookie = first_cookie_from(portico.http, "legacy.test", "main").await;
    let cookie = cookie.expect("main's cookie");
    for _ in 0..20 {
        assert_eq!(served_with_cookie(portico.http, "legacy.test", Some(&cookie)).await.0, "main");
    }
}
