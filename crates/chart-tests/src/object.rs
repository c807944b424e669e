//! One rendered document → its typed Kubernetes object, strictly.

use std::fmt;

use k8s_openapi::api::{
    apps::v1::{DaemonSet, Deployment},
    autoscaling::v2::HorizontalPodAutoscaler,
    core::v1::{ConfigMap, Service, ServiceAccount},
    networking::v1::IngressClass,
    policy::v1::PodDisruptionBudget,
    rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding},
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

/// Kinds the chart may render without a k8s-openapi type (custom resources), kept as JSON.
const UNTYPED_KINDS: &[(&str, &str)] = &[
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
];

/// Why a document is not a valid object of a kind the chart renders.
#[derive(Debug)]
pub struct ParseError {
    /// `Kind namespace/name`, as far as the document tells.
    pub object: String,
    pub reason: String,
}

macro_rules! objects {
    ($($variant:ident => $accessor:ident),* $(,)?) => {
        /// A rendered object, typed by its kind.
        #[derive(Debug)]
        pub enum Object {
            $($variant($variant),)*
            /// A custom resource listed in `UNTYPED_KINDS`.
            Untyped { kind: String, value: Value },
        }

        impl Object {
            $(
                pub fn $accessor(&self) -> Option<&$variant> {
                    match self {
                        Self::$variant(o) => Some(o),
                        _ => None,
                    }
                }
            )*

            /// Kind of the object, as in its `kind` field.
            pub fn kind(&self) -> &str {
                match self {
                    $(Self::$variant(_) => stringify!($variant),)*
                    Self::Untyped { kind, .. } => kind,
                }
            }

            /// Metadata of a typed object (`None` for custom resources).
            pub fn metadata(&self) -> Option<&ObjectMeta> {
                match self {
                    $(Self::$variant(o) => Some(&o.metadata),)*
                    Self::Untyped { .. } => None,
                }
            }
        }

        fn parse_typed(kind: &str, value: Value) -> Result<Object, String> {
            match kind {
                $(stringify!($variant) => strict::<$variant>(value).map(Object::$variant),)*
                _ => Err(format!("kind {kind:?} is not one the chart is expected to render")),
            }
        }
    };
}

objects! {
    Deployment => as_deployment,
    DaemonSet => as_daemonset,
    Service => as_service,
    IngressClass => as_ingress_class,
    ServiceAccount => as_service_account,
    ClusterRole => as_cluster_role,
    ClusterRoleBinding => as_cluster_role_binding,
    Role => as_role,
    RoleBinding => as_role_binding,
    ConfigMap => as_config_map,
    PodDisruptionBudget => as_pod_disruption_budget,
    HorizontalPodAutoscaler => as_horizontal_pod_autoscaler,
}

/// Parses one document. k8s-openapi checks `apiVersion` and `kind` and the type of every known
/// field; the round trip in [`strict`] catches the fields it would silently drop.
pub fn parse_document(value: Value) -> Result<Object, ParseError> {
    let text = |pointer: &str| value.pointer(pointer).and_then(Value::as_str).unwrap_or("?");
    let (api_version, kind) = (text("/apiVersion").to_owned(), text("/kind").to_owned());
    let object = match value.pointer("/metadata/namespace").and_then(Value::as_str) {
        Some(ns) => format!("{kind} {ns}/{}", text("/metadata/name")),
        None => format!("{kind} {}", text("/metadata/name")),
    };
    if UNTYPED_KINDS.contains(&(api_version.as_str(), kind.as_str())) {
        return Ok(Object::Untyped { kind, value });
    }
    parse_typed(&kind, value).map_err(|reason| ParseError { object, reason })
}

/// Deserializes `value` as `T`, then serializes it back and requires every non-null key and
/// scalar of the original to be there, unchanged.
fn strict<T: DeserializeOwned + Serialize>(value: Value) -> Result<T, String> {
    let typed: T = serde_path_to_error::deserialize(&value).map_err(|e| {
        let path = e.path().to_string();
        format!("at {path}: {}", e.into_inner())
    })?;
    let back = serde_json::to_value(&typed).map_err(|e| format!("serializing back: {e}"))?;
    let mut lost = Vec::new();
    compare(&value, &back, String::new(), &mut lost);
    if lost.is_empty() {
        Ok(typed)
    } else {
        Err(format!("not fields of the typed object (misspelt or misplaced?): {}", lost.join(", ")))
    }
}

/// Collects the paths of `original` that `back` lacks or changed.
fn compare(original: &Value, back: &Value, path: String, lost: &mut Vec<String>) {
    match (original, back) {
        (Value::Null, _) => {}
        (Value::Object(fields), Value::Object(back_fields)) => {
            for (key, value) in fields {
                let here = format!("{path}.{key}");
                match back_fields.get(key) {
                    Some(back_value) => compare(value, back_value, here, lost),
                    None if value.is_null() => {}
                    None => lost.push(here),
                }
            }
        }
        (Value::Array(items), Value::Array(back_items)) => {
            for (index, item) in items.iter().enumerate() {
                let here = format!("{path}[{index}]");
                match back_items.get(index) {
                    Some(back_item) => compare(item, back_item, here, lost),
                    None => lost.push(here),
                }
            }
        }
        (a, b) if a == b => {}
        (a, b) => lost.push(format!("{path} ({a} became {b})")),
    }
}

// === impl ParseError ===

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.object, self.reason)
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": spec})
    }

    #[test]
    fn accepts_a_valid_object() {
        let object = parse_document(service(json!({"type": "NodePort", "ports": [{"port": 80}]})));
        assert!(object.unwrap().as_service().is_some());
    }

    #[test]
    fn rejects_a_misspelt_field_that_k8s_openapi_would_drop() {
        let err =
            parse_document(service(json!({"type": "NodePort", "externalTraficPolicy": "Local"})))
                .unwrap_err();
        assert!(err.reason.contains(".spec.externalTraficPolicy"), "{err}");
    }

    #[test]
    fn rejects_a_field_at_the_wrong_level() {
        let err = parse_document(service(json!({"ports": [{"port": 80, "nodePorts": 30080}]})))
            .unwrap_err();
        assert!(err.reason.contains(".spec.ports[0].nodePorts"), "{err}");
    }

    #[test]
    fn rejects_a_wrong_type_with_its_path() {
        let err = parse_document(service(json!({"ports": [{"port": "eighty"}]}))).unwrap_err();
        assert!(err.reason.contains("spec.ports[0].port"), "{err}");
    }

    #[test]
    fn rejects_a_wrong_api_version() {
        let doc = json!({"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget",
                         "metadata": {"name": "p"}, "spec": {}});
        assert!(parse_document(doc).is_err());
    }

    #[test]
    fn rejects_an_unexpected_kind() {
        let doc = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}});
        let err = parse_document(doc).unwrap_err();
        assert_eq!(err.object, "Pod p");
    }

    #[test]
    fn keeps_known_custom_resources_untyped() {
        let doc = json!({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                         "metadata": {"name": "m"}, "spec": {}});
        assert_eq!(parse_document(doc).unwrap().kind(), "ServiceMonitor");
    }
}
