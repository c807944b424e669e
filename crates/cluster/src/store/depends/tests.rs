use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use portico_store::Sourced;

use super::*;

fn meta(ns: &str, name: &str) -> ObjectMeta {
    ObjectMeta { namespace: Some(ns.into()), name: Some(name.into()), ..ObjectMeta::default() }
}

fn ingress(ns: &str, name: &str, annotations: &[(&str, &str)]) -> Ingress {
    let mut ingress: Ingress = serde_json::from_value(serde_json::json!({
        "spec": {
            "defaultBackend": {"service": {"name": "fallback", "port": {"number": 80}}},
            "tls": [{"hosts": ["a.test"], "secretName": "a-tls"}],
            "rules": [{"host": "a.test", "http": {"paths": [{"path": "/", "pathType": "Prefix",
                "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}],
        }
    }))
    .unwrap();
    ingress.metadata = meta(ns, name);
    let map: BTreeMap<String, String> =
        annotations.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    ingress.metadata.annotations = Some(map);
    ingress
}

fn service(ns: &str, name: &str) -> AnyObject {
    AnyObject::Service(Arc::new(Service { metadata: meta(ns, name), ..Service::default() }))
}

fn secret(ns: &str, name: &str) -> AnyObject {
    AnyObject::Secret(Arc::new(Secret { metadata: meta(ns, name), ..Secret::default() }))
}

fn slice(ns: &str, name: &str, service: &str) -> AnyObject {
    let mut metadata = meta(ns, name);
    metadata.labels = Some([(SERVICE_NAME_LABEL.to_string(), service.to_string())].into());
    AnyObject::EndpointSlice(Arc::new(EndpointSlice { metadata, ..EndpointSlice::default() }))
}

fn objects() -> Objects {
    let mut objects = Objects::default();
    let annotations = [
        ("nginx.ingress.kubernetes.io/auth-secret", "auth"),
        ("nginx.ingress.kubernetes.io/auth-tls-secret", "certs/ca"),
        ("nginx.ingress.kubernetes.io/configuration-snippet", "more_set_headers \"a: b\";"),
    ];
    let web = ingress("apps", "web", &annotations);
    objects.ingresses.insert(ObjectKey::new("apps", "web"), Sourced::new(web, None));
    let mut cm = ConfigMap { metadata: meta("ctl", "portico"), ..ConfigMap::default() };
    cm.data = Some([("global-auth-secret".to_string(), "shared".to_string())].into());
    objects.config_maps.insert(ObjectKey::new("ctl", "portico"), Sourced::new(cm, None));
    objects
}

#[test]
fn references_come_from_backends_tls_annotations_and_the_configmap() {
    let fixed = Fixed {
        services: vec![ObjectKey::new("ctl", "default-backend")],
        secrets: vec![ObjectKey::new("ctl", "default-cert")],
        publish: Some(ObjectKey::new("ctl", "portico")),
    };
    let refs = References::build(&objects(), &fixed);
    let table = |old: Option<&AnyObject>, new: Option<&AnyObject>| refs.classify(old, new).table;
    for (ns, name) in [("apps", "web"), ("apps", "fallback"), ("ctl", "default-backend")] {
        assert!(table(None, Some(&service(ns, name))), "service {ns}/{name}");
        assert!(table(Some(&slice(ns, "x-1", name)), None), "slices of {ns}/{name}");
    }
    for (ns, name) in [
        ("apps", "a-tls"),
        ("apps", "auth"),
        ("certs", "ca"),
        ("ctl", "shared"),
        ("ctl", "default-cert"),
    ] {
        assert!(table(None, Some(&secret(ns, name))), "secret {ns}/{name}");
    }
    assert!(!table(None, Some(&service("apps", "other"))));
    assert!(!table(None, Some(&service("other", "web"))), "names are per namespace");
    assert!(!table(None, Some(&secret("apps", "web-unrelated"))));
    assert!(!table(None, Some(&slice("apps", "other-1", "other"))));

    let publish = refs.classify(None, Some(&slice("ctl", "portico-1", "portico")));
    assert_eq!(publish, Effect { table: false, status: true }, "the published Service's nodes");
}

#[test]
fn ingress_status_and_bookkeeping_are_not_table_changes() {
    let refs = References::default();
    let before = ingress("apps", "web", &[]);
    let mut after = before.clone();
    after.metadata.resource_version = Some("9".into());
    after.metadata.managed_fields = Some(Vec::new());
    after.status = serde_json::from_value(
        serde_json::json!({"loadBalancer": {"ingress": [{"ip": "192.0.2.1"}]}}),
    )
    .unwrap();
    let (old, new) =
        (AnyObject::Ingress(Arc::new(before.clone())), AnyObject::Ingress(Arc::new(after)));
    assert_eq!(refs.classify(Some(&old), Some(&new)), Effect { table: false, status: true });

    let mut annotated = before;
    annotated.metadata.annotations =
        Some([("nginx.ingress.kubernetes.io/rewrite-target".into(), "/".into())].into());
    let annotated = AnyObject::Ingress(Arc::new(annotated));
    assert_eq!(refs.classify(Some(&old), Some(&annotated)), Effect { table: true, status: true });
    assert_eq!(refs.classify(None, Some(&old)), Effect { table: true, status: true });
}
