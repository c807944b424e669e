use std::sync::Arc;

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::*;

fn service(ns: &str, name: &str, version: &str) -> AnyObject {
    let metadata = ObjectMeta {
        namespace: Some(ns.into()),
        name: Some(name.into()),
        resource_version: Some(version.into()),
        ..ObjectMeta::default()
    };
    AnyObject::Service(Arc::new(Service { metadata, ..Service::default() }))
}

fn message(watcher: usize, delta: Delta) -> Message {
    Message { watcher, delta }
}

/// Two Service watchers: namespace `apps`, and `ctl/portico` by name; `apps/web` is referenced.
fn store() -> Store {
    let fixed = Fixed { services: vec![ObjectKey::new("apps", "web")], ..Fixed::default() };
    Store::new(&[Kind::Service, Kind::Service], fixed)
}

#[test]
fn the_first_batch_waits_for_every_watcher() {
    let mut store = store();
    store.apply(message(0, Delta::Relisted(vec![service("apps", "web", "1")])));
    assert!(!store.synced());
    store.apply(message(1, Delta::Relisted(vec![])));
    assert!(store.synced() && store.dirty());
    let batch = store.take();
    assert_eq!((batch.table, batch.version, batch.objects.services.len()), (1, 1, 1));
    assert!(!store.dirty());
}

#[test]
fn a_relist_replaces_only_what_its_own_watcher_contributed() {
    let mut store = store();
    store.apply(message(
        0,
        Delta::Relisted(vec![service("apps", "web", "1"), service("apps", "old", "2")]),
    ));
    store.apply(message(1, Delta::Relisted(vec![service("ctl", "portico", "3")])));
    store.take();
    store.apply(message(0, Delta::Relisted(vec![service("apps", "web", "1")])));
    let keys: Vec<String> = store.objects.services.keys().map(ToString::to_string).collect();
    assert_eq!(keys, ["apps/web", "ctl/portico"]);
    assert!(!store.pending.table, "an unreferenced Service went away: no rebuild");
}

#[test]
fn the_same_version_again_is_no_change_and_a_new_one_is() {
    let mut store = store();
    store.apply(message(0, Delta::Relisted(vec![service("apps", "web", "1")])));
    store.apply(message(1, Delta::Relisted(vec![])));
    store.take();
    store.apply(message(0, Delta::Relisted(vec![service("apps", "web", "1")])));
    store.apply(message(0, Delta::Apply(service("apps", "web", "1"))));
    assert!(!store.dirty());
    store.apply(message(0, Delta::Apply(service("apps", "web", "2"))));
    assert!(store.pending.table);
    store.take();
    store.apply(message(0, Delta::Delete(service("apps", "web", "3"))));
    assert!(store.pending.table && store.objects.services.is_empty());
}

#[tokio::test(start_paused = true)]
async fn changes_within_the_debounce_window_make_one_batch() {
    let (tx, rx) = mpsc::channel(64);
    let (batch_tx, mut batch_rx) = watch::channel(None);
    tokio::spawn(run(store(), rx, batch_tx, Duration::from_millis(100)));
    tx.send(message(0, Delta::Relisted(vec![]))).await.unwrap();
    tx.send(message(1, Delta::Relisted(vec![]))).await.unwrap();
    batch_rx.changed().await.unwrap();
    let started = Instant::now();
    for version in 1..=20 {
        tx.send(message(0, Delta::Apply(service("apps", "web", &version.to_string()))))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    batch_rx.changed().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    let batch = batch_rx.borrow_and_update().clone().unwrap();
    assert_eq!(batch.table, 2, "20 changes, one rebuild");
    assert_eq!(
        batch.objects.services[&ObjectKey::new("apps", "web")]
            .object
            .metadata
            .resource_version
            .as_deref(),
        Some("20")
    );
}
