//! `custom-headers` (ingress-nginx `annotations/customheaders`,
//! `test/e2e/annotations/customheaders.go`): the data of a ConfigMap are set as response
//! headers on the Ingress's locations (Portico's own pages included), each key listed in the
//! ConfigMap key `global-allowed-response-headers`; a missing ConfigMap, a header not allowed
//! or an invalid one denies the locations (503).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, Case};

#[tokio::test]
async fn allowed_headers_are_set_and_anything_else_denies() {
    let mut case = Case::new("customheaders");
    case.backend("web").await;
    let ns = case.namespace().to_string();
    let cm = |name: &str, data: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n\
             data:\n{data}"
        )
    };
    case.apply(
        "ok-cm.yaml",
        cm(
            "custom-headers",
            "  My-Custom-Header: \"42\"\n  My-Custom-Header-Dollar: \"$remote_addr\"\n",
        ),
    );
    case.apply("bad-cm.yaml", cm("not-allowed", "  X-Other: \"1\"\n"));
    case.config("global-allowed-response-headers", "My-Custom-Header,My-Custom-Header-Dollar");
    let (ok, bad, missing, plain) =
        (case.host("ok"), case.host("bad"), case.host("missing"), case.host("plain"));
    let with = |name: &str, value: &str| case.ingress(name).annotation("custom-headers", value);
    case.apply(
        "ok.yaml",
        with("ok", &format!("{ns}/custom-headers")).path(Some(&ok), "/", "Prefix", "web"),
    );
    case.apply("bad.yaml", with("bad", "not-allowed").path(Some(&bad), "/", "Prefix", "web"));
    case.apply(
        "missing.yaml",
        with("missing", "absent").path(Some(&missing), "/", "Prefix", "web"),
    );
    case.apply("plain.yaml", case.ingress("plain").path(Some(&plain), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    let reply = run.served(&ok, "/x", 200).await;
    assert_proxied(&reply, "web", "/x", "served");
    assert_eq!(reply.header("my-custom-header"), Some("42"), "upstream customheaders.go");
    assert_eq!(reply.header("my-custom-header-dollar"), Some("$remote_addr"), "literal $");
    let reply = run.get(&ok, "/x?echo.status=500").await;
    assert_eq!(reply.header("my-custom-header"), Some("42"), "every status");
    assert_eq!(run.get(&bad, "/").await.status, 503, "a header not allowed denies");
    assert_eq!(run.get(&missing, "/").await.status, 503, "a missing ConfigMap denies");
    assert!(run.get(&plain, "/").await.header("my-custom-header").is_none(), "others unaffected");
    if let Some(check) = run.check() {
        assert!(check.contains("header X-Other of ConfigMap customheaders/not-allowed"), "{check}");
        assert!(check.contains("unable to find ConfigMap customheaders/absent"), "{check}");
    }
}
