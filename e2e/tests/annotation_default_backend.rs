//! `default-backend` (ingress-nginx `annotations/defaultbackend`, `controller.go`
//! `getBackendServers`, `test/e2e/annotations/default_backend.go`): a location whose Service has
//! no endpoints is served by the Ingress's default-backend Service (same namespace, first
//! port), which receives `X-Code: 503` and the location's names; a missing default-backend
//! Service is ignored with a warning (503 as before); a backend with endpoints is unaffected.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, Case};

#[tokio::test]
async fn a_location_without_endpoints_is_served_by_the_default_backend() {
    let mut case = Case::new("defbackend-basic");
    case.backend("web").await;
    case.backend("errors").await;
    case.service_without_endpoints("empty");
    let (down, up, missing) = (case.host("down"), case.host("up"), case.host("missing"));
    let ing = case.ingress("down").annotation("default-backend", "errors");
    case.apply("down.yaml", ing.path(Some(&down), "/", "Prefix", "empty"));
    let ing = case.ingress("up").annotation("default-backend", "errors");
    case.apply("up.yaml", ing.path(Some(&up), "/", "Prefix", "web"));
    let ing = case.ingress("missing").annotation("default-backend", "nowhere");
    case.apply("missing.yaml", ing.path(Some(&missing), "/", "Prefix", "empty"));
    let Some(run) = case.start().await else { return };
    let reply = run.served(&down, "/some/path?q=1", 200).await;
    assert_proxied(&reply, "errors", "/some/path?q=1", "the request as sent");
    let want = [
        ("x-code", Some("503")),
        ("x-namespace", Some("defbackend-basic")),
        ("x-ingress-name", Some("down")),
        ("x-service-name", Some("empty")),
        ("x-service-port", Some("80")),
        ("x-format", None),
    ];
    for (name, value) in want {
        assert_eq!(reply.echo_header(name).as_deref(), value, "{name}");
    }
    assert!(reply.echo_header("x-request-id").is_some_and(|id| id.len() == 32));
    let reply = run.get_with(&down, "/", &[("accept", "application/json")]).await;
    assert_eq!(reply.echo_header("x-format").as_deref(), Some("application/json"));
    assert_proxied(&run.get(&up, "/x").await, "web", "/x", "a backend with endpoints");
    assert_eq!(run.get(&missing, "/").await.status, 503, "missing default-backend: ignored");
    if let Some(check) = run.check() {
        assert!(check.contains("default-backend \"nowhere\": service"), "{check}");
        assert!(check.contains("nowhere not found"), "{check}");
    }
}

#[tokio::test]
async fn invalid_names_drop_the_ingress() {
    let mut case = Case::new("defbackend-invalid");
    case.backend("web").await;
    let bad = case.host("bad");
    let ing = case.ingress("bad").annotation("default-backend", "other/errors");
    case.apply("bad.yaml", ing.path(Some(&bad), "/", "Prefix", "web"));
    let ok = case.host("ok");
    case.apply("ok.yaml", case.ingress("ok").path(Some(&ok), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    run.served(&ok, "/", 200).await;
    assert_eq!(run.get(&bad, "/").await.status, 404, "Ingress not loaded");
}
