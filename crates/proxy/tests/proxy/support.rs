//! Test fixtures: in-process backends on 127.0.0.1:0, hand-built tables, a running proxy.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Request, Response};
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use portico_metrics::Metrics;
use portico_model::{
    Backend, BackendId, Endpoint, HostPattern, LbAlgorithm, Location, LocationPolicy, PathType,
    RouteTable, Server, Target,
};
use portico_proxy::{Proxy, ProxyConfig, Snapshot};
use tokio::net::TcpListener;

pub type Body = http_body_util::combinators::BoxBody<Bytes, hyper::Error>;

/// An echo backend: answers `<name>\n<METHOD> <uri>\n<header>: <value>\n...`. Special paths:
/// `/slow` waits 2 s, `/big` streams 10 MiB, `/count` answers the request body's length.
pub struct EchoBackend {
    pub addr: SocketAddr,
    pub hits: Arc<AtomicUsize>,
    /// Connections accepted (to observe upstream keep-alive reuse).
    pub conns: Arc<AtomicUsize>,
}

pub async fn backend(name: &'static str) -> EchoBackend {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let conns = Arc::new(AtomicUsize::new(0));
    let accepted = conns.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else { return };
            accepted.fetch_add(1, Ordering::Relaxed);
            let counter = counter.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    counter.fetch_add(1, Ordering::Relaxed);
                    echo(name, req)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    EchoBackend { addr, hits, conns }
}

async fn echo(name: &'static str, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_string();
    if path == "/slow" {
        // The slowness is the point: well past the 300 ms read timeout of the 504 test, and
        // long enough to be in flight when the graceful-shutdown test stops the proxy.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    if path == "/big" {
        let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
        let stream = futures_util::stream::iter(
            (0..160).map(move |_| Ok::<_, hyper::Error>(Frame::data(chunk.clone()))),
        );
        return Ok(Response::new(BodyExt::boxed(StreamBody::new(stream))));
    }
    let mut text = format!("{name}\n{} {}\n", req.method(), req.uri());
    for (key, value) in req.headers() {
        text.push_str(&format!("{}: {}\n", key, value.to_str().unwrap_or("?")));
    }
    if path == "/count" {
        let mut body = req.into_body().into_data_stream();
        let mut total = 0usize;
        while let Some(Ok(chunk)) = body.next().await {
            total += chunk.len();
        }
        text = format!("{total}");
    }
    let mut response = Response::new(full(text));
    response.headers_mut().insert("server", "echo".parse().unwrap());
    Ok(response)
}

pub fn full(text: impl Into<Bytes>) -> Body {
    Full::new(text.into()).map_err(|never| match never {}).boxed()
}

/// Parses an echo body into (first lines, headers).
pub fn parse_echo(text: &str) -> (String, String, HashMap<String, String>) {
    let mut lines = text.lines();
    let name = lines.next().unwrap_or_default().to_string();
    let request_line = lines.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    (name, request_line, headers)
}

/// An address that refuses connections: bind, note the port, drop the listener.
pub async fn refusing_addr() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

pub fn location(
    path: &str,
    path_type: PathType,
    target: Target,
    policy: LocationPolicy,
) -> Location {
    Location {
        path: path.to_string(),
        path_type,
        backends: portico_model::Backends::single(target),
        policy: Arc::new(policy),
        ingress: Some(std::sync::Arc::new(portico_model::ObjectRef::new(
            "Ingress", "default", "web",
        ))),
        implicit: false,
        order: 0,
    }
}

pub fn upstream(name: &str, addrs: &[SocketAddr]) -> Backend {
    Backend {
        name: name.to_string(),
        namespace: "default".to_string(),
        service: name.to_string(),
        endpoints: addrs.iter().copied().map(Endpoint::Addr).collect(),
        algorithm: LbAlgorithm::RoundRobin,
        balancing: Default::default(),
        unavailable: None,
    }
}

/// A table with one server `foo.com` holding `locations`, and `backends`.
pub fn table(locations: Vec<Location>, backends: Vec<Backend>) -> RouteTable {
    RouteTable {
        servers: vec![Server {
            host: HostPattern::Exact("foo.com".to_string()),
            locations,
            ..Server::default()
        }],
        backends,
        ..RouteTable::default()
    }
}

/// A simple table: `foo.com` `/` → one backend with these endpoints.
pub fn simple(addrs: &[SocketAddr], policy: LocationPolicy) -> RouteTable {
    let loc = location("/", PathType::Prefix, Target::Backend(BackendId(0)), policy);
    table(vec![loc], vec![upstream("default-app-80", addrs)])
}

/// A running proxy on 127.0.0.1:0.
pub struct Running {
    pub addr: SocketAddr,
    pub proxy: Arc<Proxy>,
    pub metrics: Arc<Metrics>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    pub task: tokio::task::JoinHandle<()>,
}

pub async fn start(table: RouteTable) -> Running {
    let metrics = Arc::new(Metrics::new());
    let config = ProxyConfig { shutdown_grace: Duration::from_secs(2), ..ProxyConfig::default() };
    let proxy = Proxy::new(config, metrics.clone());
    let (snapshot, diagnostics) = Snapshot::build(table, 1);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    proxy.swap(snapshot);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(proxy.clone().serve_http(listener, async {
        let _ = rx.await;
    }));
    Running { addr, proxy, metrics, shutdown: Some(tx), task }
}

impl Running {
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(Duration::from_secs(5), &mut self.task).await.unwrap().unwrap();
    }
}

/// One keep-alive HTTP/1.1 connection to `addr`.
pub async fn connect(addr: SocketAddr) -> hyper::client::conn::http1::SendRequest<Body> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
    tokio::spawn(conn);
    sender
}

/// Sends a request on a fresh connection; returns status, headers and body text.
pub async fn send(addr: SocketAddr, req: Request<Body>) -> (Response<()>, String) {
    let mut sender = connect(addr).await;
    exchange(&mut sender, req).await
}

pub async fn exchange(
    sender: &mut hyper::client::conn::http1::SendRequest<Body>,
    req: Request<Body>,
) -> (Response<()>, String) {
    sender.ready().await.unwrap();
    let response = sender.send_request(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (Response::from_parts(parts, ()), String::from_utf8_lossy(&bytes).into_owned())
}

/// `GET path` with `Host: host`.
pub fn get(host: &str, path: &str) -> Request<Body> {
    Request::get(path).header("host", host).body(full("")).unwrap()
}

/// Polls `check` every 5 ms until it holds; panics with `what` after 10 s.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
