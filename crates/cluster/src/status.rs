//! Ingress status: the leader writes the published addresses into `status.loadBalancer.ingress`
//! of every Ingress we own, and clears it on Ingresses we stop owning (only when it still shows
//! our addresses, so another controller's status is never touched).

mod address;

use std::collections::{BTreeSet, HashSet};

use k8s_openapi::api::networking::v1::{Ingress, IngressLoadBalancerStatus, IngressStatus};
use kube::api::PostParams;
use kube::{Api, Client};
use portico_compiler::Options;
use portico_store::{ObjectKey, Objects};

pub use address::{Address, Publish};

use crate::error::chain;
use address::Resolver;

/// Writes Ingress status (the caller makes sure only the leader calls [`StatusWriter::sync`]).
pub struct StatusWriter {
    client: Client,
    publish: Option<Publish>,
    options: Options,
    resolver: Resolver,
    /// Ingresses that were ours at the last sync, and the addresses we published then.
    owned: HashSet<ObjectKey>,
    published: BTreeSet<Address>,
}

/// What one sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub written: usize,
    pub cleared: usize,
    pub failed: usize,
}

// === impl StatusWriter ===

impl std::fmt::Debug for StatusWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusWriter").finish_non_exhaustive()
    }
}

impl StatusWriter {
    /// `node_name` (`NODE_NAME`) is the node this pod runs on, published behind a NodePort.
    pub fn new(
        client: Client,
        publish: Option<Publish>,
        options: Options,
        node_name: Option<String>,
    ) -> Self {
        let resolver = Resolver::new(client.clone(), node_name);
        Self {
            client,
            publish,
            options,
            resolver,
            owned: HashSet::new(),
            published: BTreeSet::new(),
        }
    }

    /// Brings every Ingress's status in line with `objects`. Failed writes are retried by the
    /// next sync (a conflict means a newer version is on its way through the watch).
    pub async fn sync(&mut self, objects: &Objects) -> SyncReport {
        let mut report = SyncReport::default();
        let Some(publish) = &self.publish else { return report };
        let addresses = self.resolver.resolve(publish, objects).await;
        if addresses.is_empty() {
            tracing::debug!("no address to publish yet");
        }
        let mut owned = HashSet::new();
        for (key, sourced) in &objects.ingresses {
            let ingress = &sourced.object;
            let current = current_addresses(ingress);
            let desired = if portico_compiler::is_ours(ingress, objects, &self.options) {
                owned.insert(key.clone());
                if addresses.is_empty() || current == addresses {
                    continue;
                }
                &addresses
            } else {
                let ours_before =
                    self.owned.contains(key) && (current == self.published || current == addresses);
                if !ours_before || current.is_empty() {
                    continue;
                }
                &BTreeSet::new()
            };
            match self.write(key, ingress, desired).await {
                Ok(()) if desired.is_empty() => report.cleared += 1,
                Ok(()) => report.written += 1,
                Err(()) => report.failed += 1,
            }
        }
        self.owned = owned;
        if !addresses.is_empty() {
            self.published = addresses;
        }
        if report != SyncReport::default() {
            tracing::info!(
                written = report.written,
                cleared = report.cleared,
                failed = report.failed,
                "Ingress status synced"
            );
        }
        report
    }

    async fn write(
        &self,
        key: &ObjectKey,
        ingress: &Ingress,
        addresses: &BTreeSet<Address>,
    ) -> Result<(), ()> {
        let mut updated = ingress.clone();
        let entries: Vec<_> = addresses.iter().map(Address::to_status).collect();
        updated.status = Some(IngressStatus {
            load_balancer: Some(IngressLoadBalancerStatus {
                ingress: (!entries.is_empty()).then_some(entries),
            }),
        });
        let api: Api<Ingress> = Api::namespaced(self.client.clone(), &key.namespace);
        match api.replace_status(&key.name, &PostParams::default(), &updated).await {
            Ok(_) => {
                let shown: Vec<String> = addresses.iter().map(ToString::to_string).collect();
                tracing::debug!(ingress = %key, addresses = %shown.join(","), "Ingress status written");
                Ok(())
            }
            Err(kube::Error::Api(status)) if status.code == 409 => {
                tracing::debug!(ingress = %key, "Ingress changed meanwhile; its status is written at the next sync");
                Err(())
            }
            Err(error) => {
                tracing::warn!(ingress = %key, error = %chain(&error), "cannot write Ingress status");
                Err(())
            }
        }
    }
}

fn current_addresses(ingress: &Ingress) -> BTreeSet<Address> {
    let lb = ingress.status.as_ref().and_then(|s| s.load_balancer.as_ref());
    lb.and_then(|lb| lb.ingress.as_ref())
        .into_iter()
        .flatten()
        .filter_map(Address::from_status)
        .collect()
}
