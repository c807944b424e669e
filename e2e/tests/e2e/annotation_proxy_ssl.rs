//! `backend-protocol: HTTPS` with `proxy-ssl-*` (ingress-nginx `annotations/proxyssl`, the
//! template's `proxy_ssl_*` block) through the real binary, against an HTTPS backend with
//! certificates made at run time: verification off by default (any certificate), on with the
//! Secret's `ca.crt` (right CA passes, wrong CA is 502), the client certificate presented,
//! SNI only with `proxy-ssl-server-name: on`, unusable Secrets deny (503), TLS connections
//! pooled across table rebuilds.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use portico_e2e::{
    eventually, get, ingress, pem_secret, service, Dir, Portico, Reply, TestCa, TlsBackend,
};

/// A CA, a backend certificate for `backend.test` it signed, and a client certificate signed by
/// another CA the backend trusts for client authentication.
struct Pki {
    backend_ca: TestCa,
    client_ca: TestCa,
    other_ca: TestCa,
}

impl Pki {
    fn new() -> Pki {
        Pki {
            backend_ca: TestCa::new("backend-ca"),
            client_ca: TestCa::new("client-ca"),
            other_ca: TestCa::new("other-ca"),
        }
    }
}

/// Starts the HTTPS backend behind Service `default/secure`, the Secrets given, and one Ingress
/// per `(host, annotations)` (every one with `backend-protocol: HTTPS`).
async fn start(
    pki: &Pki,
    secrets: &[String],
    sites: &[(&str, Vec<(&str, &str)>)],
) -> (TlsBackend, Dir, Portico) {
    let cert = pki.backend_ca.server(&["backend.test"]);
    let backend = TlsBackend::start(&cert, Some(&pki.client_ca.cert_pem)).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "secure", &[backend.addr]));
    for (i, secret) in secrets.iter().enumerate() {
        dir.write(&format!("secret-{i}.yaml"), secret);
    }
    for (host, annotations) in sites {
        let name = host.split('.').next().unwrap();
        let mut ing = ingress(name).path(Some(host), "/", "Prefix", "secure");
        for (key, value) in annotations.iter().chain([&("backend-protocol", "HTTPS")]) {
            ing = ing.annotation(key, value);
        }
        dir.write(&format!("{host}.yaml"), ing);
    }
    // One data-plane worker: upstream connections are pooled per worker, and the pooling
    // tests expect one connection whichever worker a client connection lands on.
    let portico = Portico::start(dir.path(), &["--workers", "1"]).await;
    (backend, dir, portico)
}

async fn fetch(portico: &Portico, host: &str) -> Reply {
    get(portico.http, host, "/").await.unwrap()
}

fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_slice(&reply.body).unwrap_or_else(|e| {
        panic!("not the TLS backend's JSON ({e}): {} {}", reply.status, reply.text())
    })
}

#[tokio::test]
async fn without_a_secret_any_certificate_is_accepted_and_no_sni_is_sent() {
    let pki = Pki::new();
    let (_backend, _dir, portico) = start(&pki, &[], &[("plain.test", vec![])]).await;
    let reply = fetch(&portico, "plain.test").await;
    assert_eq!(reply.status, 200, "{}\n{}", reply.text(), portico.log_text());
    let seen = json(&reply);
    assert_eq!(seen["sni"], serde_json::Value::Null, "nginx sends no SNI by default: {seen}");
    assert_eq!(seen["client_cert"], false);
    assert_eq!(seen["alpn"], serde_json::Value::Null, "proxy_pass https:// offers no ALPN");
    assert_eq!(seen["host"], "plain.test");
}

#[tokio::test]
async fn verification_with_the_right_ca_passes_and_a_wrong_ca_is_502() {
    let pki = Pki::new();
    let secrets = [
        pem_secret("default", "right", &[("ca.crt", &pki.backend_ca.cert_pem)]),
        pem_secret("default", "wrong", &[("ca.crt", &pki.other_ca.cert_pem)]),
    ];
    let verify = |secret| {
        vec![
            ("proxy-ssl-secret", secret),
            ("proxy-ssl-verify", "on"),
            ("proxy-ssl-name", "backend.test"),
        ]
    };
    let no_name = vec![("proxy-ssl-secret", "default/right"), ("proxy-ssl-verify", "on")];
    let sites = [
        ("right.test", verify("default/right")),
        ("wrong.test", verify("default/wrong")),
        ("unnamed.test", no_name),
        ("off.test", vec![("proxy-ssl-secret", "default/wrong"), ("proxy-ssl-verify", "off")]),
    ];
    let (_backend, _dir, portico) = start(&pki, &secrets, &sites).await;
    let right = fetch(&portico, "right.test").await;
    assert_eq!(right.status, 200, "{}\n{}", right.text(), portico.log_text());
    assert_eq!(json(&right)["sni"], serde_json::Value::Null, "no SNI without server-name on");
    let wrong = fetch(&portico, "wrong.test").await;
    assert_eq!(wrong.status, 502, "a certificate of another CA must not pass");
    // nginx verifies against $proxy_host, which ingress-nginx renders as upstream_balancer.
    let unnamed = fetch(&portico, "unnamed.test").await;
    assert_eq!(unnamed.status, 502, "the certificate does not cover upstream_balancer");
    let off = fetch(&portico, "off.test").await;
    assert_eq!(off.status, 200, "verify off accepts any certificate");
    assert!(portico.log_text().contains("TLS handshake with upstream"), "{}", portico.log_text());
}

#[tokio::test]
async fn sni_is_sent_only_with_server_name_on_and_names_proxy_ssl_name() {
    let pki = Pki::new();
    let secrets = [pem_secret("default", "ca", &[("ca.crt", &pki.backend_ca.cert_pem)])];
    let base = [("proxy-ssl-secret", "default/ca"), ("proxy-ssl-name", "backend.test")];
    let with = [&base[..], &[("proxy-ssl-server-name", "on"), ("proxy-ssl-verify", "on")]].concat();
    let without = [&base[..], &[("proxy-ssl-server-name", "off")]].concat();
    let sites = [("sni.test", with), ("nosni.test", without)];
    let (_backend, _dir, portico) = start(&pki, &secrets, &sites).await;
    let sni = fetch(&portico, "sni.test").await;
    assert_eq!(sni.status, 200, "{}\n{}", sni.text(), portico.log_text());
    assert_eq!(json(&sni)["sni"], "backend.test");
    let nosni = fetch(&portico, "nosni.test").await;
    assert_eq!(nosni.status, 200, "{}", nosni.text());
    assert_eq!(json(&nosni)["sni"], serde_json::Value::Null);
    let check = portico.check();
    let shown = "[HTTPS] [proxy-ssl Secret default/ca verify name backend.test sni]";
    assert!(check.contains(shown), "portico check shows the settings: {check}");
}

#[tokio::test]
async fn the_client_certificate_of_the_secret_is_presented() {
    let pki = Pki::new();
    let client = pki.client_ca.client("portico");
    let secrets = [
        pem_secret(
            "default",
            "mtls",
            &[("tls.crt", &client.cert_pem), ("tls.key", &client.key_pem)],
        ),
        pem_secret("default", "ca-only", &[("ca.crt", &pki.backend_ca.cert_pem)]),
    ];
    let sites = [
        ("mtls.test", vec![("proxy-ssl-secret", "default/mtls")]),
        ("anon.test", vec![("proxy-ssl-secret", "default/ca-only")]),
    ];
    let (_backend, _dir, portico) = start(&pki, &secrets, &sites).await;
    let mtls = fetch(&portico, "mtls.test").await;
    assert_eq!(mtls.status, 200, "{}\n{}", mtls.text(), portico.log_text());
    assert_eq!(json(&mtls)["client_cert"], true);
    let anon = fetch(&portico, "anon.test").await;
    assert_eq!(json(&anon)["client_cert"], false);
}

#[tokio::test]
async fn unusable_secrets_deny_the_locations() {
    let pki = Pki::new();
    let secrets = [
        pem_secret("default", "empty", &[("other", "x")]),
        pem_secret("elsewhere", "ca", &[("ca.crt", &pki.backend_ca.cert_pem)]),
    ];
    let sites = [
        ("missing.test", vec![("proxy-ssl-secret", "default/nope")]),
        ("empty.test", vec![("proxy-ssl-secret", "default/empty")]),
        ("cross.test", vec![("proxy-ssl-secret", "elsewhere/ca")]),
        ("noslash.test", vec![("proxy-ssl-secret", "nope")]),
    ];
    let (_backend, _dir, portico) = start(&pki, &secrets, &sites).await;
    for host in ["missing.test", "empty.test", "cross.test", "noslash.test"] {
        let reply = fetch(&portico, host).await;
        assert_eq!(reply.status, 503, "{host}: {}", reply.text());
    }
    let check = portico.check();
    for needle in [
        "secret default/nope not found",
        "neither tls.crt/tls.key nor ca.crt",
        "another namespace",
        "is not namespace/name",
    ] {
        assert!(check.contains(needle), "{needle}: {check}");
    }
}

#[tokio::test]
async fn tls_connections_are_pooled_across_reloads() {
    let pki = Pki::new();
    let secrets = [pem_secret("default", "ca", &[("ca.crt", &pki.backend_ca.cert_pem)])];
    let verify = vec![
        ("proxy-ssl-secret", "default/ca"),
        ("proxy-ssl-verify", "on"),
        ("proxy-ssl-name", "backend.test"),
    ];
    let (_backend, dir, portico) = start(&pki, &secrets, &[("pool.test", verify)]).await;
    let first = json(&fetch(&portico, "pool.test").await)["conn"].clone();
    let again = json(&fetch(&portico, "pool.test").await)["conn"].clone();
    assert_eq!(first, again, "the TLS connection is kept alive and reused");
    // A rebuild with the same settings (another Ingress appears) keeps the pooled connection.
    let other = ingress("other").path(Some("other.test"), "/", "Prefix", "secure");
    dir.write("other.yaml", other.annotation("backend-protocol", "HTTPS"));
    eventually("the new Ingress is served", || async {
        get(portico.http, "other.test", "/").await.is_ok_and(|r| r.status == 200)
    })
    .await;
    let after = json(&fetch(&portico, "pool.test").await)["conn"].clone();
    assert_eq!(first, after, "unchanged proxy-ssl settings keep their connections");
}
