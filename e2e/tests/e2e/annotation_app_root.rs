//! `app-root` (spec §1.5, ingress-nginx `test/e2e/annotations/approot.go`): 302 from exactly `/`
//! (after normalization) to `<scheme>://<Host as sent><app-root>`, query dropped, host-wide,
//! before location matching and the 413 check; invalid values are ignored.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use portico_e2e::{assert_proxied, assert_redirect, Case};

#[tokio::test]
async fn slash_redirects_to_the_app_root_with_the_raw_host() {
    let mut case = Case::new("approot-basic");
    case.backend("web").await;
    let host = case.host("approot");
    case.apply(
        "ing.yaml",
        case.ingress("approot").annotation("app-root", "/foo").path(
            Some(&host),
            "/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/", 302).await;
    assert_redirect(&reply, 302, &format!("http://{host}/foo"), "upstream approot.go");
    let with_port = format!("{host}:8080");
    let reply = run.get(&with_port, "/?a=1").await;
    assert_redirect(&reply, 302, &format!("http://{with_port}/foo"), "port kept, query dropped");
    for spelling in ["//", "/./", "/x/..", "/%2E/"] {
        let reply = run.get(&host, spelling).await;
        assert_redirect(&reply, 302, &format!("http://{host}/foo"), spelling);
    }
    assert_proxied(&run.get(&host, "/foo").await, "web", "/foo", "the app root itself");
    assert_proxied(&run.get(&host, "/x?a=1").await, "web", "/x?a=1", "only / redirects");
    // The real connection scheme, even when X-Forwarded-Proto says otherwise.
    let reply = run.get_with(&host, "/", &[("x-forwarded-proto", "https")]).await;
    assert_redirect(&reply, 302, &format!("http://{host}/foo"), "XFP ignored");
}

#[tokio::test]
async fn app_root_is_host_wide_and_needs_no_root_path() {
    let mut case = Case::new("approot-host");
    case.backend("api").await;
    case.backend("web").await;
    let (host, other) = (case.host("shared"), case.host("other"));
    // The annotation sits on an Ingress with only /api; another Ingress owns / of the host.
    case.apply(
        "api.yaml",
        case.ingress("api").annotation("app-root", "/api/home").path(
            Some(&host),
            "/api",
            "Prefix",
            "api",
        ),
    );
    case.apply(
        "web.yaml",
        case.ingress("web").path(Some(&host), "/", "Prefix", "web").path(
            Some(&other),
            "/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/", 302).await;
    assert_redirect(&reply, 302, &format!("http://{host}/api/home"), "host-wide");
    assert_proxied(&run.get(&host, "/api/home").await, "api", "/api/home", "target served");
    assert_proxied(&run.get(&other, "/").await, "web", "/", "other hosts unaffected");
}

#[tokio::test]
async fn app_root_comes_before_the_body_size_check() {
    let mut case = Case::new("approot-order");
    case.backend("web").await;
    let host = case.host("order");
    case.apply(
        "ing.yaml",
        case.ingress("order")
            .annotation("app-root", "/app")
            .annotation("proxy-body-size", "10")
            .path(Some(&host), "/", "Prefix", "web"),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/", 302).await;
    let post = |path: &str| {
        Request::post(path)
            .header("host", host.as_str())
            .header("content-length", "100")
            .body(Full::new(Bytes::from(vec![b'x'; 100])))
            .unwrap()
    };
    let reply = run.send(post("/")).await;
    assert_redirect(&reply, 302, &format!("http://{host}/app"), "app-root before 413");
    assert_eq!(run.send(post("/app")).await.status, 413, "413 elsewhere");
}

#[tokio::test]
async fn app_root_comes_before_404_and_denied_locations() {
    let mut case = Case::new("approot-first");
    case.backend("web").await;
    let (no_root, denied) = (case.host("noroot"), case.host("denied"));
    case.apply(
        "noroot.yaml",
        case.ingress("noroot").annotation("app-root", "/app").path(
            Some(&no_root),
            "/app",
            "Exact",
            "web",
        ),
    );
    case.apply(
        "denied.yaml",
        case.ingress("denied")
            .annotation("app-root", "/app")
            .annotation("auth-type", "basic")
            .annotation("auth-secret", "missing")
            .path(Some(&denied), "/", "Prefix", "web"),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&no_root, "/", 302).await;
    assert_redirect(&reply, 302, &format!("http://{no_root}/app"), "no location for /");
    assert_eq!(run.get(&no_root, "/other").await.status, 404);
    let reply = run.get(&denied, "/").await;
    assert_redirect(&reply, 302, &format!("http://{denied}/app"), "before the denial");
    assert_eq!(run.get(&denied, "/app").await.status, 503);
}

#[tokio::test]
async fn invalid_app_roots_are_ignored() {
    let mut case = Case::new("approot-invalid");
    case.backend("web").await;
    let mut hosts = Vec::new();
    for (i, value) in
        ["http://evil.test/app", "app", "/app?x=1", "/a b", "/app\r\nX: y"].iter().enumerate()
    {
        let host = case.host(&format!("bad{i}"));
        case.apply(
            &format!("ing-{i}.yaml"),
            case.ingress(&format!("bad-{i}")).annotation("app-root", value).path(
                Some(&host),
                "/",
                "Prefix",
                "web",
            ),
        );
        hosts.push(host);
    }
    let Some(run) = case.start().await else { return };
    run.served(&hosts[0], "/", 200).await;
    for host in &hosts {
        assert_proxied(&run.get(host, "/").await, "web", "/", host);
    }
    if let Some(check) = run.check() {
        for i in 0..hosts.len() {
            let needle = format!("Ingress approot-invalid/bad-{i}");
            assert!(
                check.lines().any(|l| l.contains(&needle) && l.contains("app-root")),
                "diagnostic for bad-{i}:\n{check}"
            );
        }
    }
}
