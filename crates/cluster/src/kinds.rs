//! The kinds cluster mode watches, and how each one lands in [`Objects`].

use std::fmt::Debug;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::ResourceExt;
use portico_store::{ObjectKey, Objects};
use serde::de::DeserializeOwned;

/// A kind the table is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Ingress,
    IngressClass,
    Service,
    EndpointSlice,
    Secret,
    ConfigMap,
}

/// An object of any watched kind, shared with the store without copying.
pub(crate) use portico_store::AnyObject;

/// What cluster mode reads off an object of any watched kind.
pub(crate) trait AnyObjectExt {
    /// `namespace/name` (empty namespace for cluster-scoped kinds).
    fn key(&self) -> ObjectKey;
    fn resource_version(&self) -> Option<String>;
}

/// A Kubernetes type cluster mode watches: how to wrap it and which map of [`Objects`] holds it.
pub(crate) trait Watched:
    kube::Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static
{
    const KIND: Kind;
    fn wrap(self: Arc<Self>) -> AnyObject;
}

macro_rules! watched {
    ($($ty:ident => $field:ident),* $(,)?) => {
        $(impl Watched for $ty {
            const KIND: Kind = Kind::$ty;
            fn wrap(self: Arc<Self>) -> AnyObject {
                AnyObject::$ty(self)
            }
        })*

        // === impl AnyObject ===

        impl AnyObjectExt for AnyObject {
            fn key(&self) -> ObjectKey {
                match self { $(Self::$ty(o) => key_of(o.as_ref()),)* }
            }

            fn resource_version(&self) -> Option<String> {
                match self { $(Self::$ty(o) => o.resource_version(),)* }
            }
        }

        /// Removes `key` of `kind` from `objects`; returns what was stored.
        pub(crate) fn remove(kind: Kind, objects: &mut Objects, key: &ObjectKey) -> Option<AnyObject> {
            match kind {
                $(Kind::$ty => objects.$field.remove(key).map(|s| AnyObject::$ty(s.object)),)*
            }
        }
    };
}

watched! {
    Ingress => ingresses,
    IngressClass => ingress_classes,
    Service => services,
    EndpointSlice => endpoint_slices,
    Secret => secrets,
    ConfigMap => config_maps,
}

// === impl Kind ===

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ingress => "Ingress",
            Kind::IngressClass => "IngressClass",
            Kind::Service => "Service",
            Kind::EndpointSlice => "EndpointSlice",
            Kind::Secret => "Secret",
            Kind::ConfigMap => "ConfigMap",
        }
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

fn key_of<K: kube::Resource>(object: &K) -> ObjectKey {
    ObjectKey::new(object.namespace().unwrap_or_default(), object.name_any())
}

/// Compile-time guard: a new map in [`Objects`] fails to compile here until cluster mode
/// watches its kind (add it to [`watched!`], then here).
#[allow(dead_code)]
fn covers_every_map(objects: Objects) {
    let Objects {
        ingresses: _,
        ingress_classes: _,
        services: _,
        endpoint_slices: _,
        secrets: _,
        config_maps: _,
    } = objects;
}
