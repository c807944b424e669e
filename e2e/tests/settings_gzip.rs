//! ConfigMap `use-gzip`, `gzip-level`, `gzip-min-length`, `gzip-types`, `enable-brotli`,
//! `brotli-*` (ingress-nginx template: `gzip_proxied any; gzip_vary on`) through the real
//! binary with curl decoding what it gets: listed types compressed by the client's
//! Accept-Encoding (brotli preferred), Vary added, nothing for HEAD, short, encoded or
//! unlisted responses, and nothing at all while off (the default).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::HashMap;

use portico_e2e::{start_site, Portico};

/// What curl saw: response headers (lowercase names, last value wins), the decoded body and
/// the bytes on the wire.
struct Seen {
    status: u16,
    headers: HashMap<String, Vec<String>>,
    body: Vec<u8>,
    wire: usize,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.last()).map(String::as_str)
    }
}

/// curl `target` on `host` with `args` (e.g. `--compressed`, `-H Accept-Encoding: gzip`),
/// decoding the body when `--compressed` is among them.
async fn curl(portico: &Portico, host: &str, target: &str, args: &[&str]) -> Seen {
    let port = portico.http.port();
    let resolve = format!("{host}:{port}:127.0.0.1");
    let url = format!("http://{host}:{port}{target}");
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let dir = tempfile::tempdir().unwrap();
    let (head, body) = (dir.path().join("head"), dir.path().join("body"));
    let (h, b) = (head.clone(), body.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args(["-sS", "--resolve", &resolve, "-w", "%{http_code} %{size_download}"])
            .arg("-D")
            .arg(&h)
            .arg("-o")
            .arg(&b)
            .args(&args)
            .arg(&url)
            .output()
            .expect("curl")
    })
    .await
    .unwrap();
    let written = String::from_utf8_lossy(&out.stdout).to_string();
    let (status, wire) = written.split_once(' ').unwrap_or(("0", "0"));
    let mut headers: HashMap<String, Vec<String>> = HashMap::new();
    for line in std::fs::read_to_string(&head).unwrap_or_default().lines().skip(1) {
        if let Some((name, value)) = line.split_once(':') {
            headers.entry(name.trim().to_lowercase()).or_default().push(value.trim().to_string());
        }
    }
    Seen {
        status: status.parse().unwrap_or(0),
        headers,
        body: std::fs::read(&body).unwrap_or_default(),
        wire: wire.trim().parse().unwrap_or(0),
    }
}

const GZIP_ONLY: &[&str] = &["--compressed", "-H", "Accept-Encoding: gzip"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn use_gzip_compresses_listed_types_for_clients_that_accept_it() {
    let none: &[(&str, &str)] = &[];
    let cm = "  use-gzip: \"true\"\n";
    let (_web, _dir, portico) = start_site(&[("gz.test", none)], Some(cm)).await;

    // The echo's JSON answer (application/json, a default gzip type).
    let seen = curl(&portico, "gz.test", "/json", GZIP_ONLY).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.header("content-encoding"), Some("gzip"), "{:?}", seen.headers);
    assert_eq!(seen.header("vary"), Some("Accept-Encoding"));
    assert_eq!(seen.header("content-length"), None);
    let echo: serde_json::Value = serde_json::from_slice(&seen.body).unwrap();
    assert_eq!(echo["path"], "/json", "decoded body is the backend's");

    // 200k of text/plain streams through gzip and decodes whole.
    let target = "/big?echo.bytes=204800&echo.type=text/plain";
    let seen = curl(&portico, "gz.test", target, GZIP_ONLY).await;
    assert_eq!(seen.header("content-encoding"), Some("gzip"));
    assert_eq!(seen.body.len(), 204_800);
    assert!(seen.body.iter().all(|b| *b == b'x'));
    assert!(seen.wire < 204_800 / 10, "compressed on the wire: {}", seen.wire);

    // Without Accept-Encoding: plain, but still Vary.
    let seen = curl(&portico, "gz.test", target, &[]).await;
    assert_eq!(seen.header("content-encoding"), None);
    assert_eq!(seen.header("vary"), Some("Accept-Encoding"));
    assert_eq!(seen.header("content-length"), Some("204800"));

    // Not compressed: HEAD, an unlisted type, shorter than gzip-min-length (256), a 206.
    let seen = curl(&portico, "gz.test", target, &["-I", "-H", "Accept-Encoding: gzip"]).await;
    assert_eq!(seen.header("content-encoding"), None, "HEAD");
    for target in [
        "/png?echo.bytes=5000&echo.type=image/png",
        "/short?echo.bytes=255&echo.type=text/plain",
        "/partial?echo.bytes=5000&echo.type=text/plain&echo.status=206",
    ] {
        let seen = curl(&portico, "gz.test", target, GZIP_ONLY).await;
        assert_eq!(seen.header("content-encoding"), None, "{target}");
        assert_eq!(seen.header("vary"), None, "{target}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn brotli_is_preferred_and_types_and_lengths_follow_the_configmap() {
    let none: &[(&str, &str)] = &[];
    let cm = "  use-gzip: \"true\"\n  enable-brotli: \"true\"\n  gzip-types: \"image/png\"\n  \
              gzip-min-length: \"10\"\n  gzip-level: \"9\"\n  brotli-level: \"6\"\n";
    let (_web, _dir, portico) = start_site(&[("br.test", none)], Some(cm)).await;
    let target = "/text?echo.bytes=50000&echo.type=text/plain";
    let seen = curl(&portico, "br.test", target, &["--compressed"]).await;
    assert_eq!(seen.header("content-encoding"), Some("br"), "{:?}", seen.headers);
    assert_eq!(seen.body.len(), 50_000);
    // text/plain is no gzip type any more: a gzip-only client gets it plain.
    let seen = curl(&portico, "br.test", target, GZIP_ONLY).await;
    assert_eq!(seen.header("content-encoding"), None);
    assert_eq!(seen.header("vary"), Some("Accept-Encoding"), "brotli could apply");
    let png = "/png?echo.bytes=100&echo.type=image/png";
    let seen = curl(&portico, "br.test", png, GZIP_ONLY).await;
    assert_eq!(seen.header("content-encoding"), Some("gzip"), "listed, above 10 bytes");
    assert_eq!(seen.body.len(), 100);
    // text/html always is a type of both.
    let html = "/page?echo.bytes=3000&echo.type=text/html;%20charset=utf-8";
    let seen = curl(&portico, "br.test", html, GZIP_ONLY).await;
    assert_eq!(seen.header("content-encoding"), Some("gzip"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_by_default() {
    let none: &[(&str, &str)] = &[];
    let (_web, _dir, portico) = start_site(&[("plain.test", none)], None).await;
    let seen = curl(&portico, "plain.test", "/json", &["--compressed"]).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.header("content-encoding"), None);
    assert_eq!(seen.header("vary"), None);
    assert!(seen.header("content-length").is_some());
}
