//! Backends: every Service port the table uses, registered while servers are merged and
//! resolved to endpoints once per build (spec §6).

mod balancing;
mod service;
mod slices;

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

use portico_model::{Backend, BackendId, Balancing, Diagnostic, LbAlgorithm, ObjectRef, Severity};
use portico_store::{ObjectKey, Objects};

pub(crate) use balancing::Wanted;
pub(crate) use service::show as show_port;
pub(crate) use slices::SliceIndex;

use crate::ingress::{PortRef, ServiceRef};

/// ingress-nginx's name for the `--default-backend-service` upstream.
pub(crate) const DEFAULT_BACKEND_NAME: &str = "upstream-default-backend";

/// Backends in registration order; [`BackendId`]s handed out are indexes into it until
/// [`Registry::resolve`] sorts them by name.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    slots: Vec<Slot>,
    /// The [`Slot::Service`] ids, hashed by (namespace, service, port) and compared with the
    /// slot itself: a lookup writes no key.
    by_key: HashTable<BackendId>,
    hasher: RandomState,
    /// `(main, canary)`: the canary backend takes the main backend's cookie affinity once
    /// both are merged (ingress-nginx `mergeAlternativeBackend`, `affinity-canary-behavior`
    /// other than `legacy`).
    inherits: Vec<(BackendId, BackendId)>,
}

/// Who referenced a backend: for diagnostics about it.
#[derive(Debug, Clone)]
pub(crate) struct Use {
    /// The Ingress's shared reference (one per Ingress: copying it is a count).
    pub object: std::sync::Arc<ObjectRef>,
    pub file: Option<std::sync::Arc<str>>,
    /// Where the reference is written (its `...backend.service` field).
    pub at: crate::ingress::Spot,
}

/// A [`Use`] borrowed from its Ingress: copied only when the backend keeps it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UseOf<'a> {
    pub object: &'a std::sync::Arc<ObjectRef>,
    pub file: &'a Option<std::sync::Arc<str>>,
    pub at: crate::ingress::Spot,
}

#[derive(Debug)]
enum Slot {
    /// A Service port of an Ingress; its balancing (and `service-upstream`) is merged from
    /// the Ingresses using it.
    Service {
        namespace: String,
        service: String,
        port: PortRef,
        balancing: balancing::Draft,
        uses: Vec<Use>,
    },
    /// Already resolved (the global default backend).
    Resolved(Backend),
}

// === impl Slot ===

impl Slot {
    /// What a Service slot is found by: (namespace, service, port); `None` for resolved ones.
    fn key(&self) -> Option<(&str, &str, &PortRef)> {
        match self {
            Slot::Service { namespace, service, port, .. } => Some((namespace, service, port)),
            Slot::Resolved(_) => None,
        }
    }
}

// === impl Registry ===

impl Registry {
    /// The backend of `service` in `namespace`, shared by every use of the same service+port.
    /// The first registration fixes the load-balancing algorithm, hashing and
    /// `service-upstream` (ingress-nginx: the first Ingress creating the upstream); affinity
    /// merges as [`balancing`] says.
    pub(crate) fn service(
        &mut self,
        namespace: &str,
        service: &ServiceRef,
        wanted: Wanted<'_>,
        user: UseOf<'_>,
    ) -> BackendId {
        let key = (namespace, service.service.as_str(), &service.port);
        let hash = self.hasher.hash_one(key);
        let slots = &self.slots;
        let same = |id: &BackendId| slots.get(id.0).and_then(Slot::key) == Some(key);
        let id = match self.by_key.find(hash, same) {
            Some(id) => *id,
            None => {
                self.slots.push(Slot::Service {
                    namespace: namespace.to_string(),
                    service: service.service.clone(),
                    port: service.port.clone(),
                    balancing: balancing::Draft::new(&wanted),
                    uses: Vec::new(),
                });
                let id = BackendId(self.slots.len() - 1);
                let (slots, hasher) = (&self.slots, &self.hasher);
                let rehash = |id: &BackendId| {
                    slots.get(id.0).and_then(Slot::key).map_or(0, |key| hasher.hash_one(key))
                };
                self.by_key.insert_unique(hash, id, rehash);
                id
            }
        };
        if let Some(Slot::Service { uses, balancing, .. }) = self.slots.get_mut(id.0) {
            balancing.add(user.object, &wanted);
            // Uses of one Ingress are registered together: comparing with the last one is
            // enough to keep one per Ingress (which has one shared reference per build).
            if uses.last().is_none_or(|last| !std::sync::Arc::ptr_eq(&last.object, user.object)) {
                uses.push(Use {
                    object: std::sync::Arc::clone(user.object),
                    file: user.file.clone(),
                    at: user.at,
                });
            }
        }
        id
    }

    /// Adds an already resolved backend.
    pub(crate) fn resolved(&mut self, backend: Backend) -> BackendId {
        self.slots.push(Slot::Resolved(backend));
        BackendId(self.slots.len() - 1)
    }

    /// Backend `canary` gets `main`'s cookie affinity when resolved.
    pub(crate) fn inherit_affinity(&mut self, main: BackendId, canary: BackendId) {
        self.inherits.push((main, canary));
    }

    /// Resolves every backend, sorted by name (ties by registration order). Returns the
    /// backends and the new id of each registered id. One diagnostic per (backend problem,
    /// referencing Ingress), in backend order.
    pub(crate) fn resolve(
        self,
        objects: &Objects,
        slices: &SliceIndex,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> (Vec<Backend>, Vec<BackendId>) {
        let inherits = self.inherits;
        let mut resolved: Vec<(Backend, Vec<Use>, Option<service::Problem>)> = self
            .slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Resolved(backend) => (backend, Vec::new(), None),
                Slot::Service { namespace, service, port, balancing, uses } => {
                    let r = match balancing.cluster_ip {
                        true => cluster_ip(objects, slices, &namespace, &service, &port, &uses),
                        false => Ok(service::resolve(objects, slices, &namespace, &service, &port)),
                    };
                    let r = r.unwrap_or_else(|(r, warnings)| {
                        diagnostics.extend(warnings);
                        r
                    });
                    let backend = Backend {
                        name: format!("{namespace}-{service}-{}", show_port(&port)),
                        namespace,
                        service,
                        endpoints: r.endpoints,
                        algorithm: balancing.algorithm,
                        balancing: balancing.finish(),
                        unavailable: r.problem.as_ref().map(|p| p.message.clone()),
                    };
                    (backend, uses, r.problem)
                }
            })
            .collect();
        for (main, canary) in inherits {
            let affinity = resolved.get(main.0).and_then(|r| r.0.balancing.affinity.clone());
            if let (Some(affinity), Some(target)) = (affinity, resolved.get_mut(canary.0)) {
                target.0.balancing.affinity = Some(affinity);
            }
        }
        let mut order: Vec<usize> = (0..resolved.len()).collect();
        order.sort_by(|&a, &b| resolved[a].0.name.cmp(&resolved[b].0.name).then(a.cmp(&b)));
        let mut remap = vec![BackendId(0); resolved.len()];
        for (new, &old) in order.iter().enumerate() {
            remap[old] = BackendId(new);
        }
        let mut by_new: Vec<_> = resolved.into_iter().enumerate().collect();
        by_new.sort_by_key(|(old, _)| remap[*old]);
        let mut backends = Vec::with_capacity(by_new.len());
        for (_, (backend, uses, problem)) in by_new {
            if let Some(problem) = problem {
                diagnostics.extend(uses.iter().map(|u| problem_diagnostic(&problem, u)));
            }
            backends.push(backend);
        }
        (backends, remap)
    }
}

/// What resolving a backend gave, or gave after a fallback with its warnings.
type Resolved = Result<service::Resolution, (service::Resolution, Vec<Diagnostic>)>;

/// `service-upstream`: the Service's ClusterIP and port as the one endpoint. A Service without
/// a ClusterIP (headless, ExternalName) or without the port falls back to its endpoints with a
/// warning per referencing Ingress, as ingress-nginx logs and falls back.
fn cluster_ip(
    objects: &Objects,
    slices: &SliceIndex,
    namespace: &str,
    name: &str,
    port: &PortRef,
    uses: &[Use],
) -> Resolved {
    match service::cluster_endpoint(objects, namespace, name, port) {
        Ok(endpoint) => Ok(service::Resolution { endpoints: vec![endpoint], problem: None }),
        Err(why) => {
            let message = format!("service-upstream: {why}; using the Service's endpoints");
            let warnings = uses.iter().map(|user| {
                let mut d = Diagnostic::warning(message.clone())
                    .with_object(user.object.clone())
                    .with_field(user.at.service_field());
                d.file = user.file.as_deref().map(str::to_owned);
                d
            });
            let warnings = warnings.collect();
            Err((service::resolve(objects, slices, namespace, name, port), warnings))
        }
    }
}

fn problem_diagnostic(problem: &service::Problem, user: &Use) -> Diagnostic {
    let d = match problem.severity {
        Severity::Error => Diagnostic::error(format!("{}; requests answer 503", problem.message)),
        Severity::Warning => {
            Diagnostic::warning(format!("{}; requests answer 503", problem.message))
        }
    };
    let mut d = d.with_object(user.object.clone()).with_field(format!(
        "{}{}",
        user.at.service_field(),
        problem.field_suffix
    ));
    d.file = user.file.as_deref().map(str::to_owned);
    d
}

/// The `--default-backend-service` backend (its first port), when it has ready endpoints;
/// otherwise `None` (Portico's own 404 answers, as ingress-nginx's internal server does) and
/// a warning naming the Service.
pub(crate) fn default_backend(
    key: &ObjectKey,
    objects: &Objects,
    slices: &SliceIndex,
    algorithm: LbAlgorithm,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Backend> {
    match first_port_backend(key, DEFAULT_BACKEND_NAME, objects, slices, algorithm) {
        Ok(backend) => Some(backend),
        Err(why) => {
            let message =
                format!("--default-backend-service: {why}; unmatched requests answer 404");
            let object = ObjectRef::new("Service", &key.namespace, &key.name);
            diagnostics.push(Diagnostic::warning(message).with_object(object));
            None
        }
    }
}

/// The backend `name` of Service `key`'s first port, as ingress-nginx's default backends;
/// `Err` says why it has no ready endpoint (missing Service, no ports, none ready).
pub(crate) fn first_port_backend(
    key: &ObjectKey,
    name: &str,
    objects: &Objects,
    slices: &SliceIndex,
    algorithm: LbAlgorithm,
) -> Result<Backend, String> {
    let sourced = objects.services.get(key).ok_or_else(|| format!("service {key} not found"))?;
    let spec = sourced.object.spec.as_ref();
    let first = spec
        .and_then(|spec| spec.ports.as_ref()?.first())
        .ok_or_else(|| format!("service {key} has no ports"))?;
    let port = PortRef::Number(first.port);
    let r = service::resolve(objects, slices, &key.namespace, &key.name, &port);
    if let Some(problem) = r.problem {
        return Err(problem.message);
    }
    Ok(Backend {
        name: name.to_string(),
        namespace: key.namespace.clone(),
        service: key.name.clone(),
        endpoints: r.endpoints,
        algorithm,
        balancing: Balancing::default(),
        unavailable: None,
    })
}
