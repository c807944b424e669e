//! Upstream behaviour: retries, timeouts, streaming, WebSocket, hot swap, shutdown.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use http::Request;
use http_body_util::BodyExt;
use portico_model::{LocationPolicy, Timeouts};
use portico_proxy::Snapshot;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::support::*;

#[tokio::test]
async fn refused_endpoint_retries_the_next_then_502() {
    let live = backend("live").await;
    let dead = refusing_addr().await;
    let proxy = start(simple(&[dead, live.addr], LocationPolicy::default())).await;
    for _ in 0..4 {
        let (response, body) = send(proxy.addr, get("foo.com", "/")).await;
        assert_eq!(response.status(), 200);
        assert!(body.starts_with("live"), "{body}");
    }
    proxy.stop().await;

    let proxy = start(simple(&[dead, refusing_addr().await], LocationPolicy::default())).await;
    let (response, body) = send(proxy.addr, get("foo.com", "/")).await;
    assert_eq!(response.status(), 502);
    assert!(body.contains("502 Bad Gateway"), "{body}");
    proxy.stop().await;
}

#[tokio::test]
async fn slow_upstream_is_504() {
    let slow = backend("slow").await;
    let timeouts = Timeouts { read: Duration::from_millis(300), ..Timeouts::default() };
    let proxy =
        start(simple(&[slow.addr], LocationPolicy { timeouts, ..Default::default() })).await;
    let (response, body) = send(proxy.addr, get("foo.com", "/slow")).await;
    assert_eq!(response.status(), 504);
    assert!(body.contains("504 Gateway Time-out"), "{body}");
    proxy.stop().await;
}

#[tokio::test]
async fn ten_mib_stream_both_ways() {
    let a = backend("a").await;
    let proxy =
        start(simple(&[a.addr], LocationPolicy { max_body_size: None, ..Default::default() }))
            .await;
    let upload = vec![b'u'; 10 * 1024 * 1024];
    let req = Request::post("/count").header("host", "foo.com").body(full(upload)).unwrap();
    let (response, body) = send(proxy.addr, req).await;
    assert_eq!((response.status().as_u16(), body.as_str()), (200, "10485760"));

    let mut sender = connect(proxy.addr).await;
    let response = sender.send_request(get("foo.com", "/big")).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    let mut total = 0;
    while let Some(frame) = body.frame().await {
        total += frame.unwrap().into_data().map_or(0, |d| d.len());
    }
    assert_eq!(total, 10 * 1024 * 1024);
    proxy.stop().await;
}

#[tokio::test]
async fn websocket_echo() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ws_addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
                while let Some(Ok(msg)) = ws.next().await {
                    if msg.is_text() || msg.is_binary() {
                        ws.send(msg).await.unwrap();
                    }
                }
            });
        }
    });
    let proxy = start(simple(&[ws_addr], LocationPolicy::default())).await;
    let stream = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let request = Request::get("ws://foo.com/chat")
        .header("host", "foo.com")
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header(
            "sec-websocket-key",
            tokio_tungstenite::tungstenite::handshake::client::generate_key(),
        )
        .body(())
        .unwrap();
    let (mut ws, response) = tokio_tungstenite::client_async(request, stream).await.unwrap();
    assert_eq!(response.status(), 101);
    for text in ["hello", "portico"] {
        ws.send(Message::text(text)).await.unwrap();
        let echoed = ws.next().await.unwrap().unwrap();
        assert_eq!(echoed.into_text().unwrap().as_str(), text);
    }
    ws.close(None).await.unwrap();
    proxy.stop().await;
}

#[tokio::test]
async fn hot_swap_keeps_keepalive_connection() {
    let a = backend("a").await;
    let b = backend("b").await;
    let proxy = start(simple(&[a.addr], LocationPolicy::default())).await;
    let mut conn = connect(proxy.addr).await;
    let (_, body) = exchange(&mut conn, get("foo.com", "/")).await;
    assert!(body.starts_with("a\n"), "{body}");
    let (snapshot, _) = Snapshot::build(simple(&[b.addr], LocationPolicy::default()), 2);
    proxy.proxy.swap(snapshot);
    let (_, body) = exchange(&mut conn, get("foo.com", "/")).await;
    assert!(body.starts_with("b\n"), "same connection, new table: {body}");
    assert_eq!(proxy.proxy.snapshot().unwrap().generation, 2);
    assert!(proxy.metrics.encode().contains("portico_table_generation 2"));
    proxy.stop().await;
}

#[tokio::test]
async fn upstream_connections_are_reused() {
    let a = backend("a").await;
    let proxy = start(simple(&[a.addr], LocationPolicy::default())).await;
    for _ in 0..5 {
        let (response, _) = send(proxy.addr, get("foo.com", "/")).await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(a.hits.load(std::sync::atomic::Ordering::Relaxed), 5);
    assert_eq!(a.conns.load(std::sync::atomic::Ordering::Relaxed), 1, "one pooled connection");
    proxy.stop().await;
}

#[tokio::test]
async fn graceful_shutdown_lets_inflight_finish() {
    let slow = backend("slow").await;
    let proxy = start(simple(&[slow.addr], LocationPolicy::default())).await;
    let addr = proxy.addr;
    let inflight = tokio::spawn(async move { send(addr, get("foo.com", "/slow")).await });
    eventually("the request reached the backend", || slow.hits.load(Ordering::Relaxed) == 1).await;
    proxy.stop().await;
    let (response, _) = inflight.await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "no longer accepting");
}
