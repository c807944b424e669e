//! Shared by the cluster integration tests: a test API server with a client, YAML builders and
//! bounded waits.
#![allow(dead_code)] // each test file uses its own subset

use std::time::Duration;

use portico_cluster::{Batch, Client, Config, LeaseConfig, Updates};
use portico_cluster_testkit::ApiServer;
use portico_store::{ObjectKey, Objects};

/// How long any wait may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A test API server, a client for it (token `token`), and the kubeconfig's directory.
pub async fn start(token: &str) -> (ApiServer, Client, tempfile::TempDir) {
    let server = ApiServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let client = connect(&server, &dir, token).await;
    (server, client, dir)
}

/// Another client of `server`, authenticating as `token`.
pub async fn connect(server: &ApiServer, dir: &tempfile::TempDir, token: &str) -> Client {
    let path =
        server.write_kubeconfig(&dir.path().join(format!("{token}.kubeconfig")), token, "portico");
    portico_cluster::connect(Some(&path)).await.unwrap()
}

/// Default controller options (class `portico`).
pub fn options() -> portico_compiler::Options {
    portico_compiler::Options {
        ingress_class: "portico".into(),
        controller_class: "portico.dev/ingress-controller".into(),
        watch_ingress_without_class: false,
        annotations_prefix: "nginx.ingress.kubernetes.io".into(),
        configmap: None,
        default_backend_service: None,
        default_ssl_certificate: None,
        enable_ssl_passthrough: false,
    }
}

/// Cluster mode with short timings: 1 s leases, fast retries.
pub fn config(identity: &str) -> Config {
    let mut lease = LeaseConfig::new("portico-leader", "portico", identity);
    lease.lease_duration = Duration::from_secs(1);
    lease.renew_deadline = Duration::from_millis(700);
    lease.retry_period = Duration::from_millis(100);
    let mut config = Config::new(options(), lease);
    config.retry = Duration::from_millis(100);
    config.status_resync = Duration::from_millis(500);
    config
}

pub fn ingress(ns: &str, name: &str, host: &str, service: &str) -> String {
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {ns}\n\
         spec:\n  ingressClassName: portico\n  tls:\n  - hosts: [{host}]\n    secretName: {name}-tls\n  \
         rules:\n  - host: {host}\n    http:\n      paths:\n      - path: /\n        pathType: Prefix\n        \
         backend:\n          service:\n            name: {service}\n            port:\n              number: 80\n"
    )
}

pub fn service(ns: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {ns}\n\
         spec:\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n"
    )
}

/// An EndpointSlice of `service` with ready endpoints at `ips` (port 8080), on `node`.
pub fn slice(ns: &str, service: &str, name: &str, ips: &[&str], node: Option<&str>) -> String {
    let mut yaml = format!(
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: {name}\n  namespace: {ns}\n  \
         labels:\n    kubernetes.io/service-name: {service}\naddressType: IPv4\n\
         ports:\n- name: http\n  port: 8080\n  protocol: TCP\nendpoints:\n"
    );
    for ip in ips {
        yaml.push_str(&format!("- addresses: [\"{ip}\"]\n  conditions:\n    ready: true\n"));
        if let Some(node) = node {
            yaml.push_str(&format!("  nodeName: {node}\n"));
        }
    }
    yaml
}

pub fn secret(ns: &str, name: &str, type_: &str) -> String {
    format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {ns}\ntype: {type_}\ndata:\n  a: YQ==\n")
}

pub fn key(ns: &str, name: &str) -> ObjectKey {
    ObjectKey::new(ns, name)
}

/// Waits for a batch whose objects satisfy `check`; panics with `what` after [`PATIENCE`].
pub async fn until(updates: &mut Updates, what: &str, check: impl Fn(&Objects) -> bool) -> Batch {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let batch = tokio::time::timeout_at(deadline, updates.next())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for: {what}"))
            .expect("watchers stopped");
        if check(&batch.objects) {
            return batch;
        }
    }
}

/// Asserts no batch arrives within `window`.
pub async fn quiet(updates: &mut Updates, window: Duration, what: &str) {
    if let Ok(batch) = tokio::time::timeout(window, updates.next()).await {
        panic!("unexpected batch ({what}): {batch:?}");
    }
}

/// Polls `check` until true, within [`PATIENCE`].
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
