//! How the annotations combine (spec §1.3–§1.7, §4.1, §4.2): regex mode spreading to another
//! Ingress of the host, rewrite + ssl-redirect, app-root on a TLS host, and URL normalization
//! before matching while the backend receives the raw request-target.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, assert_redirect, Case};

#[tokio::test]
async fn regex_from_one_ingress_changes_the_other_ingress_paths() {
    let mut case = Case::new("mix-regex");
    for svc in ["re", "prefix", "exact", "root"] {
        case.backend(svc).await;
    }
    let (host, calm) = (case.host("shared"), case.host("calm"));
    case.apply(
        "regex.yaml",
        case.ingress("regex").annotation("use-regex", "true").path(
            Some(&host),
            "/api/[0-9]+",
            "ImplementationSpecific",
            "re",
        ),
    );
    // No annotation here, yet its paths become `~* "^<path>"` because they share the host.
    case.apply(
        "plain.yaml",
        case.ingress("plain")
            .path(Some(&host), "/", "Prefix", "root")
            .path(Some(&host), "/p", "Prefix", "prefix")
            .path(Some(&host), "/exact", "Exact", "exact"),
    );
    case.apply(
        "calm.yaml",
        case.ingress("calm").path(Some(&calm), "/", "Prefix", "root").path(
            Some(&calm),
            "/p",
            "Prefix",
            "prefix",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/api/1", 200).await;
    assert_proxied(&run.get(&host, "/api/42").await, "re", "/api/42", "the regex path");
    for (path, svc) in [
        ("/pq", "prefix"),
        ("/P/x", "prefix"),
        ("/p", "prefix"),
        ("/exactly", "exact"),
        ("/EXACT", "exact"),
        ("/api/x", "root"),
    ] {
        assert_proxied(&run.get(&host, path).await, svc, path, "regex mode from the other Ingress");
    }
    // The same paths on a host without regex keep nginx prefix semantics.
    assert_proxied(&run.get(&calm, "/pq").await, "root", "/pq", "prefix ends on a `/` boundary");
    assert_proxied(&run.get(&calm, "/P/x").await, "root", "/P/x", "case-sensitive");
    assert_proxied(&run.get(&calm, "/p/x").await, "prefix", "/p/x", "prefix");
}

#[tokio::test]
async fn rewrite_and_ssl_redirect_redirect_the_original_uri() {
    let mut case = Case::new("mix-rewrite-ssl");
    case.backend("web").await;
    let host = case.host("both");
    case.apply(
        "ing.yaml",
        case.ingress("both").annotation("rewrite-target", "/$2").tls(&host).path(
            Some(&host),
            "/something(/|$)(.*)",
            "ImplementationSpecific",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/something/new?a=1", 308).await;
    assert_redirect(&reply, 308, &format!("https://{host}/something/new?a=1"), "raw URI");
    // The rewrite applies only past the redirect: see the next test.
    let reply = run.get(&host, "/SOMETHING/").await;
    assert_redirect(&reply, 308, &format!("https://{host}/SOMETHING"), "one slash off");
}

#[tokio::test]
async fn rewrite_applies_after_a_suppressed_redirect() {
    let mut case = Case::new("mix-rewrite-xfp");
    case.backend("web").await;
    let host = case.host("both");
    case.config("use-forwarded-headers", "true");
    case.apply(
        "ing.yaml",
        case.ingress("both")
            .annotation("rewrite-target", "/$2")
            .annotation("x-forwarded-prefix", "/something")
            .tls(&host)
            .path(Some(&host), "/something(/|$)(.*)", "ImplementationSpecific", "web"),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/something/new", 308).await;
    let reply = run.get_with(&host, "/something/new?a=1", &[("x-forwarded-proto", "https")]).await;
    assert_proxied(&reply, "web", "/new?a=1", "rewritten once the scheme is https");
    assert_eq!(reply.echo_header("x-forwarded-prefix").as_deref(), Some("/something"));
}

#[tokio::test]
async fn app_root_on_a_tls_host_answers_302_before_the_https_redirect() {
    let mut case = Case::new("mix-approot-tls");
    case.backend("web").await;
    let host = case.host("app");
    case.apply(
        "ing.yaml",
        case.ingress("app").annotation("app-root", "/app").tls(&host).path(
            Some(&host),
            "/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/", 302).await;
    assert_redirect(&reply, 302, &format!("http://{host}/app"), "app-root first, plain http");
    let reply = run.get(&host, "/app").await;
    assert_redirect(&reply, 308, &format!("https://{host}/app"), "then the HTTPS redirect");
}

#[tokio::test]
async fn normalized_spellings_reach_the_location_backend_gets_the_raw_target() {
    let mut case = Case::new("mix-normalize");
    case.backend("x").await;
    case.backend("admin").await;
    case.backend("root").await;
    case.backend("rw").await;
    let (host, rw) = (case.host("norm"), case.host("rewrite"));
    case.apply(
        "ing.yaml",
        case.ingress("norm")
            .path(Some(&host), "/", "Prefix", "root")
            .path(Some(&host), "/x", "Exact", "x")
            .path(Some(&host), "/admin", "Prefix", "admin"),
    );
    case.apply(
        "rw.yaml",
        case.ingress("rw").annotation("rewrite-target", "/new/$1").path(
            Some(&rw),
            "/old/(.*)",
            "ImplementationSpecific",
            "rw",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/x", 200).await;
    for (sent, svc) in [
        ("/x", "x"),
        ("//x", "x"),
        ("/./x", "x"),
        ("/a/../x", "x"),
        ("/%78", "x"),
        ("/%2Fx", "x"),
        ("/%61dmin/panel", "admin"),
        ("/ADMIN/panel", "root"),
        ("/a/b/../../admin/?q=%2F", "admin"),
    ] {
        let reply = run.get(&host, sent).await;
        assert_proxied(&reply, svc, sent, &format!("{sent}: normalized match, raw target sent"));
    }
    assert_eq!(run.get(&host, "/../x").await.status, 400, "above the root");
    // With a rewrite the backend gets the rewritten, normalized path.
    let reply = run.get(&rw, "/old//a/./b/../c%20d?q=%2F").await;
    assert_proxied(&reply, "rw", "/new/a/c%20d?q=%2F", "rewrite of the normalized path");
}

#[tokio::test]
async fn annotations_prefix_flag_and_unsupported_annotations() {
    let mut case = Case::new("mix-prefix");
    case.backend("web").await;
    let host = case.host("prefix");
    if case.is_external() {
        return; // the prefix is a flag of the controller under test
    }
    case.flag("--annotations-prefix=custom.example.com");
    case.apply(
        "ing.yaml",
        case.ingress("prefix")
            .raw_annotation("custom.example.com/rewrite-target", "/$1")
            .raw_annotation("custom.example.com/configuration-snippet", "return 200;")
            .annotation("app-root", "/ignored")
            .path(Some(&host), "/in/(.*)", "ImplementationSpecific", "web"),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/in/a?b", 200).await;
    assert_proxied(&reply, "web", "/a?b", "custom prefix read");
    assert_eq!(run.get(&host, "/").await.status, 404, "nginx.ingress.kubernetes.io/ ignored");
    let check = run.check().unwrap();
    let line = check.lines().find(|l| l.contains("custom.example.com/configuration-snippet"));
    let line = line.unwrap_or_else(|| panic!("migration report:\n{check}"));
    let reported =
        line.contains("not supported by Portico") || line.contains("allow-snippet-annotations");
    assert!(reported && line.contains("mix-prefix/prefix"), "{line}");
}
