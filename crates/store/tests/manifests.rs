//! The loader through its public API on a real directory tree: every supported shape of input,
//! and what happens across reloads when files break, get fixed, or go away.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::path::Path;

use portico_store::{Loaded, ManifestSource, ObjectKey, SERVICE_NAME_LABEL};

fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn key(ns: &str, name: &str) -> ObjectKey {
    ObjectKey::new(ns, name)
}

fn diagnostics(loaded: &Loaded) -> Vec<String> {
    loaded.diagnostics.iter().map(ToString::to_string).collect()
}

const APP: &str = r#"
# The quickstart shape: no namespaces, several documents.
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: portico
spec:
  controller: portico.dev/ingress-controller
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  ingressClassName: portico
  rules:
  - host: web.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service: {name: web, port: {name: http}}
---
apiVersion: v1
kind: Endpoints
metadata: {name: web}
subsets:
- addresses: [{ip: 127.0.0.1}]
  notReadyAddresses: [{ip: 127.0.0.2}]
  ports: [{name: http, port: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
"#;

const LIST: &str = r#"
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: web}
  spec: {ports: [{name: http, port: 80}]}
- apiVersion: v1
  kind: Secret
  metadata: {name: tls, namespace: edge}
  stringData: {tls.crt: CERT}
"#;

const JSON: &str = r#"{"apiVersion": "v1", "kind": "ConfigMap",
  "metadata": {"name": "portico", "namespace": "portico-system"}, "data": {"proxy-body-size": "8m"}}"#;

#[test]
fn loads_every_supported_shape() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.yaml", APP);
    write(dir.path(), "nested/list.yml", LIST);
    write(dir.path(), "nested/deeper/config.json", JSON);
    write(dir.path(), ".hidden/ignored.yaml", "not: [valid");
    write(dir.path(), "README.md", "not a manifest");

    let loaded = ManifestSource::new(dir.path()).load();
    let diagnostics = diagnostics(&loaded);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(diagnostics[0].starts_with("warning: Deployment web"), "{}", diagnostics[0]);

    let objects = &loaded.objects;
    assert!(objects.ingress_classes.contains_key(&key("", "portico")));
    let ingress = &objects.ingresses[&key("default", "web")];
    assert!(ingress.file.as_deref().is_some_and(|f| f.ends_with("app.yaml")));
    assert!(objects.services.contains_key(&key("default", "web")));
    let slice = &objects.endpoint_slices[&key("default", "web-endpoints-0")].object;
    let labels = slice.metadata.labels.as_ref().unwrap();
    assert_eq!(labels[SERVICE_NAME_LABEL], "web");
    let ready: Vec<_> = slice
        .endpoints
        .iter()
        .flatten()
        .map(|e| e.conditions.as_ref().and_then(|c| c.ready))
        .collect();
    assert_eq!(ready, [Some(true), Some(false)]);
    let secret = &objects.secrets[&key("edge", "tls")].object;
    assert_eq!(secret.data.as_ref().unwrap()["tls.crt"].0, b"CERT");
    let config = &objects.config_maps[&key("portico-system", "portico")].object;
    assert_eq!(config.data.as_ref().unwrap()["proxy-body-size"], "8m");
}

#[test]
fn reloads_follow_edits_breakage_and_deletion() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.yaml", APP);
    write(dir.path(), "list.yaml", LIST);
    let mut source = ManifestSource::new(dir.path());
    assert!(source.load().objects.ingresses.contains_key(&key("default", "web")));

    // A typo breaks the Endpoints document: nothing of the file is lost, one error names it.
    write(dir.path(), "app.yaml", &APP.replace("kind: Endpoints", "kind: [Endpoints"));
    let loaded = source.load();
    assert!(loaded.objects.ingresses.contains_key(&key("default", "web")));
    assert!(loaded.objects.endpoint_slices.contains_key(&key("default", "web-endpoints-0")));
    let errors: Vec<_> = loaded.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errors.len(), 1, "{:?}", diagnostics(&loaded));
    assert!(errors[0].file.as_deref().is_some_and(|f| f.ends_with("app.yaml")));

    // The list file is deleted: its objects go, the broken file's kept objects stay.
    std::fs::remove_file(dir.path().join("list.yaml")).unwrap();
    let loaded = source.load();
    assert!(loaded.objects.services.is_empty() && loaded.objects.secrets.is_empty());
    assert!(loaded.objects.ingresses.contains_key(&key("default", "web")));

    // Fixed: back to the full file, no errors.
    write(dir.path(), "app.yaml", APP);
    let loaded = source.load();
    assert!(loaded.diagnostics.iter().all(|d| !d.is_error()), "{:?}", diagnostics(&loaded));
}
