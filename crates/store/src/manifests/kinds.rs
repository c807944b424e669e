//! The kinds Portico reads, each at one apiVersion, and their typed decoding (with conversions).

use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{compact, convert};
use crate::AnyObject;
use crate::ObjectKey;

/// The kinds Portico reads, with the one apiVersion each is read at.
#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    Ingress,
    IngressClass,
    Service,
    EndpointSlice,
    Endpoints,
    Secret,
    ConfigMap,
}

// === impl Kind ===

impl Kind {
    /// `(kind, apiVersion, namespaced)`.
    const ALL: [(&'static str, &'static str, bool, Kind); 7] = [
        ("Ingress", "networking.k8s.io/v1", true, Kind::Ingress),
        ("IngressClass", "networking.k8s.io/v1", false, Kind::IngressClass),
        ("Service", "v1", true, Kind::Service),
        ("EndpointSlice", "discovery.k8s.io/v1", true, Kind::EndpointSlice),
        ("Endpoints", "v1", true, Kind::Endpoints),
        ("Secret", "v1", true, Kind::Secret),
        ("ConfigMap", "v1", true, Kind::ConfigMap),
    ];

    pub(super) fn lookup(kind: &str) -> Option<(&'static str, bool, Kind)> {
        Self::ALL
            .iter()
            .find(|(k, ..)| *k == kind)
            .map(|&(_, api, namespaced, k)| (api, namespaced, k))
    }
}

pub(super) type DecodeError = (Option<String>, String);

/// Typed decoding of one object whose kind, apiVersion and namespace are settled.
pub(super) fn decode(
    kind: Kind,
    value: Value,
    ns: &str,
    name: &str,
) -> Result<Vec<(ObjectKey, AnyObject)>, DecodeError> {
    let key = || ObjectKey::new(ns, name);
    let one = |object| Ok(vec![(key(), object)]);
    match kind {
        Kind::Ingress => {
            let mut ingress = typed::<Ingress>(value)?;
            compact::ingress(&mut ingress);
            one(AnyObject::Ingress(Arc::new(ingress)))
        }
        Kind::IngressClass => one(AnyObject::IngressClass(Arc::new(typed::<IngressClass>(value)?))),
        Kind::Service => one(AnyObject::Service(Arc::new(typed::<Service>(value)?))),
        Kind::EndpointSlice => {
            one(AnyObject::EndpointSlice(Arc::new(typed::<EndpointSlice>(value)?)))
        }
        Kind::ConfigMap => one(AnyObject::ConfigMap(Arc::new(typed::<ConfigMap>(value)?))),
        Kind::Secret => {
            let mut secret = typed::<Secret>(value)?;
            convert::merge_string_data(&mut secret);
            one(AnyObject::Secret(Arc::new(secret)))
        }
        Kind::Endpoints => {
            let slices = convert::endpoints_to_slices(typed::<Endpoints>(value)?);
            Ok(slices
                .into_iter()
                .map(|slice| {
                    let key = ObjectKey::new(ns, slice.metadata.name.clone().unwrap_or_default());
                    (key, AnyObject::EndpointSlice(Arc::new(slice)))
                })
                .collect())
        }
    }
}

/// Deserializes with the path of the failing field (`spec.rules[0].host`), `None` at the root.
fn typed<T: DeserializeOwned>(value: Value) -> Result<T, DecodeError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let field = (path != ".").then_some(path);
        (field, error.into_inner().to_string())
    })
}
