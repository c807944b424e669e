//! Header ConfigMaps: the controller ConfigMap's `add-headers` and `proxy-set-headers` (read
//! into the global settings) and the `custom-headers` annotation (the response headers of an
//! Ingress's locations, each key allowed by `global-allowed-response-headers`, as
//! ingress-nginx's `annotations/customheaders`).

use std::sync::Arc;

use portico_model::{
    Diagnostic, Filter, GlobalConfig, HeaderEdit, HeaderName, HeaderValue, LocationPolicy,
    ObjectRef,
};
use portico_store::{ObjectKey, Objects};

use crate::ingress::{attach, Extracted};

/// Reads the `add-headers` and `proxy-set-headers` ConfigMaps into `global`. A missing one adds
/// nothing (warning, as ingress-nginx's "unexpected error reading configmap"); an entry that is
/// no valid header is skipped with a warning.
pub(crate) fn resolve_global(
    global: &mut GlobalConfig,
    objects: &Objects,
    out: &mut Vec<Diagnostic>,
) {
    let settings = &mut global.headers;
    if let Some(reference) = settings.add_headers_configmap.clone() {
        settings.add = read("add-headers", &reference, objects, out);
    }
    if let Some(reference) = settings.proxy_set_headers_configmap.clone() {
        settings.proxy_set = read("proxy-set-headers", &reference, objects, out);
    }
}

/// The headers of ConfigMap `reference` (`namespace/name`), in key order.
fn read(
    key: &str,
    reference: &str,
    objects: &Objects,
    out: &mut Vec<Diagnostic>,
) -> Vec<(HeaderName, HeaderValue)> {
    let Some(cm_key) = ObjectKey::parse(reference, "") else { return Vec::new() };
    let object = ObjectRef::new("ConfigMap", &cm_key.namespace, &cm_key.name);
    let Some(sourced) = objects.config_maps.get(&cm_key) else {
        let message = format!("ConfigMap {cm_key} ({key}) not found; no headers from it");
        out.push(Diagnostic::warning(message).with_object(object));
        return Vec::new();
    };
    let mut headers = Vec::new();
    for (name, value) in sourced.object.data.iter().flatten() {
        match header(name, value) {
            Ok(pair) => headers.push(pair),
            Err(reason) => {
                let message = format!("{key}: {reason}; skipped");
                let mut d = Diagnostic::warning(message).with_object(object.clone());
                d.field = Some(format!("data[{name:?}]"));
                d.file = sourced.file.as_deref().map(str::to_owned);
                out.push(d);
            }
        }
    }
    headers
}

/// The `custom-headers` of `ingress` added to `policy` as response-header edits (after a
/// snippet's), or the location denied (503) when the ConfigMap is missing, in another
/// namespace without `allow-cross-namespace-resources`, or sets a header that is invalid or
/// not allowed.
pub(crate) fn custom(
    ingress: &Extracted,
    policy: Arc<LocationPolicy>,
    objects: &Objects,
    global: &GlobalConfig,
    prefix: &str,
    out: &mut Vec<Diagnostic>,
) -> Arc<LocationPolicy> {
    let Some(reference) = &ingress.annotations.custom_headers else { return policy };
    let mut policy = LocationPolicy::clone(&policy);
    match custom_edits(reference, &ingress.key.namespace, objects, global) {
        Ok(edits) => {
            let mut all: Vec<HeaderEdit> = policy
                .filters
                .iter()
                .find_map(|f| match f {
                    Filter::ResponseHeaders(edits) => Some(edits.to_vec()),
                    _ => None,
                })
                .unwrap_or_default();
            all.extend(edits);
            policy.filters.set(Filter::ResponseHeaders(all.into()));
        }
        Err(reason) => {
            let message = format!(
                "custom-headers {reference:?}: {reason}; every path of this Ingress answers 503"
            );
            let field = format!("metadata.annotations[\"{prefix}/custom-headers\"]");
            let d = Diagnostic::error(message).with_field(field);
            out.push(attach(d, &ingress.object, ingress.file.as_deref()));
            policy.denied.get_or_insert_with(|| Arc::from(reason.as_str()));
        }
    }
    Arc::new(policy)
}

/// The `more_set_headers` edits of a `custom-headers` ConfigMap; `Err` is the denial reason.
fn custom_edits(
    reference: &str,
    namespace: &str,
    objects: &Objects,
    global: &GlobalConfig,
) -> Result<Vec<HeaderEdit>, String> {
    let key = ObjectKey::parse(reference, namespace)
        .ok_or_else(|| format!("{reference:?} is not a ConfigMap name"))?;
    if key.namespace != namespace && !global.allow_cross_namespace_resources {
        return Err(format!(
            "ConfigMap {key} is in another namespace and allow-cross-namespace-resources is false"
        ));
    }
    let sourced =
        objects.config_maps.get(&key).ok_or_else(|| format!("unable to find ConfigMap {key}"))?;
    let allowed = &global.headers.allowed_response_headers;
    let mut edits = Vec::new();
    for (name, value) in sourced.object.data.iter().flatten() {
        if !allowed.iter().any(|a| a == name) {
            return Err(format!(
                "header {name} of ConfigMap {key} is not allowed (global-allowed-response-headers: \
                 {allowed:?})"
            ));
        }
        if !custom_value_ok(value) {
            return Err(format!("ConfigMap {key}: invalid header value of {name}"));
        }
        let (name, value) = header(name, value).map_err(|r| format!("ConfigMap {key}: {r}"))?;
        edits.push(HeaderEdit::Set { name, value, statuses: Vec::new() });
    }
    Ok(edits)
}

/// ingress-nginx's `customheaders.valueRegexp` (a `custom-headers` value):
/// letters, digits, space and common punctuation; not empty.
fn custom_value_ok(value: &str) -> bool {
    !value.is_empty()
        && value.bytes().all(|b| {
            b.is_ascii_alphanumeric() || br#"_ :;.,\/"'?!(){}[]@<>=-+*#$&`|~^%"#.contains(&b)
        })
}

/// One header of a ConfigMap entry: ingress-nginx's name charset, a valid value.
fn header(name: &str, value: &str) -> Result<(HeaderName, HeaderValue), String> {
    let name_ok = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let header_name = HeaderName::try_from(name).ok().filter(|_| name_ok);
    let header_name = header_name.ok_or_else(|| format!("invalid header name {name:?}"))?;
    let value = HeaderValue::try_from(value).map_err(|_| format!("invalid value of {name}"))?;
    Ok((header_name, value))
}
