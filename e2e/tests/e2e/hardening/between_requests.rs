//! A kept-alive HTTP/1.1 connection between requests holds no HTTP state in Portico (each
//! busy period is served by its own hyper connection): requests split or pipelined at any
//! byte are still answered in order, and an idle connection closes at once on shutdown.

use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::support::{read_response, read_to_close, site, status};

const GET: &str = "GET / HTTP/1.1\r\nHost: site.test\r\n\r\n";

#[tokio::test]
async fn requests_split_or_pipelined_anywhere_are_answered_in_order() {
    let site = site(&[]).await;
    let mut conn = TcpStream::connect(site.portico.http).await.unwrap();
    // A request and the first bytes of the next, then a pause, then the rest.
    conn.write_all(format!("{GET}GET / HT").as_bytes()).await.unwrap();
    assert_eq!(status(&read_response(&mut conn).await), 200);
    tokio::time::sleep(Duration::from_millis(100)).await;
    conn.write_all(b"TP/1.1\r\nHost: site.test\r\n\r\n").await.unwrap();
    assert_eq!(status(&read_response(&mut conn).await), 200, "the split request");
    // Idle for longer than Portico keeps a round (250 ms), then a request whose body comes
    // later than its head.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let head = "POST / HTTP/1.1\r\nHost: site.test\r\nContent-Length: 5\r\n\r\n";
    conn.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    conn.write_all(b"hello").await.unwrap();
    assert_eq!(status(&read_response(&mut conn).await), 200, "the late body");
    // Three in one write: three answers, in order, on the same connection.
    let three = format!(
        "{GET}GET /second HTTP/1.1\r\nHost: site.test\r\n\r\nGET /third HTTP/1.1\r\nHost: site.test\r\n\r\n"
    );
    conn.write_all(three.as_bytes()).await.unwrap();
    for n in 1..=3 {
        assert_eq!(status(&read_response(&mut conn).await), 200, "pipelined request {n}");
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    conn.write_all(GET.as_bytes()).await.unwrap();
    assert_eq!(status(&read_response(&mut conn).await), 200, "still kept alive");
}

#[tokio::test]
async fn an_idle_connection_is_closed_at_once_on_shutdown() {
    let mut site = site(&[]).await;
    let mut idle = TcpStream::connect(site.portico.http).await.unwrap();
    idle.write_all(GET.as_bytes()).await.unwrap();
    assert_eq!(status(&read_response(&mut idle).await), 200);
    tokio::time::sleep(Duration::from_millis(400)).await; // between rounds now
    let silent = TcpStream::connect(site.portico.http).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let stopped = tokio::task::spawn_blocking(move || {
        let status = site.portico.terminate();
        (status, site)
    });
    let (_, closed) = read_to_close(&mut idle, Duration::from_secs(5)).await;
    assert!(closed, "the idle keep-alive connection is closed");
    let (status, _site) = stopped.await.unwrap();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "exit 0 after SIGTERM");
    assert!(started.elapsed() < Duration::from_secs(5), "no wait for idle connections");
    drop(silent);
}
