//! `portico check` as a migration gate on real-world manifests: what is a warning (exit 0) and
//! what an error (exit 1), what it says it skipped or could not load, and where it points.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use portico_e2e::{binary, ingress, service, Dir};

/// `portico check <dir> <flags>`: exit code and the whole output.
fn check(dir: &Path, flags: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(binary()).arg("check").arg(dir).args(flags).output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn site() -> Dir {
    let dir = Dir::new();
    let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
    dir.write("svc.yaml", service("default", "app", &[addr]));
    dir
}

#[test]
fn missing_tls_secret_is_a_warning_and_does_not_fail_the_check() {
    let dir = site();
    // cert-manager has not issued `web-tls` yet.
    dir.write(
        "web.yaml",
        ingress("web").tls("web.test").path(Some("web.test"), "/", "Prefix", "app"),
    );
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("warning: Ingress default/web (")
            && report.contains("spec.tls[0].secretName: Secret default/web-tls not found"),
        "{report}"
    );
    assert!(report.contains("  web.test: default certificate"), "{report}");
    assert!(report.contains("0 error(s), 1 warning(s)"), "{report}");
}

#[test]
fn ingresses_of_another_class_are_counted_and_listed_on_request() {
    let dir = site();
    dir.write("ours.yaml", ingress("ours").path(Some("ours.test"), "/", "Prefix", "app"));
    let theirs = ingress("theirs").class(Some("nginx")).path(Some("n.test"), "/", "Prefix", "app");
    dir.write("theirs.yaml", theirs.namespace("shop"));
    dir.write("none.yaml", ingress("none").class(None).path(Some("x.test"), "/", "Prefix", "app"));
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        report.contains("2 Ingress(es) skipped: not of ingress class portico")
            && report.contains("(--show-skipped lists them)"),
        "{report}"
    );
    assert!(!report.contains("Ingress shop/theirs"), "listed only on request:\n{report}");

    let (_, report) = check(dir.path(), &["--show-skipped"]);
    let listed: Vec<&str> = report.lines().filter(|l| l.starts_with("  Ingress ")).collect();
    assert_eq!(listed.len(), 2, "{report}");
    assert!(
        listed[0].starts_with("  Ingress default/none (")
            && listed[0].ends_with("none.yaml): no class (see --watch-ingress-without-class)"),
        "{report}"
    );
    assert!(listed[1].ends_with("theirs.yaml): ingressClassName nginx"), "{report}");
    assert!(!report.contains("n.test"), "a skipped Ingress is not in the table:\n{report}");
}

#[test]
fn missing_and_empty_directories_say_so() {
    let dir = Dir::new();
    let missing = dir.path().join("nope");
    let (code, report) = check(&missing, &[]);
    assert_ne!(code, Some(0), "{report}");
    assert!(report.contains("nope: no such file or directory"), "{report}");

    let file = dir.path().join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let (code, report) = check(&file, &[]);
    assert_ne!(code, Some(0), "{report}");
    assert!(report.contains("file.txt: not a directory"), "{report}");

    let empty = Dir::new();
    let (code, report) = check(empty.path(), &[]);
    assert_eq!(code, Some(0), "{report}");
    assert!(report.contains("nothing was loaded"), "{report}");
    assert!(report.contains("0 error(s), 1 warning(s)"), "{report}");
}

#[test]
fn deep_nesting_is_refused_fast_naming_file_and_line() {
    let dir = site();
    dir.write("ours.yaml", ingress("ours").path(Some("ours.test"), "/", "Prefix", "app"));
    dir.write("deep.yaml", format!("# a comment\nitems: {}\n", "[".repeat(100 * 1024)));
    let started = Instant::now();
    let (code, report) = check(dir.path(), &[]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "check took {took:?}");
    assert_eq!(code, Some(1), "{report}");
    let line =
        report.lines().find(|l| l.contains("deep.yaml)")).unwrap_or_else(|| panic!("{report}"));
    assert!(
        line.contains("line 2 column 136 (document 1): invalid YAML: flow collections")
            && line.contains("nested deeper than 128 levels"),
        "{line}"
    );
    assert!(report.contains("server ours.test"), "the rest still loads:\n{report}");
}

#[test]
fn yaml_errors_point_at_their_line_in_the_file() {
    let dir = site();
    let broken = "apiVersion: v1\nkind: Service\nmetadata:\n  name: ok\n---\n\
                  apiVersion: v1\nkind: Service\nmetadata:\n  name: b\n  x: y: z\n";
    dir.write("broken.yaml", broken);
    let (_, report) = check(dir.path(), &[]);
    assert!(
        report
            .contains("broken.yaml): line 10 column 7 (document 2): invalid YAML: mapping values"),
        "{report}"
    );
}

#[test]
fn skipped_v1beta1_ingress_is_named_with_its_namespace() {
    let dir = site();
    let old = "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata:\n  name: old\n";
    dir.write("old.yaml", old);
    let (_, report) = check(dir.path(), &[]);
    assert!(
        report.contains("warning: Ingress default/old (")
            && report.contains("apiVersion networking.k8s.io/v1beta1 is not supported"),
        "{report}"
    );
}

#[test]
fn regex_path_left_out_is_named_by_field_and_not_listed() {
    let dir = site();
    let re = ingress("re")
        .annotation("use-regex", "true")
        .path(Some("re.test"), "/ok/[0-9]+", "ImplementationSpecific", "app")
        .path(Some("re.test"), "/bad(", "ImplementationSpecific", "app");
    dir.write("re.yaml", re);
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains(
            "error: Ingress default/re (re.yaml) spec.rules[1].http.paths[0].path: path \"/bad(\""
        ) || report.contains("re.yaml) spec.rules[0].http.paths[1].path: path \"/bad(\""),
        "{report}"
    );
    assert!(report.contains("/ok/[0-9]+"), "{report}");
    let listed = report.lines().filter(|l| l.contains("/bad(")).count();
    assert_eq!(listed, 1, "only the diagnostic names /bad(, the table does not:\n{report}");
}
