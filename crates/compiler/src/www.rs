//! `from-to-www-redirect` (ingress-nginx `pkg/util/ingress.BuildRedirects` and the template's
//! redirect servers): for each host `x` asking, a server for its twin (`www.x`, or `x` without
//! `www.`) that redirects every request to `x`, unless the twin is itself an Ingress host. Over
//! HTTPS the twin is served the host's certificate when it covers the twin's name; otherwise
//! the default certificate (with a warning: HTTPS-to-HTTPS redirects fail certificate checks).

use std::collections::HashSet;

use portico_model::{Diagnostic, HostPattern, ObjectRef, Server};

/// Adds the redirect servers for `www` (host, Ingress asking) to `servers`, kept sorted by
/// host. Runs after certificates are assigned.
pub(crate) fn add_redirect_servers(
    servers: &mut Vec<Server>,
    www: &[(String, ObjectRef)],
    diagnostics: &mut Vec<Diagnostic>,
) {
    if www.is_empty() {
        return;
    }
    let hosts: HashSet<String> = servers.iter().map(|s| s.host.to_string()).collect();
    let mut added = Vec::new();
    let mut done: HashSet<&str> = HashSet::new();
    for (to, by) in www {
        let from = twin(to);
        if !done.insert(to.as_str()) {
            continue;
        }
        if hosts.contains(&from) {
            let message = format!(
                "from-to-www-redirect: {from} is already an Ingress host; no redirect from it \
                 to {to} (as ingress-nginx)"
            );
            diagnostics.push(Diagnostic::warning(message).with_object(by.clone()));
            continue;
        }
        let certificate = covering_certificate(servers, to, &from, by, diagnostics);
        added.push(Server {
            host: HostPattern::Exact(from),
            certificate,
            redirect_to: Some(to.clone()),
            ..Server::default()
        });
    }
    if !added.is_empty() {
        servers.extend(added);
        servers.sort_by_cached_key(|server| server.host.to_string());
    }
}

/// `www.x` → `x`, `x` → `www.x`.
pub(crate) fn twin(host: &str) -> String {
    match host.strip_prefix("www.") {
        Some(bare) => bare.to_string(),
        None => format!("www.{host}"),
    }
}

/// The certificate of `to`'s server when it covers `from`.
fn covering_certificate(
    servers: &[Server],
    to: &str,
    from: &str,
    by: &ObjectRef,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<std::sync::Arc<portico_model::TlsSecret>> {
    let server = servers.iter().find(|s| matches!(&s.host, HostPattern::Exact(h) if h == to))?;
    let secret = server.certificate.as_ref()?;
    if portico_tls::secret_covers(secret, from).unwrap_or(false) {
        return Some(secret.clone());
    }
    let message = format!(
        "from-to-www-redirect: the certificate of {to} ({}) does not cover {from}; HTTPS \
         requests to {from} get the default certificate",
        secret.secret
    );
    diagnostics.push(Diagnostic::warning(message).with_object(by.clone()));
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twins() {
        assert_eq!(twin("www.a.com"), "a.com");
        assert_eq!(twin("a.com"), "www.a.com");
        assert_eq!(twin("wwwa.com"), "www.wwwa.com");
    }

    #[test]
    fn an_existing_host_is_not_shadowed() {
        let exact = |h: &str| Server { host: HostPattern::Exact(h.into()), ..Server::default() };
        let mut servers = vec![exact("a.com"), exact("b.com"), exact("www.b.com")];
        let by = ObjectRef::new("Ingress", "ns", "ing");
        let www = [("a.com".to_string(), by.clone()), ("b.com".to_string(), by.clone())];
        let mut diagnostics = Vec::new();
        add_redirect_servers(&mut servers, &www, &mut diagnostics);
        let hosts: Vec<_> = servers.iter().map(|s| s.host.to_string()).collect();
        assert_eq!(hosts, ["a.com", "b.com", "www.a.com", "www.b.com"]);
        assert_eq!(servers[2].redirect_to.as_deref(), Some("a.com"));
        assert_eq!(servers[3].redirect_to, None, "www.b.com stays the Ingress host");
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].message.contains("www.b.com is already an Ingress host"));
    }
}
