//! `ssl-ciphers` and `ssl-prefer-server-ciphers` per host, as ingress-nginx
//! (`controller.go` `createServers`): each is a server-level setting, and the oldest
//! (non-canary) Ingress with a rule for the host and a value for it decides; a later Ingress
//! of the host asking for another value is ignored with a warning. Rules without host give the
//! `_` server's, used by handshakes whose SNI names no host.

use portico_model::{Diagnostic, HostPattern, HostTls, Server};

use crate::ingress::{attach, Extracted};
use crate::servers::Prepared;

/// Sets [`Server::tls`] on every server. `prepared` are the non-canary Ingresses in age order.
pub(crate) fn assign(
    prepared: &[Prepared],
    servers: &mut [Server],
    default_server: &mut Server,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if prepared.iter().all(|p| p.ingress.annotations.host_tls.is_default()) {
        return;
    }
    for server in servers.iter_mut().chain(std::iter::once(default_server)) {
        let host = match &server.host {
            HostPattern::CatchAll => None,
            host => Some(host),
        };
        let of_host: Vec<&Extracted> = prepared
            .iter()
            .map(|p| &*p.ingress)
            .filter(|i| i.rules.iter().any(|rule| rule.host.as_ref() == host))
            .collect();
        server.tls = settle(&server.host, &of_host, prefix, diagnostics);
    }
}

/// The host's settings from its Ingresses (oldest first), warning those that lose.
fn settle(
    host: &HostPattern,
    of_host: &[&Extracted],
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> HostTls {
    let suites = first(of_host, |i| i.annotations.host_tls.tls12_suites.as_ref());
    let prefer = first(of_host, |i| i.annotations.host_tls.prefer_server_ciphers.as_ref());
    let mut warn = |ingress: &Extracted, name: &str, owner: &Extracted| {
        let message = format!(
            "{name} ignored for host {host}: {} set it first (the oldest Ingress of the host \
             decides, as ingress-nginx)",
            owner.object
        );
        let field = format!("metadata.annotations[{:?}]", format!("{prefix}/{name}"));
        let d = Diagnostic::warning(message).with_field(field);
        diagnostics.push(attach(d, &ingress.object, ingress.file.as_deref()));
    };
    for ingress in of_host {
        let own = &ingress.annotations.host_tls;
        if let (Some((owner, kept)), Some(asked)) = (suites, own.tls12_suites.as_ref()) {
            if asked != kept {
                warn(ingress, "ssl-ciphers", owner);
            }
        }
        if let (Some((owner, kept)), Some(asked)) = (prefer, own.prefer_server_ciphers.as_ref()) {
            if asked != kept {
                warn(ingress, "ssl-prefer-server-ciphers", owner);
            }
        }
    }
    HostTls {
        tls12_suites: suites.map(|(_, suites)| suites.clone()),
        prefer_server_ciphers: prefer.map(|(_, prefer)| *prefer),
    }
}

/// The oldest Ingress with a value for the setting `get` reads, and that value.
fn first<'e, T: ?Sized>(
    of_host: &[&'e Extracted],
    get: impl Fn(&'e Extracted) -> Option<&'e T>,
) -> Option<(&'e Extracted, &'e T)> {
    of_host.iter().find_map(|ingress| get(ingress).map(|value| (*ingress, value)))
}
