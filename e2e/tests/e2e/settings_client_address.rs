//! The client address ingress-nginx would use: `use-proxy-protocol` (v1/v2 on both listeners),
//! `proxy-real-ip-cidr`, `enable-real-ip` with `forwarded-for-header`, `use-forwarded-headers`;
//! what the backend is told (X-Real-IP, X-Forwarded-For) and what the allow list checks.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use portico_e2e::{accept_any_client, ingress, service, Backends, Dir, Portico};
use portico_tls::tokio_rustls::TlsConnector;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start(config: &str, annotations: &[(&str, &str)]) -> (Backends, Dir, Portico) {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    let mut ing = ingress("site").path(Some("site.test"), "/", "Prefix", "web");
    for (k, v) in annotations {
        ing = ing.annotation(k, v);
    }
    dir.write("ing.yaml", ing);
    dir.write(
        "cm.yaml",
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\ndata:\n{config}"),
    );
    let portico = Portico::start(dir.path(), &["--configmap", "infra/portico"]).await;
    (web, dir, portico)
}

/// Writes `prefix` then one request with `headers` over `stream`; the whole answer.
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, headers: &str) -> String {
    let req = format!("GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n{headers}\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

async fn plain(addr: SocketAddr, proxy_header: &[u8], headers: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(proxy_header).await.unwrap();
    exchange(stream, headers).await
}

/// The JSON header value the echo backend saw, e.g. `"x-real-ip":["203.0.113.9"]`.
fn saw(reply: &str, name: &str, value: &str) -> bool {
    reply.contains(&format!("\"{name}\":[\"{value}\"]"))
}

#[tokio::test]
async fn proxy_protocol_names_the_client_on_both_listeners() {
    let (_w, _d, portico) = start("  use-proxy-protocol: \"true\"\n", &[]).await;
    let reply = plain(portico.http, b"PROXY TCP4 203.0.113.9 127.0.0.1 5555 80\r\n", "").await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(saw(&reply, "x-real-ip", "203.0.113.9"), "{reply}");
    assert!(saw(&reply, "x-forwarded-for", "203.0.113.9"), "{reply}");

    let without = plain(portico.http, b"", "").await;
    assert_eq!(without, "", "no PROXY header: the connection is closed unanswered");

    // HTTPS: the header comes before the TLS handshake (v2 binary here).
    let mut v2 = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c".to_vec();
    v2.extend_from_slice(&[198, 51, 100, 7, 127, 0, 0, 1, 0x30, 0x39, 0x01, 0xbb]);
    let mut tcp = TcpStream::connect(portico.https).await.unwrap();
    tcp.write_all(&v2).await.unwrap();
    let config = accept_any_client(&[b"http/1.1"], rustls::DEFAULT_VERSIONS);
    let tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("site.test").unwrap(), tcp)
        .await
        .unwrap();
    let reply = exchange(tls, "").await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(saw(&reply, "x-real-ip", "198.51.100.7"), "{reply}");
    assert!(saw(&reply, "x-forwarded-port", "443"), "{reply}");
}

#[tokio::test]
async fn an_untrusted_proxy_is_not_believed() {
    let config = "  use-proxy-protocol: \"true\"\n  proxy-real-ip-cidr: \"10.0.0.0/8\"\n";
    let (_w, _d, portico) = start(config, &[]).await;
    let reply = plain(portico.http, b"PROXY TCP4 203.0.113.9 127.0.0.1 5555 80\r\n", "").await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(saw(&reply, "x-real-ip", "127.0.0.1"), "the peer, not the header: {reply}");
}

#[tokio::test]
async fn enable_real_ip_reads_the_configured_header_and_the_allow_list_uses_it() {
    let config = "  enable-real-ip: \"true\"\n  forwarded-for-header: \"X-Client-IP\"\n";
    let (_w, _d, portico) = start(config, &[("allowlist-source-range", "198.51.100.0/24")]).await;
    let reply = plain(portico.http, b"", "X-Client-IP: 198.51.100.4\r\n").await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(saw(&reply, "x-real-ip", "198.51.100.4"), "{reply}");
    let refused = plain(portico.http, b"", "X-Forwarded-For: 198.51.100.4\r\n").await;
    assert!(refused.starts_with("HTTP/1.1 403"), "another header is not read: {refused}");
}

#[tokio::test]
async fn forwarded_for_is_walked_from_the_right_past_trusted_proxies() {
    let config =
        "  use-forwarded-headers: \"true\"\n  proxy-real-ip-cidr: \"127.0.0.1/32, 10.0.0.0/8\"\n";
    let (_w, _d, portico) = start(config, &[]).await;
    let reply =
        plain(portico.http, b"", "X-Forwarded-For: 192.0.2.1, 203.0.113.5, 10.1.2.3\r\n").await;
    assert!(saw(&reply, "x-real-ip", "203.0.113.5"), "{reply}");
}
