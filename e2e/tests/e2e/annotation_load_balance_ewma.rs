//! `load-balance: ewma` (ingress-nginx `balancer/ewma.lua`), as annotation and as ConfigMap
//! default, through the real binary: traffic moves away from an endpoint that answers slowly.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use hyper_util::rt::TokioIo;
use portico_e2e::{controller_configmap, get, ingress, service, Backends, Dir, Portico};
use tokio::net::TcpListener;

/// An HTTP/1.1 server answering every request after `delay` with the echo's `{"server": name}`.
async fn slow_server(name: &'static str, delay: Duration) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = hyper::service::service_fn(move |_req| async move {
                tokio::time::sleep(delay).await;
                let body = Bytes::from(format!(r#"{{"server":"{name}"}}"#));
                Ok::<_, Infallible>(Response::new(Full::new(body)))
            });
            tokio::spawn(async move {
                let conn = hyper::server::conn::http1::Builder::new();
                let _ = conn.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    addr
}

/// Two echo backends and one answering after 200 ms behind Service `web`; Ingress `ewma`
/// (`ewma.test` `/` → `web`) with `annotations`, and the controller ConfigMap with `configmap`.
async fn start(annotations: &[(&str, &str)], configmap: Option<&str>) -> (Backends, Dir, Portico) {
    let fast = Backends::start("fast", 2).await;
    let slow = slow_server("slow", Duration::from_millis(200)).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &[fast.addr(0), fast.addr(1), slow]));
    let mut ing = ingress("ewma").path(Some("ewma.test"), "/", "Prefix", "web");
    for (key, value) in annotations {
        ing = ing.annotation(key, value);
    }
    dir.write("ing.yaml", ing);
    let mut flags = Vec::new();
    if let Some(lines) = configmap {
        dir.write("cm.yaml", controller_configmap(lines));
        flags.extend(["--configmap", "infra/portico"]);
    }
    let portico = Portico::start(dir.path(), &flags).await;
    (fast, dir, portico)
}

/// How many of `n` sequential requests each replica answered.
async fn spread(addr: SocketAddr, n: usize) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for _ in 0..n {
        let reply = get(addr, "ewma.test", "/").await.unwrap();
        assert_eq!(reply.status, 200, "{}", reply.text());
        *seen.entry(reply.echo()["server"].as_str().unwrap().to_string()).or_default() += 1;
    }
    seen
}

#[tokio::test]
async fn ewma_moves_traffic_away_from_a_slow_endpoint() {
    let (_fast, _dir, portico) = start(&[("load-balance", "ewma")], None).await;
    let seen = spread(portico.http, 40).await;
    let slow = seen.get("slow").copied().unwrap_or(0);
    // Round robin would send it 13; EWMA only until its first answers are measured.
    assert!(slow <= 4, "the slow endpoint got {slow} of 40: {seen:?}");
    assert_eq!(seen.values().sum::<usize>(), 40);
}

#[tokio::test]
async fn ewma_is_the_configmap_default_too() {
    let (_fast, _dir, portico) = start(&[], Some("  load-balance: ewma")).await;
    let seen = spread(portico.http, 40).await;
    let slow = seen.get("slow").copied().unwrap_or(0);
    assert!(slow <= 4, "the slow endpoint got {slow} of 40: {seen:?}");
    assert!(portico.check().contains("(ewma)"), "{}", portico.check());
}

#[tokio::test]
async fn round_robin_does_not_avoid_the_slow_endpoint() {
    let (_fast, _dir, portico) = start(&[], None).await;
    let seen = spread(portico.http, 6).await;
    assert_eq!(seen.get("slow"), Some(&2), "{seen:?}");
}
