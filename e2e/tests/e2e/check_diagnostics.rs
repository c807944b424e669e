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

/// The summary's lines from its heading to the verdict.
fn summary(report: &str) -> &str {
    let start = report.find("migration summary:").unwrap_or_else(|| panic!("{report}"));
    &report[start..]
}

#[test]
fn the_summary_counts_ingresses_and_names_each_annotation_s_users() {
    let dir = site();
    let site = |name: &str| ingress(name).path(Some(&format!("{name}.test")), "/", "Prefix", "app");
    dir.write("clean.yaml", site("clean"));
    dir.write("redirect-a.yaml", site("redirect-a").annotation("fastcgi-index", "index.php"));
    dir.write("redirect-b.yaml", site("redirect-b").annotation("fastcgi-index", "index.php"));
    dir.write("limited.yaml", site("limited").annotation("global-rate-limit", "10"));
    dir.write("invalid.yaml", site("invalid").annotation("upstream-hash-by", "bad value!"));
    dir.write("typo.yaml", site("typo").annotation("rewrite-targt", "/"));
    let keepalive = site("auth")
        .annotation("auth-url", "http://auth.test/")
        .annotation("auth-keepalive-timeout", "60");
    dir.write("auth.yaml", keepalive);
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, Some(1), "errors exit 1:\n{report}");
    let summary = summary(&report);
    for line in [
        "migration summary: 7 Ingress(es) of class portico\n",
        "\n  2 refused\n    default/invalid: not loaded (invalid annotations)\n    \
         default/limited: denied (its paths answer 503)\n",
        "  unsupported, ignored (served without it: differs from ingress-nginx):\n    \
         nginx.ingress.kubernetes.io/fastcgi-index: default/redirect-a, default/redirect-b\n",
        "  unsupported, restricting access (503 until Portico implements it):\n    \
         nginx.ingress.kubernetes.io/global-rate-limit: default/limited\n",
        "  accepted without effect (same answers as ingress-nginx):\n    \
         nginx.ingress.kubernetes.io/auth-keepalive-timeout: default/auth\n",
        "  unknown to ingress-nginx and Portico (ignored by both):\n    \
         nginx.ingress.kubernetes.io/rewrite-targt: default/typo\n",
        "\n  2 fully supported\n  3 with warnings\n",
    ] {
        assert!(summary.contains(line), "want {line:?} in\n{summary}");
    }
    let verdict = summary.lines().last().unwrap();
    assert!(
        verdict.starts_with("verdict: not ready, ") && verdict.ends_with("(exit 1)"),
        "{verdict}"
    );
}

#[test]
fn strict_exits_2_when_everything_is_served_but_some_ingress_differs() {
    let dir = site();
    dir.write("clean.yaml", ingress("clean").path(Some("clean.test"), "/", "Prefix", "app"));
    let (code, report) = check(dir.path(), &["--strict"]);
    assert_eq!(code, Some(0), "{report}");
    assert!(
        summary(&report).contains("  1 fully supported\n")
            && report.contains("verdict: no difference from ingress-nginx known to Portico"),
        "{report}"
    );

    let redirect = ingress("moved")
        .annotation("fastcgi-index", "index.php")
        .annotation("enable-modsecurity", "false")
        .path(Some("moved.test"), "/", "Prefix", "app");
    dir.write("moved.yaml", redirect);
    let (code, report) = check(dir.path(), &[]);
    assert_eq!(code, Some(0), "warnings alone still exit 0 without --strict:\n{report}");
    let (code, report) = check(dir.path(), &["--strict"]);
    assert_eq!(code, Some(2), "{report}");
    let summary = summary(&report);
    assert!(
        summary.contains(
            "  unsupported, without effect as written (as in ingress-nginx):\n    \
             nginx.ingress.kubernetes.io/enable-modsecurity (\"false\" disables it): default/moved\n"
        ) && summary.contains(
            "verdict: served, but 1 Ingress(es) behave differently from ingress-nginx \
             (unsupported annotations ignored): default/moved (exit 2 with --strict)"
        ),
        "{summary}"
    );
}

#[test]
fn strict_counts_configmap_keys_portico_does_not_read() {
    let dir = site();
    dir.write("clean.yaml", ingress("clean").path(Some("clean.test"), "/", "Prefix", "app"));
    dir.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: portico\n  namespace: infra\n\
         data:\n  enable-underscores-in-headers: \"true\"\n",
    );
    let flags = ["--strict", "--configmap", "infra/portico"];
    let (code, report) = check(dir.path(), &flags);
    assert_eq!(code, Some(2), "{report}");
    assert!(
        summary(&report).contains(
            "  ConfigMap keys not supported (ignored, or denying when they restrict access):\n    \
             enable-underscores-in-headers\n"
        ) && report.contains("the ConfigMap has keys Portico does not read (exit 2 with --strict)"),
        "{report}"
    );
}
