//! Cluster mode put together: watchers → store → (debounced) rebuild by the caller; the leader
//! election; and, on the leader only, Ingress status and Events.

use std::sync::Arc;
use std::time::Duration;

use kube::Client;
use portico_metrics::Metrics;
use portico_model::Diagnostic;
use portico_store::Objects;
use tokio::sync::{mpsc, watch};

use crate::events::EventRecorder;
use crate::leader::{Elector, LeaseConfig};
use crate::status::{Publish, StatusWriter};
use crate::store::{Batch, Fixed, Store};

/// Everything cluster mode needs besides the client. [`Config::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct Config {
    /// `--watch-namespace`: namespaced kinds are read from this namespace only.
    pub namespace: Option<String>,
    /// The compiler's options: which Ingresses are ours, the ConfigMap, the default backend.
    pub options: portico_compiler::Options,
    /// `--publish-service` / `--publish-status-address`; `None`: status is not written.
    pub publish: Option<Publish>,
    pub lease: LeaseConfig,
    /// `NODE_NAME`: the node this pod runs on.
    pub node_name: Option<String>,
    /// Changes within this window after the first one make one batch (default 20 ms).
    pub debounce: Duration,
    /// First delay before retrying a failed watch; doubles up to 30 s (default 500 ms).
    pub retry: Duration,
    /// The leader re-checks every Ingress's status this often even without changes (60 s).
    pub status_resync: Duration,
    /// The same Event message on the same Ingress is posted at most once per this (10 min).
    pub event_interval: Duration,
}

/// The stream of [`Batch`]es from the watchers; dropping it stops them.
#[derive(Debug)]
pub struct Updates {
    rx: watch::Receiver<Option<Batch>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// The leader's input: the objects and the diagnostics of the table built from them.
#[derive(Debug, Clone)]
struct Published {
    objects: Arc<Objects>,
    diagnostics: Arc<Vec<Diagnostic>>,
}

// === impl Config ===

impl Config {
    pub fn new(options: portico_compiler::Options, lease: LeaseConfig) -> Self {
        Self {
            namespace: None,
            options,
            publish: None,
            lease,
            node_name: None,
            // A batch goes out this long after its first change: bounded latency (target: a
            // change live in under 50 ms) while a burst (kubectl apply, endpoint churn) is one rebuild.
            debounce: Duration::from_millis(20),
            retry: Duration::from_millis(500),
            status_resync: Duration::from_secs(60),
            event_interval: Duration::from_secs(600),
        }
    }
}

// === impl Updates ===

impl Updates {
    /// The latest batch (intermediate ones are skipped); `None` once the watchers are gone.
    pub async fn next(&mut self) -> Option<Batch> {
        self.rx.changed().await.ok()?;
        self.rx.borrow_and_update().clone()
    }
}

impl Drop for Updates {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Starts every watcher and the store. The first batch comes once every watcher has listed.
pub fn watch_objects(client: &Client, config: &Config, metrics: Arc<Metrics>) -> Updates {
    let publish_service = match &config.publish {
        Some(Publish::Service(key)) => Some(key.clone()),
        _ => None,
    };
    let plan = crate::watch::plan_for(
        config.namespace.as_deref(),
        &config.options,
        publish_service.as_ref(),
    );
    let (tx, rx) = mpsc::channel(1024);
    let mut tasks: Vec<_> = plan
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            crate::watch::spawn(client, spec, i, tx.clone(), metrics.clone(), config.retry)
        })
        .collect();
    let fixed = Fixed {
        services: config.options.default_backend_service.iter().cloned().collect(),
        secrets: config.options.default_ssl_certificate.iter().cloned().collect(),
        publish: publish_service,
    };
    let kinds: Vec<_> = plan.iter().map(|spec| spec.kind).collect();
    let (batch_tx, batch_rx) = watch::channel(None);
    tasks.push(tokio::spawn(crate::store::run(
        Store::new(&kinds, fixed),
        rx,
        batch_tx,
        config.debounce,
    )));
    Updates { rx: batch_rx, tasks }
}

/// Runs cluster mode until `stop` turns true: `rebuild` compiles and swaps in a table from the
/// objects (called only when something the table reads changed) and returns its diagnostics.
/// On the way out the Lease is released.
pub async fn run<F>(
    client: Client,
    config: Config,
    metrics: Arc<Metrics>,
    mut rebuild: F,
    mut stop: watch::Receiver<bool>,
) where
    F: FnMut(&Objects) -> Vec<Diagnostic> + Send,
{
    let lease = config.lease.name.clone();
    let election_metrics = Arc::clone(&metrics);
    let mut updates = watch_objects(&client, &config, metrics);
    let (leading_tx, leading_rx) = watch::channel(false);
    let _leading_task =
        Task(tokio::spawn(report_leading(leading_rx.clone(), election_metrics, lease)));
    let elector = Elector::new(client.clone(), config.lease.clone());
    let mut election = Task(tokio::spawn(crate::leader::run(elector, leading_tx, stop.clone())));
    let (published_tx, published_rx) = watch::channel(None);
    let status = StatusWriter::new(
        client.clone(),
        config.publish.clone(),
        config.options.clone(),
        config.node_name.clone(),
    );
    let events =
        EventRecorder::new(client.clone(), config.lease.identity.clone(), config.event_interval);
    let leader = Leader {
        status,
        events,
        input: published_rx,
        leading: leading_rx,
        resync: config.status_resync,
    };
    let _leader_task = Task(tokio::spawn(leader.run(stop.clone())));

    let mut table = 0;
    let mut diagnostics = Arc::new(Vec::new());
    loop {
        let batch = tokio::select! {
            batch = updates.next() => batch,
            _ = stop.wait_for(|s| *s) => None,
        };
        let Some(batch) = batch else { break };
        if batch.table != table {
            table = batch.table;
            diagnostics = Arc::new(rebuild(&batch.objects));
        }
        let _ = published_tx
            .send(Some(Published { objects: batch.objects, diagnostics: diagnostics.clone() }));
    }
    drop(updates);
    // The election task releases the Lease when it sees `stop`; give it a moment to.
    let _ = tokio::time::timeout(Duration::from_secs(2), &mut election.0).await;
}

/// Keeps `nginx_ingress_controller_leader_election_status{name=lease}` at whether we lead.
async fn report_leading(mut leading: watch::Receiver<bool>, metrics: Arc<Metrics>, lease: String) {
    loop {
        let leader = *leading.borrow_and_update();
        metrics.controller().leading(&lease, leader);
        if leading.changed().await.is_err() {
            return;
        }
    }
}

/// A task that ends with its owner: when [`run`] is dropped mid-way (the process going down
/// without `stop`), nothing it started keeps running (and the Lease is simply not renewed).
struct Task(tokio::task::JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The leader's duties, idle while not leading.
struct Leader {
    status: StatusWriter,
    events: EventRecorder,
    input: watch::Receiver<Option<Published>>,
    leading: watch::Receiver<bool>,
    resync: Duration,
}

// === impl Leader ===

impl Leader {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                changed = self.input.changed() => if changed.is_err() { return },
                changed = self.leading.changed() => if changed.is_err() { return },
                () = tokio::time::sleep(self.resync) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
            if !*self.leading.borrow_and_update() {
                continue;
            }
            let Some(published) = self.input.borrow_and_update().clone() else { continue };
            self.status.sync(&published.objects).await;
            let posted = self.events.record(&published.objects, &published.diagnostics).await;
            if posted > 0 {
                tracing::debug!(posted, "Events posted for Ingress diagnostics");
            }
        }
    }
}
