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
    /// Shared by every object of the file.
    pub file: Option<Arc<str>>,
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

/// One object of any kind [`Objects`] holds, shared (`Arc`) so that moving it between a
/// source (manifest file, watcher) and the maps copies nothing.
#[derive(Debug, Clone)]
pub enum AnyObject {
    Ingress(Arc<Ingress>),
    IngressClass(Arc<IngressClass>),
    Service(Arc<Service>),
    EndpointSlice(Arc<EndpointSlice>),
    Secret(Arc<Secret>),
    ConfigMap(Arc<ConfigMap>),
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

// === impl Objects ===

impl Objects {
    /// Stores `object` under `key` in the map of its kind, replacing (and returning) any object
    /// of that kind already there.
    pub fn insert(
        &mut self,
        key: ObjectKey,
        object: AnyObject,
        file: Option<Arc<str>>,
    ) -> Option<AnyObject> {
        fn put<T>(
            map: &mut BTreeMap<ObjectKey, Sourced<T>>,
            key: ObjectKey,
            object: Arc<T>,
            file: Option<Arc<str>>,
        ) -> Option<Arc<T>> {
            map.insert(key, Sourced { object, file }).map(|old| old.object)
        }
        use AnyObject as A;
        match object {
            A::Ingress(o) => put(&mut self.ingresses, key, o, file).map(A::Ingress),
            A::IngressClass(o) => put(&mut self.ingress_classes, key, o, file).map(A::IngressClass),
            A::Service(o) => put(&mut self.services, key, o, file).map(A::Service),
            A::EndpointSlice(o) => {
                put(&mut self.endpoint_slices, key, o, file).map(A::EndpointSlice)
            }
            A::Secret(o) => put(&mut self.secrets, key, o, file).map(A::Secret),
            A::ConfigMap(o) => put(&mut self.config_maps, key, o, file).map(A::ConfigMap),
        }
    }

    /// Removes the object under `key` from the map of `object`'s kind if it came from `file`.
    pub fn remove_from(&mut self, object: &AnyObject, key: &ObjectKey, file: &str) {
        fn take<T>(map: &mut BTreeMap<ObjectKey, Sourced<T>>, key: &ObjectKey, file: &str) {
            if map.get(key).is_some_and(|s| s.file.as_deref() == Some(file)) {
                map.remove(key);
            }
        }
        match object {
            AnyObject::Ingress(_) => take(&mut self.ingresses, key, file),
            AnyObject::IngressClass(_) => take(&mut self.ingress_classes, key, file),
            AnyObject::Service(_) => take(&mut self.services, key, file),
            AnyObject::EndpointSlice(_) => take(&mut self.endpoint_slices, key, file),
            AnyObject::Secret(_) => take(&mut self.secrets, key, file),
            AnyObject::ConfigMap(_) => take(&mut self.config_maps, key, file),
        }
    }

    /// Whether the map of `object`'s kind already holds an object under `key`.
    pub fn contains(&self, object: &AnyObject, key: &ObjectKey) -> bool {
        match object {
            AnyObject::Ingress(_) => self.ingresses.contains_key(key),
            AnyObject::IngressClass(_) => self.ingress_classes.contains_key(key),
            AnyObject::Service(_) => self.services.contains_key(key),
            AnyObject::EndpointSlice(_) => self.endpoint_slices.contains_key(key),
            AnyObject::Secret(_) => self.secrets.contains_key(key),
            AnyObject::ConfigMap(_) => self.config_maps.contains_key(key),
        }
    }
}

// === impl AnyObject ===

impl AnyObject {
    /// The kind, as in `kind:`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Ingress(_) => "Ingress",
            Self::IngressClass(_) => "IngressClass",
            Self::Service(_) => "Service",
            Self::EndpointSlice(_) => "EndpointSlice",
            Self::Secret(_) => "Secret",
            Self::ConfigMap(_) => "ConfigMap",
        }
    }
}

// === impl Sourced ===

impl<T> Sourced<T> {
    pub fn new(object: T, file: Option<String>) -> Self {
        Self { object: Arc::new(object), file: file.map(Arc::from) }
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
