//! Cluster mode end to end: the real `portico serve --kubeconfig` (no `--manifests`) against the
//! in-process test API server, real echo backends. Routing follows API changes, the last good
//! table keeps serving through watch failures and an API outage, status and Events are written,
//! and the leader Lease is released on SIGTERM.
//!
//! A real cluster is not needed; `needs_a_real_cluster` below is the same check against one.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::api::networking::v1::Ingress;
use portico_cluster_testkit::ApiServer;
use portico_e2e::{eventually, get, ingress, service, Backends, Portico};

/// The controller's own LoadBalancer Service, as a cloud would have provisioned it.
const PUBLISHED: &str =
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: portico\n  namespace: portico\n\
spec:\n  type: LoadBalancer\n  ports:\n  - name: http\n    port: 80\n\
status:\n  loadBalancer:\n    ingress:\n    - ip: 203.0.113.7\n";

async fn server_name(portico: &Portico, host: &str) -> Option<String> {
    let reply = get(portico.http, host, "/").await.ok()?;
    (reply.status == 200).then(|| reply.echo()["server"].as_str().unwrap_or_default().to_string())
}

fn status_ip(server: &ApiServer, name: &str) -> Option<String> {
    let ingress: Ingress = server.get("default", name)?;
    ingress.status?.load_balancer?.ingress?.first()?.ip.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_follows_the_api_and_status_is_published() {
    let server = ApiServer::start().await;
    let (blue, green) = (Backends::start("blue", 1).await, Backends::start("green", 2).await);
    server.apply_yaml(&service("default", "blue", &blue.addrs()));
    server.apply_yaml(&service("default", "green", &green.addrs()));
    server.apply_yaml(&ingress("app").path(Some("app.test"), "/", "Prefix", "blue").to_string());
    server.apply_yaml(PUBLISHED);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(&dir.path().join("kubeconfig"), "portico", "portico");
    let flags = ["--publish-service", "portico/portico", "--election-id", "portico-e2e"];
    let mut portico = Portico::start_cluster(&kubeconfig, &flags).await;
    assert_eq!(server_name(&portico, "app.test").await.as_deref(), Some("blue-0"));

    // An Ingress change in the API is served.
    let changed = std::time::Instant::now();
    server.apply_yaml(&ingress("app").path(Some("app.test"), "/", "Prefix", "green").to_string());
    eventually("app.test served by green", || async {
        server_name(&portico, "app.test").await.is_some_and(|s| s.starts_with("green-"))
    })
    .await;
    eprintln!("API change served after {:?}", changed.elapsed());
    // Endpoint churn: green-1's slice goes away, only green-0 answers.
    server.delete_kind("EndpointSlice", "default", "green-1");
    eventually("only green-0 left", || async {
        for _ in 0..6 {
            if server_name(&portico, "app.test").await.as_deref() != Some("green-0") {
                return false;
            }
        }
        true
    })
    .await;

    // Status: the LoadBalancer address on our Ingress, written by the (only) leader.
    eventually("status published", || async {
        status_ip(&server, "app").as_deref() == Some("203.0.113.7")
    })
    .await;
    let lease: Lease = server.get("portico", "portico-e2e").unwrap();
    assert!(lease.spec.unwrap().holder_identity.is_some_and(|h| !h.is_empty()));

    // A broken Ingress gets a Warning Event, and costs the others nothing.
    server.apply_yaml(
        &ingress("broken").path(Some("broken.test"), "/", "Prefix", "missing").to_string(),
    );
    eventually("Event for the broken Ingress", || async {
        server.list::<Event>().iter().any(|e| {
            e.involved_object.name.as_deref() == Some("broken")
                && e.type_.as_deref() == Some("Warning")
        })
    })
    .await;
    assert_eq!(server_name(&portico, "app.test").await.as_deref(), Some("green-0"));

    // 410 Gone, a dropped watch and an outage: the last table keeps serving, then catches up.
    server.expire();
    server.drop_watches();
    server.outage(true);
    for _ in 0..5 {
        assert_eq!(server_name(&portico, "app.test").await.as_deref(), Some("green-0"));
        // A window, not a wait: the last table keeps serving throughout.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.apply_yaml(&ingress("app").path(Some("app.test"), "/", "Prefix", "blue").to_string());
    server.outage(false);
    eventually("caught up after the outage", || async {
        server_name(&portico, "app.test").await.as_deref() == Some("blue-0")
    })
    .await;
    let metrics = get(portico.admin, "localhost", "/metrics").await.unwrap();
    let metrics = String::from_utf8_lossy(&metrics.body).to_string();
    assert!(metrics.contains("portico_watch_restarts_total{kind="), "{metrics}");
    assert!(metrics.contains("portico_table_age_seconds"), "{metrics}");

    // Deleted in the API, gone from the table.
    server.delete_kind("Ingress", "default", "app");
    eventually("app.test gone", || async {
        get(portico.http, "app.test", "/").await.is_ok_and(|r| r.status == 404)
    })
    .await;

    // SIGTERM: a clean exit that hands the Lease over.
    let status = portico.terminate().expect("portico exits on SIGTERM");
    assert!(status.success(), "{status}");
    let lease: Lease = server.get("portico", "portico-e2e").unwrap();
    assert_eq!(lease.spec.unwrap().holder_identity, None, "Lease released on shutdown");
}

/// Against a real cluster: `kubectl apply` an Ingress of class `portico` for host
/// `portico-e2e.test` whose backend answers 200, then run
/// `PORTICO_KUBECONFIG=~/.kube/config cargo test -p portico-e2e --test cluster -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs cluster"]
async fn needs_a_real_cluster() {
    let original = std::env::var("PORTICO_KUBECONFIG").expect("PORTICO_KUBECONFIG");
    // A copy in a directory of its own: a failing test prints the files beside the kubeconfig.
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::copy(&original, &kubeconfig).unwrap();
    let portico = Portico::start_cluster(&kubeconfig, &["--election-id", "portico-e2e"]).await;
    eventually("portico-e2e.test served", || async {
        get(portico.http, "portico-e2e.test", "/").await.is_ok_and(|r| r.status == 200)
    })
    .await;
}
