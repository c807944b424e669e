//! ingress-nginx's reload metrics for a table rebuild: a rebuild is its "reload", successful
//! when it reported no error diagnostic (the table is swapped in either way, without the
//! objects in error), and each Ingress it compiled is one "check".

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use portico_metrics::{IngressCheck, Metrics};
use portico_model::{Diagnostic, ObjectRef, RouteTable};

/// Reports one rebuild of `table` with `diagnostics`.
pub fn report(metrics: &Metrics, table: &RouteTable, diagnostics: &[Diagnostic]) {
    // Ingresses with an error diagnostic, and whether the table serves them.
    let mut failed: HashMap<(&str, &str), bool> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .filter_map(|d| d.object.as_ref().filter(|o| o.kind == "Ingress"))
        .map(|o| ((o.namespace.as_str(), o.name.as_str()), false))
        .collect();
    // The locations of one Ingress share one `ObjectRef` (one per Ingress in a build): they
    // are told apart by its address, and mostly come together, so a location of the same
    // Ingress as the one before is skipped unsearched.
    let mut seen: HashSet<*const ObjectRef> = HashSet::new();
    let mut checks = Vec::new();
    let servers = table.servers.iter().chain(std::iter::once(&table.default_server));
    let mut last = None;
    for ingress in servers.flat_map(|s| &s.locations).filter_map(|l| l.ingress.as_ref()) {
        let same_as_last = last.is_some_and(|last| Arc::ptr_eq(last, ingress));
        last = Some(ingress);
        if same_as_last || !seen.insert(Arc::as_ptr(ingress)) {
            continue;
        }
        let names = (ingress.namespace.as_str(), ingress.name.as_str());
        let served_in_error = failed.get_mut(&names).map(|served| *served = true).is_some();
        checks.push(IngressCheck { namespace: names.0, name: names.1, failed: served_in_error });
    }
    // Ingresses in error that serve nothing (not loaded) are checks too.
    let unserved = failed.into_iter().filter(|(_, served)| !served);
    checks.extend(unserved.map(|((namespace, name), _)| IngressCheck {
        namespace,
        name,
        failed: true,
    }));
    let ok = !diagnostics.iter().any(Diagnostic::is_error);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    metrics.controller().reloaded(ok, now, checks);
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_model::{HostPattern, Location, PathType, Server, Target};

    fn served_by(ingress: &Arc<ObjectRef>, host: &str) -> Server {
        let policy = Arc::default();
        let mut location = Location::new("/".into(), PathType::Prefix, Target::NotFound, policy);
        location.ingress = Some(Arc::clone(ingress));
        let host = HostPattern::Exact(host.to_string());
        Server { host, locations: vec![location.clone(), location], ..Server::default() }
    }

    /// One check per Ingress however many locations and hosts it serves; an Ingress in error
    /// that serves nothing is a failed check.
    #[test]
    fn one_check_per_ingress_served_or_in_error() {
        let web = Arc::new(ObjectRef::new("Ingress", "default", "web"));
        let api = Arc::new(ObjectRef::new("Ingress", "default", "api"));
        let servers = vec![served_by(&web, "a"), served_by(&api, "b"), served_by(&web, "c")];
        let table = RouteTable { servers, ..RouteTable::default() };
        let broken = Diagnostic::error("bad").with_object(ObjectRef::new("Ingress", "x", "gone"));
        let metrics = Metrics::new();
        report(&metrics, &table, &[broken]);
        let text = metrics.encode();
        for (check, namespace, name, value) in [
            ("check_success", "default", "web", 1),
            ("check_success", "default", "api", 1),
            ("check_errors", "x", "gone", 1),
            ("check_errors", "default", "web", 0),
        ] {
            let line = text
                .lines()
                .find(|l| {
                    l.starts_with(&format!("nginx_ingress_controller_{check}{{"))
                        && l.contains(&format!("namespace=\"{namespace}\",ingress=\"{name}\""))
                })
                .unwrap_or_else(|| panic!("no {check} for {namespace}/{name} in\n{text}"));
            assert!(line.ends_with(&format!(" {value}")), "{line}");
        }
    }
}
