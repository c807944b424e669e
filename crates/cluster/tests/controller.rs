//! The whole of cluster mode (`portico_cluster::run`) with two replicas against one test API
//! server: one table build per relevant batch, status written by the leader only, leadership
//! moving when the leader dies, Warning Events posted once per message.
#![allow(clippy::unwrap_used)]

#[path = "support/fixtures.rs"]
mod fixtures;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fixtures::*;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::api::networking::v1::Ingress;
use portico_cluster::{Client, Config, Publish};
use portico_cluster_testkit::ApiServer;
use portico_compiler::Compiler;
use portico_metrics::Metrics;
use tokio::sync::watch;

/// One replica: `run` on its own task, counting its table builds.
struct Replica {
    task: tokio::task::JoinHandle<()>,
    stop: watch::Sender<bool>,
    builds: Arc<AtomicUsize>,
}

impl Replica {
    fn start(client: Client, config: Config) -> Replica {
        let builds = Arc::new(AtomicUsize::new(0));
        let counter = builds.clone();
        let mut compiler = Compiler::new(config.options.clone());
        let rebuild = move |objects: &portico_store::Objects| {
            counter.fetch_add(1, Ordering::SeqCst);
            compiler.compile(objects).diagnostics
        };
        let (stop, stop_rx) = watch::channel(false);
        let metrics = Arc::new(Metrics::new());
        let task = tokio::spawn(portico_cluster::run(client, config, metrics, rebuild, stop_rx));
        Replica { task, stop, builds }
    }
}

fn holder(server: &ApiServer) -> Option<String> {
    server.get::<Lease>("portico", "portico-leader")?.spec?.holder_identity
}

fn status_ip(server: &ApiServer, name: &str) -> Option<String> {
    let ingress: Ingress = server.get("apps", name)?;
    ingress.status?.load_balancer?.ingress?.first()?.ip.clone()
}

fn status_writers(server: &ApiServer) -> Vec<String> {
    let writes = server.writes();
    let status = writes.iter().filter(|w| w.path.ends_with("/status") && w.status == 200);
    status.map(|w| w.token.clone().unwrap()).collect()
}

#[tokio::test]
async fn only_the_leader_writes_status_and_leadership_moves_when_it_dies() {
    let (server, client_a, dir) = start("a").await;
    let client_b = connect(&server, &dir, "b").await;
    server.apply_yaml(&service("apps", "web"));
    server.apply_yaml(&slice("apps", "web", "web-1", &["10.0.0.1"], None));
    server.apply_yaml(&ingress("apps", "one", "one.test", "web"));
    let with_publish = |identity: &str| {
        let mut config = config(identity);
        config.publish = Some(Publish::addresses("192.0.2.1"));
        config
    };
    let a = Replica::start(client_a, with_publish("a"));
    eventually("a leads", || holder(&server).as_deref() == Some("a")).await;
    let b = Replica::start(client_b, with_publish("b"));
    eventually("status written", || status_ip(&server, "one").as_deref() == Some("192.0.2.1"))
        .await;
    eventually("b built its table too", || b.builds.load(Ordering::SeqCst) >= 1).await;

    server.apply_yaml(&ingress("apps", "two", "two.test", "web"));
    eventually("status of a new Ingress", || status_ip(&server, "two").is_some()).await;
    // A window, not a wait: nothing more may be written in it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(status_writers(&server), ["a", "a"], "one write per Ingress, by the leader only");

    // Endpoint churn rebuilds the table on both replicas but writes no status.
    let builds = b.builds.load(Ordering::SeqCst);
    server.apply_yaml(&slice("apps", "web", "web-1", &["10.0.0.2"], None));
    eventually("b rebuilt", || b.builds.load(Ordering::SeqCst) > builds).await;
    assert_eq!(status_writers(&server).len(), 2);

    // a dies without releasing its Lease: b takes over once it expires, and fixes the status
    // someone wiped meanwhile.
    a.task.abort();
    let mut wiped: Ingress = server.get("apps", "one").unwrap();
    wiped.status = None;
    server.apply(&wiped);
    eventually("b leads", || holder(&server).as_deref() == Some("b")).await;
    eventually("b restored the status", || status_ip(&server, "one").is_some()).await;
    assert_eq!(status_writers(&server), ["a", "a", "b"]);

    // A clean stop hands the Lease back.
    b.stop.send(true).unwrap();
    b.task.await.unwrap();
    assert_eq!(holder(&server), None);
}

#[tokio::test]
async fn ingress_diagnostics_become_warning_events_once() {
    let (server, client, _dir) = start("a").await;
    server.apply_yaml(&ingress("apps", "broken", "broken.test", "missing"));
    server.apply_yaml(&service("apps", "web"));
    let replica = Replica::start(client, config("a"));
    let about = |needle: &str| {
        let events = server.list::<Event>();
        events.into_iter().find(|e| e.message.as_deref().unwrap_or_default().contains(needle))
    };
    eventually("an Event for the missing Service", || about("apps/missing").is_some()).await;
    let event = about("apps/missing").unwrap();
    assert_eq!(event.type_.as_deref(), Some("Warning"));
    assert_eq!(event.involved_object.name.as_deref(), Some("broken"));
    assert_eq!(event.involved_object.kind.as_deref(), Some("Ingress"));
    assert!(event.involved_object.uid.is_some());
    assert!(about("apps/broken-tls").is_some(), "one Event per diagnostic");
    let posted = server.list::<Event>().len();

    // Rebuilds with the same diagnostics post nothing new; a new problem is posted.
    let builds = replica.builds.load(Ordering::SeqCst);
    let annotated = ingress("apps", "broken", "broken.test", "missing").replace(
        "  namespace: apps\n",
        "  namespace: apps\n  annotations:\n    example.com/note: x\n",
    );
    server.apply_yaml(&annotated);
    eventually("rebuilt", || replica.builds.load(Ordering::SeqCst) > builds).await;
    // A window, not a wait: nothing more may be written in it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(server.list::<Event>().len(), posted, "rate-limited: {:#?}", server.list::<Event>());
    server.apply_yaml(&ingress("apps", "broken", "broken.test", "also-missing"));
    eventually("an Event for the new problem", || server.list::<Event>().len() > posted).await;
    replica.stop.send(true).unwrap();
}
