//! `ssl-passthrough` with `--enable-ssl-passthrough` through the real binary: a TLS backend with
//! its own rcgen certificate; a client naming the passthrough host in its SNI gets the
//! backend's certificate and talks to the backend, another host on the same listener (and a
//! client without SNI) still gets Portico's; without the flag the host is terminated; with
//! `use-proxy-protocol` the PROXY header is read before the ClientHello is peeked.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;
use std::sync::Arc;

use portico_e2e::{
    accept_any_client, controller_configmap, eventually, ingress, service, Backends, Dir, Portico,
};
use portico_tls::rustls;
use portico_tls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use portico_tls::tokio_rustls::{TlsAcceptor, TlsConnector};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PASS_HOST: &str = "passthrough.test";
const OTHER_HOST: &str = "other.test";
const FAKE_CN: &str = "Kubernetes Ingress Controller Fake Certificate";
const GREETING: &[u8] = b"hello from the TLS backend\n";

/// A TLS server on loopback with a self-signed certificate for [`PASS_HOST`]: it greets each
/// client with [`GREETING`], then echoes what it reads.
async fn tls_backend() -> SocketAddr {
    let cert = rcgen::generate_simple_self_signed(vec![PASS_HOST.to_string()]).unwrap();
    let der = CertificateDer::from(cert.cert.der().to_vec());
    let key = PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else { return };
                if tls.write_all(GREETING).await.is_err() {
                    return;
                }
                let mut buf = [0u8; 1024];
                while let Ok(n) = tls.read(&mut buf).await {
                    if n == 0 || tls.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

/// Manifests: [`PASS_HOST`] → the TLS backend with `ssl-passthrough`, [`OTHER_HOST`] → an echo
/// backend (HTTP), both on the same listeners; `configmap` lines, when given.
async fn site(configmap: Option<&str>) -> (Backends, Dir) {
    let backend = tls_backend().await;
    let web = Backends::start("web", 1).await;
    let dir = Dir::new();
    dir.write("tls-svc.yaml", service("default", "tls-backend", &[backend]));
    dir.write("web-svc.yaml", service("default", "web", &web.addrs()));
    let pass = ingress("pass").annotation("ssl-passthrough", "true").path(
        Some(PASS_HOST),
        "/",
        "Prefix",
        "tls-backend",
    );
    dir.write("pass.yaml", pass);
    dir.write("other.yaml", ingress("other").path(Some(OTHER_HOST), "/", "Prefix", "web"));
    if let Some(lines) = configmap {
        dir.write("cm.yaml", controller_configmap(lines));
    }
    (web, dir)
}

/// A TLS connection over `tcp` with SNI `sni` (`None`: an IP address, no SNI): the subject CN
/// of the certificate presented and the stream.
async fn handshake(
    tcp: TcpStream,
    sni: Option<&str>,
) -> (String, portico_tls::tokio_rustls::client::TlsStream<TcpStream>) {
    let config = accept_any_client(&[], rustls::DEFAULT_VERSIONS);
    let name = match sni {
        Some(host) => ServerName::try_from(host.to_string()).unwrap(),
        None => ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()),
    };
    let tls = TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap();
    let leaf = tls.get_ref().1.peer_certificates().unwrap()[0].to_vec();
    (subject_cn(&leaf), tls)
}

fn subject_cn(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    let cn = cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok());
    cn.unwrap_or_default().to_string()
}

/// The CN presented to a client naming `sni`, or `None` when the handshake cannot be made
/// (the table is not live yet).
async fn presented(https: SocketAddr, sni: Option<&str>) -> String {
    handshake(TcpStream::connect(https).await.unwrap(), sni).await.0
}

/// Talks to the backend through the passthrough: the greeting, then an echo.
async fn talk_to_backend(
    tls: &mut portico_tls::tokio_rustls::client::TlsStream<TcpStream>,
) -> Result<(), String> {
    let mut greeting = vec![0u8; GREETING.len()];
    tls.read_exact(&mut greeting).await.map_err(|e| e.to_string())?;
    if greeting != GREETING {
        return Err(format!("greeting {:?}", String::from_utf8_lossy(&greeting)));
    }
    tls.write_all(b"ping").await.map_err(|e| e.to_string())?;
    let mut echo = [0u8; 4];
    tls.read_exact(&mut echo).await.map_err(|e| e.to_string())?;
    (&echo == b"ping").then_some(()).ok_or_else(|| format!("echo {echo:?}"))
}

/// An HTTP/1.1 GET of `/` with Host `host` over `tls`, answered by Portico: the status line.
async fn get_status<S>(tls: &mut S, host: &str) -> String
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    let _ = tls.read_to_end(&mut reply).await;
    String::from_utf8_lossy(&reply).lines().next().unwrap_or_default().to_string()
}

async fn wait_for_passthrough(portico: &Portico) {
    let https = portico.https;
    eventually("the passthrough host presents the backend's certificate", || async move {
        presented(https, Some(PASS_HOST)).await == "rcgen self signed cert"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_passthrough_host_reaches_the_backend_unterminated() {
    let (_web, dir) = site(None).await;
    let portico = Portico::start(dir.path(), &["--enable-ssl-passthrough"]).await;
    wait_for_passthrough(&portico).await;

    let tcp = TcpStream::connect(portico.https).await.unwrap();
    let (cn, mut tls) = handshake(tcp, Some(PASS_HOST)).await;
    assert_eq!(cn, "rcgen self signed cert", "the backend's own certificate");
    talk_to_backend(&mut tls).await.unwrap();

    let tcp = TcpStream::connect(portico.https).await.unwrap();
    let (cn, mut tls) = handshake(tcp, Some(OTHER_HOST)).await;
    assert_eq!(cn, FAKE_CN, "another host on the same listener is terminated by Portico");
    let status = get_status(&mut tls, OTHER_HOST).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");

    assert_eq!(presented(portico.https, None).await, FAKE_CN, "no SNI: terminated");
    let table = portico.check();
    assert!(table.contains("[ssl-passthrough default-tls-backend-80]"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_flag_the_host_is_terminated() {
    let (_web, dir) = site(None).await;
    let portico = Portico::start(dir.path(), &[]).await;
    let https = portico.https;
    eventually("the other host is served", || async move {
        let Ok(tcp) = TcpStream::connect(https).await else { return false };
        let (_, mut tls) = handshake(tcp, Some(OTHER_HOST)).await;
        get_status(&mut tls, OTHER_HOST).await.starts_with("HTTP/1.1 200")
    })
    .await;
    assert_eq!(presented(portico.https, Some(PASS_HOST)).await, FAKE_CN, "terminated as usual");
    let report = portico.check();
    assert!(
        report.contains("needs the controller flag --enable-ssl-passthrough")
            && report.contains("Ingress default/pass"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_protocol_is_read_before_the_peek() {
    let (_web, dir) = site(Some("  use-proxy-protocol: \"true\"\n")).await;
    let flags = ["--enable-ssl-passthrough", "--configmap", "infra/portico"];
    let portico = Portico::start(dir.path(), &flags).await;
    let https = portico.https;
    let header = b"PROXY TCP4 203.0.113.9 127.0.0.1 5555 443\r\n";
    let with_header = || async move {
        let mut tcp = TcpStream::connect(https).await.unwrap();
        tcp.write_all(header).await.unwrap();
        tcp
    };
    eventually("passthrough behind a PROXY header", || async move {
        let Ok(tcp) = tokio::time::timeout(portico_e2e::patience(), with_header()).await else {
            return false;
        };
        let (cn, mut tls) = handshake(tcp, Some(PASS_HOST)).await;
        cn == "rcgen self signed cert" && talk_to_backend(&mut tls).await.is_ok()
    })
    .await;
    let (cn, mut tls) = handshake(with_header().await, Some(OTHER_HOST)).await;
    assert_eq!(cn, FAKE_CN);
    let status = get_status(&mut tls, OTHER_HOST).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_a_passthrough_host_is_proxied_as_any_host() {
    // ingress-nginx keeps the host's server on port 80: its locations proxy plain HTTP as
    // usual (here to a TLS backend, which cannot answer HTTP: 502).
    let (_web, dir) = site(None).await;
    let portico = Portico::start(dir.path(), &["--enable-ssl-passthrough"]).await;
    wait_for_passthrough(&portico).await;
    let mut tcp = TcpStream::connect(portico.http).await.unwrap();
    let status = get_status(&mut tcp, PASS_HOST).await;
    assert!(status.starts_with("HTTP/1.1 502"), "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_waits_for_a_passed_connection() {
    // A grace period longer than the test's patience: exiting in time means it was not waited
    // out, the connection's end released it.
    let (_web, dir) = site(Some("  worker-shutdown-timeout: \"300s\"\n")).await;
    let flags = ["--enable-ssl-passthrough", "--configmap", "infra/portico"];
    let mut portico = Portico::start(dir.path(), &flags).await;
    wait_for_passthrough(&portico).await;
    let tcp = TcpStream::connect(portico.https).await.unwrap();
    let (_, mut tls) = handshake(tcp, Some(PASS_HOST)).await;
    talk_to_backend(&mut tls).await.unwrap();

    let kill = tokio::process::Command::new("kill")
        .args(["-TERM", &portico.pid().to_string()])
        .status()
        .await
        .unwrap();
    assert!(kill.success());
    let https = portico.https;
    eventually("the https listener is closed", || async move {
        TcpStream::connect(https).await.is_err()
    })
    .await;
    tls.write_all(b"pong").await.unwrap();
    let mut echo = [0u8; 4];
    tls.read_exact(&mut echo).await.unwrap();
    assert_eq!(&echo, b"pong", "the passed connection outlives the listener");

    drop(tls);
    let status = tokio::task::spawn_blocking(move || portico.terminate()).await.unwrap();
    assert!(status.is_some_and(|s| s.success()), "exits once the connection closed: {status:?}");
}
