//! Reading Secrets, shared by basic auth ([`crate::auth`]) and certificates ([`crate::tls`]).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use portico_model::ObjectRef;
use portico_store::ObjectKey;

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

/// The Secret `key`, as diagnostics name it.
pub(crate) fn object_ref(key: &ObjectKey) -> ObjectRef {
    ObjectRef::new("Secret", &key.namespace, &key.name)
}
