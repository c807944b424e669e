//! `auth-tls-*` (client certificates) through the real binary: a CA and client certificates
//! made with rcgen, the CA in a Secret, and `curl --cert/--key` over `--resolve` as the
//! client. The echo backend shows the `ssl-client-*` headers Portico sent.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use portico_e2e::{eventually, ingress, service, Backends, Dir, Portico};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use tokio::process::Command;

type Ca = CertifiedIssuer<'static, KeyPair>;

fn ca(cn: &str) -> Ca {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::OrganizationName, "portico-e2e");
    params.distinguished_name.push(DnType::CommonName, cn);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
}

/// A client certificate `CN=<cn>` issued by `issuer`, written as `<cn>.crt` / `<cn>.key`.
fn client(dir: &Path, cn: &str, issuer: &Ca) -> (PathBuf, PathBuf) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, cn);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, issuer).unwrap();
    let (crt, key_path) = (dir.join(format!("{cn}.crt")), dir.join(format!("{cn}.key")));
    std::fs::write(&crt, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    (crt, key_path)
}

/// What curl saw: status, body, Location, and whether the server asked for a certificate.
#[derive(Debug)]
struct Seen {
    status: u16,
    body: String,
    location: String,
    asked_for_cert: bool,
    verbose: String,
}

/// `curl -sk -v --resolve <sni>:<port>:127.0.0.1 https://<sni>:<port>/` with `cert` and the
/// `Host` header `host` (when it differs from the SNI).
async fn curl(addr: SocketAddr, sni: &str, host: &str, cert: Option<&(PathBuf, PathBuf)>) -> Seen {
    curl_with(addr, sni, host, cert, &[]).await
}

/// [`curl`] with `extra` arguments.
async fn curl_with(
    addr: SocketAddr,
    sni: &str,
    host: &str,
    cert: Option<&(PathBuf, PathBuf)>,
    extra: &[&str],
) -> Seen {
    let port = addr.port();
    let mut cmd = Command::new("curl");
    cmd.args(extra);
    cmd.args(["-sk", "-v", "--max-time", "10", "-w", "\n%{http_code}\n%{redirect_url}"])
        .args(["--resolve", &format!("{sni}:{port}:127.0.0.1")]);
    if host != sni {
        cmd.args(["-H", &format!("Host: {host}")]);
    }
    if let Some((crt, key)) = cert {
        cmd.arg("--cert").arg(crt).arg("--key").arg(key);
    }
    let out = cmd.arg(format!("https://{sni}:{port}/")).output().await.expect("run curl");
    let verbose = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut tail = stdout.rsplitn(3, '\n');
    let location = tail.next().unwrap_or_default().to_string();
    let status = tail.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = tail.next().unwrap_or_default().to_string();
    let asked_for_cert = verbose.contains("Request CERT");
    Seen { status, body, location, asked_for_cert, verbose }
}

/// The one value of request header `name` the echo backend saw, if any.
fn header(seen: &Seen, name: &str) -> Option<String> {
    let echo: serde_json::Value =
        serde_json::from_str(&seen.body).unwrap_or_else(|e| panic!("echo JSON ({e}): {seen:?}"));
    echo["headers"][name][0].as_str().map(str::to_string)
}

/// `%XX` decoding of `ssl-client-cert`.
fn url_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

struct Site {
    _backends: Backends,
    dir: Dir,
    portico: Portico,
    alice: (PathBuf, PathBuf),
    bob: (PathBuf, PathBuf),
    mallory: (PathBuf, PathBuf),
}

/// Hosts on one https listener: `mtls.test` (verify on, certificate passed upstream),
/// `opt.test` (optional), `cn.test` (match-cn `CN=alice`), `err.test` (error page) and
/// `open.test` (no auth-tls).
async fn site() -> Site {
    let backends = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &backends.addrs()));
    let root = ca("Portico Test CA");
    let mut secret = String::from(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ca\n  namespace: default\n\
         stringData:\n  ca.crt: |\n",
    );
    for line in root.pem().lines() {
        secret.push_str(&format!("    {line}\n"));
    }
    dir.write("ca.yaml", secret);
    let hosts: [(&str, &[(&str, &str)]); 5] = [
        ("mtls.test", &[("auth-tls-pass-certificate-to-upstream", "true")]),
        ("opt.test", &[("auth-tls-verify-client", "optional")]),
        ("cn.test", &[("auth-tls-match-cn", "CN=alice")]),
        ("err.test", &[("auth-tls-error-page", "https://login.example.com/mtls")]),
        ("open.test", &[]),
    ];
    for (host, annotations) in hosts {
        let mut ing = ingress(host.split('.').next().unwrap()).tls(host).path(
            Some(host),
            "/",
            "Prefix",
            "web",
        );
        if host != "open.test" {
            ing = ing.annotation("auth-tls-secret", "default/ca");
        }
        for (k, v) in annotations {
            ing = ing.annotation(k, v);
        }
        dir.write(&format!("{host}.yaml"), ing);
    }
    let certs = dir.path().join("client-certs");
    std::fs::create_dir_all(&certs).unwrap();
    let alice = client(&certs, "alice", &root);
    let bob = client(&certs, "bob", &root);
    let mallory = client(&certs, "mallory", &ca("Another CA"));
    let portico = Portico::start(dir.path(), &[]).await;
    let https = portico.https;
    eventually("mtls.test asks for client certificates", || async move {
        curl(https, "mtls.test", "mtls.test", None).await.status == 400
    })
    .await;
    Site { _backends: backends, dir, portico, alice, bob, mallory }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_on_requires_a_certificate_from_the_ca() {
    let site = site().await;
    let https = site.portico.https;

    let none = curl(https, "mtls.test", "mtls.test", None).await;
    assert!(none.asked_for_cert, "the handshake asks for a certificate\n{}", none.verbose);
    assert_eq!(none.status, 400, "{none:?}");
    assert!(none.body.contains("No required SSL certificate was sent"), "{}", none.body);

    let ok = curl(https, "mtls.test", "mtls.test", Some(&site.alice)).await;
    assert_eq!(ok.status, 200, "{ok:?}");
    assert_eq!(header(&ok, "ssl-client-verify").as_deref(), Some("SUCCESS"));
    assert_eq!(header(&ok, "ssl-client-subject-dn").as_deref(), Some("CN=alice"));
    assert_eq!(
        header(&ok, "ssl-client-issuer-dn").as_deref(),
        Some("CN=Portico Test CA,O=portico-e2e")
    );
    let cert = header(&ok, "ssl-client-cert").expect("ssl-client-cert with pass-certificate");
    assert!(!cert.contains('\n'), "URL-encoded: {cert}");
    let pem = url_decode(&cert);
    let alice_pem = std::fs::read_to_string(&site.alice.0).unwrap();
    assert_eq!(pem.trim(), alice_pem.trim(), "the client's own certificate, as PEM");

    let foreign = curl(https, "mtls.test", "mtls.test", Some(&site.mallory)).await;
    assert_eq!(foreign.status, 400, "{foreign:?}");
    assert!(foreign.body.contains("The SSL certificate error"), "{}", foreign.body);
    drop(site.dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn optional_match_cn_error_page_and_other_hosts() {
    let site = site().await;
    let https = site.portico.https;

    let none = curl(https, "opt.test", "opt.test", None).await;
    assert_eq!(none.status, 200, "optional: no certificate passes\n{none:?}");
    assert_eq!(header(&none, "ssl-client-verify").as_deref(), Some("NONE"));
    assert_eq!(header(&none, "ssl-client-subject-dn"), None);
    assert_eq!(header(&none, "ssl-client-cert"), None, "not passed without the annotation");
    let foreign = curl(https, "opt.test", "opt.test", Some(&site.mallory)).await;
    assert_eq!(foreign.status, 400, "optional: a certificate sent must verify\n{foreign:?}");

    let bob = curl(https, "cn.test", "cn.test", Some(&site.bob)).await;
    assert_eq!(bob.status, 403, "match-cn mismatch\n{bob:?}");
    let alice = curl(https, "cn.test", "cn.test", Some(&site.alice)).await;
    assert_eq!(alice.status, 200, "{alice:?}");

    let redirected = curl(https, "err.test", "err.test", None).await;
    assert_eq!(redirected.status, 302, "{redirected:?}");
    assert_eq!(redirected.location, "https://login.example.com/mtls");

    let open = curl(https, "open.test", "open.test", None).await;
    assert_eq!(open.status, 200, "{open:?}");
    assert!(!open.asked_for_cert, "a host without auth-tls asks for nothing\n{}", open.verbose);
    assert_eq!(header(&open, "ssl-client-verify"), None);

    // The connection was made for open.test (no certificate asked): mtls.test's Host is 421.
    let misdirected = curl(https, "open.test", "mtls.test", None).await;
    assert_eq!(misdirected.status, 421, "{misdirected:?}");
    // The client's own ssl-client-* headers never reach the backend of an auth-tls host.
    let forged = ["-H", "ssl-client-verify: SUCCESS", "-H", "ssl-client-subject-dn: CN=admin"];
    let forged = curl_with(https, "opt.test", "opt.test", None, &forged).await;
    assert_eq!(forged.status, 200, "{forged:?}");
    assert_eq!(header(&forged, "ssl-client-verify").as_deref(), Some("NONE"));
    assert_eq!(header(&forged, "ssl-client-subject-dn"), None);
    drop(site.dir);
}
