//! The guard's release between HTTP/1.1 requests ([`Guarded::arm_release`]): hyper's
//! connection ends only once every request read was answered and flushed, with no byte of
//! the next one read, for [`RELEASE_AFTER`]; the stream stays open for the next round.

use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use portico_model::ClientLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use crate::conn::{ConnShared, Guarded, RELEASE_AFTER};

fn guarded() -> (DuplexStream, Guarded<DuplexStream>, Arc<ConnShared>) {
    let (client, server) = tokio::io::duplex(64 * 1024);
    let shared = Arc::new(ConnShared::default());
    let peer = "127.0.0.1:1".parse().unwrap();
    let io = Guarded::new(server, peer, &ClientLimits::default(), Arc::clone(&shared), None);
    (client, io, shared)
}

/// One read through the guard if it does not wait: `Some(bytes read)`.
fn try_read(io: &mut Guarded<DuplexStream>) -> Option<usize> {
    let mut buf = [0u8; 1024];
    io.read(&mut buf).now_or_never().map(|read| read.unwrap())
}

#[tokio::test]
async fn hyper_is_released_once_the_response_is_done_and_flushed() {
    let (mut client, mut io, shared) = guarded();
    io.arm_release();
    client.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").await.unwrap();
    assert_eq!(try_read(&mut io), Some(27));
    assert_eq!(try_read(&mut io), None, "the request is not being handled yet: wait");
    let (inflight, _) = shared.start();
    assert_eq!(try_read(&mut io), None, "its response is in flight: wait");
    io.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await.unwrap();
    drop(inflight);
    assert_eq!(try_read(&mut io), None, "written but not flushed: wait");
    io.flush().await.unwrap();
    assert_eq!(try_read(&mut io), None, "idle just now: hyper waits");
    tokio::time::sleep(RELEASE_AFTER + Duration::from_millis(50)).await;
    assert_eq!(try_read(&mut io), Some(0), "idle for a while: the stream ends for hyper");
    io.shutdown().await.unwrap();
    assert!(io.take_released());

    // The stream is still open both ways: the next request is read by the next round.
    client.write_all(b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n").await.unwrap();
    assert_eq!(try_read(&mut io), Some(28));
    let mut reply = [0u8; 64];
    let n = client.read(&mut reply).await.unwrap();
    assert!(reply[..n].starts_with(b"HTTP/1.1 200 OK"), "the response came through");
}

#[tokio::test]
async fn part_of_the_next_request_keeps_hyper() {
    let (mut client, mut io, shared) = guarded();
    io.arm_release();
    client.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHo").await.unwrap();
    assert!(try_read(&mut io).is_some_and(|n| n > 27));
    drop(shared.start().0);
    assert_eq!(try_read(&mut io), None, "inside the next head: hyper waits for the rest");
    tokio::time::sleep(RELEASE_AFTER + Duration::from_millis(50)).await;
    assert_eq!(try_read(&mut io), None, "for as long as it takes");
    assert!(!io.take_released());
}

#[tokio::test]
async fn unread_bytes_come_first_and_an_unarmed_guard_waits() {
    let (mut client, mut io, shared) = guarded();
    client.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").await.unwrap();
    let mut buf = [0u8; 1024];
    let n = io.read(&mut buf).await.unwrap();
    drop(shared.start().0);
    io.unread(bytes::Bytes::copy_from_slice(&buf[..n]));
    let mut again = [0u8; 10];
    assert_eq!(io.read(&mut again).await.unwrap(), 10);
    assert_eq!(&again, b"GET / HTTP");
    assert_eq!(try_read(&mut io), Some(n - 10), "the rest of the unread bytes");
    assert_eq!(try_read(&mut io), None, "not armed: an idle read waits");
    tokio::time::sleep(RELEASE_AFTER + Duration::from_millis(50)).await;
    assert_eq!(try_read(&mut io), None, "and goes on waiting");
}
