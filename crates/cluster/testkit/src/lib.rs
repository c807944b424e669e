//! Test support, never in the product: an in-process Kubernetes API server on 127.0.0.1 that
//! speaks enough of the real protocol for kube-rs: lists with resourceVersions, chunked watch
//! streams with bookmarks and timeouts, `410 Gone` forcing a relist, `403`, get/create/replace/
//! merge-patch (status subresource included) with resourceVersion conflicts (`409`).
//!
//! Tests change objects through [`ApiServer`] (as other clients of a real cluster would) and
//! inject faults: dropped watches, expired resourceVersions, forbidden resources, outages.
#![forbid(unsafe_code)]

mod http;
mod resources;
mod select;
mod state;
mod watch;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

pub use resources::{ResourceType, RESOURCES};
pub use state::Write;

use state::{Change, State};

/// A running test API server; it stops when dropped.
pub struct ApiServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

pub(crate) struct Shared {
    pub state: Mutex<State>,
    pub changes: broadcast::Sender<Arc<Change>>,
    /// `(drops, expiries)`: bumping one ends every open watch that way.
    pub faults: tokio::sync::watch::Sender<(u64, u64)>,
    pub outage: AtomicBool,
    /// Ends watches after this long even if the client asked for longer.
    pub watch_timeout: Mutex<Option<Duration>>,
    pub bookmark_interval: Mutex<Duration>,
}

// === impl ApiServer ===

impl ApiServer {
    /// Listens on a free 127.0.0.1 port.
    pub async fn start() -> ApiServer {
        let listener =
            tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind test API server");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            changes: broadcast::channel(4096).0,
            faults: tokio::sync::watch::channel((0, 0)).0,
            outage: AtomicBool::new(false),
            watch_timeout: Mutex::new(None),
            bookmark_interval: Mutex::new(Duration::from_millis(500)),
        });
        let task = tokio::spawn(accept(listener, shared.clone()));
        ApiServer { shared, addr, task }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Writes a kubeconfig for this server to `path`: the client authenticates with `token`
    /// (how the server tells clients apart) and defaults to `namespace`.
    pub fn write_kubeconfig(&self, path: &Path, token: &str, namespace: &str) -> PathBuf {
        let config = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: {}\n\
             users:\n- name: {token}\n  user:\n    token: {token}\n\
             contexts:\n- name: test\n  context:\n    cluster: test\n    user: {token}\n    namespace: {namespace}\n\
             current-context: test\n",
            self.url()
        );
        std::fs::write(path, config).expect("write kubeconfig");
        path.to_path_buf()
    }

    /// Creates or replaces `object` (its namespace defaults to `default`) and notifies watches.
    /// Returns the stored object, with its new resourceVersion.
    pub fn apply<K: k8s_openapi::Resource + Serialize>(&self, object: &K) -> Value {
        let resource = resource_of::<K>();
        let value = serde_json::to_value(object).expect("serialize object");
        let mut state = self.shared.state.lock();
        let (stored, change) = state.put(resource, value, None, false).expect("apply object");
        let _ = self.shared.changes.send(change);
        stored
    }

    /// Applies every document of a (multi-document) YAML string, by its `kind`.
    pub fn apply_yaml(&self, yaml: &str) -> Vec<Value> {
        let mut stored = Vec::new();
        for document in serde_yaml_ng::Deserializer::from_str(yaml) {
            let value = Value::deserialize(document).expect("YAML document");
            if value.is_null() {
                continue;
            }
            let kind = value["kind"].as_str().expect("kind").to_string();
            let resource = ResourceType::of_kind(&kind)
                .unwrap_or_else(|| panic!("the test API server does not serve {kind}"));
            let mut state = self.shared.state.lock();
            let (object, change) = state.put(resource, value, None, false).expect("apply object");
            let _ = self.shared.changes.send(change);
            stored.push(object);
        }
        stored
    }

    /// Deletes an object; false when there was none.
    pub fn delete<K: k8s_openapi::Resource>(&self, namespace: &str, name: &str) -> bool {
        self.shared.delete(resource_of::<K>(), namespace, name).is_some()
    }

    /// Deletes an object named by its kind (`"Ingress"`); false when there was none.
    pub fn delete_kind(&self, kind: &str, namespace: &str, name: &str) -> bool {
        let resource = ResourceType::of_kind(kind).unwrap_or_else(|| panic!("unknown kind {kind}"));
        self.shared.delete(resource, namespace, name).is_some()
    }

    /// The stored object, decoded.
    pub fn get<K: k8s_openapi::Resource + DeserializeOwned>(
        &self,
        namespace: &str,
        name: &str,
    ) -> Option<K> {
        let state = self.shared.state.lock();
        let value = state.get(resource_of::<K>(), namespace, name)?.clone();
        Some(serde_json::from_value(value).expect("decode stored object"))
    }

    /// Every stored object of kind `K`.
    pub fn list<K: k8s_openapi::Resource + DeserializeOwned>(&self) -> Vec<K> {
        let state = self.shared.state.lock();
        let values = state.list(resource_of::<K>(), &select::Filter::default());
        values
            .into_iter()
            .map(|v| serde_json::from_value(v).expect("decode stored object"))
            .collect()
    }

    /// Every write request received so far (POST, PUT, PATCH, DELETE), in order.
    pub fn writes(&self) -> Vec<Write> {
        self.shared.state.lock().writes.clone()
    }

    /// How many watches of kind `K` were started (each reconnect counts).
    pub fn watch_starts<K: k8s_openapi::Resource>(&self) -> usize {
        let state = self.shared.state.lock();
        state.watch_starts.get(resource_of::<K>().plural).copied().unwrap_or(0)
    }

    /// How many lists of kind `K` were served (each relist, and each page, counts).
    pub fn lists<K: k8s_openapi::Resource>(&self) -> usize {
        let state = self.shared.state.lock();
        state.lists.get(resource_of::<K>().plural).copied().unwrap_or(0)
    }

    /// Aborts every open watch mid-stream (the connection breaks, as when a node goes away).
    pub fn drop_watches(&self) {
        self.shared.faults.send_modify(|(drops, _)| *drops += 1);
    }

    /// Compacts the history: every open watch gets an `ERROR 410 Gone` event and ends, and a
    /// watch resuming from an older resourceVersion gets the same, forcing a relist.
    pub fn expire(&self) {
        let mut state = self.shared.state.lock();
        state.compacted = state.rv;
        self.shared.faults.send_modify(|(_, expiries)| *expiries += 1);
    }

    /// Answers every request on kind `K` with `403 Forbidden` (RBAC missing) while `on`.
    pub fn forbid<K: k8s_openapi::Resource>(&self, on: bool) {
        let plural = resource_of::<K>().plural;
        let mut state = self.shared.state.lock();
        if on {
            state.forbidden.insert(plural);
        } else {
            state.forbidden.remove(plural);
        }
    }

    /// While `on`, every request gets its connection closed without an answer and open watches
    /// break (the API server restarting).
    pub fn outage(&self, on: bool) {
        self.shared.outage.store(on, Ordering::SeqCst);
        if on {
            self.drop_watches();
        }
    }

    /// Ends every watch after `timeout` (shorter than the client asked), as a server would.
    pub fn set_watch_timeout(&self, timeout: Option<Duration>) {
        *self.shared.watch_timeout.lock() = timeout;
    }

    /// How often watches that allow bookmarks get one (default 500 ms).
    pub fn set_bookmark_interval(&self, interval: Duration) {
        *self.shared.bookmark_interval.lock() = interval;
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

// === impl Shared ===

impl Shared {
    fn delete(&self, resource: ResourceType, namespace: &str, name: &str) -> Option<Value> {
        let mut state = self.state.lock();
        let change = state.delete(resource, namespace, name)?;
        let object = change.object.clone();
        let _ = self.changes.send(change);
        Some(object)
    }
}

fn resource_of<K: k8s_openapi::Resource>() -> ResourceType {
    ResourceType::of_kind(K::KIND)
        .unwrap_or_else(|| panic!("the test API server does not serve {}", K::KIND))
}

/// Accepts connections until aborted; aborting drops (and so closes) every connection.
async fn accept(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        while connections.try_join_next().is_some() {}
        let shared = shared.clone();
        connections.spawn(async move {
            let service = service_fn(move |req| http::handle(shared.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
