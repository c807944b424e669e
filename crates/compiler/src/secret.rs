//! Reading Secrets, shared by basic auth ([`crate::auth`]), client-certificate CAs
//! ([`crate::authtls`]) and certificates ([`crate::tls`]).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use portico_model::{GlobalConfig, ObjectRef};
use portico_store::{ObjectKey, Objects, Sourced};

/// `data` merged with `stringData` (which wins, as the API server applies it).
pub(crate) fn data(secret: &Secret) -> BTreeMap<&str, &[u8]> {
    let mut data: BTreeMap<&str, &[u8]> = BTreeMap::new();
    for (key, value) in secret.data.iter().flatten() {
        data.insert(key, &value.0);
    }
    for (key, value) in secret.string_data.iter().flatten() {
        data.insert(key, value.as_bytes());
    }
    data
}

/// The Secret an annotation of an Ingress in `ingress_namespace` names (`namespace/name` or
/// `name`): its key and the object; `Err` is the denial reason (another namespace while
/// `allow-cross-namespace-resources` is off, or not found).
pub(crate) fn referenced<'o>(
    namespace: Option<&str>,
    name: &str,
    ingress_namespace: &str,
    objects: &'o Objects,
    global: &GlobalConfig,
) -> Result<(ObjectKey, &'o Sourced<Secret>), String> {
    let namespace = namespace.unwrap_or(ingress_namespace);
    let key = ObjectKey::new(namespace, name);
    if namespace != ingress_namespace && !global.allow_cross_namespace_resources {
        return Err(format!(
            "secret {key} is in another namespace and allow-cross-namespace-resources is false"
        ));
    }
    let sourced = objects.secrets.get(&key).ok_or_else(|| format!("secret {key} not found"))?;
    Ok((key, sourced))
}

/// The Secret `key`, as diagnostics name it.
pub(crate) fn object_ref(key: &ObjectKey) -> ObjectRef {
    ObjectRef::new("Secret", &key.namespace, &key.name)
}
