//! `proxy-request-buffering`, `client-body-buffer-size` and `proxy-http-version` (annotations
//! and ConfigMap; ingress-nginx `annotations/proxy/main.go`, template `proxy_request_buffering`)
//! through the real binary with curl: buffered by default, so a chunked upload reaches the
//! backend with a Content-Length (memory and temporary-file sizes alike, intact), streamed
//! chunked with `off`; `proxy-body-size` still answers 413 both ways; HTTP/1.0 upstream.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;

use portico_e2e::{get, start_site, Portico};

/// curl uploading `file` to `host`/`path` of `portico` (chunked when asked), its JSON answer
/// (the echo backend's view) and status.
async fn upload(
    portico: &Portico,
    host: &str,
    file: &Path,
    chunked: bool,
) -> (u16, serde_json::Value) {
    let port = portico.http.port();
    let resolve = format!("{host}:{port}:127.0.0.1");
    let url = format!("http://{host}:{port}/upload");
    let data = format!("@{}", file.display());
    let out = tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new("curl");
        cmd.args(["-sS", "--resolve", &resolve, "-w", "\n%{http_code}", "--data-binary", &data]);
        if chunked {
            cmd.args(["-H", "Transfer-Encoding: chunked"]);
        }
        cmd.arg(&url).output().expect("curl")
    })
    .await
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    let status = status.trim().parse().unwrap_or(0);
    (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
}

fn header(echo: &serde_json::Value, name: &str) -> Option<String> {
    echo["headers"][name][0].as_str().map(str::to_string)
}

/// `len` known bytes in a file under `dir`, with their echo checksum.
fn data_file(dir: &Path, len: usize) -> (std::path::PathBuf, u64) {
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let path = dir.join(format!("upload-{len}.bin.data"));
    std::fs::write(&path, &data).unwrap();
    (path, portico_echo::checksum(&data))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_uploads_reach_the_backend_with_a_content_length_by_default() {
    let none: &[(&str, &str)] = &[];
    let (_web, dir, portico) = start_site(&[("on.test", none)], None).await;
    // 4k stays in memory (client-body-buffer-size 8k), 300k goes to a temporary file.
    for len in [4 * 1024, 300 * 1024] {
        let (file, checksum) = data_file(dir.path(), len);
        let (status, echo) = upload(&portico, "on.test", &file, true).await;
        assert_eq!(status, 200, "{len}: {echo}\n{}", portico.log_text());
        assert_eq!(header(&echo, "content-length"), Some(len.to_string()), "{len}: {echo}");
        assert_eq!(header(&echo, "transfer-encoding"), None, "{len}: {echo}");
        assert_eq!(echo["body_bytes"], len, "{len}");
        assert_eq!(echo["body_checksum"], checksum, "{len}");
    }
    let reply = get(portico.http, "on.test", "/plain").await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.echo_header("content-length"), None, "a GET stays bodiless");
    assert_eq!(reply.echo_header("transfer-encoding"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn off_streams_the_body_chunked() {
    let off = [("proxy-request-buffering", "off")];
    let small = [("proxy-request-buffering", "on"), ("client-body-buffer-size", "1k")];
    let (_web, dir, portico) =
        start_site(&[("off.test", &off[..]), ("small.test", &small[..])], None).await;
    let (file, checksum) = data_file(dir.path(), 64 * 1024);
    let (status, echo) = upload(&portico, "off.test", &file, true).await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(header(&echo, "transfer-encoding").as_deref(), Some("chunked"), "{echo}");
    assert_eq!(header(&echo, "content-length"), None, "{echo}");
    assert_eq!(echo["body_checksum"], checksum);
    let (status, echo) = upload(&portico, "small.test", &file, true).await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(header(&echo, "content-length").as_deref(), Some("65536"), "{echo}");
    assert_eq!(echo["body_checksum"], checksum);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configmap_turns_buffering_off_and_the_annotation_back_on() {
    let on = [("proxy-request-buffering", "on")];
    let none: &[(&str, &str)] = &[];
    let cm = "  proxy-request-buffering: \"off\"\n";
    let (_web, dir, portico) =
        start_site(&[("dflt.test", none), ("on.test", &on[..])], Some(cm)).await;
    let (file, _) = data_file(dir.path(), 10 * 1024);
    let (_, echo) = upload(&portico, "dflt.test", &file, true).await;
    assert_eq!(header(&echo, "transfer-encoding").as_deref(), Some("chunked"), "{echo}");
    let (_, echo) = upload(&portico, "on.test", &file, true).await;
    assert_eq!(header(&echo, "content-length").as_deref(), Some("10240"), "{echo}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_body_over_proxy_body_size_is_413_both_ways() {
    let on = [("proxy-body-size", "100k")];
    let off = [("proxy-body-size", "100k"), ("proxy-request-buffering", "off")];
    let (_web, dir, portico) =
        start_site(&[("on.test", &on[..]), ("off.test", &off[..])], None).await;
    let (file, _) = data_file(dir.path(), 300 * 1024);
    for host in ["on.test", "off.test"] {
        let (status, _) = upload(&portico, host, &file, true).await;
        assert_eq!(status, 413, "{host}");
    }
    let (file, _) = data_file(dir.path(), 100 * 1024);
    let (status, _) = upload(&portico, "on.test", &file, true).await;
    assert_eq!(status, 200, "exactly the limit passes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_1_0_upstream_gets_a_content_length() {
    let v10 = [("proxy-http-version", "1.0"), ("proxy-request-buffering", "off")];
    let (_web, dir, portico) = start_site(&[("v10.test", &v10)], None).await;
    let (file, checksum) = data_file(dir.path(), 20 * 1024);
    let (status, echo) = upload(&portico, "v10.test", &file, true).await;
    assert_eq!(status, 200, "{echo}");
    assert_eq!(echo["version"], "HTTP/1.0", "{echo}");
    assert_eq!(header(&echo, "content-length").as_deref(), Some("20480"), "always buffered");
    assert_eq!(echo["body_checksum"], checksum);
    let reply = get(portico.http, "v10.test", "/again").await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.echo()["version"], "HTTP/1.0");
}

#[tokio::test]
async fn a_stalled_body_is_408_buffered_or_streamed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let off = [("proxy-request-buffering", "off")];
    let none: &[(&str, &str)] = &[];
    let cm = "  client-body-timeout: \"1\"\n";
    let (_web, _dir, portico) =
        start_site(&[("on.test", none), ("off.test", &off[..])], Some(cm)).await;
    for host in ["on.test", "off.test"] {
        let mut conn = tokio::net::TcpStream::connect(portico.http).await.unwrap();
        let head = format!("POST / HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\n\r\nab");
        conn.write_all(head.as_bytes()).await.unwrap();
        let mut reply = Vec::new();
        let read = tokio::time::timeout(portico_e2e::patience(), conn.read_to_end(&mut reply));
        assert!(read.await.is_ok(), "{host}: answered and closed");
        let reply = String::from_utf8_lossy(&reply);
        assert!(reply.starts_with("HTTP/1.1 408"), "{host}: {reply}");
    }
}

/// A backend that reads each request head and hangs up without answering (after the request
/// was sent, as a crashing pod would), counting the connections.
async fn hanging_up() -> (std::net::SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
        }
    });
    (addr, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buffered_body_is_resent_to_the_next_endpoint_after_a_failure() {
    use portico_e2e::{ingress, service, Backends, Dir};
    let live = Backends::start("live", 1).await;
    let (dead, seen) = hanging_up().await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "mixed", &[dead, live.addr(0)]));
    let host = |name: &str, ing: portico_e2e::Ingress| {
        dir.write(
            &format!("{name}.yaml"),
            ing.path(Some(&format!("{name}.test")), "/", "Prefix", "mixed"),
        )
    };
    host("on", ingress("on"));
    host("off", ingress("off").annotation("proxy-request-buffering", "off"));
    host("post", ingress("post").annotation("proxy-next-upstream", "error timeout non_idempotent"));
    let portico = Portico::start(dir.path(), &[]).await;
    let (file, checksum) = data_file(dir.path(), 20 * 1024);
    let put = |host: &'static str| {
        let (port, file) = (portico.http.port(), file.clone());
        tokio::task::spawn_blocking(move || {
            let out = std::process::Command::new("curl")
                .args(["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT"])
                .args(["--resolve", &format!("{host}:{port}:127.0.0.1"), "-T"])
                .arg(&file)
                .arg(format!("http://{host}:{port}/put"))
                .output()
                .expect("curl");
            String::from_utf8_lossy(&out.stdout).to_string()
        })
    };
    for _ in 0..4 {
        assert_eq!(put("on.test").await.unwrap(), "200", "PUT resent to the live endpoint");
    }
    assert!(seen.load(std::sync::atomic::Ordering::SeqCst) > 0, "the dead one was tried");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(put("off.test").await.unwrap());
    }
    assert!(statuses.iter().any(|s| s == "502"), "a streamed body is not resent: {statuses:?}");
    // POST is resent only with non_idempotent.
    let mut statuses = Vec::new();
    for host in ["on.test", "post.test"] {
        for _ in 0..4 {
            let (status, echo) = upload(&portico, host, &file, true).await;
            statuses.push((host, status));
            if status == 200 {
                assert_eq!(echo["body_checksum"], checksum);
            }
        }
    }
    assert!(statuses.iter().any(|(h, s)| *h == "on.test" && *s == 502), "{statuses:?}");
    assert!(statuses.iter().all(|(h, s)| *h != "post.test" || *s == 200), "{statuses:?}");
}

#[tokio::test]
async fn accepted_knobs_are_not_called_unsupported_and_bad_values_are_named() {
    let knobs = [
        ("proxy-buffering", "on"),
        ("proxy-buffers-number", "8"),
        ("proxy-busy-buffers-size", "16k"),
        ("proxy-max-temp-file-size", "0"),
        ("client-body-buffer-size", "64k"),
    ];
    let bad = [("proxy-request-buffering", "yes")];
    let cm = "  proxy-buffering: \"on\"\n  proxy-max-temp-file-size: \"2048m\"\n  \
              client-body-buffer-size: \"16k\"\n";
    let (_web, _dir, portico) =
        start_site(&[("knobs.test", &knobs[..]), ("bad.test", &bad[..])], Some(cm)).await;
    assert_eq!(get(portico.http, "knobs.test", "/").await.unwrap().status, 200);
    let check = portico.check();
    assert!(!check.contains("not supported"), "{check}");
    // The table and diagnostics never name them; the migration summary lists the no-effect
    // ones apart, as accepted without effect.
    let (diagnostics, summary) = check.split_once("\nmigration summary:").unwrap_or((&check, ""));
    for (name, _) in knobs {
        assert!(!diagnostics.contains(name), "{name}: {check}");
    }
    let accepted = "accepted without effect (same answers as ingress-nginx):\n    \
                    nginx.ingress.kubernetes.io/proxy-buffering: default/knobs";
    assert!(summary.contains(accepted), "{summary}");
    let line = check.lines().find(|l| l.contains("proxy-request-buffering")).unwrap_or_default();
    assert!(line.contains("bad") && line.contains("\"yes\""), "object, key and value: {check}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_upload_is_buffered_too() {
    let none: &[(&str, &str)] = &[];
    let off = [("proxy-request-buffering", "off")];
    let (_web, dir, portico) =
        start_site(&[("h2.test", none), ("h2off.test", &off[..])], None).await;
    let (file, checksum) = data_file(dir.path(), 300 * 1024);
    let port = portico.https.port();
    let upload_h2 = |host: &'static str| {
        let file = file.clone();
        tokio::task::spawn_blocking(move || {
            // `-T -`: a body of unknown length from stdin, so HTTP/2 carries no content-length.
            let out = std::process::Command::new("curl")
                .args(["-sSk", "--http2", "--resolve", &format!("{host}:{port}:127.0.0.1")])
                .args(["-w", "\n%{http_version}", "-T", "-"])
                .arg(format!("https://{host}:{port}/h2"))
                .stdin(std::fs::File::open(&file).unwrap())
                .output()
                .expect("curl");
            String::from_utf8_lossy(&out.stdout).to_string()
        })
    };
    let text = upload_h2("h2.test").await.unwrap();
    let (body, version) = text.rsplit_once('\n').unwrap();
    assert_eq!(version, "2", "{text}");
    let echo: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(header(&echo, "content-length").as_deref(), Some("307200"), "{echo}");
    assert_eq!(echo["body_checksum"], checksum);
    let text = upload_h2("h2off.test").await.unwrap();
    let echo: serde_json::Value = serde_json::from_str(text.rsplit_once('\n').unwrap().0).unwrap();
    assert_eq!(header(&echo, "transfer-encoding").as_deref(), Some("chunked"), "{echo}");
}
