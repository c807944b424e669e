//! Authentication objects an Ingress references: basic auth's `auth-secret` into users, or a
//! denial (§2); external auth's `auth-proxy-set-headers` ConfigMap ([`proxy_headers`]).

mod htpasswd;
mod proxy_headers;

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use portico_annotations::{AuthRequest, AuthSecretType};
use portico_model::{BasicAuth, Diagnostic, Filter, GlobalConfig, LocationPolicy};
use portico_store::{ObjectKey, Objects, Sourced};

use crate::ingress::{attach, Extracted};
use crate::secret;

/// The Ingress's policy with its basic auth resolved: `auth` set when the Secret loads,
/// `denied` set (every location answers 503) when it cannot. Diagnostics name the Ingress, or
/// the Secret for problems inside its content. (`auth-realm: off` never gets here: the
/// annotation parser turns it into "no auth".)
pub(crate) fn apply(
    ingress: &Extracted,
    objects: &Objects,
    global: &GlobalConfig,
    prefix: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Arc<LocationPolicy> {
    let annotations = &ingress.annotations;
    if annotations.auth_proxy_set_headers.is_none() && annotations.auth.is_none() {
        return Arc::clone(&ingress.policy);
    }
    let mut policy = ingress.annotations.policy.clone();
    if let Some(name) = &ingress.annotations.auth_proxy_set_headers {
        proxy_headers::apply(ingress, name, &mut policy, objects, global, prefix, diagnostics);
    }
    let Some(request) = &ingress.annotations.auth else {
        return Arc::new(policy);
    };
    let request = match request {
        Ok(request) => request,
        // The annotation parser reported why; the denial is all that is left to do. An earlier
        // denial (an unsupported access-restricting annotation) keeps its reason.
        Err(reason) => {
            policy.denied.get_or_insert_with(|| Arc::from(reason.as_str()));
            return Arc::new(policy);
        }
    };
    match resolve(request, &ingress.key.namespace, objects, global, diagnostics) {
        Ok(auth) => policy.filters.set(Filter::BasicAuth(Arc::new(auth))),
        Err(reason) => {
            let message = format!("basic auth: {reason}; every path of this Ingress answers 503");
            let field = format!("metadata.annotations[\"{prefix}/auth-secret\"]");
            let d = Diagnostic::error(message).with_field(field);
            diagnostics.push(attach(d, &ingress.object, ingress.file.as_deref()));
            policy.denied.get_or_insert_with(|| Arc::from(reason.as_str()));
        }
    }
    Arc::new(policy)
}

/// Loads the Secret of `request` into users; `Err` is the denial reason.
fn resolve(
    request: &AuthRequest,
    ingress_namespace: &str,
    objects: &Objects,
    global: &GlobalConfig,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<BasicAuth, String> {
    let namespace = request.secret_namespace.as_deref();
    let (key, sourced) =
        secret::referenced(namespace, &request.secret_name, ingress_namespace, objects, global)?;
    let data = secret::data(&sourced.object);
    let (users, problems) = match request.secret_type {
        AuthSecretType::AuthFile => {
            let file = data
                .get("auth")
                .ok_or_else(|| format!("secret {key} has no key \"auth\" (auth-file)"))?;
            htpasswd::auth_file(file)
        }
        AuthSecretType::AuthMap => htpasswd::auth_map(&data),
    };
    let object = secret::object_ref(&key);
    diagnostics.extend(problems.into_iter().map(|d| attach(d, &object, sourced.file.as_deref())));
    Ok(BasicAuth {
        realm: request.realm.clone(),
        secret_version: secret_version(&key, sourced, &data),
        users: BasicAuth::users_from(users),
    })
}

/// `<ns>/<name>@<resourceVersion>`, or `@<hash of the data>` when the object has no version
/// (hand-written manifests), so the value changes whenever the credentials do.
fn secret_version(
    key: &ObjectKey,
    sourced: &Sourced<Secret>,
    data: &BTreeMap<&str, &[u8]>,
) -> String {
    if let Some(version) =
        sourced.object.metadata.resource_version.as_deref().filter(|v| !v.is_empty())
    {
        return format!("{key}@{version}");
    }
    let mut hasher = DefaultHasher::new();
    data.hash(&mut hasher);
    format!("{key}@{:016x}", hasher.finish())
}

#[cfg(test)]
mod tests;
