//! `portico check` against the Kubernetes API (no DIR): the real binary reads what `serve` would
//! watch from the in-process test API server, prints the report a directory of the same objects
//! gets, with the same exit codes (0, 1 on errors, 2 with --strict when an Ingress differs),
//! and only lists: no watch, no write (no Lease, no status, no Event).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use portico_cluster_testkit::ApiServer;
use portico_e2e::{binary, ingress, patience, service, Dir};

/// What `portico check` answered.
struct Report {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// `portico check ARGS` with `env` set, run beside the API server (which keeps serving).
async fn check_with(args: &[&OsStr], env: &[(&str, &OsStr)]) -> Report {
    let mut command = tokio::process::Command::new(binary());
    command.arg("check").args(args).kill_on_drop(true);
    for (name, value) in env {
        command.env(name, value);
    }
    let out = tokio::time::timeout(patience(), command.output()).await.unwrap().unwrap();
    Report {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `portico check --kubeconfig KUBECONFIG FLAGS`.
async fn check(kubeconfig: &Path, flags: &[&str]) -> Report {
    let mut args = vec![OsStr::new("--kubeconfig"), kubeconfig.as_os_str()];
    args.extend(flags.iter().map(OsStr::new));
    check_with(&args, &[]).await
}

/// A test API server and a kubeconfig for it (in a directory of its own).
async fn cluster() -> (ApiServer, PathBuf, tempfile::TempDir) {
    let server = ApiServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(&dir.path().join("kubeconfig"), "check", "default");
    (server, kubeconfig, dir)
}

fn site(name: &str) -> portico_e2e::Ingress {
    ingress(name).path(Some(&format!("{name}.test")), "/", "Prefix", "app")
}

/// The backend Service, a supported Ingress, one with an unsupported annotation Portico
/// ignores (differs from ingress-nginx), and a broken one (an invalid annotation: an error).
fn objects() -> Vec<String> {
    let backend = "127.0.0.1:9".parse().unwrap();
    vec![
        service("default", "app", &[backend]),
        site("clean").to_string(),
        site("moved").annotation("fastcgi-index", "index.php").to_string(),
        site("invalid").annotation("upstream-hash-by", "bad value!").to_string(),
    ]
}

/// No watch was started and nothing written: check only lists.
fn only_listed(server: &ApiServer) {
    assert!(server.writes().is_empty(), "check wrote: {:?}", server.writes());
    let watches = [
        server.watch_starts::<Ingress>(),
        server.watch_starts::<IngressClass>(),
        server.watch_starts::<Service>(),
        server.watch_starts::<EndpointSlice>(),
        server.watch_starts::<Secret>(),
        server.watch_starts::<ConfigMap>(),
    ];
    assert_eq!(watches, [0; 6], "check started watches");
    assert!(server.lists::<Ingress>() > 0 && server.lists::<ConfigMap>() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_what_a_directory_of_the_same_objects_reports() {
    let (server, kubeconfig, _dir) = cluster().await;
    let dir = Dir::new();
    dir.write("objects.yaml", objects().join("\n---\n"));
    for yaml in objects() {
        server.apply_yaml(&yaml);
    }
    let from_dir = check_with(&[dir.path().as_os_str()], &[]).await;
    let from_api = check(&kubeconfig, &[]).await;
    assert_eq!(from_dir.code, Some(1), "{}", from_dir.stdout);
    assert_eq!(from_api.code, Some(1), "{}{}", from_api.stdout, from_api.stderr);
    // The same report; only the file names are missing (the objects come from the API).
    let file = format!(" ({})", dir.path().join("objects.yaml").display());
    assert_eq!(from_api.stdout, from_dir.stdout.replace(&file, ""));
    for line in [
        "server clean.test",
        "error: Ingress default/invalid",
        "nginx.ingress.kubernetes.io/fastcgi-index: default/moved",
        "migration summary: 3 Ingress(es) of class portico",
        "verdict: not ready, ",
    ] {
        assert!(from_api.stdout.contains(line), "want {line:?} in\n{}", from_api.stdout);
    }
    only_listed(&server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_are_those_of_a_directory_check() {
    let (server, kubeconfig, _dir) = cluster().await;
    let objects = objects();
    server.apply_yaml(&objects[0]);
    server.apply_yaml(&objects[1]);
    let report = check(&kubeconfig, &["--strict"]).await;
    assert_eq!(report.code, Some(0), "{}{}", report.stdout, report.stderr);
    assert!(
        report.stdout.contains("verdict: no difference from ingress-nginx"),
        "{}",
        report.stdout
    );

    // An unsupported annotation Portico ignores: 0, and 2 with --strict.
    server.apply_yaml(&objects[2]);
    let report = check(&kubeconfig, &[]).await;
    assert_eq!(report.code, Some(0), "{}{}", report.stdout, report.stderr);
    let report = check(&kubeconfig, &["--strict"]).await;
    assert_eq!(report.code, Some(2), "{}{}", report.stdout, report.stderr);
    assert!(report.stdout.contains("behave differently from ingress-nginx"), "{}", report.stdout);

    // An error: 1, with or without --strict.
    server.apply_yaml(&objects[3]);
    let report = check(&kubeconfig, &["--strict"]).await;
    assert_eq!(report.code, Some(1), "{}{}", report.stdout, report.stderr);
    only_listed(&server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_namespace_limits_the_namespaced_objects() {
    let (server, kubeconfig, _dir) = cluster().await;
    for yaml in objects() {
        server.apply_yaml(&yaml);
    }
    let backend = "127.0.0.1:9".parse().unwrap();
    server.apply_yaml(&service("shop", "app", &[backend]));
    server.apply_yaml(&site("cart").namespace("shop").to_string());
    let report = check(&kubeconfig, &["--watch-namespace", "shop"]).await;
    assert_eq!(report.code, Some(0), "only shop's Ingress is read:\n{}", report.stdout);
    assert!(report.stdout.contains("server cart.test"), "{}", report.stdout);
    assert!(!report.stdout.contains("clean.test"), "{}", report.stdout);
    assert!(
        report.stdout.contains("migration summary: 1 Ingress(es) of class portico"),
        "{}",
        report.stdout
    );

    let empty = check(&kubeconfig, &["--watch-namespace", "none"]).await;
    assert_eq!(empty.code, Some(0), "{}", empty.stdout);
    assert!(
        empty.stdout.contains(
            "warning: nothing was read: the Kubernetes API holds no objects Portico reads in \
             namespace none"
        ),
        "{}",
        empty.stdout
    );
    only_listed(&server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_kubeconfig_is_found_as_serve_finds_it() {
    let (server, kubeconfig, _dir) = cluster().await;
    server.apply_yaml(&objects()[0]);
    server.apply_yaml(&objects()[1]);
    let home = tempfile::tempdir().unwrap();
    let env = [("KUBECONFIG", kubeconfig.as_os_str()), ("HOME", home.path().as_os_str())];
    let report = check_with(&[], &env).await;
    assert_eq!(report.code, Some(0), "{}{}", report.stdout, report.stderr);
    assert!(report.stdout.contains("server clean.test"), "{}", report.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_it_may_not_list_fails_the_check_naming_it() {
    let (server, kubeconfig, _dir) = cluster().await;
    server.apply_yaml(&objects()[1]);
    server.forbid::<Secret>(true);
    let report = check(&kubeconfig, &[]).await;
    assert_eq!(report.code, Some(1), "{}{}", report.stdout, report.stderr);
    assert!(report.stdout.is_empty(), "no partial report: {}", report.stdout);
    assert!(
        report.stderr.contains("portico: cannot list Secret in all namespaces")
            && report.stderr.contains("forbidden; the credentials need `list`"),
        "{}",
        report.stderr
    );
}
