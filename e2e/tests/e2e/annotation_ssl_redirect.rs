//! `ssl-redirect` (spec §1.4, ingress-nginx `test/e2e/annotations/sslredirect.go`,
//! `ssl/http_redirect.go`): on hosts with a certificate (here: listed in `spec.tls`), plain HTTP
//! gets `http-redirect-code` (308) to `https://<host without port><raw request-URI minus one
//! trailing slash>`; the phase order puts a denied location's 503 first and the no-endpoints
//! 503 after it.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, assert_redirect, Case};

#[tokio::test]
async fn tls_hosts_redirect_with_308_to_https() {
    let mut case = Case::new("sslredirect-basic");
    case.backend("web").await;
    let (tls, plain) = (case.host("secure"), case.host("plain"));
    case.apply("tls.yaml", case.ingress("secure").tls(&tls).path(Some(&tls), "/", "Prefix", "web"));
    case.apply("plain.yaml", case.ingress("plain").path(Some(&plain), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    let reply = run.served(&tls, "/foo", 308).await;
    assert_redirect(&reply, 308, &format!("https://{tls}/foo"), "default 308");
    let with_port = format!("{tls}:8080");
    for (sent, location) in [
        ("/", String::new()),
        ("/foo/", "/foo".to_string()),
        ("/foo//", "/foo/".to_string()),
        ("/a?b=1&c", "/a?b=1&c".to_string()),
        ("/a/?b=1", "/a/?b=1".to_string()),
        ("/a/../b/./c", "/a/../b/./c".to_string()),
        ("/%7Euser", "/%7Euser".to_string()),
    ] {
        let reply = run.get(&with_port, sent).await;
        let want = format!("https://{tls}{location}");
        assert_redirect(&reply, 308, &want, &format!("{sent}: no port, raw URI, one slash off"));
    }
    assert_proxied(&run.get(&plain, "/foo").await, "web", "/foo", "no certificate: no redirect");
}

#[tokio::test]
async fn ssl_redirect_false_and_invalid_values() {
    let mut case = Case::new("sslredirect-values");
    case.backend("web").await;
    let (off, bad) = (case.host("off"), case.host("bad"));
    case.apply(
        "off.yaml",
        case.ingress("off").annotation("ssl-redirect", "false").tls(&off).path(
            Some(&off),
            "/",
            "Prefix",
            "web",
        ),
    );
    case.apply(
        "bad.yaml",
        case.ingress("bad").annotation("ssl-redirect", "no").tls(&bad).path(
            Some(&bad),
            "/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&off, "/x", 200).await;
    assert_proxied(&run.get(&off, "/x").await, "web", "/x", "ssl-redirect: false");
    let reply = run.get(&bad, "/x").await;
    assert_redirect(&reply, 308, &format!("https://{bad}/x"), "invalid bool → default true");
    if let Some(check) = run.check() {
        let line = check.lines().find(|l| l.contains("ssl-redirect") && l.contains("\"no\""));
        assert!(line.is_some_and(|l| l.contains("sslredirect-values/bad")), "{check}");
    }
}

#[tokio::test]
async fn per_location_setting_from_each_ingress() {
    let mut case = Case::new("sslredirect-location");
    case.backend("web").await;
    case.backend("open").await;
    let host = case.host("mixed");
    case.apply("web.yaml", case.ingress("web").tls(&host).path(Some(&host), "/", "Prefix", "web"));
    case.apply(
        "open.yaml",
        case.ingress("open").annotation("ssl-redirect", "false").path(
            Some(&host),
            "/open",
            "Prefix",
            "open",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/x", 308).await;
    assert_proxied(&run.get(&host, "/open/x").await, "open", "/open/x", "its Ingress says false");
    // The host has a certificate through the other Ingress: the default applies to its paths.
    assert_redirect(&run.get(&host, "/x").await, 308, &format!("https://{host}/x"), "default");
}

#[tokio::test]
async fn denied_503_before_redirect_and_redirect_before_no_endpoints_503() {
    let mut case = Case::new("sslredirect-order");
    case.service_without_endpoints("empty");
    case.backend("web").await;
    let (denied, empty) = (case.host("denied"), case.host("empty"));
    // A missing auth Secret denies every location of the Ingress (§2.5): 503, not 308.
    case.apply(
        "denied.yaml",
        case.ingress("denied")
            .annotation("auth-type", "basic")
            .annotation("auth-secret", "no-such-secret")
            .tls(&denied)
            .path(Some(&denied), "/", "Prefix", "web"),
    );
    case.apply(
        "empty.yaml",
        case.ingress("empty").tls(&empty).path(Some(&empty), "/", "Prefix", "empty"),
    );
    // Basic auth (user foo, password bar) runs after the redirect: 308, not 401.
    let (auth, auth_plain) = (case.host("auth"), case.host("authplain"));
    case.apply("htpasswd.yaml", HTPASSWD_SECRET.replace("{ns}", case.namespace()));
    for (name, host, tls) in [("auth", &auth, true), ("authplain", &auth_plain, false)] {
        let mut ingress = case
            .ingress(name)
            .annotation("auth-type", "basic")
            .annotation("auth-secret", "htpasswd")
            .path(Some(host), "/", "Prefix", "web");
        if tls {
            ingress = ingress.tls(host);
        }
        case.apply(&format!("{name}.yaml"), ingress);
    }
    let Some(run) = case.start().await else { return };
    run.served(&empty, "/x", 308).await;
    assert_eq!(run.get(&denied, "/x").await.status, 503, "denied location: 503 first");
    let reply = run.get(&empty, "/x").await;
    assert_redirect(&reply, 308, &format!("https://{empty}/x"), "redirect before no-endpoints");
    assert_eq!(run.get(&auth_plain, "/x").await.status, 401, "auth is on");
    let reply = run.get(&auth, "/x").await;
    assert_redirect(&reply, 308, &format!("https://{auth}/x"), "redirect before auth");
}

/// An htpasswd Secret with `foo:{SHA}<sha1 of bar>`.
const HTPASSWD_SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: htpasswd\n  \
    namespace: {ns}\ntype: Opaque\ndata:\n  auth: Zm9vOntTSEF9WXMyM0FnLzVJT1dxWkN3OVFHYVZEZEh3SDAwPQo=\n";
