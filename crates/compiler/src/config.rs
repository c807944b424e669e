//! Global configuration: the controller ConfigMap (`--configmap`) over ingress-nginx defaults.

use std::collections::BTreeMap;

use portico_model::{Diagnostic, GlobalConfig, ObjectRef};
use portico_store::Objects;

use crate::Options;

/// Reads `options.configmap` through [`portico_annotations::parse_configmap`]. No ConfigMap
/// configured → defaults, silently; configured but missing → defaults and a warning. Every
/// diagnostic names the ConfigMap (and its file).
/// The keys of the `--configmap` ConfigMap that Portico does not read (ignored with a warning,
/// or denying every location when they restrict access), in key order.
pub(crate) fn unsupported_keys(objects: &Objects, options: &Options) -> Vec<String> {
    let data = options.configmap.as_ref().and_then(|key| objects.config_maps.get(key));
    let data = data.and_then(|sourced| sourced.object.data.as_ref());
    let known = |key: &str| portico_annotations::config_keys().iter().any(|s| s.key == key);
    data.into_iter().flat_map(|d| d.keys()).filter(|k| !known(k)).cloned().collect()
}

pub(crate) fn load(objects: &Objects, options: &Options) -> (GlobalConfig, Vec<Diagnostic>) {
    let Some(key) = &options.configmap else {
        return (GlobalConfig::default(), Vec::new());
    };
    let object = ObjectRef::new("ConfigMap", &key.namespace, &key.name);
    let Some(sourced) = objects.config_maps.get(key) else {
        let missing = Diagnostic::warning(format!(
            "ConfigMap {key} (--configmap) not found; using default settings"
        ))
        .with_object(object);
        return (GlobalConfig::default(), vec![missing]);
    };
    let empty = BTreeMap::new();
    let data = sourced.object.data.as_ref().unwrap_or(&empty);
    let (global, diagnostics) = portico_annotations::parse_configmap(data);
    let diagnostics = diagnostics
        .into_iter()
        .map(|mut d| {
            d.object = Some(object.clone());
            if d.file.is_none() {
                d.file = sourced.file.as_deref().map(str::to_owned);
            }
            d
        })
        .collect();
    (global, diagnostics)
}
