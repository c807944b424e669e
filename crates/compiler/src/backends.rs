//! Backends: every Service port the table uses, registered while servers are merged and
//! resolved to endpoints once per build (spec §6).

mod service;
mod slices;

use std::collections::HashMap;

use portico_model::{Backend, BackendId, Diagnostic, LbAlgorithm, ObjectRef, Severity};
use portico_store::{ObjectKey, Objects};

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
    by_key: HashMap<(String, String, PortRef), BackendId>,
}

/// Who referenced a backend: for diagnostics about it.
#[derive(Debug, Clone)]
pub(crate) struct Use {
    pub object: ObjectRef,
    pub file: Option<String>,
    /// The referencing `...backend.service` field.
    pub field: String,
}

#[derive(Debug)]
enum Slot {
    /// A Service port of an Ingress; `algorithm` is fixed by the first Ingress using it.
    Service {
        namespace: String,
        service: String,
        port: PortRef,
        algorithm: LbAlgorithm,
        uses: Vec<Use>,
    },
    /// Already resolved (the global default backend).
    Resolved(Backend),
}

// === impl Registry ===

impl Registry {
    /// The backend of `service` in `namespace`, shared by every use of the same service+port.
    /// The first registration fixes the load-balancing algorithm (ingress-nginx: the first
    /// Ingress creating the upstream).
    pub(crate) fn service(
        &mut self,
        namespace: &str,
        service: &ServiceRef,
        algorithm: LbAlgorithm,
        user: Use,
    ) -> BackendId {
        let key = (namespace.to_string(), service.service.clone(), service.port.clone());
        let id = *self.by_key.entry(key).or_insert_with(|| {
            self.slots.push(Slot::Service {
                namespace: namespace.to_string(),
                service: service.service.clone(),
                port: service.port.clone(),
                algorithm,
                uses: Vec::new(),
            });
            BackendId(self.slots.len() - 1)
        });
        if let Some(Slot::Service { uses, .. }) = self.slots.get_mut(id.0) {
            // Uses of one Ingress are registered together: comparing with the last one is
            // enough to keep one per Ingress.
            if uses.last().is_none_or(|last| last.object != user.object) {
                uses.push(user);
            }
        }
        id
    }

    /// Adds an already resolved backend.
    pub(crate) fn resolved(&mut self, backend: Backend) -> BackendId {
        self.slots.push(Slot::Resolved(backend));
        BackendId(self.slots.len() - 1)
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
        let resolved: Vec<(Backend, Vec<Use>, Option<service::Problem>)> = self
            .slots
            .into_iter()
            .map(|slot| match slot {
                Slot::Resolved(backend) => (backend, Vec::new(), None),
                Slot::Service { namespace, service, port, algorithm, uses } => {
                    let r = service::resolve(objects, slices, &namespace, &service, &port);
                    let backend = Backend {
                        name: format!("{namespace}-{service}-{}", show_port(&port)),
                        namespace,
                        service,
                        endpoints: r.endpoints,
                        algorithm,
                        unavailable: r.problem.as_ref().map(|p| p.message.clone()),
                    };
                    (backend, uses, r.problem)
                }
            })
            .collect();
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

fn problem_diagnostic(problem: &service::Problem, user: &Use) -> Diagnostic {
    let d = match problem.severity {
        Severity::Error => Diagnostic::error(format!("{}; requests answer 503", problem.message)),
        Severity::Warning => {
            Diagnostic::warning(format!("{}; requests answer 503", problem.message))
        }
    };
    let mut d = d
        .with_object(user.object.clone())
        .with_field(format!("{}{}", user.field, problem.field_suffix));
    d.file = user.file.clone();
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
        unavailable: None,
    })
}
