//! The ConfigMap's header keys (ingress-nginx `config.go`, the template's `http` block and
//! location `proxy_set_header` lines; `test/e2e/settings/{server_tokens,proxy_set_headers}.go`):
//! `add-headers` (a ConfigMap of headers set on every response, Portico's own pages included),
//! `proxy-set-headers` (a ConfigMap of headers sent upstream), `hide-headers` (upstream
//! response headers dropped) and `server-tokens` (no `Server` header by default).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, Case};

fn configmap(namespace: &str, name: &str, data: &[(&str, &str)]) -> String {
    let mut yaml = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {namespace}\ndata:\n"
    );
    for (key, value) in data {
        yaml.push_str(&format!("  {key}: {}\n", serde_json::Value::String(value.to_string())));
    }
    yaml
}

#[tokio::test]
async fn header_configmaps_apply_to_every_response_and_upstream_request() {
    let mut case = Case::new("settings-headers");
    case.backend("web").await;
    let ns = case.namespace().to_string();
    case.apply("add.yaml", configmap(&ns, "add", &[("X-Added", "yes"), ("X-Echo-Server", "set")]));
    case.apply("up.yaml", configmap(&ns, "up", &[("X-To-Upstream", "v 1"), ("X-Real-IP", "x")]));
    case.config("add-headers", &format!("{ns}/add"));
    case.config("proxy-set-headers", &format!("{ns}/up"));
    case.config("hide-headers", "Content-Type");
    let host = case.host("site");
    case.apply("ing.yaml", case.ingress("site").path(Some(&host), "/app", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/app", 200).await;
    assert_proxied(&reply, "web", "/app", "served");
    assert_eq!(reply.header("x-added"), Some("yes"), "add-headers");
    assert_eq!(reply.header("x-echo-server"), Some("set"), "add-headers replaces");
    assert_eq!(reply.header("content-type"), None, "hide-headers");
    assert_eq!(reply.header("server"), None, "server-tokens off: no Server header");
    assert_eq!(reply.echo_header("x-to-upstream").as_deref(), Some("v 1"), "proxy-set-headers");
    assert_eq!(reply.echo_header("x-real-ip").as_deref(), Some("x"), "after Portico's own");
    let reply = run.get(&host, "/nothing-here").await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.header("x-added"), Some("yes"), "Portico's own pages too");
    assert_eq!(reply.header("content-type"), Some("text/html"), "hide-headers is upstream only");
    let reply = run.get("unknown.test", "/").await;
    assert_eq!(reply.header("x-added"), Some("yes"), "the default server too");
}

#[tokio::test]
async fn server_tokens_and_missing_configmaps() {
    let mut case = Case::new("settings-servertokens");
    case.backend("web").await;
    case.config("server-tokens", "true");
    case.config("add-headers", "settings-servertokens/absent");
    let host = case.host("site");
    case.apply("ing.yaml", case.ingress("site").path(Some(&host), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    let reply = run.served(&host, "/", 200).await;
    let server = reply.header("server").unwrap_or_default();
    assert!(server.starts_with("portico/"), "Portico's, not the upstream's: {server}");
    assert!(run.get(&host, "/").await.header("x-added").is_none());
    if let Some(check) = run.check() {
        assert!(check.contains("settings-servertokens/absent (add-headers) not found"), "{check}");
    }
}
