//! ConfigMap `no-tls-redirect-locations` (spec §1.4, ingress-nginx
//! `test/e2e/settings/no_tls_redirect_locations.go`): locations whose *path* starts with a listed
//! prefix are never redirected to HTTPS — not requests whose URI does. Default
//! `/.well-known/acme-challenge`; the exemption beats `force-ssl-redirect`.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, assert_redirect, Case};

#[tokio::test]
async fn acme_solver_location_is_exempt_by_default() {
    let mut case = Case::new("no-tls-acme");
    case.backend("web").await;
    case.backend("solver").await;
    let host = case.host("site");
    case.apply(
        "site.yaml",
        case.ingress("site").tls(&host).path(Some(&host), "/", "Prefix", "web"),
    );
    // What cert-manager's HTTP-01 solver creates: an Exact path, no TLS section.
    let token = "/.well-known/acme-challenge/t0ken";
    case.apply(
        "solver.yaml",
        case.ingress("cm-acme-http-solver").path(Some(&host), token, "Exact", "solver"),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, token, 200).await;
    assert_proxied(&run.get(&host, token).await, "solver", token, "solver location exempt");
    // Same prefix, but routed to the `/` location: redirected (by location, not request path).
    let other = "/.well-known/acme-challenge/other";
    let reply = run.get(&host, other).await;
    assert_redirect(&reply, 308, &format!("https://{host}{other}"), "served by /");
    assert_redirect(&run.get(&host, "/x").await, 308, &format!("https://{host}/x"), "site");
}

#[tokio::test]
async fn configured_prefixes_beat_force_ssl_redirect() {
    let mut case = Case::new("no-tls-custom");
    case.backend("web").await;
    let host = case.host("custom");
    case.config("no-tls-redirect-locations", "/exempt, /health");
    case.apply(
        "ing.yaml",
        case.ingress("custom")
            .annotation("force-ssl-redirect", "true")
            .path(Some(&host), "/", "Prefix", "web")
            .path(Some(&host), "/exempt", "Prefix", "web")
            .path(Some(&host), "/healthz", "Exact", "web")
            .path(Some(&host), "/.well-known/acme-challenge", "Prefix", "web"),
    );
    let Some(run) = case.start().await else { return };
    run.served(&host, "/exempt/x", 200).await;
    assert_proxied(&run.get(&host, "/exempt/x").await, "web", "/exempt/x", "listed prefix");
    assert_proxied(
        &run.get(&host, "/healthz").await,
        "web",
        "/healthz",
        "path starts with /health",
    );
    // Replacing the list drops the default ACME entry.
    let acme = "/.well-known/acme-challenge/t";
    assert_redirect(
        &run.get(&host, acme).await,
        308,
        &format!("https://{host}{acme}"),
        "not listed",
    );
    assert_redirect(&run.get(&host, "/x").await, 308, &format!("https://{host}/x"), "forced");
}

#[tokio::test]
async fn empty_list_exempts_nothing() {
    let mut case = Case::new("no-tls-empty");
    case.backend("web").await;
    let host = case.host("empty");
    case.config("no-tls-redirect-locations", "");
    case.apply(
        "ing.yaml",
        case.ingress("empty").tls(&host).path(
            Some(&host),
            "/.well-known/acme-challenge",
            "Prefix",
            "web",
        ),
    );
    let Some(run) = case.start().await else { return };
    let acme = "/.well-known/acme-challenge/t";
    let reply = run.served(&host, acme, 308).await;
    assert_redirect(&reply, 308, &format!("https://{host}{acme}"), "no exemption left");
}
