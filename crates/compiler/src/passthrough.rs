//! `ssl-passthrough` per host, as ingress-nginx (`controller.go` `getConfiguration`,
//! `createServers`): the Ingress that creates a host's server (the oldest non-canary Ingress
//! with a rule for it) decides; the host's `/` location gives the backend, and a host whose
//! `/` goes to the default backend is not passed through. Only with `--enable-ssl-passthrough`;
//! without it the annotation is a warning and the host is terminated as usual.
//!
//! ingress-nginx matches the SNI against the server name literally, so a wildcard host or the
//! `_` server is never passed through; Portico says so instead of silently ignoring it.

use portico_model::{Diagnostic, HostPattern, Server, Target};

use crate::ingress::{attach, Extracted};
use crate::servers::Prepared;

/// Sets [`Server::passthrough`]. `prepared` are the non-canary Ingresses in age order;
/// `default_target` is the global default backend (a host whose `/` uses it is not passed).
pub(crate) fn assign(
    prepared: &[Prepared],
    servers: &mut [Server],
    default_target: Target,
    enabled: bool,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let asking = prepared.iter().map(|p| &*p.ingress).filter(|i| i.annotations.ssl_passthrough);
    if !enabled {
        for ingress in asking {
            let message = "ssl-passthrough needs the controller flag --enable-ssl-passthrough: \
                           ignored, TLS to its hosts is terminated as usual (as ingress-nginx)";
            diagnostics.push(warning(ingress, prefix, message.to_string()));
        }
        return;
    }
    for ingress in asking {
        for rule in &ingress.rules {
            if let Some(message) = unmatchable(rule.host.as_ref()) {
                diagnostics.push(warning(ingress, prefix, message));
            }
        }
    }
    for server in servers.iter_mut() {
        let HostPattern::Exact(host) = &server.host else { continue };
        let owner = prepared
            .iter()
            .map(|p| &*p.ingress)
            .find(|i| i.rules.iter().any(|rule| rule.host.as_ref() == Some(&server.host)));
        let Some(owner) = owner.filter(|o| o.annotations.ssl_passthrough) else {
            warn_not_owner(prepared, server, owner, prefix, diagnostics);
            continue;
        };
        let root = server.locations.iter().find(|l| l.path == "/").map(|l| l.target());
        match root {
            Some(Target::Backend(id)) if root != Some(default_target) => {
                server.passthrough = Some(id);
            }
            _ => {
                let message = format!(
                    "ssl-passthrough: host {host} has no backend for path / (only the default \
                     backend): ignored, TLS to it is terminated (as ingress-nginx)"
                );
                diagnostics.push(warning(owner, prefix, message));
            }
        }
    }
}

/// Why passthrough can never apply to a rule of this host, if so.
fn unmatchable(host: Option<&HostPattern>) -> Option<String> {
    match host {
        Some(HostPattern::Exact(_)) => None,
        Some(wildcard) => Some(format!(
            "ssl-passthrough has no effect on wildcard host {wildcard}: the SNI is matched \
             against the host name literally (as ingress-nginx)"
        )),
        None => Some(
            "ssl-passthrough has no effect on a rule without host: the SNI is matched against \
             the host name (as ingress-nginx)"
                .to_string(),
        ),
    }
}

/// Ingresses asking for passthrough on a host whose server another Ingress created without it.
fn warn_not_owner(
    prepared: &[Prepared],
    server: &Server,
    owner: Option<&Extracted>,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(owner) = owner else { return };
    for ingress in prepared.iter().map(|p| &*p.ingress) {
        let of_host = ingress.rules.iter().any(|rule| rule.host.as_ref() == Some(&server.host));
        if !of_host || !ingress.annotations.ssl_passthrough {
            continue;
        }
        let message = format!(
            "ssl-passthrough ignored for host {}: the oldest Ingress of the host, {}, does not \
             set it and decides for the host (as ingress-nginx)",
            server.host, owner.object
        );
        diagnostics.push(warning(ingress, prefix, message));
    }
}

/// A warning on the Ingress's `ssl-passthrough` annotation.
fn warning(ingress: &Extracted, prefix: &str, message: String) -> Diagnostic {
    let field = format!("metadata.annotations[{:?}]", format!("{prefix}/ssl-passthrough"));
    let d = Diagnostic::warning(message).with_field(field);
    attach(d, &ingress.object, ingress.file.as_deref())
}
