//! Raw HTTP/1.1 exchanges from a chosen loopback source address (all of 127.0.0.0/8 is
//! loopback): for per-client behaviour (address lists, limits) and byte-exact requests.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

/// Sends `request` (raw bytes; say `Connection: close`) from source address `from` (e.g.
/// `127.0.0.2`) to `to`, and reads until the server closes (at most 10 s): the raw answer.
///
/// # Panics
/// When the source address cannot be bound or the connection fails (a test setup error).
pub async fn raw_from(from: &str, to: SocketAddr, request: &str) -> String {
    let socket = TcpSocket::new_v4().expect("socket");
    socket.bind(format!("{from}:0").parse().expect("source address")).expect("bind source");
    let mut stream = socket.connect(to).await.expect("connect");
    let _ = stream.write_all(request.as_bytes()).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

/// `GET path` on `host` from `from`, `Connection: close`, with extra raw header lines.
pub async fn get_from(from: &str, to: SocketAddr, host: &str, path: &str, headers: &str) -> String {
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{headers}Connection: close\r\n\r\n");
    raw_from(from, to, &request).await
}

/// The status code of a raw answer (0 when there is none).
pub fn raw_status(answer: &str) -> u16 {
    answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}
