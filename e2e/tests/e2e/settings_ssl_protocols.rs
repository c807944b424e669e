//! ConfigMap `ssl-protocols`, `ssl-ciphers`, `use-http2` and `http2-max-concurrent-streams`
//! (ingress-nginx template `ssl_protocols`, `ssl_ciphers`, `http2 on`,
//! `http2_max_concurrent_streams`) through the real binary, probed with `openssl s_client` and
//! `curl`: the versions and TLS 1.2 suites offered, ALPN and h2c, the streams announced.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;

use portico_e2e::{start_site, Portico};
use tokio::process::Command;

/// `openssl s_client` to `addr` with `args`: whether the handshake succeeded, and its report
/// (`New, TLSv1.2, Cipher is ...`, `ALPN protocol: ...`).
async fn s_client(addr: SocketAddr, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string(), "-servername", "site.test"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("openssl");
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let connected = text.contains("New, TLSv1");
    (connected, text)
}

/// `curl -v` with `args` to `url` (the site's host resolved to loopback): its verbose log.
async fn curl_verbose(portico: &Portico, url: &str, args: &[&str]) -> String {
    let resolve = |port: u16| format!("site.test:{port}:127.0.0.1");
    let out = Command::new("curl")
        .args(["-sk", "-v", "-o", "/dev/null", "--max-time", "10"])
        .args(["--resolve", &resolve(portico.http.port())])
        .args(["--resolve", &resolve(portico.https.port())])
        .args(args)
        .arg(url)
        .output()
        .await
        .expect("curl");
    String::from_utf8_lossy(&out.stderr).to_string()
}

async fn site(configmap: &str) -> (portico_e2e::Backends, portico_e2e::Dir, Portico) {
    let none: &[(&str, &str)] = &[];
    start_site(&[("site.test", none)], Some(configmap)).await
}

#[tokio::test]
async fn defaults_offer_tls_1_2_and_1_3_with_ecdhe_suites_and_h2() {
    let (_web, _dir, portico) = site("").await;
    let (ok, text) = s_client(portico.https, &["-tls1_3"]).await;
    assert!(ok && text.contains("New, TLSv1.3"), "{text}");
    let (ok, text) = s_client(portico.https, &["-tls1_2"]).await;
    assert!(ok && text.contains("Cipher is ECDHE-ECDSA-"), "the fake certificate is ECDSA: {text}");
    let (ok, text) = s_client(portico.https, &["-tls1_1"]).await;
    assert!(!ok, "TLS 1.1 is never offered: {text}");
    let (_, text) = s_client(portico.https, &["-alpn", "h2,http/1.1"]).await;
    assert!(text.contains("ALPN protocol: h2"), "{text}");
    let settings = h2c_settings(portico.http).await;
    assert_eq!(settings.get(&MAX_CONCURRENT_STREAMS), Some(&128), "ingress-nginx's default");
}

#[tokio::test]
async fn ssl_protocols_limit_the_versions() {
    let (_web, _dir, portico) = site("  ssl-protocols: \"TLSv1.3\"\n").await;
    let (ok, text) = s_client(portico.https, &["-tls1_2"]).await;
    assert!(!ok, "TLS 1.2 refused: {text}");
    let (ok, text) = s_client(portico.https, &["-tls1_3"]).await;
    assert!(ok, "{text}");

    let (_web, _dir, portico) = site("  ssl-protocols: \"TLSv1.1 TLSv1.2\"\n").await;
    let (ok, text) = s_client(portico.https, &["-tls1_3"]).await;
    assert!(!ok, "TLS 1.3 refused: {text}");
    let (ok, text) = s_client(portico.https, &["-tls1_2"]).await;
    assert!(ok, "{text}");
    let check = portico.check();
    assert!(check.contains("ssl-protocols") && check.contains("TLSv1.1"), "warned: {check}");
}

#[tokio::test]
async fn ssl_ciphers_choose_the_tls_1_2_suites() {
    let cm = "  ssl-ciphers: \"ECDHE-ECDSA-CHACHA20-POLY1305:AES128-SHA\"\n";
    let (_web, _dir, portico) = site(cm).await;
    let (ok, text) = s_client(portico.https, &["-tls1_2"]).await;
    assert!(ok && text.contains("Cipher is ECDHE-ECDSA-CHACHA20-POLY1305"), "{text}");
    let (ok, text) =
        s_client(portico.https, &["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]).await;
    assert!(!ok, "an unlisted suite is refused: {text}");
    let (ok, text) = s_client(portico.https, &["-tls1_3"]).await;
    assert!(ok, "TLS 1.3 suites are not ssl-ciphers': {text}");
    let check = portico.check();
    assert!(check.contains("AES128-SHA"), "the unknown name is reported: {check}");
}

#[tokio::test]
async fn use_http2_false_offers_http_1_1_only() {
    let cm = "  use-http2: \"false\"\n";
    let (_web, _dir, portico) = site(cm).await;
    let (ok, text) = s_client(portico.https, &["-alpn", "h2,http/1.1"]).await;
    assert!(ok && text.contains("ALPN protocol: http/1.1"), "{text}");
    let https = format!("https://site.test:{}/", portico.https.port());
    let log = curl_verbose(&portico, &https, &["--http2"]).await;
    assert!(log.contains("HTTP/1.1 200"), "{log}");
    assert!(h2c_settings(portico.http).await.is_empty(), "no h2c either");
}

#[tokio::test]
async fn http2_max_concurrent_streams_is_announced() {
    let cm = "  http2-max-concurrent-streams: \"7\"\n";
    let (_web, _dir, portico) = site(cm).await;
    let settings = h2c_settings(portico.http).await;
    assert_eq!(settings.get(&MAX_CONCURRENT_STREAMS), Some(&7), "{settings:?}");
}

const MAX_CONCURRENT_STREAMS: u16 = 3;

/// Opens h2c with prior knowledge on `addr` (preface and an empty SETTINGS frame) and returns
/// the server's first SETTINGS frame as id → value; empty when the server does not speak h2c.
async fn h2c_settings(addr: SocketAddr) -> std::collections::HashMap<u16, u32> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0").await.unwrap();
    let mut head = [0u8; 9];
    let read = tokio::time::timeout(portico_e2e::patience(), conn.read_exact(&mut head)).await;
    let mut settings = std::collections::HashMap::new();
    if !matches!(read, Ok(Ok(_))) || head[3] != 4 {
        return settings;
    }
    let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
    let mut payload = vec![0u8; len];
    conn.read_exact(&mut payload).await.unwrap();
    for entry in payload.chunks_exact(6) {
        let id = u16::from_be_bytes([entry[0], entry[1]]);
        settings.insert(id, u32::from_be_bytes([entry[2], entry[3], entry[4], entry[5]]));
    }
    settings
}

#[tokio::test]
async fn session_tickets_follow_the_configmap_and_early_data_stays_off() {
    let (_web, _dir, portico) = site("").await;
    let (ok, text) = s_client(portico.https, &["-tls1_2"]).await;
    assert!(ok && !text.contains("TLS session ticket:"), "tickets off by default: {text}");
    let cm = "  ssl-session-tickets: \"true\"\n  ssl-early-data: \"true\"\n";
    let (_web, _dir, portico) = site(cm).await;
    let (ok, text) = s_client(portico.https, &["-tls1_2"]).await;
    assert!(ok && text.contains("TLS session ticket:"), "{text}");
    let (_, text) = s_client(portico.https, &["-tls1_3"]).await;
    assert!(text.contains("Max Early Data: 0") || !text.contains("Max Early Data"), "{text}");
    let check = portico.check();
    assert!(check.contains("ssl-early-data") && check.contains("0-RTT"), "{check}");
}

/// `openssl s_client` sending one `Connection: close` request and reading to the end, so a
/// TLS 1.3 ticket (sent after the handshake) is received: its report.
async fn s_client_request(addr: SocketAddr, args: &[&str]) -> String {
    use tokio::io::AsyncWriteExt;
    let mut child = Command::new("openssl")
        .args(["s_client", "-ign_eof", "-connect", &addr.to_string()])
        .args(["-servername", "site.test"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    let request = b"GET / HTTP/1.1\r\nHost: site.test\r\nConnection: close\r\n\r\n";
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(request).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.expect("openssl");
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

/// The server-side session cache (`ssl-session-cache`, on by default): a TLS 1.2 session ID
/// and a TLS 1.3 stateful ticket both resume; with the cache off, neither does.
#[tokio::test]
async fn sessions_resume_from_the_server_cache_unless_it_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let resumes = |portico: SocketAddr, version: &'static str, n: usize| {
        let file = dir.path().join(format!("{version}-{n}.pem")).display().to_string();
        async move {
            let text = s_client_request(portico, &[version, "-sess_out", &file]).await;
            assert!(text.contains("New, TLSv1"), "first handshake: {text}");
            let text = s_client_request(portico, &[version, "-sess_in", &file]).await;
            text.contains("Reused, TLSv1")
        }
    };
    let (_web, _dir, portico) = site("").await;
    assert!(resumes(portico.https, "-tls1_2", 0).await, "TLS 1.2 session ID");
    assert!(resumes(portico.https, "-tls1_3", 0).await, "TLS 1.3 stateful ticket");
    let (_web, _dir, portico) = site("  ssl-session-cache: \"false\"\n").await;
    assert!(!resumes(portico.https, "-tls1_2", 1).await, "no cache: a full handshake");
    assert!(!resumes(portico.https, "-tls1_3", 1).await, "no cache, no tickets");
}
