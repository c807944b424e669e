//! `mirror-target`, `mirror-request-body`, `mirror-host` (ingress-nginx
//! `annotations/mirror.go`, nginx's `mirror` module) through the real binary: a mirror
//! written here (hyper on loopback, recording what it receives) gets a copy of each request
//! (method, URI, body, Host) while the client gets the echo backend's answer; a dead or
//! silent mirror neither slows nor fails the client, and copies past the bound are dropped
//! and counted.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use portico_e2e::{eventually, get, refusing_addr, request, start_site, Backends, Dir, Portico};

/// What the mirror saw of one copy.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
}

/// A mirror that records every request and answers 200.
#[derive(Debug, Default)]
struct Recorder {
    seen: Mutex<Vec<Seen>>,
}

impl Recorder {
    async fn start() -> (Arc<Recorder>, SocketAddr) {
        let state = Arc::new(Recorder::default());
        let addr = portico_e2e::serve_answers(Arc::clone(&state)).await;
        (state, addr)
    }

    /// Waits for the `n`-th copy and returns it.
    async fn nth(&self, n: usize) -> Seen {
        eventually(&format!("copy #{n} at the mirror"), || async {
            self.seen.lock().unwrap().len() >= n
        })
        .await;
        self.seen.lock().unwrap()[n - 1].clone()
    }

    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

impl portico_e2e::Answer for Recorder {
    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let seen = Seen {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts.headers,
            body,
        };
        self.seen.lock().unwrap().push(seen);
        Response::new(Full::new(Bytes::from_static(b"mirror answer, discarded")))
    }
}

/// A mirror that accepts connections and never answers (they stay open until dropped).
async fn silent_mirror() -> (tokio::task::JoinHandle<()>, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (task, addr)
}

fn post(host: &str, target: &str, body: &'static str) -> Request<Full<Bytes>> {
    Request::post(target)
        .header("host", host)
        .header("x-custom", "from-client")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn mirror_counter(portico: &Portico, outcome: &str) -> u64 {
    let metrics = get(portico.admin, "localhost", "/metrics").await.unwrap().text();
    let prefix = format!("portico_mirror_requests_total{{outcome=\"{outcome}\"}} ");
    metrics.lines().find_map(|l| l.strip_prefix(&prefix)?.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn the_mirror_gets_a_copy_and_the_client_the_backend_s_answer() {
    let (mirror, addr) = Recorder::start().await;
    let target = format!("http://{addr}$request_uri");
    let (_web, _dir, portico) =
        start_site(&[("site.test", vec![("mirror-target", target.as_str())])], None).await;
    let reply = request(portico.http, post("site.test", "/orders/7?x=1", "hello")).await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.echo()["server"], "web-0", "the client gets the main backend's answer");
    assert_eq!(reply.echo()["uri"], "/orders/7?x=1");
    let copy = mirror.nth(1).await;
    assert_eq!((copy.method.as_str(), copy.uri.as_str()), ("POST", "/orders/7?x=1"));
    assert_eq!(copy.body, "hello");
    assert_eq!(header(&copy.headers, "host"), Some("127.0.0.1"), "the target's host");
    assert_eq!(header(&copy.headers, "x-custom"), Some("from-client"));
    assert_eq!(header(&copy.headers, "content-length"), Some("5"));
    assert_eq!(header(&copy.headers, "x-forwarded-for"), None, "the mirror location sets none");
    let response = get(portico.http, "site.test", "/plain").await.unwrap();
    assert_eq!(response.status, 200);
    let copy = mirror.nth(2).await;
    assert_eq!((copy.method.as_str(), copy.uri.as_str()), ("GET", "/plain"));
    assert!(copy.body.is_empty());
    eventually("the copies counted", || async { mirror_counter(&portico, "answered").await == 2 })
        .await;
}

#[tokio::test]
async fn mirror_host_literal_paths_and_no_body() {
    let (mirror, addr) = Recorder::start().await;
    let with_path = format!("http://{addr}/mirror");
    let without_path = format!("http://{addr}");
    let (_web, _dir, portico) = start_site(
        &[
            (
                "host.test",
                vec![("mirror-target", with_path.as_str()), ("mirror-host", "copy.test")],
            ),
            ("root.test", vec![("mirror-target", without_path.as_str())]),
            (
                "nobody.test",
                vec![("mirror-target", with_path.as_str()), ("mirror-request-body", "off")],
            ),
        ],
        None,
    )
    .await;
    request(portico.http, post("host.test", "/a/b?x=1", "one")).await.unwrap();
    let copy = mirror.nth(1).await;
    assert_eq!(copy.uri, "/mirror?x=1", "a literal path, then the client's arguments");
    assert_eq!(header(&copy.headers, "host"), Some("copy.test"));
    assert_eq!(copy.body, "one");

    request(portico.http, post("root.test", "/a?y=2", "two")).await.unwrap();
    let copy = mirror.nth(2).await;
    assert_eq!(copy.uri, "/_mirror-?y=2", "nginx's subrequest URI (no uid in the manifest)");

    let reply = request(portico.http, post("nobody.test", "/c", "three")).await.unwrap();
    assert_eq!(reply.echo()["body_bytes"], 5, "the backend still gets the body");
    let copy = mirror.nth(3).await;
    assert!(copy.body.is_empty(), "mirror-request-body: off");
    assert_eq!(header(&copy.headers, "content-length"), None);
}

#[tokio::test]
async fn a_streamed_body_is_not_copied() {
    let (mirror, addr) = Recorder::start().await;
    let target = format!("http://{addr}$request_uri");
    let annotations = vec![("mirror-target", target.as_str()), ("proxy-request-buffering", "off")];
    let (_web, _dir, portico) = start_site(&[("stream.test", annotations)], None).await;
    let reply = request(portico.http, post("stream.test", "/s", "streamed")).await.unwrap();
    assert_eq!(reply.echo()["body_bytes"], 8);
    let copy = mirror.nth(1).await;
    assert_eq!(copy.method, "POST");
    assert!(copy.body.is_empty(), "only a buffered body is copied");
}

#[tokio::test]
async fn a_dead_or_silent_mirror_neither_slows_nor_fails_the_client() {
    let refused = refusing_addr().await;
    let (_silent, silent) = silent_mirror().await;
    let dead = format!("http://{refused}$request_uri");
    let quiet = format!("http://{silent}$request_uri");
    let (_web, _dir, portico) = start_site(
        &[
            ("dead.test", vec![("mirror-target", dead.as_str())]),
            ("quiet.test", vec![("mirror-target", quiet.as_str()), ("proxy-read-timeout", "30")]),
        ],
        None,
    )
    .await;
    let started = Instant::now();
    for host in ["dead.test", "quiet.test"] {
        for _ in 0..5 {
            let reply = request(portico.http, post(host, "/x", "body")).await.unwrap();
            assert_eq!(reply.status, 200, "{host}");
        }
    }
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    eventually("refused copies counted as failed", || async {
        mirror_counter(&portico, "failed").await >= 5
    })
    .await;
}

#[tokio::test]
async fn copies_past_the_bound_are_dropped_and_counted() {
    let (_silent, silent) = silent_mirror().await;
    let quiet = format!("http://{silent}$request_uri");
    let (_web, _dir, portico) =
        start_site(&[("quiet.test", vec![("mirror-target", quiet.as_str())])], None).await;
    // 256 copies wait for the silent mirror (60 s read timeout); the next ones are dropped.
    let clients: Vec<_> = (0..300)
        .map(|_| {
            let addr = portico.http;
            tokio::spawn(async move { get(addr, "quiet.test", "/").await.map(|r| r.status) })
        })
        .collect();
    for client in clients {
        assert_eq!(client.await.unwrap().unwrap(), 200);
    }
    let dropped = mirror_counter(&portico, "dropped").await;
    assert!(dropped >= 300 - 256, "{dropped} dropped");
}

#[tokio::test]
async fn an_unusable_target_is_an_error_and_the_location_is_served() {
    let (mirror, addr) = Recorder::start().await;
    let good = format!("http://{addr}$request_uri");
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", portico_e2e::service("default", "web", &web.addrs()));
    for (name, target) in [("ftp", "ftp://m.test/x"), ("good", good.as_str())] {
        let host = format!("{name}.test");
        dir.write(
            &format!("{name}.yaml"),
            portico_e2e::site_ingress(&host, &[("mirror-target", target)]),
        );
    }
    let portico = Portico::start(dir.path(), &[]).await;
    let reply = get(portico.http, "ftp.test", "/").await.unwrap();
    assert_eq!(reply.status, 200, "served without a mirror");
    get(portico.http, "good.test", "/only").await.unwrap();
    assert_eq!(mirror.nth(1).await.uri, "/only");
    // A window, not a wait: no copy for ftp.test may arrive in it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(mirror.count(), 1, "nothing mirrored for ftp.test");
    let check = portico.check();
    assert!(check.contains("error") && check.contains("mirror-target"), "{check}");
    assert!(check.contains("not mirrored"), "{check}");
}
