//! HTTP over the https listener: HTTP/2 by ALPN, forwarded headers, HSTS (§3.3), the
//! ssl-redirect round trip (§1.4), and gRPC-style trailers across the h2 → HTTP/1.1 hop.

use std::net::SocketAddr;

use portico_e2e::{get, ingress, service, Dir, Portico};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::support::{curl, h2_get, https_get, secret, self_signed};
use super::tls_site;

const CONFIGMAP: [&str; 2] = ["--configmap", "infra/portico"];

fn configmap(data: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\ndata:\n{data}")
}

async fn with_cert(dir: &Dir, name: &str, host: &str) {
    let (crt, key) = self_signed(host, &[host]);
    dir.write(&format!("{name}.secret.yaml"), secret(name, &crt, &key));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_forwarded_headers_and_default_hsts() {
    let (_b, dir, portico) = tls_site(&[("site", "h2.test")], &[]).await;
    with_cert(&dir, "site-tls", "h2.test").await;
    let seen = curl(portico.https, "h2.test", "/x", &["--http2"]).await;
    assert_eq!(seen.http_version, "2", "{}", seen.verbose);
    assert!(seen.verbose.contains("ALPN: server accepted h2"), "{}", seen.verbose);
    let seen = curl(portico.https, "h2.test", "/x", &["--http1.1"]).await;
    assert_eq!(seen.http_version, "1.1");

    let (reply, _) = h2_get(portico.https, "h2.test", "/x?y=1").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.echo()["version"], "HTTP/1.1", "HTTP/1.1 upstream");
    assert_eq!(reply.echo()["uri"], "/x?y=1");
    // ingress-nginx sends 443 for its HTTPS listener whatever port it is bound to.
    let https_port = "443".to_string();
    for reply in [reply, https_get(portico.https, "h2.test", "/").await] {
        assert_eq!(reply.echo_header("x-forwarded-proto").as_deref(), Some("https"));
        assert_eq!(reply.echo_header("x-forwarded-port"), Some(https_port.clone()));
        assert_eq!(reply.echo_header("x-forwarded-scheme").as_deref(), Some("https"));
        let sts = reply.header("strict-transport-security");
        assert_eq!(sts, Some("max-age=31536000; includeSubDomains"), "§3.3 defaults");
    }
    // Plain HTTP never carries HSTS (the request below is redirected, §1.4).
    let plain = get(portico.http, "h2.test", "/").await.unwrap();
    assert_eq!(plain.status, 308);
    assert_eq!(plain.header("strict-transport-security"), None);
    // Unknown hosts over TLS get HSTS too (fake certificate; see docs/compatibility.md).
    let unknown = https_get(portico.https, "unknown.test", "/").await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.header("strict-transport-security").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_settings_and_upstream_header_replaced() {
    let upstream = raw_backend().await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "raw", &[upstream]));
    dir.write(
        "ing.yaml",
        ingress("raw").tls("raw.test").path(Some("raw.test"), "/", "Prefix", "raw"),
    );
    with_cert(&dir, "raw-tls", "raw.test").await;
    let settings =
        "  hsts-max-age: \"100\"\n  hsts-include-subdomains: \"false\"\n  hsts-preload: \"true\"\n";
    dir.write("cm.yaml", configmap(settings));
    let portico = Portico::start(dir.path(), &CONFIGMAP).await;
    let reply = https_get(portico.https, "raw.test", "/").await;
    assert_eq!(reply.status, 200);
    let all: Vec<_> = reply.headers.get_all("strict-transport-security").iter().collect();
    assert_eq!(all, ["max-age=100; preload"], "upstream's max-age=5 replaced");

    dir.write("cm.yaml", configmap("  hsts: \"false\"\n"));
    let https = portico.https;
    portico_e2e::eventually("hsts off: the upstream header passes", || async move {
        let reply = https_get(https, "raw.test", "/").await;
        reply.header("strict-transport-security") == Some("max-age=5")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_style_trailers_survive_h2_to_http1() {
    let upstream = raw_backend().await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "raw", &[upstream]));
    dir.write(
        "ing.yaml",
        ingress("raw").tls("raw.test").path(Some("raw.test"), "/", "Prefix", "raw"),
    );
    with_cert(&dir, "raw-tls", "raw.test").await;
    let portico = Portico::start(dir.path(), &[]).await;
    let (reply, trailers) = h2_get(portico.https, "raw.test", "/pkg.Service/Method").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/grpc"));
    assert_eq!(&reply.body[..], b"hello");
    let trailers = trailers.expect("trailers forwarded to the HTTP/2 client");
    assert_eq!(trailers.get("grpc-status").map(|v| v.as_bytes()), Some(&b"0"[..]));
    assert_eq!(trailers.get("grpc-message").map(|v| v.as_bytes()), Some(&b"ok"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssl_redirect_round_trip_including_a_missing_secret() {
    let (_b, dir, portico) =
        tls_site(&[("site", "secure.test"), ("nosecret", "quirk.test")], &[]).await;
    with_cert(&dir, "site-tls", "secure.test").await;
    for host in ["secure.test", "quirk.test"] {
        let redirect = get(portico.http, host, "/path/?q=1").await.unwrap();
        assert_eq!(redirect.status, 308, "{host}");
        let location = redirect.header("location").unwrap().to_string();
        assert_eq!(location, format!("https://{host}/path/?q=1"));
        let path = location.trim_start_matches(&format!("https://{host}"));
        let reply = https_get(portico.https, host, path).await;
        assert_eq!(reply.status, 200, "{host}");
        assert_eq!(reply.echo()["uri"], "/path/?q=1");
        assert_eq!(reply.echo_header("x-forwarded-proto").as_deref(), Some("https"));
    }
    // A host without spec.tls is not redirected.
    dir.write("plain.yaml", ingress("plain").path(Some("plain.test"), "/", "Prefix", "app"));
    let http = portico.http;
    portico_e2e::eventually("plain.test served over HTTP", || async move {
        get(http, "plain.test", "/").await.is_ok_and(|r| r.status == 200)
    })
    .await;
}

/// An HTTP/1.1 backend answering every request with a chunked body, gRPC-style trailers and
/// its own `Strict-Transport-Security`.
async fn raw_backend() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = stream.read(&mut chunk).await else { return };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        buf.drain(..end + 4);
                        let response = "HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\n\
                            strict-transport-security: max-age=5\r\n\
                            trailer: grpc-status, grpc-message\r\n\
                            transfer-encoding: chunked\r\n\r\n\
                            5\r\nhello\r\n0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n";
                        if stream.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    addr
}
