//! `ssl-ciphers` and `ssl-prefer-server-ciphers` (ingress-nginx `annotations/sslciphers.go`:
//! server-level `ssl_ciphers` / `ssl_prefer_server_ciphers`) through the real binary, probed
//! with `openssl s_client` restricted to named suites: each host's handshakes use its own
//! TLS 1.2 suites and order rule, chosen by SNI; the oldest Ingress of a host decides.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;

use portico_e2e::{ingress, service, start_site, Backends, Dir, Portico};
use tokio::process::Command;

const CHACHA: &str = "ECDHE-ECDSA-CHACHA20-POLY1305";
const AES128: &str = "ECDHE-ECDSA-AES128-GCM-SHA256";

/// A TLS 1.2 handshake with `host` as SNI offering `ciphers` (OpenSSL names, in preference
/// order): the suite chosen, or `None` when the handshake failed.
async fn suite(addr: SocketAddr, host: &str, ciphers: &str) -> Option<String> {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string(), "-servername", host, "-tls1_2"])
        .args(["-cipher", ciphers])
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("openssl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let line = text.lines().find(|l| l.starts_with("New, TLSv1"))?;
    let cipher = line.rsplit_once("Cipher is ")?.1.trim().to_string();
    (cipher != "(NONE)").then_some(cipher)
}

#[tokio::test]
async fn each_host_offers_its_own_suites() {
    let (_web, _dir, portico) = start_site(
        &[
            ("chacha.test", &[("ssl-ciphers", CHACHA)][..]),
            ("plain.test", &[][..]),
            ("bad.test", &[("ssl-ciphers", "ALL:SOMETHING:;locationXPTO")][..]),
        ],
        None,
    )
    .await;
    let https = portico.https;
    assert_eq!(suite(https, "chacha.test", CHACHA).await.as_deref(), Some(CHACHA));
    assert_eq!(suite(https, "chacha.test", AES128).await, None, "refused by chacha.test");
    assert_eq!(suite(https, "plain.test", AES128).await.as_deref(), Some(AES128), "accepted");
    assert_eq!(suite(https, "unknown.test", AES128).await.as_deref(), Some(AES128));
    let check = portico.check();
    assert!(check.contains("ssl-ciphers") && check.contains("not loaded"), "{check}");
}

#[tokio::test]
async fn prefer_server_ciphers_chooses_whose_order_wins() {
    let list = format!("{AES128}:{CHACHA}");
    let (_web, _dir, portico) = start_site(
        &[
            (
                "server.test",
                vec![("ssl-ciphers", list.as_str()), ("ssl-prefer-server-ciphers", "true")],
            ),
            (
                "client.test",
                vec![("ssl-ciphers", list.as_str()), ("ssl-prefer-server-ciphers", "false")],
            ),
        ],
        None,
    )
    .await;
    let offered = format!("{CHACHA}:{AES128}");
    let https = portico.https;
    assert_eq!(suite(https, "server.test", &offered).await.as_deref(), Some(AES128), "ours");
    assert_eq!(suite(https, "client.test", &offered).await.as_deref(), Some(CHACHA), "theirs");
}

#[tokio::test]
async fn the_oldest_ingress_of_the_host_decides() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    let site = |name: &str, created: &str, ciphers: &str| {
        ingress(name).created(created).annotation("ssl-ciphers", ciphers).path(
            Some("shared.test"),
            &format!("/{name}"),
            "Prefix",
            "web",
        )
    };
    dir.write("old.yaml", site("old", "2024-01-01T00:00:00Z", CHACHA));
    dir.write("new.yaml", site("new", "2025-01-01T00:00:00Z", AES128));
    let portico = Portico::start(dir.path(), &[]).await;
    assert_eq!(suite(portico.https, "shared.test", CHACHA).await.as_deref(), Some(CHACHA));
    assert_eq!(suite(portico.https, "shared.test", AES128).await, None);
    let check = portico.check();
    assert!(check.contains("ssl-ciphers ignored for host shared.test"), "{check}");
}
