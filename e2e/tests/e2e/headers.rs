//! Headers toward the backend (spec §5.1/§5.2): forwarded headers, request id, hop-by-hop.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use portico_e2e::{ingress, request, service, Backends, Dir, Portico};

async fn setup(extra: &[&str], configmap: Option<&str>) -> (Backends, Dir, Portico) {
    let backends = Backends::start("hdr", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "hdr", &backends.addrs()));
    dir.write("ing.yaml", ingress("hdr").path(Some("hdr.test"), "/", "Prefix", "hdr"));
    if let Some(data) = configmap {
        dir.write(
            "cm.yaml",
            format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\ndata:\n{data}"),
        );
    }
    let portico = Portico::start(dir.path(), extra).await;
    (backends, dir, portico)
}

fn req(headers: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut builder = Request::get("/path?x=1").header("host", "hdr.test:8080");
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    builder.body(Full::default()).unwrap()
}

#[tokio::test]
async fn forwarded_headers_are_set_and_client_values_replaced() {
    let (_b, _d, portico) = setup(&[], None).await;
    let reply = request(
        portico.http,
        req(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-host", "evil.test"),
            ("x-forwarded-proto", "https"),
            ("proxy", "http://evil:1"),
            ("te", "trailers"),
            ("keep-alive", "timeout=5"),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(reply.status, 200);
    let h = |name: &str| reply.echo_header(name);
    assert_eq!(h("host").as_deref(), Some("hdr.test:8080"), "Host passed as sent");
    assert_eq!(h("x-forwarded-for").as_deref(), Some("127.0.0.1"), "client XFF replaced");
    assert_eq!(h("x-real-ip").as_deref(), Some("127.0.0.1"));
    assert_eq!(h("x-forwarded-host").as_deref(), Some("hdr.test:8080"));
    assert_eq!(h("x-forwarded-port").as_deref(), Some(portico.http.port().to_string().as_str()));
    assert_eq!(h("x-forwarded-proto").as_deref(), Some("http"));
    assert_eq!(h("x-forwarded-scheme").as_deref(), Some("http"));
    assert_eq!(h("x-scheme").as_deref(), Some("http"));
    assert_eq!(h("x-original-forwarded-for").as_deref(), Some("1.2.3.4"));
    assert_eq!(h("x-original-forwarded-host").as_deref(), Some("evil.test"));
    let id = h("x-request-id").expect("request id generated");
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    assert_eq!(h("proxy"), None, "httpoxy");
    assert_eq!(h("te"), None);
    assert_eq!(h("keep-alive"), None);
    assert!(reply.header("server").is_none(), "upstream Server header dropped");
}

#[tokio::test]
async fn incoming_request_id_is_kept() {
    let (_b, _d, portico) = setup(&[], None).await;
    let reply = request(portico.http, req(&[("x-request-id", "abc123")])).await.unwrap();
    assert_eq!(reply.echo_header("x-request-id").as_deref(), Some("abc123"));
}

#[tokio::test]
async fn use_forwarded_headers_trusts_the_client_values() {
    let (_b, _d, portico) = setup(
        &["--configmap", "infra/portico"],
        Some("  use-forwarded-headers: \"true\"\n  compute-full-forwarded-for: \"true\"\n"),
    )
    .await;
    let reply = request(
        portico.http,
        req(&[
            ("x-forwarded-for", "1.2.3.4, 5.6.7.8"),
            ("x-forwarded-host", "myhost, other"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
        ]),
    )
    .await
    .unwrap();
    let h = |name: &str| reply.echo_header(name);
    assert_eq!(h("x-forwarded-proto").as_deref(), Some("https"));
    assert_eq!(h("x-forwarded-port").as_deref(), Some("443"));
    assert_eq!(h("x-forwarded-host").as_deref(), Some("myhost"));
    assert_eq!(h("host").as_deref(), Some("myhost"), "backend Host = first X-Forwarded-Host");
    assert_eq!(h("x-forwarded-for").as_deref(), Some("1.2.3.4, 5.6.7.8, 127.0.0.1"));
    assert_eq!(h("x-real-ip").as_deref(), Some("1.2.3.4"));
}
