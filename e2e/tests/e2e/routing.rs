//! Host and path routing through the real binary: exact and wildcard hosts, path precedence,
//! default backends, 404 and 503.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{get, ingress, service, Backends, Dir, Portico};

async fn backend_name(portico: &Portico, host: &str, path: &str) -> String {
    let reply = get(portico.http, host, path).await.expect("request");
    assert_eq!(reply.status, 200, "{host}{path}: {}", reply.text());
    reply.echo()["server"].as_str().expect("server").to_string()
}

#[tokio::test]
async fn routes_by_host_and_path_with_nginx_precedence() {
    let (api, web, exact) = (
        Backends::start("api", 1).await,
        Backends::start("web", 1).await,
        Backends::start("exact", 1).await,
    );
    let dir = Dir::new();
    dir.write(
        "svc.yaml",
        [
            service("default", "api", &api.addrs()),
            service("default", "web", &web.addrs()),
            service("default", "exact", &exact.addrs()),
        ]
        .join("---\n"),
    );
    dir.write(
        "ing.yaml",
        ingress("site")
            .path(Some("site.example.com"), "/", "Prefix", "web")
            .path(Some("site.example.com"), "/api", "Prefix", "api")
            .path(Some("site.example.com"), "/api/v1/status", "Exact", "exact"),
    );
    let portico = Portico::start(dir.path(), &[]).await;
    let h = "site.example.com";
    assert_eq!(backend_name(&portico, h, "/").await, "web-0");
    assert_eq!(backend_name(&portico, h, "/api").await, "api-0");
    assert_eq!(backend_name(&portico, h, "/api/").await, "api-0");
    assert_eq!(backend_name(&portico, h, "/api/users").await, "api-0");
    assert_eq!(backend_name(&portico, h, "/apiary").await, "web-0", "prefix is element-wise");
    assert_eq!(backend_name(&portico, h, "/api/v1/status").await, "exact-0");
    assert_eq!(backend_name(&portico, h, "/api/v1/status/x").await, "api-0", "exact is exact");
    assert_eq!(backend_name(&portico, "SITE.Example.com.:8080", "/api").await, "api-0");
    let reply = get(portico.http, h, "/api/users?q=1").await.unwrap();
    assert_eq!(
        reply.echo()["uri"],
        "/api/users?q=1",
        "the backend gets the request-target as sent"
    );
}

#[tokio::test]
async fn wildcard_host_matches_one_label_and_exact_wins() {
    let (wild, exact, other) = (
        Backends::start("wild", 1).await,
        Backends::start("exact", 1).await,
        Backends::start("other", 1).await,
    );
    let dir = Dir::new();
    dir.write(
        "svc.yaml",
        [
            service("default", "wild", &wild.addrs()),
            service("default", "exact", &exact.addrs()),
            service("default", "other", &other.addrs()),
        ]
        .join("---\n"),
    );
    dir.write(
        "ing.yaml",
        ingress("hosts")
            .path(Some("*.example.com"), "/", "Prefix", "wild")
            .path(Some("www.example.com"), "/", "Prefix", "exact")
            .path(None, "/", "Prefix", "other"),
    );
    let portico = Portico::start(dir.path(), &[]).await;
    assert_eq!(backend_name(&portico, "foo.example.com", "/").await, "wild-0");
    assert_eq!(backend_name(&portico, "www.example.com", "/").await, "exact-0");
    assert_eq!(backend_name(&portico, "a.b.example.com", "/").await, "other-0", "one label only");
    assert_eq!(backend_name(&portico, "example.com", "/").await, "other-0");
    assert_eq!(backend_name(&portico, "unknown.test", "/x").await, "other-0", "host-less rule");
}

#[tokio::test]
async fn default_backends_and_404() {
    let (fallback, catch_all, web) = (
        Backends::start("fallback", 1).await,
        Backends::start("catchall", 1).await,
        Backends::start("web", 1).await,
    );
    let dir = Dir::new();
    dir.write(
        "svc.yaml",
        [
            service("default", "fallback", &fallback.addrs()),
            service("default", "catchall", &catch_all.addrs()),
            service("default", "web", &web.addrs()),
        ]
        .join("---\n"),
    );
    // An Ingress with a defaultBackend and rules: its hosts' unmatched paths go to it.
    dir.write(
        "with-default.yaml",
        ingress("with-default").default_backend("fallback").path(
            Some("a.example.com"),
            "/app",
            "Prefix",
            "web",
        ),
    );
    // No default backend: unmatched paths of a known host are Portico's 404.
    dir.write("plain.yaml", ingress("plain").path(Some("b.example.com"), "/app", "Prefix", "web"));
    let portico = Portico::start(dir.path(), &[]).await;
    assert_eq!(backend_name(&portico, "a.example.com", "/app/x").await, "web-0");
    assert_eq!(backend_name(&portico, "a.example.com", "/other").await, "fallback-0");
    let reply = get(portico.http, "b.example.com", "/other").await.unwrap();
    assert_eq!(reply.status, 404);
    assert!(reply.text().contains("404 Not Found"), "{}", reply.text());
    assert!(reply.header("server").is_none(), "no Server header");
    let reply = get(portico.http, "nobody.example.com", "/").await.unwrap();
    assert_eq!(reply.status, 404, "unknown host without catch-all");

    // An Ingress with only a defaultBackend becomes the catch-all for unknown hosts.
    dir.write("catch-all.yaml", ingress("catch-all").default_backend("catchall"));
    portico_e2e::eventually("catch-all serves unknown hosts", || async {
        get(portico.http, "nobody.example.com", "/").await.is_ok_and(|r| r.status == 200)
    })
    .await;
    assert_eq!(backend_name(&portico, "nobody.example.com", "/").await, "catchall-0");
}

#[tokio::test]
async fn default_backend_service_flag_answers_unmatched_requests() {
    let fallback = Backends::start("flag-default", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("infra", "fallback", &fallback.addrs()));
    let portico =
        Portico::start(dir.path(), &["--default-backend-service", "infra/fallback"]).await;
    assert_eq!(backend_name(&portico, "anything.test", "/x").await, "flag-default-0");
}

#[tokio::test]
async fn missing_service_and_no_endpoints_answer_503_others_keep_serving() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    dir.write(
        "empty-svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: empty\nspec:\n  ports:\n  - name: http\n    port: 80\n",
    );
    dir.write(
        "ing.yaml",
        ingress("mixed")
            .path(Some("m.example.com"), "/ok", "Prefix", "web")
            .path(Some("m.example.com"), "/missing", "Prefix", "nosuchservice")
            .path(Some("m.example.com"), "/empty", "Prefix", "empty"),
    );
    let portico = Portico::start(dir.path(), &[]).await;
    assert_eq!(backend_name(&portico, "m.example.com", "/ok").await, "web-0");
    for path in ["/missing", "/empty"] {
        let reply = get(portico.http, "m.example.com", path).await.unwrap();
        assert_eq!(reply.status, 503, "{path}");
        assert!(reply.text().contains("503 Service Temporarily Unavailable"), "{}", reply.text());
    }
}

#[tokio::test]
async fn ingress_class_selection() {
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    dir.write("ours.yaml", ingress("ours").path(Some("ours.test"), "/", "Prefix", "web"));
    dir.write(
        "theirs.yaml",
        ingress("theirs").class(Some("nginx")).path(Some("theirs.test"), "/", "Prefix", "web"),
    );
    dir.write(
        "legacy.yaml",
        ingress("legacy")
            .class(None)
            .raw_annotation("kubernetes.io/ingress.class", "portico")
            .path(Some("legacy.test"), "/", "Prefix", "web"),
    );
    dir.write(
        "classless.yaml",
        ingress("classless").class(None).path(Some("none.test"), "/", "Prefix", "web"),
    );
    let portico = Portico::start(dir.path(), &[]).await;
    assert_eq!(get(portico.http, "ours.test", "/").await.unwrap().status, 200);
    assert_eq!(get(portico.http, "legacy.test", "/").await.unwrap().status, 200);
    assert_eq!(get(portico.http, "theirs.test", "/").await.unwrap().status, 404);
    assert_eq!(get(portico.http, "none.test", "/").await.unwrap().status, 404);
    drop(portico);
    let portico = Portico::start(dir.path(), &["--watch-ingress-without-class"]).await;
    assert_eq!(get(portico.http, "none.test", "/").await.unwrap().status, 200);
    assert_eq!(get(portico.http, "theirs.test", "/").await.unwrap().status, 404);
}
