//! The set of objects one table build reads.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};

/// `namespace/name` of an object; the namespace is empty for cluster-scoped kinds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub namespace: String,
    pub name: String,
}

/// An object and where it came from (the manifest file, in standalone mode).
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    pub object: Arc<T>,
    pub file: Option<String>,
}

/// Every object kind the compiler uses, keyed by `namespace/name`. Cheap to clone (`Arc`s).
#[derive(Debug, Clone, Default)]
pub struct Objects {
    pub ingresses: BTreeMap<ObjectKey, Sourced<Ingress>>,
    /// Cluster-scoped: keyed with an empty namespace.
    pub ingress_classes: BTreeMap<ObjectKey, Sourced<IngressClass>>,
    pub services: BTreeMap<ObjectKey, Sourced<Service>>,
    /// `Endpoints` (v1) objects are converted to EndpointSlices on load.
    pub endpoint_slices: BTreeMap<ObjectKey, Sourced<EndpointSlice>>,
    pub secrets: BTreeMap<ObjectKey, Sourced<Secret>>,
    pub config_maps: BTreeMap<ObjectKey, Sourced<ConfigMap>>,
}

// === impl ObjectKey ===

impl ObjectKey {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Self { namespace: namespace.into(), name: name.into() }
    }

    /// Parses `ns/name`; a bare `name` gets `default_namespace`.
    pub fn parse(value: &str, default_namespace: &str) -> Option<Self> {
        let (namespace, name) = match value.split_once('/') {
            Some((ns, name)) => (ns, name),
            None => (default_namespace, value),
        };
        if namespace.is_empty() || name.is_empty() || name.contains('/') {
            return None;
        }
        Some(Self::new(namespace, name))
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.namespace.is_empty() {
            f.write_str(&self.name)
        } else {
            write!(f, "{}/{}", self.namespace, self.name)
        }
    }
}

// === impl Sourced ===

impl<T> Sourced<T> {
    pub fn new(object: T, file: Option<String>) -> Self {
        Self { object: Arc::new(object), file }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_keys() {
        assert_eq!(ObjectKey::parse("a/b", "x"), Some(ObjectKey::new("a", "b")));
        assert_eq!(ObjectKey::parse("b", "x"), Some(ObjectKey::new("x", "b")));
        assert_eq!(ObjectKey::parse("a/", "x"), None);
        assert_eq!(ObjectKey::parse("a/b/c", "x"), None);
        assert_eq!(ObjectKey::parse("", "x"), None);
    }
}
