//! The admin listener and the process lifecycle: /healthz, /readyz, /metrics, SIGTERM.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use std::net::SocketAddr;

use portico_e2e::{get, ingress, service, Backends, Conn, Dir, Portico};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

/// A backend answering its first request `delay` after it arrived; the receiver learns when
/// it did (so a test acts while the request is surely in flight, without guessing a time).
async fn slow_backend(delay: Duration) -> (SocketAddr, oneshot::Receiver<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (arrived, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "the proxy closed before sending the head");
            head.extend_from_slice(&buf[..n]);
        }
        let _ = arrived.send(());
        tokio::time::sleep(delay).await;
        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";
        stream.write_all(reply).await.unwrap();
    });
    (addr, rx)
}

#[tokio::test]
async fn health_readiness_and_metrics() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    dir.write("ing.yaml", ingress("site").path(Some("m.test"), "/", "Prefix", "web"));
    let portico = Portico::start(dir.path(), &[]).await;
    assert_eq!(get(portico.admin, "localhost", "/healthz").await.unwrap().status, 200);
    assert_eq!(get(portico.admin, "localhost", "/readyz").await.unwrap().status, 200);
    for _ in 0..3 {
        assert_eq!(get(portico.http, "m.test", "/").await.unwrap().status, 200);
    }
    assert_eq!(get(portico.http, "m.test", "/").await.unwrap().status, 200);
    assert_eq!(get(portico.http, "nothing.test", "/").await.unwrap().status, 404);
    let metrics = get(portico.admin, "localhost", "/metrics").await.unwrap();
    assert_eq!(metrics.status, 200);
    let text = metrics.text();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("portico_requests_total")
                && l.contains("default/site")
                && l.contains("2xx")
        })
        .unwrap_or_else(|| panic!("request counter per ingress and status class:\n{text}"));
    assert!(line.ends_with(" 4"), "{line}");
    assert!(text.contains("4xx"), "{text}");
    assert!(text.contains("portico_table_rebuilds_total"), "{text}");
    assert!(text.contains("portico_upstream_response_seconds"), "{text}");
    assert!(!text.contains("127.0.0.1"), "no endpoint addresses as labels");
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish_and_exits_zero() {
    let (slow, arrived) = slow_backend(Duration::from_millis(700)).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "slow", &[slow]));
    dir.write("ing.yaml", ingress("slow").path(Some("slow.test"), "/", "Prefix", "slow"));
    let mut portico = Portico::start(dir.path(), &[]).await;
    let http = portico.http;
    let in_flight = tokio::spawn(async move {
        let mut conn = Conn::open(http).await.unwrap();
        let req = http::Request::get("/")
            .header("host", "slow.test")
            .body(http_body_util::Full::default())
            .unwrap();
        conn.send(req).await
    });
    arrived.await.expect("the request reached the backend");
    let status = tokio::task::spawn_blocking(move || {
        let status = portico.terminate();
        (status, portico)
    });
    let reply = in_flight.await.unwrap().expect("in-flight request completes");
    assert_eq!(reply.status, 200);
    let (status, _portico) = status.await.unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "exit 0 after SIGTERM");
}
