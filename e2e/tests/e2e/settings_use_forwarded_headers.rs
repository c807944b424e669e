//! ConfigMap `use-forwarded-headers` (spec §1.4 step 2, §1.8, ingress-nginx
//! `test/e2e/settings/forwarded_headers.go`): when true, X-Forwarded-Proto decides the scheme
//! (anything but exactly `http` suppresses the HTTPS redirect), the first X-Forwarded-Host entry
//! is the host of redirects and of the backend request; when false they are ignored.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, assert_redirect, Case};

#[tokio::test]
async fn trusted_forwarded_proto_suppresses_the_redirect() {
    let mut case = Case::new("fwd-trusted");
    case.backend("web").await;
    let (tls, force) = (case.host("tls"), case.host("force"));
    case.config("use-forwarded-headers", "true");
    case.apply("tls.yaml", case.ingress("tls").tls(&tls).path(Some(&tls), "/", "Prefix", "web"));
    case.apply(
        "force.yaml",
        case.ingress("force").annotation("force-ssl-redirect", "true").path(
            Some(&force),
            "/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&tls, "/x", 308).await;
    for host in [&tls, &force] {
        for proto in ["https", "HTTPS", "myproto"] {
            let reply = run.get_with(host, "/x", &[("x-forwarded-proto", proto)]).await;
            assert_proxied(&reply, "web", "/x", &format!("{host} XFP {proto}"));
            assert_eq!(reply.echo_header("x-forwarded-proto").as_deref(), Some(proto));
        }
        let reply = run.get_with(host, "/x", &[("x-forwarded-proto", "http")]).await;
        assert_redirect(&reply, 308, &format!("https://{host}/x"), "XFP http");
    }
    let reply = run
        .get_with(
            &tls,
            "/x/",
            &[("x-forwarded-proto", "http"), ("x-forwarded-host", "public.example:8443, inner")],
        )
        .await;
    assert_redirect(&reply, 308, "https://public.example/x", "first XFH entry, port removed");
    let reply = run
        .get_with(&tls, "/x", &[("x-forwarded-proto", "https"), ("x-forwarded-host", "myhost")])
        .await;
    assert_eq!(reply.echo_header("host").as_deref(), Some("myhost"), "backend Host = XFH");
}

#[tokio::test]
async fn untrusted_forwarded_headers_are_ignored() {
    let mut case = Case::new("fwd-untrusted");
    case.backend("web").await;
    let host = case.host("tls");
    case.apply("tls.yaml", case.ingress("tls").tls(&host).path(Some(&host), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    run.served(&host, "/x", 308).await;
    for proto in ["https", "HTTPS"] {
        let headers = [("x-forwarded-proto", proto), ("x-forwarded-host", "evil.example")];
        let reply = run.get_with(&host, "/x", &headers).await;
        assert_redirect(&reply, 308, &format!("https://{host}/x"), "XFP/XFH ignored: a loop");
    }
}

#[tokio::test]
async fn invalid_value_keeps_false() {
    let mut case = Case::new("fwd-invalid");
    case.backend("web").await;
    let host = case.host("tls");
    case.config("use-forwarded-headers", "yes");
    case.apply("tls.yaml", case.ingress("tls").tls(&host).path(Some(&host), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    run.served(&host, "/x", 308).await;
    let reply = run.get_with(&host, "/x", &[("x-forwarded-proto", "https")]).await;
    assert_redirect(&reply, 308, &format!("https://{host}/x"), "default false");
    if let Some(check) = run.check() {
        let line = check.lines().find(|l| l.contains("use-forwarded-headers"));
        assert!(line.is_some_and(|l| l.contains("\"yes\"") && l.contains("ConfigMap")), "{check}");
    }
}
