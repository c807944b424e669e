//! `force-ssl-redirect` (spec §1.4, ingress-nginx `test/e2e/annotations/forcesslredirect.go`):
//! plain HTTP is redirected even without a certificate and even with `ssl-redirect: false`;
//! invalid values fall back to the ConfigMap default (false).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, assert_redirect, Case};

#[tokio::test]
async fn redirects_without_a_certificate() {
    let mut case = Case::new("forcessl-basic");
    case.backend("web").await;
    let (force, both) = (case.host("force"), case.host("both"));
    case.apply(
        "force.yaml",
        case.ingress("force").annotation("force-ssl-redirect", "true").path(
            Some(&force),
            "/",
            "Prefix",
            "web",
        ),
    );
    case.apply(
        "both.yaml",
        case.ingress("both")
            .annotation("force-ssl-redirect", "true")
            .annotation("ssl-redirect", "false")
            .path(Some(&both), "/", "Prefix", "web"),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&force, "/", 308).await;
    assert_redirect(&reply, 308, &format!("https://{force}"), "no certificate needed");
    let reply = run.get(&format!("{force}:8080"), "/docs/?v=1").await;
    assert_redirect(&reply, 308, &format!("https://{force}/docs/?v=1"), "port off, raw URI");
    let reply = run.get(&both, "/x").await;
    assert_redirect(&reply, 308, &format!("https://{both}/x"), "force wins over ssl-redirect");
}

#[tokio::test]
async fn invalid_value_means_false() {
    let mut case = Case::new("forcessl-invalid");
    case.backend("web").await;
    let host = case.host("invalid");
    case.apply(
        "ing.yaml",
        case.ingress("invalid").annotation("force-ssl-redirect", "yes").path(
            Some(&host),
            "/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/", 200).await;
    assert_proxied(&run.get(&host, "/x").await, "web", "/x", "default false");
    if let Some(check) = run.check() {
        let line = check.lines().find(|l| l.contains("force-ssl-redirect") && l.contains("yes"));
        assert!(line.is_some_and(|l| l.contains("forcessl-invalid/invalid")), "{check}");
    }
}

#[tokio::test]
async fn configmap_default_applies_and_annotation_overrides() {
    let mut case = Case::new("forcessl-configmap");
    case.backend("web").await;
    let (host, opt_out) = (case.host("global"), case.host("optout"));
    case.config("force-ssl-redirect", "true");
    case.apply("ing.yaml", case.ingress("global").path(Some(&host), "/", "Prefix", "web"));
    case.apply(
        "optout.yaml",
        case.ingress("optout").annotation("force-ssl-redirect", "false").path(
            Some(&opt_out),
            "/",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/x", 308).await;
    assert_redirect(&reply, 308, &format!("https://{host}/x"), "ConfigMap force-ssl-redirect");
    assert_proxied(&run.get(&opt_out, "/x").await, "web", "/x", "annotation false wins");
}
