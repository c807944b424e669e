//! ingress-nginx's reload metrics for a table rebuild: a rebuild is its "reload", successful
//! when it reported no error diagnostic (the table is swapped in either way, without the
//! objects in error), and each Ingress it compiled is one "check".

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use portico_metrics::{IngressCheck, Metrics};
use portico_model::{Diagnostic, RouteTable};

/// Reports one rebuild of `table` with `diagnostics`.
pub fn report(metrics: &Metrics, table: &RouteTable, diagnostics: &[Diagnostic]) {
    // Borrowed keys; the locations of one Ingress share one `ObjectRef` and mostly come
    // together, so a location of the same Ingress as the one before is skipped unsearched.
    let mut ingresses: BTreeMap<(&str, &str), bool> = BTreeMap::new();
    let servers = table.servers.iter().chain(std::iter::once(&table.default_server));
    let mut last = None;
    for ingress in servers.flat_map(|s| &s.locations).filter_map(|l| l.ingress.as_ref()) {
        if last.is_some_and(|last| std::sync::Arc::ptr_eq(last, ingress)) {
            continue;
        }
        last = Some(ingress);
        ingresses.entry((&ingress.namespace, &ingress.name)).or_insert(false);
    }
    for diagnostic in diagnostics.iter().filter(|d| d.is_error()) {
        if let Some(object) = diagnostic.object.as_ref().filter(|o| o.kind == "Ingress") {
            ingresses.insert((&object.namespace, &object.name), true);
        }
    }
    let checks = ingresses.iter().map(|(&(namespace, name), &failed)| IngressCheck {
        namespace,
        name,
        failed,
    });
    let ok = !diagnostics.iter().any(Diagnostic::is_error);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    metrics.controller().reloaded(ok, now, checks);
}
