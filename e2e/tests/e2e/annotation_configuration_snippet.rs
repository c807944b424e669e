//! `configuration-snippet` / `server-snippet`: ignored unless the ConfigMap sets
//! `allow-snippet-annotations`; then their safe subset (header directives, `allow`/`deny`,
//! `return`) works and a directive restricting access that Portico cannot honour fails closed.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;

use portico_e2e::{eventually, get_from, ingress, raw_status, service, Backends, Dir, Portico};

/// `GET /x?y=1` on `host` from source address `from`, with `X-Team: blue`: the raw answer.
async fn get(from: &str, to: SocketAddr, host: &str) -> String {
    get_from(from, to, host, "/x?y=1", "X-Team: blue\r\n").await
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
    let reply = get("127.0.0.2", to, "headers.test").await;
    assert_eq!(raw_status(&reply), 200, "{reply}");
    let lower = reply.to_ascii_lowercase();
    assert!(lower.contains("x-frame-options: deny"), "{reply}");
    assert!(lower.contains("x-always: yes"), "{reply}");
    assert!(!lower.contains("x-echo-server"), "cleared: {reply}");
    assert!(reply.contains(r#""x-original-host":["headers.test"]"#), "{reply}");
    assert!(reply.contains(r#""x-team-copy":["blue"]"#), "{reply}");

    assert_eq!(raw_status(&get("127.0.0.2", to, "acl.test").await), 200);
    assert_eq!(raw_status(&get("127.0.0.3", to, "acl.test").await), 403, "first match: deny all");

    let moved = get("127.0.0.2", to, "moved.test").await;
    assert_eq!(raw_status(&moved), 301, "{moved}");
    assert!(moved.to_ascii_lowercase().contains("location: https://elsewhere.example/"), "{moved}");
    let teapot = get("127.0.0.2", to, "teapot.test").await;
    assert_eq!(raw_status(&teapot), 418);
    assert!(teapot.ends_with("short and stout"), "{teapot}");

    assert_eq!(raw_status(&get("127.0.0.2", to, "auth.test").await), 503, "fails closed");
    let check = portico.check();
    assert!(
        check.lines().any(|l| l.starts_with("error:") && l.contains("auth_request")),
        "{check}"
    );

    // Without allow-snippet-annotations the snippets are ignored, as ingress-nginx ≥ 1.9.
    dir.write("cm.yaml", configmap(false));
    eventually("snippets ignored", || async move {
        raw_status(&get("127.0.0.3", to, "acl.test").await) == 200
    })
    .await;
    assert_eq!(raw_status(&get("127.0.0.2", to, "moved.test").await), 200);
}
