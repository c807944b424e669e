//! Bodies stream both ways: 10 MiB uploads and downloads, and the proxy-body-size limit (413).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use portico_e2e::{get, ingress, request, service, Backends, Dir, Portico};

async fn setup() -> (Backends, Dir, Portico) {
    let backends = Backends::start("body", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "body", &backends.addrs()));
    dir.write(
        "big.yaml",
        ingress("big").annotation("proxy-body-size", "20m").path(
            Some("big.test"),
            "/",
            "Prefix",
            "body",
        ),
    );
    dir.write("small.yaml", ingress("small").path(Some("small.test"), "/", "Prefix", "body"));
    dir.write(
        "unlimited.yaml",
        ingress("unlimited").annotation("proxy-body-size", "0").path(
            Some("unlimited.test"),
            "/",
            "Prefix",
            "body",
        ),
    );
    let portico = Portico::start(dir.path(), &[]).await;
    (backends, dir, portico)
}

fn upload(host: &str, data: Vec<u8>) -> Request<Full<Bytes>> {
    Request::post("/upload").header("host", host).body(Full::new(Bytes::from(data))).unwrap()
}

#[tokio::test]
async fn ten_mib_upload_and_download_pass_through() {
    let (_b, _d, portico) = setup().await;
    let data: Vec<u8> = (0..10 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let checksum = portico_echo::checksum(&data);
    let reply = request(portico.http, upload("big.test", data)).await.unwrap();
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.echo()["body_bytes"], 10 * 1024 * 1024);
    assert_eq!(reply.echo()["body_checksum"], checksum);

    let n = 10 * 1024 * 1024;
    let reply = get(portico.http, "big.test", &format!("/download?echo.bytes={n}")).await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.len(), n);
}

// curl blocks its thread: the echo backends need another one to keep answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_upload_and_download() {
    let (_b, dir, portico) = setup().await;
    let file = dir.path().join("upload.bin.data");
    std::fs::write(&file, vec![7u8; 3 * 1024 * 1024]).unwrap();
    let url = format!("http://big.test:{}/curl", portico.http.port());
    let resolve = format!("big.test:{}:127.0.0.1", portico.http.port());
    let out = std::process::Command::new("curl")
        .args(["-sS", "--resolve", &resolve, "--data-binary"])
        .arg(format!("@{}", file.display()))
        .arg(&url)
        .output()
        .expect("curl");
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).expect("echo json");
    assert_eq!(body["body_bytes"], 3 * 1024 * 1024);
    let out = std::process::Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{size_download}",
            "--resolve",
            &resolve,
        ])
        .arg(format!("{url}?echo.bytes=10485760"))
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200 10485760");
}

#[tokio::test]
async fn body_over_the_limit_is_413_before_the_upstream() {
    let (_b, _d, portico) = setup().await;
    let reply =
        request(portico.http, upload("small.test", vec![1; 1024 * 1024 + 1])).await.unwrap();
    assert_eq!(reply.status, 413, "default proxy-body-size is 1m");
    let reply = request(portico.http, upload("small.test", vec![1; 1024 * 1024])).await.unwrap();
    assert_eq!(reply.status, 200, "exactly 1m is allowed");
    let reply =
        request(portico.http, upload("unlimited.test", vec![1; 3 * 1024 * 1024])).await.unwrap();
    assert_eq!(reply.status, 200, "0 = unlimited");
}
