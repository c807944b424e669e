//! Regex-mode locations whose path does not compile (§1.3): left out of the table here, with an
//! error naming the Ingress field (`spec.rules[i].http.paths[j].path`) and file, so that
//! `portico check` does not list a path that is not served. The router would leave them out of
//! matching anyway (and still does, for tables built by hand).

use portico_model::{Diagnostic, HostPattern, Location, Server};

use crate::ingress::Extracted;
use crate::servers::Prepared;

/// Drops every location of a regex-mode server (named ones and the default server) whose
/// regex does not compile.
pub(crate) fn drop_invalid<'a>(
    servers: impl IntoIterator<Item = &'a mut Server>,
    ingresses: &[Prepared],
    diagnostics: &mut Vec<Diagnostic>,
) {
    for server in servers {
        let failures = portico_router::regex_failures(server);
        if failures.is_empty() {
            continue;
        }
        let mut dropped = vec![false; server.locations.len()];
        for (index, mut d) in failures {
            let Some(location) = server.locations.get(index) else { continue };
            if let Some(ingress) = owner(location, ingresses) {
                d.field = field(ingress, &server.host, location).or(d.field);
                d.file = ingress.file.as_deref().map(str::to_owned);
            }
            diagnostics.push(d);
            dropped[index] = true;
        }
        let mut index = 0;
        server.locations.retain(|_| {
            index += 1;
            !dropped[index - 1]
        });
    }
}

fn owner<'a>(location: &Location, ingresses: &'a [Prepared]) -> Option<&'a Extracted> {
    let object = location.ingress.as_ref()?;
    ingresses.iter().map(|p| &*p.ingress).find(|ingress| ingress.object == *object)
}

/// `spec.rules[i].http.paths[j].path` of the rule path that became `location` on `host`.
fn field(ingress: &Extracted, host: &HostPattern, location: &Location) -> Option<String> {
    let rule_host = |rule_host: Option<&HostPattern>| match rule_host {
        Some(rule_host) => rule_host == host,
        None => *host == HostPattern::CatchAll,
    };
    ingress
        .rules
        .iter()
        .filter(|rule| rule_host(rule.host.as_ref()))
        .flat_map(|rule| &rule.paths)
        .find(|path| path.path == location.path && path.path_type == location.path_type)
        .map(|path| format!("{}.path", path.field))
}
