//! `custom-http-errors` (annotation and ConfigMap key; ingress-nginx
//! `annotations/customhttperrors`, the template's `CUSTOM_ERRORS` block,
//! `test/e2e/annotations/customhttperrors.go`, `docs/user-guide/custom-errors.md`): a response
//! of a listed status, the upstream's or Portico's own, is replaced by the answer of the
//! location's default backend (the `default-backend` Service, else `--default-backend-service`,
//! else Portico's 404 page, as ingress-nginx's internal default server), which receives the
//! client's method and headers for `/` plus `X-Code`, `X-Format`, `X-Original-URI`,
//! `X-Namespace`, `X-Ingress-Name`, `X-Service-Name`, `X-Service-Port`, `X-Request-ID`.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, Case};

#[tokio::test]
async fn listed_statuses_go_to_the_default_backend_annotation() {
    let mut case = Case::new("customerrors-annotation");
    case.backend("web").await;
    case.backend("errors").await;
    case.service_without_endpoints("empty");
    let (host, down) = (case.host("site"), case.host("down"));
    let ing = case.ingress("site").annotation("custom-http-errors", "404, 503");
    let ing = ing.annotation("default-backend", "errors");
    case.apply("site.yaml", ing.path(Some(&host), "/", "Prefix", "web"));
    let ing = case.ingress("down").annotation("custom-http-errors", "503");
    case.apply("down.yaml", ing.path(Some(&down), "/", "Prefix", "empty"));
    let Some(run) = case.start().await else { return };
    let target = "/a/b?echo.status=404";
    let reply =
        run.get_with(&host, target, &[("accept", "text/json"), ("x-request-id", "r1")]).await;
    assert_proxied(&reply, "errors", "/", "the error backend answers, for /");
    let want = [
        ("x-code", "404"),
        ("x-format", "text/json"),
        ("x-original-uri", target),
        ("x-namespace", "customerrors-annotation"),
        ("x-ingress-name", "site"),
        ("x-service-name", "web"),
        ("x-service-port", "80"),
        ("x-request-id", "r1"),
    ];
    for (name, value) in want {
        assert_eq!(reply.echo_header(name).as_deref(), Some(value), "{name}");
    }
    let reply = run.get(&host, "/x?echo.status=500").await;
    assert_eq!(reply.status, 500, "an unlisted status passes");
    assert_proxied(&run.get(&host, "/ok").await, "web", "/ok", "a 200 passes");
    // No endpoints and no default-backend annotation: the global default backend is
    // ingress-nginx's internal 404 server.
    let reply = run.get(&down, "/").await;
    assert_eq!(reply.status, 404, "{}", reply.text());
    assert!(reply.text().contains("404 Not Found"), "{}", reply.text());
}

#[tokio::test]
async fn the_configmap_key_uses_the_global_default_backend() {
    let mut case = Case::new("customerrors-configmap");
    if case.is_external() {
        return; // sets --default-backend-service
    }
    case.backend("web").await;
    case.backend("errors").await;
    case.config("custom-http-errors", "410,503");
    case.flag("--default-backend-service=customerrors-configmap/errors");
    let (host, own) = (case.host("site"), case.host("own"));
    case.apply("site.yaml", case.ingress("site").path(Some(&host), "/", "Prefix", "web"));
    let ing = case.ingress("own").annotation("custom-http-errors", "404");
    case.apply("own.yaml", ing.path(Some(&own), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    let reply = run.get(&host, "/gone?echo.status=410").await;
    assert_proxied(&reply, "errors", "/", "the ConfigMap's codes, the global default backend");
    assert_eq!(reply.echo_header("x-code").as_deref(), Some("410"));
    let reply = run.get(&own, "/gone?echo.status=410").await;
    assert_eq!(reply.status, 410, "the annotation replaces the ConfigMap's list");
    let reply = run.get(&own, "/x?echo.status=404").await;
    assert_proxied(&reply, "errors", "/", "the annotation's own code");
}

#[tokio::test]
async fn disable_proxy_intercept_errors_replaces_only_portico_s_own_answers() {
    let mut case = Case::new("customerrors-nointercept");
    case.backend("web").await;
    case.backend("errors").await;
    case.service_without_endpoints("empty");
    let (host, down) = (case.host("site"), case.host("down"));
    let annotations = [
        ("custom-http-errors", "404, 503"),
        ("default-backend", "errors"),
        ("disable-proxy-intercept-errors", "true"),
    ];
    let mut ing = case.ingress("site");
    let mut down_ing = case.ingress("down");
    for (key, value) in annotations {
        ing = ing.annotation(key, value);
        down_ing = down_ing.annotation(key, value);
    }
    case.apply("site.yaml", ing.path(Some(&host), "/", "Prefix", "web"));
    case.apply("down.yaml", down_ing.path(Some(&down), "/", "Prefix", "empty"));
    let Some(run) = case.start().await else { return };
    let reply = run.get(&host, "/a?echo.status=404").await;
    assert_eq!(reply.status, 404, "the upstream's 404 passes unchanged");
    assert_eq!(reply.echo()["server"], "web-0", "from the upstream itself");
    // Portico's own 503 (no endpoints) still goes to the error backend.
    let reply = run.get(&down, "/").await;
    assert_proxied(&reply, "errors", "/", "Portico's 503 is replaced");
    assert_eq!(reply.echo_header("x-code").as_deref(), Some("503"));
}
