//! Watchers → store against the test API server: first sync, changes in any order, batching,
//! relevance, and every kind of watch failure (drop, 410, outage, 403).
#![allow(clippy::unwrap_used)]

#[path = "support/fixtures.rs"]
mod fixtures;

use std::sync::Arc;
use std::time::Duration;

use fixtures::*;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use portico_cluster::watch_objects;
use portico_metrics::Metrics;

#[tokio::test]
async fn first_batch_holds_everything_and_objects_arrive_in_any_order() {
    let (server, client, _dir) = start("a").await;
    server.apply_yaml(&ingress("apps", "web", "web.test", "web"));
    server.apply_yaml(&secret("kube-system", "token", "kubernetes.io/service-account-token"));
    let mut updates = watch_objects(&client, &config("a"), Arc::new(Metrics::new()));
    let first =
        until(&mut updates, "the Ingress", |o| o.ingresses.contains_key(&key("apps", "web"))).await;
    assert_eq!(first.table, 1, "one table for the initial sync");
    assert!(first.objects.secrets.is_empty(), "service-account tokens are never read");

    // The Secret and the Service after the Ingress that names them.
    server.apply_yaml(&secret("apps", "web-tls", "kubernetes.io/tls"));
    let batch =
        until(&mut updates, "the Secret", |o| o.secrets.contains_key(&key("apps", "web-tls")))
            .await;
    assert!(batch.table > first.table, "a referenced Secret rebuilds the table");
    server.apply_yaml(&service("apps", "web"));
    server.apply_yaml(&slice("apps", "web", "web-1", &["10.0.0.1"], None));
    until(&mut updates, "Service and slice", |o| {
        o.services.contains_key(&key("apps", "web"))
            && o.endpoint_slices.contains_key(&key("apps", "web-1"))
    })
    .await;

    // Deleted in another order than created.
    server.delete::<Ingress>("apps", "web");
    server.delete::<Secret>("apps", "web-tls");
    until(&mut updates, "Ingress and Secret gone", |o| {
        o.ingresses.is_empty() && o.secrets.is_empty()
    })
    .await;
}

#[tokio::test]
async fn changes_nothing_reads_do_not_rebuild_and_churn_is_batched() {
    let (server, client, _dir) = start("a").await;
    server.apply_yaml(&ingress("apps", "web", "web.test", "web"));
    server.apply_yaml(&service("apps", "web"));
    let mut updates = watch_objects(&client, &config("a"), Arc::new(Metrics::new()));
    let first = until(&mut updates, "first sync", |o| o.services.len() == 1).await;

    server.apply_yaml(&secret("apps", "unrelated", "Opaque"));
    server.apply_yaml(&service("apps", "unrelated"));
    server.apply_yaml(&slice("apps", "unrelated", "unrelated-1", &["10.0.0.9"], None));
    quiet(&mut updates, Duration::from_millis(400), "nothing the table reads changed").await;

    // 30 endpoint changes in quick succession: a few batches, the last one complete.
    for i in 0..30 {
        server.apply_yaml(&slice("apps", "web", "web-1", &[&format!("10.0.1.{i}")], None));
    }
    let last = until(&mut updates, "the last endpoint", |o| {
        o.endpoint_slices
            .get(&key("apps", "web-1"))
            .is_some_and(|s| s.object.endpoints.as_ref().unwrap()[0].addresses == ["10.0.1.29"])
    })
    .await;
    let rebuilds = last.table - first.table;
    assert!((1..=10).contains(&rebuilds), "30 changes took {rebuilds} rebuilds");
    assert!(
        last.objects.secrets.contains_key(&key("apps", "unrelated")),
        "still stored, for later use"
    );

    // An Ingress status change (our own write, typically) is a status batch, not a rebuild.
    let mut web: Ingress = server.get("apps", "web").unwrap();
    web.status =
        serde_json::from_str(r#"{"loadBalancer":{"ingress":[{"ip":"192.0.2.1"}]}}"#).unwrap();
    server.apply(&web);
    let batch = until(&mut updates, "status change", |o| {
        o.ingresses[&key("apps", "web")]
            .object
            .status
            .as_ref()
            .is_some_and(|s| s.load_balancer.is_some())
    })
    .await;
    assert_eq!(batch.table, last.table, "status changes do not rebuild");
}

#[tokio::test]
async fn dropped_watches_resume_and_expired_ones_relist() {
    let (server, client, _dir) = start("a").await;
    server.apply_yaml(&ingress("apps", "one", "one.test", "web"));
    let metrics = Arc::new(Metrics::new());
    let mut updates = watch_objects(&client, &config("a"), metrics.clone());
    until(&mut updates, "first sync", |o| o.ingresses.len() == 1).await;
    let lists = server.lists::<Ingress>();
    let starts = server.watch_starts::<Ingress>();

    // Bookmarks move the Ingress watch past changes of other kinds; a connection broken
    // mid-stream then resumes from the bookmark, with no relist and nothing missed.
    server.set_bookmark_interval(Duration::from_millis(50));
    for i in 0..5 {
        server.apply_yaml(&secret("apps", &format!("noise-{i}"), "Opaque"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.drop_watches();
    server.apply_yaml(&ingress("apps", "two", "two.test", "web"));
    until(&mut updates, "change after a dropped watch", |o| o.ingresses.len() == 2).await;
    assert_eq!(
        server.lists::<Ingress>(),
        lists,
        "a dropped watch resumes from its resourceVersion"
    );
    assert!(server.watch_starts::<Ingress>() > starts);

    // 410 Gone: the watch must relist, and the relist drops what was deleted meanwhile.
    server.expire();
    server.delete::<Ingress>("apps", "one");
    server.apply_yaml(&ingress("apps", "three", "three.test", "web"));
    let batch = until(&mut updates, "relist after 410", |o| {
        o.ingresses.len() == 2 && o.ingresses.contains_key(&key("apps", "three"))
    })
    .await;
    assert!(!batch.objects.ingresses.contains_key(&key("apps", "one")));
    eventually("a relist", || server.lists::<Ingress>() > lists).await;
    let metrics = metrics.encode();
    assert!(metrics.contains(r#"portico_watch_restarts_total{kind="Ingress"} "#), "{metrics}");

    // Watches the server ends on time (timeoutSeconds) are simply restarted.
    server.set_watch_timeout(Some(Duration::from_millis(200)));
    server.drop_watches(); // the open watch started with the client's own timeout
    let starts = server.watch_starts::<Ingress>();
    eventually("watches restarted after their timeout", || {
        server.watch_starts::<Ingress>() >= starts + 3
    })
    .await;
    server.apply_yaml(&ingress("apps", "four", "four.test", "web"));
    until(&mut updates, "change after watch timeouts", |o| {
        o.ingresses.contains_key(&key("apps", "four"))
    })
    .await;
}

#[tokio::test]
async fn an_outage_keeps_the_last_objects_and_catches_up() {
    let (server, client, _dir) = start("a").await;
    server.apply_yaml(&service("apps", "web"));
    server.apply_yaml(&ingress("apps", "web", "web.test", "web"));
    server.apply_yaml(&slice("apps", "web", "web-1", &["10.0.0.1"], None));
    let mut updates = watch_objects(&client, &config("a"), Arc::new(Metrics::new()));
    until(&mut updates, "first sync", |o| o.endpoint_slices.len() == 1).await;

    server.outage(true);
    quiet(&mut updates, Duration::from_millis(500), "no batch while the API is down").await;
    server.apply_yaml(&slice("apps", "web", "web-1", &["10.0.0.2"], None));
    server.outage(false);
    until(&mut updates, "caught up after the outage", |o| {
        o.endpoint_slices[&key("apps", "web-1")].object.endpoints.as_ref().unwrap()[0].addresses
            == ["10.0.0.2"]
    })
    .await;
}

#[tokio::test]
async fn forbidden_kinds_hold_back_the_first_table_until_rbac_is_fixed() {
    let (server, client, _dir) = start("a").await;
    server.apply_yaml(&ingress("apps", "web", "web.test", "web"));
    server.forbid::<EndpointSlice>(true);
    let metrics = Arc::new(Metrics::new());
    let mut updates = watch_objects(&client, &config("a"), metrics.clone());
    quiet(&mut updates, Duration::from_millis(500), "not every kind has synced").await;
    assert!(metrics.encode().contains(r#"portico_watch_restarts_total{kind="EndpointSlice"}"#));
    server.forbid::<EndpointSlice>(false);
    until(&mut updates, "first sync once allowed", |o| o.ingresses.len() == 1).await;
}

#[tokio::test]
async fn watch_namespace_limits_namespaced_kinds_but_not_named_objects() {
    let (server, client, _dir) = start("a").await;
    server.apply_yaml(&ingress("apps", "web", "web.test", "web"));
    server.apply_yaml(&ingress("other", "web", "other.test", "web"));
    server.apply_yaml(&service("ctl", "portico"));
    server.apply_yaml(&service("ctl", "not-published"));
    server.apply_yaml(&slice("ctl", "portico", "portico-1", &["10.0.0.5"], Some("node-a")));
    server.apply_yaml(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: ctl\ndata:\n  ssl-redirect: \"false\"\n",
    );
    server.apply_yaml(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: ctl\ndata: {}\n",
    );
    let mut config = config("a");
    config.namespace = Some("apps".into());
    config.options.configmap = Some(key("ctl", "portico"));
    config.publish = Some(portico_cluster::Publish::Service(key("ctl", "portico")));
    let mut updates = watch_objects(&client, &config, Arc::new(Metrics::new()));
    let batch = until(&mut updates, "first sync", |o| !o.ingresses.is_empty()).await;
    let o = &batch.objects;
    assert_eq!(o.ingresses.keys().collect::<Vec<_>>(), [&key("apps", "web")]);
    assert_eq!(o.config_maps.keys().collect::<Vec<_>>(), [&key("ctl", "portico")]);
    assert_eq!(o.services.keys().collect::<Vec<_>>(), [&key("ctl", "portico")]);
    assert_eq!(o.endpoint_slices.keys().collect::<Vec<_>>(), [&key("ctl", "portico-1")]);
}
