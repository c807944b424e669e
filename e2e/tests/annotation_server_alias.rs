//! `server-alias` (ingress-nginx `annotations/alias/main.go`, `controller.go` `createServers`):
//! more names for the server of the Ingress's host, answering exactly as the host; an alias
//! that is another Ingress's host stays that host's (warning); the first Ingress of a host
//! with aliases sets them; over HTTPS an alias is served the host's certificate when it
//! covers the alias; an invalid value drops the Ingress.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{assert_proxied, Case};
use rcgen::{CertificateParams, KeyPair};
use tokio::process::Command;

#[tokio::test]
async fn aliases_answer_as_the_host_but_never_take_another_host() {
    let mut case = Case::new("alias-basic");
    case.backend("web").await;
    case.backend("other").await;
    let (host, other) = (case.host("main"), case.host("other"));
    let (alias, upper) = (case.host("alias"), case.host("UPPER"));
    let value = format!("{alias}, {other},{upper} , *.wild.test");
    let ing = case.ingress("main").annotation("server-alias", &value);
    case.apply("main.yaml", ing.path(Some(&host), "/app", "Prefix", "web"));
    case.apply("other.yaml", case.ingress("other").path(Some(&other), "/", "Prefix", "other"));
    // A later Ingress of the same host: its aliases are not used (the first one's are).
    let later = case.ingress("later").annotation("server-alias", &case.host("later"));
    let later = later.created("2030-01-01T00:00:00Z");
    case.apply("later.yaml", later.path(Some(&host), "/later", "Prefix", "web"));
    let bad = case.host("bad");
    let ing = case.ingress("bad").annotation("server-alias", "a.test; b.test");
    case.apply("bad.yaml", ing.path(Some(&bad), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    let reply = run.served(&alias, "/app/x", 200).await;
    assert_proxied(&reply, "web", "/app/x", "the alias routes like the host");
    assert_eq!(run.get(&format!("{alias}:8080"), "/nope").await.status, 404, "host's 404");
    assert_proxied(&run.get(&upper, "/app").await, "web", "/app", "any case");
    assert_proxied(&run.get(&other, "/app").await, "other", "/app", "a host keeps its server");
    assert_proxied(&run.get(&host, "/later").await, "web", "/later", "later paths merge");
    assert_eq!(run.get(&case_host(&run, "later"), "/later").await.status, 404, "later alias");
    assert_eq!(run.get(&bad, "/").await.status, 404, "invalid value: Ingress not loaded");
    if let Some(check) = run.check() {
        assert!(check.contains(&format!("server-alias \"{other}\"")), "{check}");
        assert!(check.contains("*.wild.test"), "wildcards are warned about: {check}");
        assert!(check.contains("\"a.test; b.test\""), "{check}");
    }
}

fn case_host(run: &portico_e2e::Running, label: &str) -> String {
    run.host(label)
}

#[tokio::test]
async fn over_https_an_alias_gets_the_certificate_that_covers_it() {
    let mut case = Case::new("alias-tls");
    if case.is_external() {
        return; // curl --resolve targets the local listener
    }
    case.backend("web").await;
    let (host, alias, uncovered) = (case.host("main"), case.host("alias"), case.host("nocert"));
    let cert_key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![host.clone(), alias.clone()])
        .unwrap()
        .self_signed(&cert_key)
        .unwrap();
    let indent = |pem: String| pem.lines().map(|l| format!("    {l}\n")).collect::<String>();
    case.apply(
        "tls.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: main-tls\n  namespace: {}\n\
             type: kubernetes.io/tls\nstringData:\n  tls.crt: |\n{}  tls.key: |\n{}",
            case.namespace(),
            indent(cert.pem()),
            indent(cert_key.serialize_pem())
        ),
    );
    let ing = case.ingress("main").annotation("server-alias", &format!("{alias},{uncovered}"));
    let ing = ing.annotation("ssl-redirect", "false").tls(&host);
    case.apply("main.yaml", ing.path(Some(&host), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    run.served(&alias, "/", 200).await;
    let port = run.https.unwrap().port();
    for (name, covered) in [(&alias, true), (&uncovered, false)] {
        let out = Command::new("curl")
            .args(["-sk", "-v", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}"])
            .args(["--resolve", &format!("{name}:{port}:127.0.0.1")])
            .arg(format!("https://{name}:{port}/"))
            .output()
            .await
            .expect("run curl");
        let verbose = String::from_utf8_lossy(&out.stderr);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "200", "{name}: {verbose}");
        let fake = verbose.contains("Fake Certificate");
        assert_eq!(!fake, covered, "{name}: certificate: {verbose}");
    }
}
