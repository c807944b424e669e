//! `from-to-www-redirect` (ingress-nginx `pkg/util/ingress.BuildRedirects`, the template's
//! redirect servers, `ngx_srv_redirect.lua`, `test/e2e/annotations/fromtowwwredirect.go`):
//! the twin of a host (`www.x` for `x`, `x` for `www.x`) answers `http-redirect-code` (308) to
//! `<scheme>://<host>:<port><request URI minus one trailing slash>`, unless the twin is an
//! Ingress host itself; over HTTPS the twin is served the host's certificate when it covers the
//! twin (checked with `curl -k --resolve`, as a browser would connect).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;

use portico_e2e::{assert_proxied, assert_redirect, Case};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
use tokio::process::Command;

/// A self-signed certificate for `names` (CN = the first), as a `kubernetes.io/tls` Secret.
fn tls_secret(namespace: &str, name: &str, names: &[&str]) -> String {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, names[0]);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let indent = |pem: String| pem.lines().map(|l| format!("    {l}\n")).collect::<String>();
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {namespace}\n\
         type: kubernetes.io/tls\nstringData:\n  tls.crt: |\n{}  tls.key: |\n{}",
        indent(cert.pem()),
        indent(key.serialize_pem())
    )
}

/// What `curl -sk -v --resolve <sni>:<port>:127.0.0.1 https://<sni>:<port><path>` saw: status,
/// Location, the subject of the certificate presented, and Strict-Transport-Security.
#[derive(Debug)]
struct Seen {
    status: u16,
    location: String,
    subject: String,
    hsts: String,
}

async fn curl(https: SocketAddr, sni: &str, path: &str) -> Seen {
    let port = https.port();
    let out = Command::new("curl")
        .args(["-sk", "-v", "--max-time", "10", "-o", "/dev/null"])
        .args(["-w", "%{http_code}\n%header{location}\n%header{strict-transport-security}"])
        .args(["--resolve", &format!("{sni}:{port}:127.0.0.1")])
        .arg(format!("https://{sni}:{port}{path}"))
        .output()
        .await
        .expect("run curl");
    let verbose = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines = stdout.lines().map(|l| l.trim().to_string());
    let status = lines.next().unwrap_or_default().parse().unwrap_or(0);
    let (location, hsts) = (lines.next().unwrap_or_default(), lines.next().unwrap_or_default());
    let subject = verbose.lines().find(|l| l.contains("subject:")).unwrap_or_default();
    Seen { status, location, subject: subject.to_string(), hsts }
}

#[tokio::test]
async fn the_www_twin_redirects_over_http() {
    let mut case = Case::new("fromtowww-http");
    case.backend("web").await;
    let host = case.host("bare");
    let www = format!("www.{host}");
    let ing = case.ingress("bare").annotation("from-to-www-redirect", "true");
    case.apply("ing.yaml", ing.path(Some(&host), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    let port = run.http.port();
    let reply = run.served(&www, "/foo", 308).await;
    assert_redirect(&reply, 308, &format!("http://{host}:{port}/foo"), "upstream: www → bare");
    let reply = run.get(&format!("{www}:{port}"), "/a/?x=1").await;
    assert_redirect(&reply, 308, &format!("http://{host}:{port}/a/?x=1"), "raw URI kept");
    let reply = run.get(&www, "/a/").await;
    assert_redirect(&reply, 308, &format!("http://{host}:{port}/a"), "one trailing / off");
    let reply = run.get(&www, "/").await;
    assert_redirect(&reply, 308, &format!("http://{host}:{port}"), "/ adds nothing");
    assert_proxied(&run.get(&host, "/foo").await, "web", "/foo", "the host itself is served");
}

#[tokio::test]
async fn a_www_host_gets_its_bare_twin_and_existing_hosts_are_left_alone() {
    let mut case = Case::new("fromtowww-twins");
    case.backend("web").await;
    case.config("http-redirect-code", "301");
    let (www_host, taken) = (format!("www.{}", case.host("site")), case.host("taken"));
    let ing = case.ingress("site").annotation("from-to-www-redirect", "true");
    case.apply("site.yaml", ing.path(Some(&www_host), "/", "Prefix", "web"));
    let ing = case.ingress("taken").annotation("from-to-www-redirect", "true");
    case.apply("taken.yaml", ing.path(Some(&taken), "/", "Prefix", "web"));
    let other = format!("www.{taken}");
    case.apply("other.yaml", case.ingress("other").path(Some(&other), "/", "Prefix", "web"));
    let Some(run) = case.start().await else { return };
    let port = run.http.port();
    let bare = case_host_without_www(&www_host);
    let reply = run.served(&bare, "/x", 301).await;
    assert_redirect(&reply, 301, &format!("http://{www_host}:{port}/x"), "http-redirect-code");
    assert_proxied(&run.get(&other, "/x").await, "web", "/x", "www.taken is an Ingress host");
    assert_proxied(&run.get(&taken, "/x").await, "web", "/x", "taken is served");
    if let Some(check) = run.check() {
        assert!(check.contains(&format!("{other} is already an Ingress host")), "{check}");
    }
}

fn case_host_without_www(host: &str) -> String {
    host.strip_prefix("www.").unwrap().to_string()
}

#[tokio::test]
async fn https_uses_the_certificate_when_it_covers_the_twin() {
    let mut case = Case::new("fromtowww-https");
    if case.is_external() {
        return; // the curl --resolve below targets the local listener
    }
    case.backend("web").await;
    let (covered, uncovered) = (case.host("covered"), case.host("uncovered"));
    let ns = case.namespace().to_string();
    let www_covered = format!("www.{covered}");
    case.apply("c-tls.yaml", tls_secret(&ns, "covered-tls", &[&covered, &www_covered]));
    case.apply("u-tls.yaml", tls_secret(&ns, "uncovered-tls", &[&uncovered]));
    for host in [&covered, &uncovered] {
        let name = host.split('.').next().unwrap();
        let ing = case.ingress(name).annotation("from-to-www-redirect", "true").tls(host);
        case.apply(&format!("{name}.yaml"), ing.path(Some(host), "/", "Prefix", "web"));
    }
    let Some(run) = case.start().await else { return };
    let https = run.https.unwrap();
    run.served(&covered, "/", 308).await; // loaded (plain HTTP: ssl-redirect)
    let seen = curl(https, &www_covered, "/path/").await;
    let want = format!("https://{covered}:443/path");
    assert_eq!((seen.status, seen.location.as_str()), (308, want.as_str()), "HTTPS, port 443");
    assert!(seen.subject.contains(&format!("CN={covered}")), "the host's certificate: {seen:?}");
    assert_eq!(seen.hsts, "", "no HSTS from nginx's redirect server");
    let seen = curl(https, &format!("www.{uncovered}"), "/").await;
    let want = format!("https://{uncovered}:443");
    assert_eq!((seen.status, seen.location.as_str()), (308, want.as_str()), "still redirects");
    assert!(seen.subject.contains("Fake Certificate"), "not covered: the default: {seen:?}");
    let seen = curl(https, &covered, "/").await;
    assert_eq!(seen.status, 200, "the host itself is served");
    assert!(seen.subject.contains(&format!("CN={covered}")), "{seen:?}");
    assert!(seen.hsts.starts_with("max-age="), "the host's own answers have HSTS: {seen:?}");
    let check = run.check().unwrap_or_default();
    assert!(check.contains(&format!("does not cover www.{uncovered}")), "{check}");
}
