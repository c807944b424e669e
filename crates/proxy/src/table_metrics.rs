//! What a table being swapped in tells ingress-nginx's controller metrics: the certificate
//! each TLS host is served (`ssl_expire_time_seconds`) and the Ingresses whose backends cannot
//! answer (`orphan_ingress`).

use std::collections::BTreeSet;

use portico_metrics::{CertificateExpiry, ControllerMetrics};
use portico_model::{RouteTable, Target};
use portico_tls::CertStore;

/// Reports the certificates and orphaned Ingresses of `table` (at swap time, not per request).
pub(crate) fn report(table: &RouteTable, certs: &CertStore, metrics: &ControllerMetrics) {
    let certificates = certs
        .expiries()
        .into_iter()
        .map(|(host, secret, not_after)| CertificateExpiry {
            host: host.to_string(),
            secret_namespace: secret.namespace.clone(),
            secret_name: secret.name.clone(),
            not_after,
        })
        .collect();
    metrics.table_served(certificates, orphans(table));
}

/// `(namespace, ingress, type)` for each Ingress with a location whose primary backend has no
/// endpoints: `no-service` when its Service is missing, else `no-endpoint`.
fn orphans(table: &RouteTable) -> Vec<(String, String, &'static str)> {
    let mut found = BTreeSet::new();
    let servers = table.servers.iter().chain(std::iter::once(&table.default_server));
    for location in servers.flat_map(|s| &s.locations) {
        let (Some(ingress), Target::Backend(id)) = (&location.ingress, location.target()) else {
            continue;
        };
        let Some(backend) = table.backend(id).filter(|b| b.endpoints.is_empty()) else { continue };
        let missing = backend.unavailable.as_deref().is_some_and(|why| why.contains("not found"));
        let kind = if missing { "no-service" } else { "no-endpoint" };
        found.insert((ingress.namespace.clone(), ingress.name.clone(), kind));
    }
    found.into_iter().collect()
}
