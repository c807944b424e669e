//! `configuration-snippet` / `server-snippet`: ignored unless the ConfigMap sets
//! `allow-snippet-annotations`; then their safe subset (header directives, `allow`/`deny`,
//! `return`) works and a directive restricting access that Portico cannot honour fails closed.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;
use std::time::Duration;

use portico_e2e::{eventually, ingress, service, Backends, Dir, Portico};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpSocket;

/// `GET /` on `host` from source address `from`: the whole raw answer.
async fn get_from(from: &str, to: SocketAddr, host: &str) -> String {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(to).await.unwrap();
    let req =
        format!("GET /x?y=1 HTTP/1.1\r\nHost: {host}\r\nX-Team: blue\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut out))
        .await
        .unwrap()
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

fn status(reply: &str) -> u16 {
    reply.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn configmap(allow: bool) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\n\
         data:\n  allow-snippet-annotations: \"{allow}\"\n"
    )
}

async fn start(snippets: &[(&str, &str)]) -> (Backends, Dir, Portico) {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    for (host, snippet) in snippets {
        let ing = ingress(host.split('.').next().unwrap())
            .annotation("configuration-snippet", snippet)
            .path(Some(host), "/", "Prefix", "web");
        dir.write(&format!("{host}.yaml"), ing);
    }
    dir.write("cm.yaml", configmap(true));
    let portico = Portico::start(dir.path(), &["--configmap", "infra/portico"]).await;
    (web, dir, portico)
}

#[tokio::test]
async fn the_safe_subset_works_through_the_real_binary() {
    let headers = "more_set_headers \"X-Frame-Options: DENY\";\nadd_header X-Always yes always;\n\
                   more_clear_headers X-Echo-Server;\nproxy_set_header X-Original-Host $host;\n\
                   proxy_set_header X-Team-Copy $http_x_team;";
    let (_w, dir, portico) = start(&[
        ("headers.test", headers),
        ("acl.test", "allow 127.0.0.2;\ndeny all;"),
        ("moved.test", "return 301 https://elsewhere.example/;"),
        ("teapot.test", "return 418 \"short and stout\";"),
        ("auth.test", "auth_request /check;"),
    ])
    .await;
    let to = portico.http;
    let reply = get_from("127.0.0.2", to, "headers.test").await;
    assert_eq!(status(&reply), 200, "{reply}");
    let lower = reply.to_ascii_lowercase();
    assert!(lower.contains("x-frame-options: deny"), "{reply}");
    assert!(lower.contains("x-always: yes"), "{reply}");
    assert!(!lower.contains("x-echo-server"), "cleared: {reply}");
    assert!(reply.contains(r#""x-original-host":["headers.test"]"#), "{reply}");
    assert!(reply.contains(r#""x-team-copy":["blue"]"#), "{reply}");

    assert_eq!(status(&get_from("127.0.0.2", to, "acl.test").await), 200);
    assert_eq!(status(&get_from("127.0.0.3", to, "acl.test").await), 403, "first match: deny all");

    let moved = get_from("127.0.0.2", to, "moved.test").await;
    assert_eq!(status(&moved), 301, "{moved}");
    assert!(moved.to_ascii_lowercase().contains("location: https://elsewhere.example/"), "{moved}");
    let teapot = get_from("127.0.0.2", to, "teapot.test").await;
    assert_eq!(status(&teapot), 418);
    assert!(teapot.ends_with("short and stout"), "{teapot}");

    assert_eq!(status(&get_from("127.0.0.2", to, "auth.test").await), 503, "fails closed");
    let check = portico.check();
    assert!(
        check.lines().any(|l| l.starts_with("error:") && l.contains("auth_request")),
        "{check}"
    );

    // Without allow-snippet-annotations the snippets are ignored, as ingress-nginx ≥ 1.9.
    dir.write("cm.yaml", configmap(false));
    eventually("snippets ignored", || async move {
        status(&get_from("127.0.0.3", to, "acl.test").await) == 200
    })
    .await;
    assert_eq!(status(&get_from("127.0.0.2", to, "moved.test").await), 200);
}
