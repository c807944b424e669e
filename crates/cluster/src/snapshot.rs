//! One read of everything cluster mode watches (`portico check` against a cluster): the
//! watchers' plan, each watch replaced by one paginated list. No watch, no write, no Lease, no
//! retry: a failed list fails the snapshot, naming the kind.

use futures_util::future::try_join_all;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::api::ListParams;
use kube::{Api, Client};
use portico_store::Objects;

use crate::error::{api_reason, ClusterError};
use crate::kinds::{AnyObject, AnyObjectExt, Kind, Watched};
use crate::watch::{namespaced, plan_for, wrap, Spec};

/// Objects per list page by default (kube-runtime's watcher lists with the same).
pub const PAGE_SIZE: u32 = 500;

/// What [`snapshot`] reads: the scope of [`Config`](crate::Config), without the controller's
/// duties (status, Lease, Events). [`SnapshotConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct SnapshotConfig {
    /// `--watch-namespace`: namespaced kinds are read from this namespace only.
    pub namespace: Option<String>,
    /// Which objects the table reads: the ConfigMap, the default backend and certificate.
    pub options: portico_compiler::Options,
    /// Objects per list request (the `limit`); more pages follow the `continue` token.
    pub page_size: u32,
}

// === impl SnapshotConfig ===

impl SnapshotConfig {
    pub fn new(options: portico_compiler::Options) -> Self {
        Self { namespace: None, options, page_size: PAGE_SIZE }
    }
}

/// Lists, once, every object `serve` would watch with the same scope, into the same
/// [`Objects`] the watchers build (no file names: objects come from the API).
pub async fn snapshot(client: &Client, config: &SnapshotConfig) -> Result<Objects, ClusterError> {
    let plan = plan_for(config.namespace.as_deref(), &config.options, None);
    let page = config.page_size.max(1);
    let lists = try_join_all(plan.iter().map(|spec| list(client, spec, page))).await?;
    let mut objects = Objects::default();
    for object in lists.into_iter().flatten() {
        objects.insert(object.key(), object, None);
    }
    Ok(objects)
}

/// Every object `spec` selects, page by page.
async fn list(client: &Client, spec: &Spec, page: u32) -> Result<Vec<AnyObject>, ClusterError> {
    let ns = spec.namespace.as_deref();
    match spec.kind {
        Kind::Ingress => pages(namespaced::<Ingress>(client, ns), spec, page).await,
        Kind::IngressClass => pages(Api::<IngressClass>::all(client.clone()), spec, page).await,
        Kind::Service => pages(namespaced::<Service>(client, ns), spec, page).await,
        Kind::EndpointSlice => pages(namespaced::<EndpointSlice>(client, ns), spec, page).await,
        Kind::Secret => pages(namespaced::<Secret>(client, ns), spec, page).await,
        Kind::ConfigMap => pages(namespaced::<ConfigMap>(client, ns), spec, page).await,
    }
}

async fn pages<K: Watched>(
    api: Api<K>,
    spec: &Spec,
    page: u32,
) -> Result<Vec<AnyObject>, ClusterError> {
    let mut params = ListParams::default().limit(page);
    if let Some(fields) = &spec.fields {
        params = params.fields(fields);
    }
    if let Some(labels) = &spec.labels {
        params = params.labels(labels);
    }
    let mut objects = Vec::new();
    loop {
        let list = api.list(&params).await.map_err(|error| list_error(spec, &error))?;
        objects.extend(list.items.into_iter().map(wrap));
        match list.metadata.continue_.filter(|token| !token.is_empty()) {
            Some(token) => params.continue_token = Some(token),
            None => return Ok(objects),
        }
    }
}

fn list_error(spec: &Spec, error: &kube::Error) -> ClusterError {
    let (kind, scope) = (spec.kind, spec.scope());
    match error {
        kube::Error::Api(status) if status.code == 403 => {
            ClusterError::ListForbidden { kind, scope, message: status.message.clone() }
        }
        _ => ClusterError::List { kind, scope, reason: api_reason(error) },
    }
}
