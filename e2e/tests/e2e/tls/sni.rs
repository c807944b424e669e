//! Which certificate a handshake is presented: exact SNI, one-label wildcard, unknown and
//! absent SNI (§3.2), `--default-ssl-certificate` (§3.1), as curl and rustls see it.

use portico_e2e::{Dir, Portico};

use super::support::{curl, secret, self_signed, served_cn, FAKE_CN};
use super::tls_site;

async fn write_secret(dir: &Dir, name: &str, cn: &str, sans: &[&str]) -> String {
    let (crt, key) = self_signed(cn, sans);
    dir.write(&format!("{name}.secret.yaml"), secret(name, &crt, &key));
    crt
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sni_picks_exact_then_wildcard_then_the_fake_default() {
    let (_b, dir, portico) =
        tls_site(&[("exact", "a.tls.test"), ("wild", "*.wild.test")], &[]).await;
    write_secret(&dir, "exact-tls", "a.tls.test", &["a.tls.test"]).await;
    write_secret(&dir, "wild-tls", "*.wild.test", &["*.wild.test"]).await;
    let https = portico.https;
    portico_e2e::eventually("both Secrets served", || async move {
        served_cn(https, Some("a.tls.test")).await == "a.tls.test"
            && served_cn(https, Some("x.wild.test")).await == "*.wild.test"
    })
    .await;

    let cases = [
        ("a.tls.test", "CN=a.tls.test"),
        ("A.TLS.TEST", "CN=a.tls.test"),
        ("x.wild.test", "CN=*.wild.test"),
        ("a.b.wild.test", "CN=Kubernetes Ingress Controller Fake Certificate"),
        ("unknown.test", "CN=Kubernetes Ingress Controller Fake Certificate"),
    ];
    for (host, subject) in cases {
        let seen = curl(https, host, "/", &[]).await;
        assert!(seen.subject.starts_with(subject), "{host}: want {subject}\n{}", seen.verbose);
    }
    // An IP address as the URL host: curl sends no SNI.
    let seen = curl(https, "127.0.0.1", "/", &["-H", "Host: a.tls.test"]).await;
    assert!(seen.subject.contains(FAKE_CN), "no SNI → default certificate\n{}", seen.verbose);
    let echo: serde_json::Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(echo["server"], "tls-0", "routing uses Host, not SNI");

    assert_eq!(served_cn(https, Some("x.wild.test")).await, "*.wild.test");
    assert_eq!(served_cn(https, Some("nope.test")).await, FAKE_CN);
    assert_eq!(served_cn(https, None).await, FAKE_CN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_ssl_certificate_replaces_the_fake_one() {
    let dir = Dir::new();
    write_secret(&dir, "fallback", "fallback.test", &["fallback.test"]).await;
    let flags = ["--default-ssl-certificate", "default/fallback"];
    let portico = Portico::start(dir.path(), &flags).await;
    assert_eq!(served_cn(portico.https, Some("anything.test")).await, "fallback.test");
    assert_eq!(served_cn(portico.https, None).await, "fallback.test");
    let report = super::support::check(dir.path(), &flags).await;
    assert!(report.contains("default certificate default/fallback"), "{report}");

    // A default Secret that does not exist: the fake certificate, and a diagnostic.
    let flags = ["--default-ssl-certificate", "default/missing"];
    let other = Portico::start(dir.path(), &flags).await;
    assert_eq!(served_cn(other.https, None).await, FAKE_CN);
    let report = super::support::check(dir.path(), &flags).await;
    assert!(
        report.contains("error: Secret default/missing --default-ssl-certificate: not found"),
        "{report}"
    );
}
