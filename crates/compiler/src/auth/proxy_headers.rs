//! `auth-proxy-set-headers` (ingress-nginx `authreq`): the ConfigMap whose data are headers
//! set on the external auth request. A ConfigMap in another namespace (unless
//! `allow-cross-namespace-resources`), a missing one, or a key that is not a header name
//! (`^[a-zA-Z0-9_-]+$`) denies the location, as ingress-nginx does; so does a value Portico
//! cannot expand (an nginx variable it does not know), since the auth service decides on it.

use std::sync::Arc;

use portico_model::HeaderName;
use portico_model::{Diagnostic, Filter, GlobalConfig, LocationPolicy, ObjectRef, Template};
use portico_store::{ObjectKey, Objects};

use crate::ingress::{attach, Extracted};

/// Sets the headers of `name` on `policy`'s external auth; on failure denies the location
/// with an error diagnostic on the annotation.
pub(crate) fn apply(
    ingress: &Extracted,
    name: &str,
    policy: &mut LocationPolicy,
    objects: &Objects,
    global: &GlobalConfig,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Some(auth) = policy.filters.external_auth().cloned() else { return };
    match headers(name, &ingress.key.namespace, objects, global) {
        Ok(headers) => {
            let mut auth = Arc::unwrap_or_clone(auth);
            auth.proxy_set_headers = headers;
            policy.filters.set(Filter::ExternalAuth(Arc::new(auth)));
        }
        Err(reason) => {
            let message =
                format!("auth-proxy-set-headers: {reason}; every path of this Ingress answers 503");
            let field = format!("metadata.annotations[\"{prefix}/auth-proxy-set-headers\"]");
            let d = Diagnostic::error(message).with_field(field);
            diagnostics.push(attach(d, &ingress.object, ingress.file.as_deref()));
            policy.denied.get_or_insert_with(|| Arc::from(reason.as_str()));
        }
    }
}

/// The headers of ConfigMap `name` (`name` or `namespace/name`), sorted by name.
fn headers(
    name: &str,
    ingress_namespace: &str,
    objects: &Objects,
    global: &GlobalConfig,
) -> Result<Vec<(HeaderName, Template)>, String> {
    let (namespace, name) = match name.split_once('/') {
        Some((namespace, name)) if !namespace.is_empty() => (namespace, name),
        Some((_, name)) => (ingress_namespace, name),
        None => (ingress_namespace, name),
    };
    let key = ObjectKey::new(namespace, name);
    if namespace != ingress_namespace && !global.allow_cross_namespace_resources {
        return Err(format!(
            "configmap {key} is in another namespace and allow-cross-namespace-resources is false"
        ));
    }
    let sourced =
        objects.config_maps.get(&key).ok_or_else(|| format!("configmap {key} not found"))?;
    let object = ObjectRef::new("ConfigMap", &key.namespace, &key.name);
    let mut out = Vec::new();
    for (header, value) in sourced.object.data.iter().flatten() {
        let valid = !header.is_empty()
            && header.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let name = HeaderName::from_bytes(header.as_bytes()).ok().filter(|_| valid);
        let name = name.ok_or_else(|| format!("{object}: key {header:?} is not a header name"))?;
        let template =
            Template::parse(value).map_err(|e| format!("{object}: value of {header:?}: {e}"))?;
        out.push((name, template));
    }
    out.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use portico_store::AnyObject;

    fn objects(data: &[(&str, &str)]) -> Objects {
        let mut objects = Objects::default();
        let mut cm = ConfigMap::default();
        cm.metadata.name = Some("auth-headers".into());
        cm.metadata.namespace = Some("default".into());
        cm.data = Some(data.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        objects.insert(
            ObjectKey::new("default", "auth-headers"),
            AnyObject::ConfigMap(Arc::new(cm)),
            None,
        );
        objects
    }

    #[test]
    fn headers_sorted_and_templated() {
        let objects = objects(&[("X-Tenant", "acme"), ("X-Host", "$host")]);
        let got = headers("auth-headers", "default", &objects, &GlobalConfig::default()).unwrap();
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x-host", "x-tenant"]);
        let same = headers("default/auth-headers", "default", &objects, &GlobalConfig::default());
        assert_eq!(same.unwrap().len(), 2);
    }

    #[test]
    fn unusable_references_deny() {
        let global = GlobalConfig::default();
        let objects = objects(&[("X Bad", "1")]);
        let bad = headers("auth-headers", "default", &objects, &global).unwrap_err();
        assert!(bad.contains("not a header name"), "{bad}");
        let missing = headers("nope", "default", &objects, &global).unwrap_err();
        assert!(missing.contains("not found"), "{missing}");
        let cross = headers("default/auth-headers", "other", &objects, &global).unwrap_err();
        assert!(cross.contains("another namespace"), "{cross}");
        let var = headers("auth-headers", "default", &self::objects(&[("X-A", "$nope")]), &global);
        assert!(var.unwrap_err().contains("X-A"));
    }
}
