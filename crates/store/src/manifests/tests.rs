use std::path::Path;
use std::sync::Arc;

use super::*;

fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn service(name: &str, port: u16) -> String {
    format!("apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {{ports: [{{port: {port}}}]}}\n---\n")
}

fn port(loaded: &Loaded, name: &str) -> Option<i32> {
    let service = loaded.objects.services.get(&crate::ObjectKey::new("default", name))?;
    Some(service.object.spec.as_ref()?.ports.as_ref()?[0].port)
}

fn errors(loaded: &Loaded) -> Vec<String> {
    loaded.diagnostics.iter().filter(|d| d.is_error()).map(ToString::to_string).collect()
}

#[test]
fn unchanged_files_are_not_parsed_again() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &service("a", 80));
    let mut source = ManifestSource::new(dir.path());
    let first = source.load();
    assert!(first.changed);
    let second = source.load();
    assert!(!second.changed);
    let key = crate::ObjectKey::new("default", "a");
    assert!(Arc::ptr_eq(
        &first.objects.services[&key].object,
        &second.objects.services[&key].object
    ));
    write(dir.path(), "a.yaml", &service("a", 81));
    let third = source.load();
    assert!(third.changed);
    assert_eq!(port(&third, "a"), Some(81));
}

#[test]
fn a_broken_file_keeps_its_last_good_objects() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &(service("a", 80) + &service("b", 80)));
    write(dir.path(), "other.yaml", &service("c", 80));
    let mut source = ManifestSource::new(dir.path());
    source.load();
    // `b`'s document is broken; `a` changes; `other.yaml` changes too and must update.
    write(dir.path(), "a.yaml", &(service("a", 81) + "apiVersion: v1\nkind: [\n"));
    write(dir.path(), "other.yaml", &service("c", 82));
    let loaded = source.load();
    assert_eq!(
        (port(&loaded, "a"), port(&loaded, "b"), port(&loaded, "c")),
        (Some(81), Some(80), Some(82))
    );
    let errors = errors(&loaded);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("a.yaml")
            && errors[0].contains("line 8 column 1 (document 2): invalid YAML"),
        "{}",
        errors[0]
    );
    assert!(errors[0].ends_with("keeping 1 object(s) this file defined before"), "{}", errors[0]);
    // Still broken on the next load (unchanged bytes): same objects, same diagnostic.
    let again = source.load();
    assert_eq!(port(&again, "b"), Some(80));
    assert_eq!(again.diagnostics, loaded.diagnostics);
    // Fixed by deleting `b`: now it is gone.
    write(dir.path(), "a.yaml", &service("a", 81));
    let fixed = source.load();
    assert_eq!((port(&fixed, "a"), port(&fixed, "b")), (Some(81), None));
    assert!(fixed.diagnostics.is_empty(), "{:?}", fixed.diagnostics);
}

#[test]
fn an_object_that_turns_bad_keeps_its_last_good_version() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &(service("a", 80) + &service("b", 80)));
    let mut source = ManifestSource::new(dir.path());
    source.load();
    write(
        dir.path(),
        "a.yaml",
        &(service("a", 81) + &service("b", 80).replace("port: 80", "port: http-ish")),
    );
    let loaded = source.load();
    assert_eq!((port(&loaded, "a"), port(&loaded, "b")), (Some(81), Some(80)));
    let errors = errors(&loaded);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("Service default/b") && errors[0].contains("spec.ports[0].port"),
        "{}",
        errors[0]
    );
    assert!(errors[0].ends_with("keeping its last good version"), "{}", errors[0]);
    // A new object that is bad from the start has no last good version.
    write(dir.path(), "n.yaml", &service("n", 80).replace("port: 80", "port: x"));
    let loaded = source.load();
    assert_eq!(port(&loaded, "n"), None);
}

#[test]
fn deleted_files_drop_their_objects() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &service("a", 80));
    write(dir.path(), "sub/b.yml", &service("b", 80));
    let mut source = ManifestSource::new(dir.path());
    assert_eq!(source.load().objects.services.len(), 2);
    std::fs::remove_dir_all(dir.path().join("sub")).unwrap();
    let loaded = source.load();
    assert!(loaded.changed);
    assert_eq!((port(&loaded, "a"), port(&loaded, "b")), (Some(80), None));
}

#[test]
fn duplicates_first_file_in_sorted_order_wins() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b.yaml", &service("web", 2));
    write(dir.path(), "a.yaml", &(service("web", 1) + &service("web", 3)));
    let loaded = ManifestSource::new(dir.path()).load();
    assert_eq!(port(&loaded, "web"), Some(1));
    let errors = errors(&loaded);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e.contains("duplicate Service default/web: already defined in")));
    assert!(errors[1].contains("b.yaml):"), "{}", errors[1]);
    let file =
        loaded.objects.services[&crate::ObjectKey::new("default", "web")].file.clone().unwrap();
    assert!(file.ends_with("a.yaml"));
}

#[test]
fn missing_directory_keeps_everything_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("manifests");
    write(&root, "a.yaml", &service("a", 80));
    let mut source = ManifestSource::new(&root);
    assert_eq!(port(&source.load(), "a"), Some(80));
    std::fs::remove_dir_all(&root).unwrap();
    let loaded = source.load();
    assert_eq!(port(&loaded, "a"), Some(80));
    assert_eq!(errors(&loaded).len(), 1);
}

#[test]
fn oversized_files_are_skipped_keeping_last_good() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.yaml", &service("a", 80));
    let mut source = ManifestSource::new(dir.path());
    source.load();
    // A sparse file: no 64 MiB written to disk.
    let file = std::fs::OpenOptions::new().write(true).open(dir.path().join("a.yaml")).unwrap();
    file.set_len(MAX_FILE_BYTES + 1).unwrap();
    let loaded = source.load();
    assert_eq!(port(&loaded, "a"), Some(80));
    let errors = errors(&loaded);
    assert!(errors[0].contains("over the 67108864-byte limit"), "{errors:?}");
}

#[test]
fn loads_thousands_of_ingresses() {
    let dir = tempfile::tempdir().unwrap();
    for file in 0..20 {
        let mut text = String::new();
        for i in 0..100 {
            text.push_str(&format!(
                "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web-{i}\n  namespace: ns-{file}\n\
                 spec:\n  ingressClassName: portico\n  rules:\n  - host: h{i}.example.com\n    http:\n      paths:\n\
                 \x20     - path: /\n        pathType: Prefix\n        backend:\n          service:\n            name: web\n            port: {{number: 80}}\n---\n"
            ));
        }
        write(dir.path(), &format!("f{file:02}.yaml"), &text);
    }
    let mut source = ManifestSource::new(dir.path());
    let loaded = source.load();
    assert!(loaded.diagnostics.is_empty(), "{:?}", &loaded.diagnostics[..1]);
    assert_eq!(loaded.objects.ingresses.len(), 2_000);
    assert!(!source.load().changed);
}
