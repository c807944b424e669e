//! Canary Ingresses (ingress-nginx `mergeAlternativeBackends`): merged after the main Ingresses,
//! they never own a host or path. Each path of a canary adds its Service as an alternative
//! target of the main location with the same host, path and pathType (its rules and weight
//! from [`portico_annotations::Canary`]); `spec.defaultBackend` does so for every location of
//! the default server. The main location keeps its filters: of the canary's own annotations
//! only the balancing ones apply (to its backend), as ingress-nginx documents.
//!
//! With `affinity-canary-behavior` other than `legacy`, the canary's backend takes the main
//! backend's cookie affinity: a client pinned to either stays there (the proxy checks the
//! cookie's backend key before the canary rules).
//!
//! Nothing to merge into (no main Ingress for that host and path, or the same Service as the
//! main one) is a warning, and the canary path serves nothing. A location takes one canary:
//! the oldest; later ones get a warning (ingress-nginx's balancer uses only the first).

use portico_annotations::Canary;
use portico_model::{
    BackendRule, Diagnostic, HostPattern, Location, Server, Target, WeightedTarget,
};

use crate::backends::Registry;
use crate::ingress::{PathRule, ServiceRef};
use crate::servers::{register, Prepared, Servers};
use portico_model::GlobalConfig;

/// Merge state shared by every canary of one build.
pub(crate) struct Merge<'a> {
    pub servers: &'a mut Servers,
    pub registry: &'a mut Registry,
    pub global: &'a GlobalConfig,
    pub diagnostics: &'a mut Vec<Diagnostic>,
}

// === impl Merge ===

impl Merge<'_> {
    /// Merges every canary (in age order, oldest first).
    pub(crate) fn all(&mut self, canaries: &[Prepared]) {
        for prepared in canaries {
            let Some(canary) = &prepared.ingress.annotations.canary else { continue };
            if let Some(backend) = &prepared.ingress.default_backend {
                self.default_backend(prepared, canary, backend);
            }
            for rule in &prepared.ingress.rules {
                for path in &rule.paths {
                    self.path(prepared, canary, rule.host.as_ref(), path);
                }
            }
        }
    }

    /// One canary path: into the main location with the same host, path and pathType.
    fn path(
        &mut self,
        prepared: &Prepared,
        canary: &Canary,
        host: Option<&HostPattern>,
        path: &PathRule,
    ) {
        let field = path.field.backend_field();
        let Some(server) = server_mut(self.servers, host) else {
            let host = host.map_or_else(|| "_".to_string(), ToString::to_string);
            let why =
                format!("no main Ingress serves host {host}; this canary path serves nothing");
            return self.warn(prepared, &field, why);
        };
        let found = server
            .locations
            .iter()
            .position(|l| l.path == path.path && l.path_type == path.path_type && mergeable(l));
        let Some(index) = found else {
            let why = format!(
                "no main Ingress serves path {:?} ({}) on host {}; this canary path serves nothing",
                path.path,
                path.path_type.as_str(),
                server.host
            );
            return self.warn(prepared, &field, why);
        };
        self.attach(prepared, canary, host, index, &path.backend, &field);
    }

    /// `spec.defaultBackend` of a canary: into every mergeable location of the default server.
    fn default_backend(&mut self, prepared: &Prepared, canary: &Canary, backend: &ServiceRef) {
        let field = "spec.defaultBackend";
        let indexes: Vec<usize> = (self.servers.default_server.locations.iter())
            .enumerate()
            .filter(|(_, l)| mergeable(l))
            .map(|(i, _)| i)
            .collect();
        if indexes.is_empty() {
            let why =
                "no main Ingress has a default backend; this canary default backend serves nothing";
            return self.warn(prepared, field, why.to_string());
        }
        for index in indexes {
            self.attach(prepared, canary, None, index, backend, field);
        }
    }

    /// Adds the canary's Service to location `index` of `host`'s server.
    fn attach(
        &mut self,
        prepared: &Prepared,
        canary: &Canary,
        host: Option<&HostPattern>,
        index: usize,
        backend: &ServiceRef,
        field: &str,
    ) {
        let target = register(self.registry, self.global, prepared, backend);
        let Some(location) =
            server_mut(self.servers, host).and_then(|s| s.locations.get_mut(index))
        else {
            return;
        };
        if location.target() == target {
            let why = format!(
                "canary Service {:?} is the main Ingress's own backend for path {:?}; ignored",
                backend.service, location.path
            );
            return self.warn(prepared, field, why);
        }
        if let Some(first) = location.backends.targets().get(1) {
            let owner = first.ingress.as_ref().map_or_else(String::new, ToString::to_string);
            let why = format!(
                "path {:?} already has canary {owner} (the older one is used, as ingress-nginx's balancer); this one is ignored",
                location.path
            );
            return self.warn(prepared, field, why);
        }
        let main = location.target();
        add_canary(location, canary, target, prepared);
        if let (Target::Backend(main), Target::Backend(alternative)) = (main, target) {
            if !prepared.ingress.annotations.affinity.canary_legacy {
                self.registry.inherit_affinity(main, alternative);
            }
        }
    }

    fn warn(&mut self, prepared: &Prepared, field: &str, message: String) {
        let ingress = &prepared.ingress;
        let mut d = Diagnostic::warning(message)
            .with_object(ingress.object.clone())
            .with_field(field.to_string());
        d.file = ingress.file.as_deref().map(str::to_owned);
        self.diagnostics.push(d);
    }
}

/// A location a canary can join: it sends to a Service backend of an Ingress (not Portico's
/// own 404 or the global default backend), as ingress-nginx's `canMergeBackend`.
fn mergeable(location: &Location) -> bool {
    location.ingress.is_some() && matches!(location.target(), Target::Backend(_))
}

/// The canary's weight and rules on `location`, with `target` as its alternative.
fn add_canary(location: &mut Location, canary: &Canary, target: Target, prepared: &Prepared) {
    let (main, weight) = canary.weights();
    let backends = &mut location.backends;
    backends.set_primary_weight(main);
    let alternative = backends.add_target(WeightedTarget {
        target,
        weight,
        ingress: Some(prepared.ingress.object.clone()),
    });
    for (when, to_canary) in canary.rules() {
        backends.add_rule(BackendRule { when, choose: if to_canary { alternative } else { 0 } });
    }
}

/// The server of `host` (`None`: the default server).
fn server_mut<'s>(servers: &'s mut Servers, host: Option<&HostPattern>) -> Option<&'s mut Server> {
    match host {
        None => Some(&mut servers.default_server),
        Some(host) => servers.servers.iter_mut().find(|s| &s.host == host),
    }
}
