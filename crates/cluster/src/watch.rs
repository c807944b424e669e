//! The watchers: one kube-runtime watcher per kind (and per object read outside the watched
//! namespace), each turning its events into [`Delta`]s for the store. A failing watch is retried
//! with backoff and counted in `portico_watch_restarts_total`; the store, and so the live table,
//! keeps its last good contents meanwhile.

mod backoff;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use k8s_openapi::NamespaceResourceScope;
use kube::runtime::watcher::{self, Event};
use kube::runtime::WatchStreamExt;
use kube::{Api, Client};
use portico_metrics::Metrics;
use portico_store::{ObjectKey, SERVICE_NAME_LABEL};
use tokio::sync::mpsc;

use crate::error::chain;
use crate::kinds::{AnyObject, Kind, Watched};

use backoff::Backoff;

/// Secret types the table never reads: service-account tokens and Helm release records are
/// most Secrets in a cluster, and the largest.
const SECRET_FIELD_SELECTOR: &str =
    "type!=kubernetes.io/service-account-token,type!=helm.sh/release.v1";

/// Longest delay between retries of a failing watch.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// One watch: a kind, in one namespace or all, optionally narrowed by selectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    pub kind: Kind,
    pub namespace: Option<String>,
    pub fields: Option<String>,
    pub labels: Option<String>,
}

/// What a watcher tells the store.
#[derive(Debug)]
pub(crate) enum Delta {
    Apply(AnyObject),
    Delete(AnyObject),
    /// A complete (re)list: everything this watcher had that is not here is gone.
    Relisted(Vec<AnyObject>),
}

#[derive(Debug)]
pub(crate) struct Message {
    /// Index of the watcher in the plan.
    pub watcher: usize,
    pub delta: Delta,
}

// === impl Spec ===

impl Spec {
    fn new(kind: Kind, namespace: Option<&str>) -> Self {
        Self { kind, namespace: namespace.map(str::to_string), fields: None, labels: None }
    }

    fn fields(mut self, fields: impl Into<String>) -> Self {
        self.fields = Some(fields.into());
        self
    }

    fn labels(mut self, labels: impl Into<String>) -> Self {
        self.labels = Some(labels.into());
        self
    }

    /// Where this reads, for messages: `in all namespaces`, `in namespace ctl (metadata.name=x)`.
    pub(crate) fn scope(&self) -> String {
        let mut scope = match (&self.namespace, self.kind) {
            (_, Kind::IngressClass) => "cluster-wide".to_string(),
            (Some(ns), _) => format!("in namespace {ns}"),
            (None, _) => "in all namespaces".to_string(),
        };
        let selectors: Vec<&str> =
            [&self.fields, &self.labels].into_iter().flatten().map(String::as_str).collect();
        if !selectors.is_empty() {
            scope = format!("{scope} ({})", selectors.join(", "));
        }
        scope
    }
}

/// The plan for `options` in `namespace` (all when `None`): the objects the table reads plus,
/// for status only, the `publish` Service. Serve's watchers and check's lists both read this.
pub(crate) fn plan_for(
    namespace: Option<&str>,
    options: &portico_compiler::Options,
    publish: Option<&ObjectKey>,
) -> Vec<Spec> {
    let services: Vec<ObjectKey> =
        publish.into_iter().chain(options.default_backend_service.iter()).cloned().collect();
    let secrets: Vec<ObjectKey> = options.default_ssl_certificate.iter().cloned().collect();
    plan(namespace, options.configmap.as_ref(), &services, &secrets)
}

/// The watches cluster mode runs: every kind in `namespace` (all when `None`; ConfigMaps too,
/// for the ones annotations and the controller ConfigMap reference: `custom-headers`,
/// `add-headers`, `proxy-set-headers`), and, outside `namespace`, the controller ConfigMap,
/// the named Services (with their EndpointSlices) and Secrets by name.
pub(crate) fn plan(
    namespace: Option<&str>,
    configmap: Option<&ObjectKey>,
    extra_services: &[ObjectKey],
    extra_secrets: &[ObjectKey],
) -> Vec<Spec> {
    let mut plan = vec![
        Spec::new(Kind::Ingress, namespace),
        Spec::new(Kind::IngressClass, None),
        Spec::new(Kind::Service, namespace),
        Spec::new(Kind::EndpointSlice, namespace),
        Spec::new(Kind::Secret, namespace).fields(SECRET_FIELD_SELECTOR),
        Spec::new(Kind::ConfigMap, namespace),
    ];
    let outside = |key: &&ObjectKey| namespace.is_some_and(|ns| ns != key.namespace);
    if let Some(key) = configmap.filter(outside) {
        let spec = Spec::new(Kind::ConfigMap, Some(&key.namespace));
        plan.push(spec.fields(format!("metadata.name={}", key.name)));
    }
    let mut seen = Vec::new();
    for key in extra_services.iter().filter(outside) {
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let ns = Some(key.namespace.as_str());
        plan.push(Spec::new(Kind::Service, ns).fields(format!("metadata.name={}", key.name)));
        let selector = format!("{SERVICE_NAME_LABEL}={}", key.name);
        plan.push(Spec::new(Kind::EndpointSlice, ns).labels(selector));
    }
    let mut seen = Vec::new();
    for key in extra_secrets.iter().filter(outside) {
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let spec = Spec::new(Kind::Secret, Some(&key.namespace));
        plan.push(spec.fields(format!("metadata.name={}", key.name)));
    }
    plan
}

/// Starts the watcher of `spec`; it runs until aborted or the store is gone.
pub(crate) fn spawn(
    client: &Client,
    spec: &Spec,
    watcher: usize,
    tx: mpsc::Sender<Message>,
    metrics: Arc<Metrics>,
    retry: Duration,
) -> tokio::task::JoinHandle<()> {
    let mut config = watcher::Config::default();
    if let Some(fields) = &spec.fields {
        config = config.fields(fields);
    }
    if let Some(labels) = &spec.labels {
        config = config.labels(labels);
    }
    let ns = spec.namespace.as_deref();
    let run = Run { watcher, tx, metrics, retry, config };
    match spec.kind {
        Kind::Ingress => tokio::spawn(run.run(namespaced::<Ingress>(client, ns))),
        Kind::IngressClass => tokio::spawn(run.run(Api::<IngressClass>::all(client.clone()))),
        Kind::Service => tokio::spawn(run.run(namespaced::<Service>(client, ns))),
        Kind::EndpointSlice => tokio::spawn(run.run(namespaced::<EndpointSlice>(client, ns))),
        Kind::Secret => tokio::spawn(run.run(namespaced::<Secret>(client, ns))),
        Kind::ConfigMap => tokio::spawn(run.run(namespaced::<ConfigMap>(client, ns))),
    }
}

pub(crate) fn namespaced<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = NamespaceResourceScope, DynamicType = ()>,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// One watcher's loop.
struct Run {
    watcher: usize,
    tx: mpsc::Sender<Message>,
    metrics: Arc<Metrics>,
    retry: Duration,
    config: watcher::Config,
}

// === impl Run ===

impl Run {
    async fn run<K: Watched>(self, api: Api<K>) {
        let backoff = Backoff::new(self.retry, MAX_RETRY);
        let stream = watcher::watcher(api, self.config.clone()).backoff(backoff);
        let mut stream = std::pin::pin!(stream);
        let mut listing: Vec<AnyObject> = Vec::new();
        while let Some(event) = stream.next().await {
            let delta = match event {
                Ok(Event::Init) => {
                    listing.clear();
                    continue;
                }
                Ok(Event::InitApply(object)) => {
                    listing.push(wrap(object));
                    continue;
                }
                Ok(Event::InitDone) => Delta::Relisted(std::mem::take(&mut listing)),
                Ok(Event::Apply(object)) => Delta::Apply(wrap(object)),
                Ok(Event::Delete(object)) => Delta::Delete(wrap(object)),
                Err(error) => {
                    self.failed(K::KIND, &error);
                    continue;
                }
            };
            if self.tx.send(Message { watcher: self.watcher, delta }).await.is_err() {
                return;
            }
        }
    }

    fn failed(&self, kind: Kind, error: &watcher::Error) {
        self.metrics.watch_restarted(kind.as_str());
        let forbidden = match error {
            watcher::Error::InitialListFailed(kube::Error::Api(status))
            | watcher::Error::WatchStartFailed(kube::Error::Api(status))
            | watcher::Error::WatchFailed(kube::Error::Api(status)) => status.code == 403,
            watcher::Error::WatchError(status) => status.code == 403,
            _ => false,
        };
        let error = chain(error);
        if forbidden {
            tracing::error!(
                %kind, %error,
                "watch forbidden: the controller's ServiceAccount needs list and watch on this kind \
                 (see the chart's RBAC); retrying with backoff, the current table keeps serving"
            );
        } else {
            tracing::warn!(%kind, %error, "watch failed; retrying with backoff, the current table keeps serving");
        }
    }
}

/// Drops what no one reads (managed fields can be most of an object) and shares the rest.
pub(crate) fn wrap<K: Watched>(mut object: K) -> AnyObject {
    object.meta_mut().managed_fields = None;
    Arc::new(object).wrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_scoped_watches_and_named_objects_outside_the_scope() {
        let cm = ObjectKey::new("ctl", "portico");
        let publish = ObjectKey::new("ctl", "portico");
        let inside = ObjectKey::new("apps", "fallback");
        let cert = ObjectKey::new("ctl", "default-cert");
        let plan = plan(Some("apps"), Some(&cm), &[publish.clone(), inside, publish], &[cert]);
        let described: Vec<String> = plan
            .iter()
            .map(|s| format!("{} {:?} {:?} {:?}", s.kind, s.namespace, s.fields, s.labels))
            .collect();
        assert_eq!(plan.len(), 10, "{described:#?}");
        assert_eq!(plan[0], Spec::new(Kind::Ingress, Some("apps")));
        assert_eq!(plan[1], Spec::new(Kind::IngressClass, None));
        assert_eq!(plan[4].fields.as_deref(), Some(SECRET_FIELD_SELECTOR));
        assert_eq!(plan[5], Spec::new(Kind::ConfigMap, Some("apps")));
        assert_eq!(
            plan[6],
            Spec::new(Kind::ConfigMap, Some("ctl")).fields("metadata.name=portico")
        );
        assert_eq!(plan[7], Spec::new(Kind::Service, Some("ctl")).fields("metadata.name=portico"));
        let slices = Spec::new(Kind::EndpointSlice, Some("ctl"));
        assert_eq!(plan[8], slices.labels("kubernetes.io/service-name=portico"));
        assert_eq!(
            plan[9],
            Spec::new(Kind::Secret, Some("ctl")).fields("metadata.name=default-cert")
        );

        let cm = ObjectKey::new("ctl", "portico");
        let all = super::plan(None, Some(&cm), &[ObjectKey::new("ctl", "portico")], &[]);
        assert_eq!(all.len(), 6, "everything is in scope when watching all namespaces");
    }

    #[test]
    fn scopes_name_the_namespace_and_the_selectors() {
        let plan = plan_for(None, &options(), None);
        let scopes: Vec<String> = plan.iter().map(Spec::scope).collect();
        assert_eq!(scopes[0], "in all namespaces");
        assert_eq!(scopes[1], "cluster-wide", "IngressClasses have no namespace");
        assert_eq!(scopes[4], format!("in all namespaces ({SECRET_FIELD_SELECTOR})"));
        let slices = Spec::new(Kind::EndpointSlice, Some("ctl")).labels("a=b").fields("c=d");
        assert_eq!(slices.scope(), "in namespace ctl (c=d, a=b)");
    }

    #[test]
    fn plan_for_reads_the_objects_the_options_name() {
        let mut options = options();
        options.configmap = Some(ObjectKey::new("ctl", "portico"));
        options.default_backend_service = Some(ObjectKey::new("ctl", "fallback"));
        options.default_ssl_certificate = Some(ObjectKey::new("ctl", "cert"));
        let publish = ObjectKey::new("ctl", "portico");
        let watched = plan_for(Some("apps"), &options, Some(&publish));
        let listed = plan_for(Some("apps"), &options, None);
        let named = |plan: &[Spec], kind| {
            plan.iter().filter(|s| s.kind == kind && s.namespace.as_deref() == Some("ctl")).count()
        };
        assert_eq!(named(&watched, Kind::Service), 2, "the published and the default backend");
        assert_eq!(named(&listed, Kind::Service), 1, "status is not check's business");
        assert_eq!(named(&listed, Kind::ConfigMap), 1);
        assert_eq!(named(&listed, Kind::Secret), 1);
    }

    fn options() -> portico_compiler::Options {
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
}
