//! The command-line contract: exit codes and messages of `portico check` and `portico serve`.
//! (Also makes `cargo test --workspace` build the binary the e2e suite runs.)
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::process::Command;

fn portico() -> Command {
    Command::new(env!("CARGO_BIN_EXE_portico"))
}

const GOOD: &str = "apiVersion: networking.k8s.io/v1
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
          service:
            name: web
            port:
              number: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
";

#[test]
fn check_prints_the_table_and_exits_zero_on_good_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), GOOD).unwrap();
    let out = portico().arg("check").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("server web.example.com"), "{stdout}");
    assert!(stdout.contains("default-web-80"), "{stdout}");
}

#[test]
fn check_exits_one_and_names_the_file_on_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("web.yaml"), GOOD).unwrap();
    std::fs::write(dir.path().join("broken.yaml"), "kind: Ingress\nmetadata: [unclosed\n").unwrap();
    let out = portico().arg("check").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("broken.yaml"), "{stdout}");
    assert!(stdout.contains("server web.example.com"), "the good file still compiles: {stdout}");
}

#[test]
fn check_reports_unsupported_annotations_as_a_migration_report() {
    let dir = tempfile::tempdir().unwrap();
    let with_snippet = GOOD.replace(
        "  name: web\nspec:",
        "  name: web\n  annotations:\n    nginx.ingress.kubernetes.io/configuration-snippet: \"more_set_headers 'X: y';\"\nspec:",
    );
    std::fs::write(dir.path().join("web.yaml"), with_snippet).unwrap();
    let out = portico().arg("check").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("configuration-snippet"), "{stdout}");
    assert!(stdout.contains("not supported by Portico"), "{stdout}");
}

#[test]
fn serve_without_manifests_says_cluster_mode_is_not_available() {
    let out = portico()
        .args(["serve", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--manifests"), "{stderr}");
}

#[test]
fn bad_namespaced_flag_is_rejected_with_the_flag_name() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        portico().arg("check").arg(dir.path()).args(["--configmap", "a/b/c"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--configmap"));
}
