//! Client-certificate authentication (`auth-tls-*`): each Ingress's CA Secret resolved, then
//! set host-wide, as ingress-nginx does (`controller.go` `createServers`): the oldest Ingress
//! with a rule for the host and a usable `auth-tls-secret` gives the host's settings, which
//! every location of the host then enforces; any Ingress of the host whose `auth-tls-*` cannot
//! be honoured (Secret missing, without `ca.crt`, unparsable; a bad value) denies every
//! location of the host (503; ingress-nginx answers 403 for the whole server): never open.

use std::sync::Arc;

use portico_annotations::AuthTlsRequest;
use portico_model::{ClientAuth, Diagnostic, Filter, GlobalConfig, HostPattern, Server};
use portico_store::Objects;

use crate::ingress::attach;
use crate::secret;
use crate::servers::Prepared;

/// One Ingress's outcome: its settings, or why it denies.
type Resolved = Option<Result<Arc<ClientAuth>, Arc<str>>>;

/// Sets [`Server::client_auth`] and the [`Filter::ClientCert`] of every location, or denies
/// the host. `prepared` is in age order; `default_server` is the `_` server (rules without host).
pub(crate) fn assign(
    prepared: &[Prepared],
    servers: &mut [Server],
    default_server: &mut Server,
    objects: &Objects,
    global: &GlobalConfig,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let resolved: Vec<Resolved> =
        prepared.iter().map(|p| resolve(p, objects, global, prefix, diagnostics)).collect();
    if resolved.iter().all(Option::is_none) {
        return;
    }
    for server in servers.iter_mut().chain(std::iter::once(default_server)) {
        let host = match &server.host {
            HostPattern::CatchAll => None,
            host => Some(host),
        };
        let of_host = prepared.iter().zip(&resolved).filter_map(|(p, r)| {
            let has_rule = p.ingress.rules.iter().any(|rule| rule.host.as_ref() == host);
            has_rule.then_some(r.as_ref()?)
        });
        let mut auth = None;
        let mut denied = None;
        for outcome in of_host {
            match outcome {
                Ok(found) => {
                    auth.get_or_insert_with(|| found.clone());
                }
                Err(reason) => {
                    denied.get_or_insert_with(|| reason.clone());
                }
            }
        }
        apply(server, auth, denied);
    }
}

/// Puts the host's outcome on the server and each of its locations.
fn apply(server: &mut Server, auth: Option<Arc<ClientAuth>>, denied: Option<Arc<str>>) {
    if let Some(reason) = denied {
        for location in &mut server.locations {
            let policy = Arc::make_mut(&mut location.policy);
            policy.denied.get_or_insert_with(|| reason.clone());
        }
        return;
    }
    let Some(auth) = auth else { return };
    for location in &mut server.locations {
        Arc::make_mut(&mut location.policy).filters.set(Filter::ClientCert(auth.clone()));
    }
    server.client_auth = Some(auth);
}

/// The Ingress's settings with its CA Secret read; errors are reported against the Ingress.
fn resolve(
    prepared: &Prepared,
    objects: &Objects,
    global: &GlobalConfig,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Resolved {
    let ingress = &prepared.ingress;
    let request = match ingress.annotations.auth_tls.as_ref()? {
        Ok(request) => request,
        // Reported by the annotation parser.
        Err(reason) => return Some(Err(Arc::from(format!("auth-tls: {reason}")))),
    };
    match read(request, &ingress.key.namespace, objects, global) {
        Ok(auth) => Some(Ok(Arc::new(auth))),
        Err(reason) => {
            let message = format!(
                "client certificate authentication: {reason}; every path of the host answers 503"
            );
            let field = format!("metadata.annotations[\"{prefix}/auth-tls-secret\"]");
            let d = Diagnostic::error(message).with_field(field);
            diagnostics.push(attach(d, &ingress.object, ingress.file.as_deref()));
            Some(Err(Arc::from(format!("auth-tls: {reason}"))))
        }
    }
}

/// Reads and checks the CA Secret of `request`; `Err` is the denial reason.
fn read(
    request: &AuthTlsRequest,
    ingress_namespace: &str,
    objects: &Objects,
    global: &GlobalConfig,
) -> Result<ClientAuth, String> {
    let namespace = request.secret_namespace.as_deref();
    let (key, sourced) =
        secret::referenced(namespace, &request.secret_name, ingress_namespace, objects, global)?;
    let data = secret::data(&sourced.object);
    let ca = data.get("ca.crt").ok_or_else(|| format!("secret {key} has no key \"ca.crt\""))?;
    let crl = data.get("ca.crl").copied();
    portico_tls::check_client_ca(ca, crl).map_err(|e| format!("secret {key}: {e}"))?;
    Ok(ClientAuth {
        secret: secret::object_ref(&key),
        ca_pem: Arc::from(*ca),
        crl_pem: crl.map(Arc::from),
        verify: request.verify,
        depth: request.depth,
        error_page: request.error_page.as_deref().map(Arc::from),
        pass_certificate: request.pass_certificate,
        match_cn: request.match_cn.clone(),
    })
}
