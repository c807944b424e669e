//! One read of the cluster against the test API server: every page, the watchers' scope (the
//! namespace, objects named outside it, no service-account tokens), lists only, and failures
//! that name the kind.
#![allow(clippy::unwrap_used)]

#[path = "support/fixtures.rs"]
mod fixtures;

use fixtures::*;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use portico_cluster::{snapshot, ClusterError, Kind, SnapshotConfig};
use portico_cluster_testkit::ApiServer;

fn configmap(ns: &str, name: &str) -> String {
    format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {ns}\n")
}

/// No watch was started and nothing was written: a snapshot only lists.
fn only_listed(server: &ApiServer) {
    assert!(server.writes().is_empty(), "{:?}", server.writes());
    let watches = [
        server.watch_starts::<Ingress>(),
        server.watch_starts::<IngressClass>(),
        server.watch_starts::<Service>(),
        server.watch_starts::<EndpointSlice>(),
        server.watch_starts::<Secret>(),
        server.watch_starts::<ConfigMap>(),
    ];
    assert_eq!(watches, [0; 6]);
}

#[tokio::test]
async fn reads_every_page_of_every_kind() {
    let (server, client, _dir) = start("check").await;
    for name in ["a", "b", "c"] {
        server.apply_yaml(&ingress("apps", name, &format!("{name}.test"), "web"));
    }
    server.apply_yaml(&service("apps", "web"));
    server.apply_yaml(&slice("apps", "web", "web-1", &["10.0.0.1"], None));
    server.apply_yaml(&secret("apps", "a-tls", "kubernetes.io/tls"));
    server.apply_yaml(&secret("apps", "token", "kubernetes.io/service-account-token"));
    let mut config = SnapshotConfig::new(options());
    config.page_size = 1;
    let objects = snapshot(&client, &config).await.unwrap();
    assert_eq!(objects.ingresses.len(), 3);
    assert_eq!(server.lists::<Ingress>(), 3, "one page per Ingress");
    assert!(objects.services.contains_key(&key("apps", "web")));
    assert!(objects.endpoint_slices.contains_key(&key("apps", "web-1")));
    let secrets: Vec<_> = objects.secrets.keys().cloned().collect();
    assert_eq!(secrets, [key("apps", "a-tls")], "service-account tokens are never read");
    assert!(objects.ingresses.values().all(|i| i.file.is_none()));
    only_listed(&server);
}

#[tokio::test]
async fn a_namespace_limits_what_is_read_but_not_the_objects_named_outside_it() {
    let (server, client, _dir) = start("check").await;
    server.apply_yaml(&ingress("apps", "web", "web.test", "web"));
    server.apply_yaml(&ingress("shop", "cart", "cart.test", "cart"));
    server.apply_yaml(&configmap("ctl", "portico"));
    server.apply_yaml(&configmap("ctl", "unrelated"));
    server.apply_yaml(&service("ctl", "fallback"));
    let mut options = options();
    options.configmap = Some(key("ctl", "portico"));
    options.default_backend_service = Some(key("ctl", "fallback"));
    let mut config = SnapshotConfig::new(options);
    config.namespace = Some("apps".into());
    let objects = snapshot(&client, &config).await.unwrap();
    let ingresses: Vec<_> = objects.ingresses.keys().cloned().collect();
    assert_eq!(ingresses, [key("apps", "web")]);
    let maps: Vec<_> = objects.config_maps.keys().cloned().collect();
    assert_eq!(maps, [key("ctl", "portico")], "only the controller ConfigMap outside apps");
    assert!(objects.services.contains_key(&key("ctl", "fallback")));
    only_listed(&server);
}

#[tokio::test]
async fn a_forbidden_kind_fails_the_snapshot_naming_it() {
    let (server, client, _dir) = start("check").await;
    server.forbid::<Secret>(true);
    let error = snapshot(&client, &SnapshotConfig::new(options())).await.unwrap_err();
    assert!(matches!(&error, ClusterError::ListForbidden { kind: Kind::Secret, .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("cannot list Secret in all namespaces (type!=")
            && message.contains("forbidden; the credentials need `list`")
            && message.contains("secrets is forbidden: User"),
        "{message}"
    );
}

#[tokio::test]
async fn an_api_outage_fails_the_snapshot_naming_the_kind() {
    let (server, client, _dir) = start("check").await;
    server.outage(true);
    let error = snapshot(&client, &SnapshotConfig::new(options())).await.unwrap_err();
    assert!(matches!(&error, ClusterError::List { .. }), "{error:?}");
    assert!(error.to_string().starts_with("cannot list "), "{error}");
}
