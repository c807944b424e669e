//! One echo-backed site, raw HTTP/1.1 exchanges, and a scripted raw backend.

use std::net::SocketAddr;
use std::time::Duration;

use portico_e2e::{ingress, service, Backends, Dir, Portico};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running site: `site.test` → one echo backend; `config` is the ConfigMap's data lines.
pub struct Site {
    pub portico: Portico,
    /// Kept alive for the test's duration.
    _backends: Backends,
    _dir: Dir,
}

pub async fn site(config: &[(&str, &str)]) -> Site {
    let backends = Backends::start("site", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "site", &backends.addrs()));
    dir.write("ing.yaml", ingress("site").path(Some("site.test"), "/", "Prefix", "site"));
    let mut flags = Vec::new();
    if !config.is_empty() {
        dir.write("cm.yaml", configmap(config));
        flags.push("--configmap");
        flags.push("infra/portico");
    }
    let portico = Portico::start(dir.path(), &flags).await;
    Site { portico, _backends: backends, _dir: dir }
}

/// The controller ConfigMap `infra/portico` with `data`.
pub fn configmap(data: &[(&str, &str)]) -> String {
    let lines: String = data.iter().map(|(k, v)| format!("  {k}: \"{v}\"\n")).collect();
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\ndata:\n{lines}")
}

/// Sends `bytes` on a new connection and reads until the server closes it (or 10 s pass).
pub async fn exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The server may refuse before reading everything: a reset on write is part of the answer.
    let _ = stream.write_all(bytes).await;
    read_to_close(&mut stream, Duration::from_secs(10)).await.0
}

/// Reads until EOF or `limit`; the text and whether the server closed the connection.
pub async fn read_to_close(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&out).into_owned(), true),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&out).into_owned(), false),
        }
    }
}

/// Reads one response head and its `Content-Length` body from a kept-open connection.
pub async fn read_response(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut byte = [0u8; 1];
    while !out.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut byte))
            .await
            .expect("response in time")
            .unwrap();
        assert_eq!(n, 1, "connection closed mid-head: {}", String::from_utf8_lossy(&out));
        out.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&out).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).await.unwrap();
    head + &String::from_utf8_lossy(&body)
}

/// The status code of a raw response.
pub fn status(response: &str) -> u16 {
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// How many responses a raw stream holds.
pub fn responses(text: &str) -> usize {
    text.matches("HTTP/1.1 ").count()
}

/// A backend that answers every request with `response` (raw bytes) and closes.
pub async fn raw_backend(response: String) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let response = response.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    addr
}
