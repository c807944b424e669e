//! Ingress status: the published addresses (fixed, LoadBalancer, NodePort nodes) written on our
//! Ingresses only, cleared when one stops being ours, and nothing rewritten when up to date.
#![allow(clippy::unwrap_used)]

#[path = "support/fixtures.rs"]
mod fixtures;

use std::sync::Arc;

use fixtures::*;
use k8s_openapi::api::networking::v1::Ingress;
use portico_cluster::{watch_objects, Publish, StatusWriter, SyncReport};
use portico_cluster_testkit::ApiServer;
use portico_metrics::Metrics;

fn addresses(server: &ApiServer, ns: &str, name: &str) -> Vec<String> {
    let ingress: Ingress = server.get(ns, name).unwrap();
    let lb =
        ingress.status.and_then(|s| s.load_balancer).and_then(|lb| lb.ingress).unwrap_or_default();
    lb.into_iter().map(|i| i.ip.or(i.hostname).unwrap()).collect()
}

fn status_writes(server: &ApiServer) -> usize {
    server.writes().iter().filter(|w| w.path.ends_with("/status")).count()
}

#[tokio::test]
async fn fixed_addresses_go_on_our_ingresses_and_leave_with_them() {
    let (server, client, _dir) = start("a").await;
    server.apply_yaml(&ingress("apps", "ours", "ours.test", "web"));
    server.apply_yaml(
        &ingress("apps", "theirs", "theirs.test", "web")
            .replace("ingressClassName: portico", "ingressClassName: nginx"),
    );
    let mut config = config("a");
    config.publish = Some(Publish::addresses("192.0.2.1, lb.example.com"));
    let mut updates = watch_objects(&client, &config, Arc::new(Metrics::new()));
    let mut writer =
        StatusWriter::new(client.clone(), config.publish.clone(), config.options.clone(), None);

    let batch = until(&mut updates, "first sync", |o| o.ingresses.len() == 2).await;
    assert_eq!(writer.sync(&batch.objects).await, SyncReport { written: 1, cleared: 0, failed: 0 });
    assert_eq!(addresses(&server, "apps", "ours"), ["192.0.2.1", "lb.example.com"]);
    assert!(addresses(&server, "apps", "theirs").is_empty(), "another class is not ours to touch");

    let batch = until(&mut updates, "our status write", |o| {
        o.ingresses[&key("apps", "ours")].object.status.is_some()
    })
    .await;
    assert_eq!(writer.sync(&batch.objects).await, SyncReport::default(), "up to date: no write");

    // The Ingress moves to another controller's class: our addresses are taken off.
    let mut moved: Ingress = server.get("apps", "ours").unwrap();
    moved.spec.as_mut().unwrap().ingress_class_name = Some("nginx".into());
    server.apply(&moved);
    let batch = until(&mut updates, "class change", |o| {
        o.ingresses[&key("apps", "ours")]
            .object
            .spec
            .as_ref()
            .unwrap()
            .ingress_class_name
            .as_deref()
            == Some("nginx")
    })
    .await;
    assert_eq!(writer.sync(&batch.objects).await, SyncReport { written: 0, cleared: 1, failed: 0 });
    assert!(addresses(&server, "apps", "ours").is_empty());
}

#[tokio::test]
async fn a_load_balancer_service_publishes_its_ingress_addresses() {
    let (server, client, _dir) = start("a").await;
    server.apply_yaml(&ingress("apps", "web", "web.test", "web"));
    server.apply_yaml(
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: portico\n  namespace: ctl\nspec:\n  type: LoadBalancer\n  \
         ports:\n  - port: 80\nstatus:\n  loadBalancer:\n    ingress:\n    - ip: 203.0.113.5\n    - hostname: lb.cloud.example\n",
    );
    let mut config = config("a");
    config.publish = Some(Publish::Service(key("ctl", "portico")));
    let mut updates = watch_objects(&client, &config, Arc::new(Metrics::new()));
    let mut writer =
        StatusWriter::new(client.clone(), config.publish.clone(), config.options.clone(), None);
    let batch =
        until(&mut updates, "first sync", |o| o.services.contains_key(&key("ctl", "portico")))
            .await;
    assert_eq!(writer.sync(&batch.objects).await.written, 1);
    assert_eq!(addresses(&server, "apps", "web"), ["203.0.113.5", "lb.cloud.example"]);
}

#[tokio::test]
async fn a_node_port_service_publishes_the_addresses_of_the_controllers_nodes() {
    let (server, client, _dir) = start("a").await;
    server.apply_yaml(&ingress("apps", "web", "web.test", "web"));
    server.apply_yaml(&service("ctl", "portico").replace("spec:\n", "spec:\n  type: NodePort\n"));
    server.apply_yaml(&slice("ctl", "portico", "portico-1", &["10.0.0.7"], Some("node-a")));
    server.apply_yaml(&slice("ctl", "portico", "portico-2", &["10.0.0.8"], Some("node-b")));
    for (node, kind, ip) in [
        ("node-a", "ExternalIP", "198.51.100.1"),
        ("node-b", "InternalIP", "10.1.0.2"),
        ("node-c", "InternalIP", "10.1.0.3"),
    ] {
        server.apply_yaml(&format!(
            "apiVersion: v1\nkind: Node\nmetadata:\n  name: {node}\nstatus:\n  addresses:\n  \
             - type: Hostname\n    address: {node}\n  - type: {kind}\n    address: {ip}\n"
        ));
    }
    let mut config = config("a");
    config.namespace = Some("apps".into());
    config.publish = Some(Publish::Service(key("ctl", "portico")));
    let mut updates = watch_objects(&client, &config, Arc::new(Metrics::new()));
    let mut writer = StatusWriter::new(
        client.clone(),
        config.publish.clone(),
        config.options.clone(),
        Some("node-c".into()),
    );
    let batch = until(&mut updates, "first sync", |o| o.endpoint_slices.len() == 2).await;
    assert_eq!(writer.sync(&batch.objects).await.written, 1);
    assert_eq!(addresses(&server, "apps", "web"), ["10.1.0.2", "10.1.0.3", "198.51.100.1"]);
    assert_eq!(status_writes(&server), 1);
}
