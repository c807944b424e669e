//! `service-upstream` (ingress-nginx `annotations/serviceupstream`, `getServiceClusterEndpoint`)
//! through the real binary: requests go to the Service's ClusterIP and port instead of its
//! endpoints; a Service without a ClusterIP falls back to its endpoints with a warning.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;

use portico_e2e::{get, refusing_addr, Backends, Dir, Portico};

/// Service `name` with ClusterIP `cluster_ip` and port `port` (name `http`), whose one
/// EndpointSlice endpoint is `endpoint`.
fn service(name: &str, cluster_ip: &str, port: u16, endpoint: SocketAddr) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: default\n\
         spec:\n  clusterIP: \"{cluster_ip}\"\n  ports:\n  - name: http\n    port: {port}\n    \
         targetPort: 8080\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n\
         metadata:\n  name: {name}-0\n  namespace: default\n  labels:\n    \
         kubernetes.io/service-name: {name}\naddressType: IPv4\nports:\n- name: http\n  \
         port: {ep_port}\n  protocol: TCP\nendpoints:\n- addresses: [\"{ep_ip}\"]\n  \
         conditions:\n    ready: true\n",
        ep_port = endpoint.port(),
        ep_ip = endpoint.ip(),
    )
}

/// Ingress `name` for host `<name>.test` → `service` port `port` (by name when `by_name`).
fn ingress(name: &str, service: &str, port: u16, by_name: bool, annotate: bool) -> String {
    let port = if by_name { "name: http".to_string() } else { format!("number: {port}") };
    let annotations = if annotate {
        "  annotations:\n    nginx.ingress.kubernetes.io/service-upstream: \"true\"\n"
    } else {
        ""
    };
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  \
         namespace: default\n{annotations}spec:\n  ingressClassName: portico\n  rules:\n  - host: {name}.test\n    http:\n      \
         paths:\n      - path: /\n        pathType: Prefix\n        backend:\n          service:\n            \
         name: {service}\n            port:\n              {port}\n"
    )
}

#[tokio::test]
async fn the_cluster_ip_is_used_instead_of_the_endpoints() {
    let web = Backends::start("cluster", 1).await;
    let addr = web.addr(0);
    let dead = refusing_addr().await;
    let dir = Dir::new();
    // The ClusterIP:port is the echo backend; the endpoints refuse connections.
    for svc in ["by-number", "by-name", "plain"] {
        dir.write(
            &format!("{svc}-svc.yaml"),
            service(svc, &addr.ip().to_string(), addr.port(), dead),
        );
    }
    dir.write("headless-svc.yaml", service("headless", "None", addr.port(), dead));
    dir.write("a.yaml", ingress("number", "by-number", addr.port(), false, true));
    dir.write("b.yaml", ingress("name", "by-name", addr.port(), true, true));
    dir.write("c.yaml", ingress("plain", "plain", addr.port(), false, false));
    dir.write("d.yaml", ingress("headless", "headless", addr.port(), false, true));
    let portico = Portico::start(dir.path(), &[]).await;
    for host in ["number.test", "name.test"] {
        let reply = get(portico.http, host, "/").await.unwrap();
        assert_eq!(reply.status, 200, "{host}: {}\n{}", reply.text(), portico.log_text());
        assert_eq!(reply.header("x-echo-server"), Some("cluster-0"));
    }
    let plain = get(portico.http, "plain.test", "/").await.unwrap();
    assert_eq!(plain.status, 502, "without the annotation the endpoints are used");
    let headless = get(portico.http, "headless.test", "/").await.unwrap();
    assert_eq!(headless.status, 502, "no ClusterIP: the endpoints are used");
    let check = portico.check();
    assert!(
        check.contains("service-upstream: service default/headless has no ClusterIP"),
        "{check}"
    );
}
