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
    let with_stream_snippet = GOOD.replace(
        "  name: web\nspec:",
        "  name: other\n  annotations:\n    nginx.ingress.kubernetes.io/stream-snippet: \"x\"\nspec:",
    );
    std::fs::write(dir.path().join("other.yaml"), with_stream_snippet).unwrap();
    let with_snippet = GOOD.replace(
        "  name: web\nspec:",
        "  name: web\n  annotations:\n    nginx.ingress.kubernetes.io/configuration-snippet: \"more_set_headers 'X: y';\"\nspec:",
    );
    std::fs::write(dir.path().join("web.yaml"), with_snippet).unwrap();
    let out = portico().arg("check").arg(dir.path()).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("configuration-snippet"), "{stdout}");
    assert!(stdout.contains("allow-snippet-annotations"), "snippets off by default: {stdout}");
    assert!(stdout.contains("stream-snippet is not supported by Portico"), "{stdout}");
}

#[test]
fn serve_without_manifests_or_cluster_says_how_to_configure_one() {
    let home = tempfile::tempdir().unwrap();
    let out = portico()
        .args(["serve", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"])
        .env("HOME", home.path())
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no Kubernetes API configured"), "{stderr}");
    assert!(stderr.contains("--kubeconfig") && stderr.contains("--manifests"), "{stderr}");
}

#[test]
fn check_without_a_directory_or_cluster_says_what_to_pass() {
    let home = tempfile::tempdir().unwrap();
    let out = portico()
        .arg("check")
        .env("HOME", home.path())
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a failure, not --strict's 2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no manifests DIR given"), "{stderr}");
    assert!(stderr.contains("pass DIR, or --kubeconfig PATH"), "{stderr}");
    assert!(out.stdout.is_empty(), "no report");
}

#[test]
fn check_takes_a_directory_or_a_kubeconfig_not_both() {
    let dir = tempfile::tempdir().unwrap();
    let out = portico()
        .arg("check")
        .arg(dir.path())
        .args(["--kubeconfig", "/nonexistent"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--kubeconfig") && stderr.contains("[DIR]"), "{stderr}");
}

#[test]
fn serve_with_an_unreachable_api_server_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let kubeconfig = dir.path().join("kubeconfig");
    let config = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:{port}\n\
         users:\n- name: u\n  user: {{}}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n\
         current-context: c\n"
    );
    std::fs::write(&kubeconfig, config).unwrap();
    let out = portico()
        .args(["serve", "--http-addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"])
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!("cannot reach the Kubernetes API at http://127.0.0.1:{port}");
    assert!(stderr.contains(&expected), "{stderr}");
}

#[test]
fn cluster_flags_conflict_with_manifests() {
    let dir = tempfile::tempdir().unwrap();
    let out = portico()
        .args(["serve", "--manifests"])
        .arg(dir.path())
        .args(["--watch-namespace", "apps"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--watch-namespace") && stderr.contains("--manifests"), "{stderr}");
}

#[test]
fn bad_namespaced_flag_is_rejected_with_the_flag_name() {
    let dir = tempfile::tempdir().unwrap();
    let out =
        portico().arg("check").arg(dir.path()).args(["--configmap", "a/b/c"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--configmap"));
}
