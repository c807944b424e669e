//! `upstream-hash-by`, `-subset` and `-subset-size` (ingress-nginx
//! `annotations/upstreamhashby/main.go`, `balancer/chash*.lua`, `test/e2e/annotations/
//! upstreamhashby.go`) through the real binary: one key always on one endpoint, keys spread,
//! a subset of three endpoints per key, keys built from headers and text, most keys keeping
//! their endpoint when one is added, and an invalid key leaving the Ingress unloaded.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use http::Request;
use http_body_util::Full;
use portico_e2e::{eventually, get, ingress, request, service, Backends, Dir, Portico, Reply};

/// The echo replica that answered.
fn server(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.echo()["server"].as_str().unwrap().to_string()
}

/// Writes Service `web` with `addrs` and Ingress `hash` (`hash.test` `/` → `web`).
fn write(dir: &Dir, addrs: &[SocketAddr], annotations: &[(&str, &str)]) {
    dir.write("svc.yaml", service("default", "web", addrs));
    let mut ing = ingress("hash").path(Some("hash.test"), "/", "Prefix", "web");
    for (key, value) in annotations {
        ing = ing.annotation(key, value);
    }
    dir.write("ing.yaml", ing);
}

async fn start(n: usize, annotations: &[(&str, &str)]) -> (Backends, Dir, Portico) {
    let web = Backends::start("web", n).await;
    let dir = Dir::new();
    write(&dir, &web.addrs(), annotations);
    let portico = Portico::start(dir.path(), &[]).await;
    (web, dir, portico)
}

/// The replica serving each of `/item/0` .. `/item/{n-1}`.
async fn owners(addr: SocketAddr, n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        out.push(server(&get(addr, "hash.test", &format!("/item/{k}")).await.unwrap()));
    }
    out
}

#[tokio::test]
async fn one_uri_one_endpoint_and_uris_spread() {
    let (_web, _dir, portico) = start(6, &[("upstream-hash-by", "$request_uri")]).await;
    let mut seen = BTreeSet::new();
    for _ in 0..30 {
        seen.insert(server(&get(portico.http, "hash.test", "/same?q=1").await.unwrap()));
    }
    assert_eq!(seen.len(), 1, "{seen:?}");
    let spread: BTreeSet<String> = owners(portico.http, 60).await.into_iter().collect();
    assert!(spread.len() >= 4, "60 URIs over 6 endpoints: {spread:?}");
}

#[tokio::test]
async fn a_subset_of_three_endpoints_per_key() {
    let annotations = [
        ("upstream-hash-by", "$request_uri"),
        ("upstream-hash-by-subset", "true"),
        ("upstream-hash-by-subset-size", "3"),
    ];
    let (_web, _dir, portico) = start(6, &annotations).await;
    let mut seen = BTreeSet::new();
    for _ in 0..100 {
        seen.insert(server(&get(portico.http, "hash.test", "/").await.unwrap()));
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
}

#[tokio::test]
async fn keys_from_a_header_and_text() {
    let (_web, _dir, portico) = start(6, &[("upstream-hash-by", "user-${http_x_user}")]).await;
    let by_user = |user: String| {
        let addr = portico.http;
        async move {
            let req = Request::get("/any").header("host", "hash.test").header("x-user", user);
            server(&request(addr, req.body(Full::default()).unwrap()).await.unwrap())
        }
    };
    let mut owner = BTreeMap::new();
    for user in 0..40 {
        owner.insert(user, by_user(format!("u{user}")).await);
    }
    for user in 0..40 {
        assert_eq!(by_user(format!("u{user}")).await, owner[&user], "user u{user} stays");
    }
    let endpoints: BTreeSet<&String> = owner.values().collect();
    assert!(endpoints.len() >= 3, "{endpoints:?}");
}

#[tokio::test]
async fn adding_an_endpoint_moves_only_the_keys_it_takes() {
    let web = Backends::start("web", 5).await;
    let dir = Dir::new();
    let annotations = [("upstream-hash-by", "$request_uri")];
    write(&dir, &web.addrs()[..4], &annotations);
    let portico = Portico::start(dir.path(), &[]).await;
    let before = owners(portico.http, 100).await;
    assert!(!before.contains(&"web-4".to_string()));
    write(&dir, &web.addrs(), &annotations);
    let addr = portico.http;
    let mut after = Vec::new();
    eventually("the new endpoint takes keys", || async move {
        owners(addr, 100).await.contains(&"web-4".to_string())
    })
    .await;
    after.extend(owners(addr, 100).await);
    let moved: Vec<usize> = (0..100).filter(|&k| before[k] != after[k]).collect();
    for &k in &moved {
        assert_eq!(after[k], "web-4", "key {k} moved from {} to another old endpoint", before[k]);
    }
    // About a fifth of the keys move (each endpoint owns 1/5 of the ring).
    assert!((5..=40).contains(&moved.len()), "{} of 100 keys moved", moved.len());
}

#[tokio::test]
async fn an_invalid_key_leaves_the_ingress_unloaded() {
    let (_web, _dir, portico) = start(2, &[("upstream-hash-by", "$host.x")]).await;
    let reply = get(portico.http, "hash.test", "/").await.unwrap();
    assert_eq!(reply.status, 404, "the Ingress is not loaded");
    let check = portico.check();
    let want = "Ingress default/hash";
    let field = r#"metadata.annotations["nginx.ingress.kubernetes.io/upstream-hash-by"]: invalid value "$host.x""#;
    assert!(check.contains(want) && check.contains(field), "{check}");
    assert!(check.contains("the Ingress is not loaded"), "{check}");
}
