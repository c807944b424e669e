//! What the routing table depends on, to skip rebuilds for changes it cannot see: Services and
//! Secrets no Ingress, annotation or ConfigMap value names, EndpointSlices of such Services,
//! Ingress status. Errs on the side of rebuilding: any annotation value that reads as a name
//! counts as a reference.

use std::collections::HashSet;

use k8s_openapi::api::networking::v1::Ingress;
use portico_store::{ObjectKey, Objects, SERVICE_NAME_LABEL};

use crate::kinds::{AnyObject, AnyObjectExt};

/// Longest annotation value read as an object name (a namespace and a name, each a DNS label
/// or subdomain).
const MAX_REFERENCE_LEN: usize = 253 + 1 + 63;

/// The Services and Secrets the table (or the published status) reads, as of the last build.
#[derive(Debug, Clone, Default)]
pub(crate) struct References {
    services: HashSet<ObjectKey>,
    secrets: HashSet<ObjectKey>,
    /// `--publish-service`: its changes (and its EndpointSlices') change the status addresses.
    publish: Option<ObjectKey>,
}

/// Which consumers a change concerns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Effect {
    pub table: bool,
    pub status: bool,
}

/// Objects named outside of Ingresses: the default backend, the default certificate.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fixed {
    pub services: Vec<ObjectKey>,
    pub secrets: Vec<ObjectKey>,
    pub publish: Option<ObjectKey>,
}

// === impl References ===

impl References {
    pub(crate) fn build(objects: &Objects, fixed: &Fixed) -> Self {
        let mut refs = Self {
            services: fixed.services.iter().cloned().collect(),
            secrets: fixed.secrets.iter().cloned().collect(),
            publish: fixed.publish.clone(),
        };
        for (key, ingress) in &objects.ingresses {
            refs.add_ingress(&key.namespace, &ingress.object);
        }
        for (key, config_map) in &objects.config_maps {
            for value in config_map.object.data.iter().flat_map(|d| d.values()) {
                refs.add_value(&key.namespace, value);
            }
        }
        refs
    }

    /// What replacing `old` by `new` (either may be absent) concerns.
    pub(crate) fn classify(&self, old: Option<&AnyObject>, new: Option<&AnyObject>) -> Effect {
        let Some(any) = new.or(old) else { return Effect::default() };
        match any {
            AnyObject::Ingress(_) => match (old, new) {
                (Some(AnyObject::Ingress(old)), Some(AnyObject::Ingress(new))) => {
                    let table = !same_ingress_input(old, new);
                    Effect { table, status: table || old.status != new.status }
                }
                _ => Effect { table: true, status: true },
            },
            AnyObject::IngressClass(_) | AnyObject::ConfigMap(_) => {
                Effect { table: true, status: true }
            }
            AnyObject::Service(_) => {
                let key = any.key();
                Effect {
                    table: self.services.contains(&key),
                    status: self.publish.as_ref() == Some(&key),
                }
            }
            AnyObject::EndpointSlice(_) => {
                let services: Vec<ObjectKey> =
                    [old, new].into_iter().flatten().filter_map(owner_service).collect();
                Effect {
                    table: services.iter().any(|s| self.services.contains(s)),
                    status: services.iter().any(|s| self.publish.as_ref() == Some(s)),
                }
            }
            AnyObject::Secret(_) => {
                Effect { table: self.secrets.contains(&any.key()), status: false }
            }
        }
    }

    fn add_ingress(&mut self, namespace: &str, ingress: &Ingress) {
        let key = |name: &str| ObjectKey::new(namespace, name);
        if let Some(spec) = &ingress.spec {
            let default = spec.default_backend.iter();
            let paths = spec
                .rules
                .iter()
                .flatten()
                .flat_map(|r| r.http.iter())
                .flat_map(|h| h.paths.iter());
            for backend in default.chain(paths.map(|p| &p.backend)) {
                if let Some(service) = &backend.service {
                    self.services.insert(key(&service.name));
                }
            }
            for tls in spec.tls.iter().flatten() {
                if let Some(secret) = &tls.secret_name {
                    self.secrets.insert(key(secret));
                }
            }
        }
        for value in ingress.metadata.annotations.iter().flat_map(|a| a.values()) {
            self.add_value(namespace, value);
        }
    }

    /// An annotation or ConfigMap value that may name a Service or Secret (`name` or `ns/name`).
    fn add_value(&mut self, namespace: &str, value: &str) {
        let value = value.trim();
        if value.is_empty()
            || value.len() > MAX_REFERENCE_LEN
            || value.contains(char::is_whitespace)
        {
            return;
        }
        if let Some(key) = ObjectKey::parse(value, namespace) {
            self.services.insert(key.clone());
            self.secrets.insert(key);
        }
    }
}

/// Everything of an Ingress the compiler reads is the same (status and bookkeeping may differ).
fn same_ingress_input(old: &Ingress, new: &Ingress) -> bool {
    old.spec == new.spec
        && old.metadata.annotations == new.metadata.annotations
        && old.metadata.creation_timestamp == new.metadata.creation_timestamp
        && old.metadata.uid == new.metadata.uid
}

/// The Service an EndpointSlice belongs to (its `kubernetes.io/service-name` label).
fn owner_service(object: &AnyObject) -> Option<ObjectKey> {
    let AnyObject::EndpointSlice(slice) = object else { return None };
    let service = slice.metadata.labels.as_ref()?.get(SERVICE_NAME_LABEL)?;
    Some(ObjectKey::new(slice.metadata.namespace.clone().unwrap_or_default(), service.clone()))
}

#[cfg(test)]
mod tests;
