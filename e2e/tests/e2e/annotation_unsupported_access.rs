//! Unsupported access-restricting annotations fail closed (issue 9 §1): an Ingress carrying one
//! (`enable-modsecurity`, `global-rate-limit`, `auth-snippet`, ...) answers 503 on every path, as
//! ingress-nginx's "location denied", and `portico check` exits 1 naming it; other Ingresses,
//! on the same host too, are served, and unsupported annotations that do not restrict access
//! (or are switched off) stay warnings.
//!
//! Portico-only, so not a conformance [`portico_e2e::Case`]: ingress-nginx implements these
//! annotations (it answers 403 outside the range).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::process::Command;

use portico_e2e::{binary, eventually, get, ingress, service, Backends, Dir, Portico, Reply};

const PREFIX: &str = "nginx.ingress.kubernetes.io";

/// `portico check DIR`: the exit code and stdout + stderr.
fn check(dir: &Dir) -> (Option<i32>, String) {
    let out = Command::new(binary()).arg("check").arg(dir.path()).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

/// `GET path` on `host`, once Portico answers it with `status` (bounded wait).
async fn served(portico: &Portico, host: &str, path: &str, status: u16) -> Reply {
    let addr = portico.http;
    eventually(&format!("{host}{path} answers {status}"), || async move {
        get(addr, host, path).await.is_ok_and(|r| r.status == status)
    })
    .await;
    get(addr, host, path).await.unwrap()
}

/// Asserts an answer from the echo backend `web` for `path`.
#[track_caller]
fn assert_from_backend(reply: &Reply, path: &str, what: &str) {
    assert_eq!(reply.status, 200, "{what}: {}", reply.text());
    let echo = reply.echo();
    assert_eq!(
        (echo["server"].as_str(), echo["uri"].as_str()),
        (Some("web-0"), Some(path)),
        "{what}"
    );
}

#[tokio::test]
async fn a_restricting_annotation_denies_its_ingress_only_and_check_fails() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    dir.write(
        "restricted.yaml",
        ingress("restricted")
            .annotation("enable-modsecurity", "true")
            .path(Some("restricted.test"), "/", "Prefix", "web")
            .path(Some("restricted.test"), "/api", "Prefix", "web"),
    );
    dir.write(
        "open.yaml",
        ingress("open").path(Some("open.test"), "/", "Prefix", "web").path(
            Some("restricted.test"),
            "/public",
            "Prefix",
            "web",
        ),
    );
    let portico = Portico::start(dir.path(), &[]).await;

    let open = served(&portico, "open.test", "/", 200).await;
    assert_from_backend(&open, "/", "an Ingress without the annotation");
    let denied = served(&portico, "restricted.test", "/", 503).await;
    let echoed: Result<serde_json::Value, _> = serde_json::from_slice(&denied.body);
    assert!(echoed.is_err(), "Portico's 503 page, not the backend: {}", denied.text());
    for path in ["/api", "/api/x", "/?a=1", "/anything"] {
        let reply = get(portico.http, "restricted.test", path).await.unwrap();
        assert_eq!(reply.status, 503, "{path}: {}", reply.text());
    }
    let public = get(portico.http, "restricted.test", "/public").await.unwrap();
    assert_from_backend(&public, "/public", "another Ingress on the same host");

    let (code, report) = check(&dir);
    assert_eq!(code, Some(1), "portico check exits 1:\n{report}");
    let key = format!("{PREFIX}/enable-modsecurity");
    let line = report.lines().find(|l| l.starts_with("error:") && l.contains(&key));
    let line = line.unwrap_or_else(|| panic!("no error naming {key}:\n{report}"));
    assert!(line.contains("Ingress default/restricted"), "{line}");
    assert!(line.contains("503"), "{line}");
    assert!(report.contains("\n1 error(s)"), "{report}");
}

#[tokio::test]
async fn non_restricting_or_disabled_unsupported_annotations_are_warnings() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    let annotations = [
        ("configuration-snippet", "deny all;"),
        ("fastcgi-index", "index.php"),
        ("satisfy", "any"),
        ("enable-modsecurity", "false"),
        ("global-rate-limit", "0"),
        ("auth-signin", "https://login.example/"),
    ];
    let mut ing = ingress("ignored").path(Some("ignored.test"), "/", "Prefix", "web");
    for (name, value) in annotations {
        ing = ing.annotation(name, value);
    }
    dir.write("ing.yaml", ing);
    let portico = Portico::start(dir.path(), &[]).await;

    let reply = served(&portico, "ignored.test", "/", 200).await;
    assert_from_backend(&reply, "/", "served despite the unsupported annotations");

    let (code, report) = check(&dir);
    assert_eq!(code, Some(0), "portico check exits 0:\n{report}");
    for (name, _) in annotations {
        let key = format!("{PREFIX}/{name}");
        assert!(
            report.lines().any(|l| l.starts_with("warning:") && l.contains(&key)),
            "a warning for {key}:\n{report}"
        );
    }
    assert!(report.contains("\n0 error(s)"), "{report}");
}

#[tokio::test]
async fn a_restricting_configmap_key_denies_every_location() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    dir.write("ing.yaml", ingress("site").path(Some("site.test"), "/", "Prefix", "web"));
    dir.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\n\
         data:\n  enable-modsecurity: \"true\"\n",
    );
    let portico = Portico::start(dir.path(), &["--configmap", "infra/portico"]).await;
    let denied = served(&portico, "site.test", "/", 503).await;
    assert!(serde_json::from_slice::<serde_json::Value>(&denied.body).is_err(), "Portico's page");

    let out = Command::new(binary())
        .arg("check")
        .arg(dir.path())
        .args(["--configmap", "infra/portico"])
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "portico check exits 1:\n{report}");
    assert!(
        report.lines().any(|l| l.starts_with("error:") && l.contains("enable-modsecurity")),
        "{report}"
    );

    // Removing the key serves the site again.
    dir.write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\ndata: {}\n");
    let reply = served(&portico, "site.test", "/", 200).await;
    assert_from_backend(&reply, "/", "served once the key is gone");
}
