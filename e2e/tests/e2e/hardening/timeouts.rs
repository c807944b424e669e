//! `client-header-timeout`, `client-body-timeout`, `keep-alive` and `keep-alive-requests` from
//! the ConfigMap (short values so the suite stays fast).

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::support::{read_response, read_to_close, site, status};

#[tokio::test]
async fn a_silent_connection_is_closed_after_the_header_timeout() {
    let site = site(&[("client-header-timeout", "1")]).await;
    let mut silent = TcpStream::connect(site.portico.http).await.unwrap();
    let started = Instant::now();
    let (text, closed) = read_to_close(&mut silent, Duration::from_secs(10)).await;
    assert!(closed, "a connection that never sends a byte is closed");
    assert!(text.is_empty(), "and gets no answer: {text}");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(5), "{took:?}");
}

#[tokio::test]
async fn a_slow_head_is_closed_after_the_header_timeout() {
    let site = site(&[("client-header-timeout", "1")]).await;
    let mut slow = TcpStream::connect(site.portico.http).await.unwrap();
    let started = Instant::now();
    let head = b"GET / HTTP/1.1\r\nHost: site.test\r\nX-Slow: ";
    let mut closed = false;
    for byte in head.iter().chain(b"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter()) {
        if slow.write_all(&[*byte]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        if started.elapsed() > Duration::from_secs(8) {
            break;
        }
    }
    if !closed {
        closed = read_to_close(&mut slow, Duration::from_secs(3)).await.1;
    }
    assert!(closed, "a head trickling in is cut at the header timeout");
    assert!(started.elapsed() < Duration::from_secs(6), "{:?}", started.elapsed());
}

#[tokio::test]
async fn keep_alive_idle_and_request_count() {
    let site = site(&[("keep-alive", "1"), ("keep-alive-requests", "3")]).await;
    let req = b"GET / HTTP/1.1\r\nHost: site.test\r\n\r\n";
    let mut conn = TcpStream::connect(site.portico.http).await.unwrap();
    conn.write_all(req).await.unwrap();
    assert_eq!(status(&read_response(&mut conn).await), 200);
    let idle = Instant::now();
    let (_, closed) = read_to_close(&mut conn, Duration::from_secs(10)).await;
    assert!(closed, "an idle keep-alive connection is closed after keep-alive");
    assert!(idle.elapsed() >= Duration::from_millis(900), "{:?}", idle.elapsed());
    assert!(idle.elapsed() < Duration::from_secs(5), "{:?}", idle.elapsed());

    let mut conn = TcpStream::connect(site.portico.http).await.unwrap();
    for n in 1..=3 {
        conn.write_all(req).await.unwrap();
        let reply = read_response(&mut conn).await;
        assert_eq!(status(&reply), 200);
        assert_eq!(reply.contains("connection: close"), n == 3, "request {n}: {reply}");
    }
    let (_, closed) = read_to_close(&mut conn, Duration::from_millis(500)).await;
    assert!(closed, "closed after keep-alive-requests");
}

#[tokio::test]
async fn keep_alive_zero_closes_after_each_response() {
    let site = site(&[("keep-alive", "0")]).await;
    let mut conn = TcpStream::connect(site.portico.http).await.unwrap();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: site.test\r\n\r\n").await.unwrap();
    let reply = read_response(&mut conn).await;
    assert!(reply.contains("connection: close"), "{reply}");
    assert!(read_to_close(&mut conn, Duration::from_millis(500)).await.1);
}

#[tokio::test]
async fn a_stalled_body_is_408_after_the_body_timeout() {
    let site = site(&[("client-body-timeout", "1")]).await;
    let mut conn = TcpStream::connect(site.portico.http).await.unwrap();
    conn.write_all(b"POST / HTTP/1.1\r\nHost: site.test\r\nContent-Length: 10\r\n\r\nab")
        .await
        .unwrap();
    let started = Instant::now();
    let (reply, _) = read_to_close(&mut conn, Duration::from_secs(10)).await;
    assert_eq!(status(&reply), 408, "{reply}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_keep_alive() {
    use http_body_util::Empty;
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let site = site(&[("keep-alive", "1")]).await;
    let tcp = TcpStream::connect(site.portico.http).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http2::handshake::<_, _, Empty<bytes::Bytes>>(
        TokioExecutor::new(),
        TokioIo::new(tcp),
    )
    .await
    .unwrap();
    let driver = tokio::spawn(conn);
    let req = http::Request::get("http://site.test/h2").body(Empty::new()).unwrap();
    let reply = sender.send_request(req).await.unwrap();
    assert_eq!(reply.status(), 200);
    drop(reply);
    let idle = Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(10), driver).await;
    assert!(ended.is_ok(), "an h2c connection without streams is closed after keep-alive");
    assert!(idle.elapsed() >= Duration::from_millis(900), "{:?}", idle.elapsed());
}
