//! One decoded object of a manifest file, before the files are merged into [`Objects`].

use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use portico_model::ObjectRef;

use crate::{ObjectKey, Objects, Sourced};

/// A typed object plus its store key and the object as written (its `origin`: an `Endpoints`
/// yields slices whose origin is the `Endpoints`). Retention and diagnostics use the origin.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub origin: ObjectRef,
    pub key: ObjectKey,
    pub object: AnyObject,
}

/// The kinds the store holds, shared so unchanged files cost nothing to merge again.
#[derive(Debug, Clone)]
pub(super) enum AnyObject {
    Ingress(Arc<Ingress>),
    IngressClass(Arc<IngressClass>),
    Service(Arc<Service>),
    EndpointSlice(Arc<EndpointSlice>),
    Secret(Arc<Secret>),
    ConfigMap(Arc<ConfigMap>),
}

// === impl AnyObject ===

impl AnyObject {
    /// The store kind (after conversion), as in `kind:`.
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

    /// Whether `objects` already holds an object of this kind under `key`.
    pub fn present_in(&self, objects: &Objects, key: &ObjectKey) -> bool {
        match self {
            Self::Ingress(_) => objects.ingresses.contains_key(key),
            Self::IngressClass(_) => objects.ingress_classes.contains_key(key),
            Self::Service(_) => objects.services.contains_key(key),
            Self::EndpointSlice(_) => objects.endpoint_slices.contains_key(key),
            Self::Secret(_) => objects.secrets.contains_key(key),
            Self::ConfigMap(_) => objects.config_maps.contains_key(key),
        }
    }

    /// Inserts into the matching map of `objects`, replacing any object under `key`.
    pub fn insert_into(&self, objects: &mut Objects, key: ObjectKey, file: Option<String>) {
        fn sourced<T>(object: &Arc<T>, file: Option<String>) -> Sourced<T> {
            Sourced { object: Arc::clone(object), file }
        }
        match self {
            Self::Ingress(o) => drop(objects.ingresses.insert(key, sourced(o, file))),
            Self::IngressClass(o) => drop(objects.ingress_classes.insert(key, sourced(o, file))),
            Self::Service(o) => drop(objects.services.insert(key, sourced(o, file))),
            Self::EndpointSlice(o) => drop(objects.endpoint_slices.insert(key, sourced(o, file))),
            Self::Secret(o) => drop(objects.secrets.insert(key, sourced(o, file))),
            Self::ConfigMap(o) => drop(objects.config_maps.insert(key, sourced(o, file))),
        }
    }
}
