//! TLS fixtures: self-signed certificates made with rcgen, Secrets as manifests, a
//! tokio-rustls client that reports the presented certificate, `curl` and `portico check`.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Version};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use portico_e2e::{accept_any_client, binary, Leaf, Reply};
use portico_tls::rustls;
use portico_tls::rustls::pki_types::pem::PemObject;
use portico_tls::rustls::pki_types::{CertificateDer, ServerName};
use portico_tls::tokio_rustls::client::TlsStream;
use portico_tls::tokio_rustls::TlsConnector;
use tokio::net::TcpStream;
use tokio::process::Command;

pub const FAKE_CN: &str = "Kubernetes Ingress Controller Fake Certificate";

/// A self-signed certificate and key (rcgen, ECDSA P-256) with subject CN `cn` and, when
/// given, these DNS SANs. The `openssl` recipe users follow is covered by
/// `crates/tls/tests/tls/formats.rs` and the `examples/tls` test.
pub fn self_signed(cn: &str, sans: &[&str]) -> (String, String) {
    let leaf = Leaf::self_signed(cn, sans);
    (leaf.cert_pem, leaf.key_pem)
}

/// A `kubernetes.io/tls` Secret manifest with these PEM fields (as `stringData`).
pub fn secret(name: &str, crt: &str, key: &str) -> String {
    secret_fields(name, Some("kubernetes.io/tls"), &[("tls.crt", crt), ("tls.key", key)])
}

/// A Secret manifest of `type_` with these `stringData` fields (block literals).
pub fn secret_fields(name: &str, type_: Option<&str>, fields: &[(&str, &str)]) -> String {
    let mut yaml =
        format!("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: default\n");
    if let Some(type_) = type_ {
        yaml.push_str(&format!("type: {type_}\n"));
    }
    yaml.push_str("stringData:\n");
    for (key, value) in fields {
        yaml.push_str(&format!("  {key}: |\n"));
        for line in value.lines() {
            yaml.push_str(&format!("    {line}\n"));
        }
    }
    yaml
}

/// The subject CN of a DER certificate.
pub fn cn_of(der: &[u8]) -> String {
    let (_, cert) = x509_parser::parse_x509_certificate(der).unwrap();
    let cn = cert.subject().iter_common_name().next().and_then(|cn| cn.as_str().ok());
    cn.unwrap_or_default().to_string()
}

/// The leaf of a PEM chain, as DER.
pub fn leaf_der(crt: &str) -> Vec<u8> {
    CertificateDer::pem_slice_iter(crt.as_bytes()).next().unwrap().unwrap().to_vec()
}

/// A TLS connection to Portico: `sni` (`None`: no SNI is sent) and ALPN `alpn`.
pub async fn connect(addr: SocketAddr, sni: Option<&str>, alpn: &[&[u8]]) -> TlsStream<TcpStream> {
    let config = accept_any_client(alpn, rustls::DEFAULT_VERSIONS);
    let name = match sni {
        Some(sni) => ServerName::try_from(sni.to_string()).unwrap(),
        // An IP address as the server name: rustls sends no SNI.
        None => ServerName::IpAddress(addr.ip().into()),
    };
    let tcp = TcpStream::connect(addr).await.unwrap();
    TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap()
}

/// The leaf certificate a TLS connection was served.
pub fn presented(stream: &TlsStream<TcpStream>) -> Vec<u8> {
    stream.get_ref().1.peer_certificates().unwrap()[0].to_vec()
}

/// The CN of the certificate Portico presents for `sni` (a fresh handshake).
pub async fn served_cn(addr: SocketAddr, sni: Option<&str>) -> String {
    cn_of(&presented(&connect(addr, sni, &[b"http/1.1"]).await))
}

/// A kept-alive HTTP/1.1 connection over TLS.
pub struct TlsConn {
    pub leaf: Vec<u8>,
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

impl TlsConn {
    pub async fn open(addr: SocketAddr, sni: &str) -> TlsConn {
        let stream = connect(addr, Some(sni), &[b"http/1.1"]).await;
        let leaf = presented(&stream);
        let (sender, conn) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.unwrap();
        tokio::spawn(conn);
        TlsConn { leaf, sender }
    }

    pub async fn get(&mut self, host: &str, path: &str) -> Reply {
        let req = Request::get(path).header("host", host).body(Full::default()).unwrap();
        self.sender.ready().await.unwrap();
        let response = self.sender.send_request(req).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        Reply { status: parts.status, headers: parts.headers, body }
    }
}

/// `GET https://<sni><path>` over a fresh HTTP/1.1 TLS connection.
pub async fn https_get(addr: SocketAddr, sni: &str, path: &str) -> Reply {
    TlsConn::open(addr, sni).await.get(sni, path).await
}

/// `GET path` over HTTP/2 (ALPN `h2`): the response and its trailers.
pub async fn h2_get(addr: SocketAddr, sni: &str, path: &str) -> (Reply, Option<http::HeaderMap>) {
    let stream = connect(addr, Some(sni), &[b"h2"]).await;
    assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]), "ALPN h2 negotiated");
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    let uri = format!("https://{sni}{path}");
    let req = Request::get(uri).header("te", "trailers").body(Full::<Bytes>::default()).unwrap();
    let response = sender.send_request(req).await.unwrap();
    assert_eq!(response.version(), Version::HTTP_2);
    let (parts, body) = response.into_parts();
    let collected = body.collect().await.unwrap();
    let trailers = collected.trailers().cloned();
    let reply = Reply { status: parts.status, headers: parts.headers, body: collected.to_bytes() };
    (reply, trailers)
}

/// What `curl -k -v --resolve` saw: the subject line, HTTP version and body.
#[derive(Debug)]
pub struct Curl {
    pub subject: String,
    pub http_version: String,
    pub body: String,
    pub verbose: String,
}

/// `curl -sk -v --resolve <host>:<port>:127.0.0.1 https://<host>:<port><path>` plus `extra`.
pub async fn curl(addr: SocketAddr, host: &str, path: &str, extra: &[&str]) -> Curl {
    let port = addr.port();
    let out = Command::new("curl")
        .args(["-sk", "-v", "--max-time", "10", "-w", "\n%{http_version}"])
        .args(["--resolve", &format!("{host}:{port}:127.0.0.1")])
        .args(extra)
        .arg(format!("https://{host}:{port}{path}"))
        .output()
        .await
        .expect("run curl (install it: apt-get install curl)");
    let verbose = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, http_version) = stdout.rsplit_once('\n').unwrap_or((&stdout, ""));
    let subject = verbose
        .lines()
        .find_map(|l| l.trim_start_matches(['*', ' ']).strip_prefix("subject: "))
        .unwrap_or_default()
        .to_string();
    Curl { subject, http_version: http_version.to_string(), body: body.to_string(), verbose }
}

/// `portico check <dir> <flags>`: its whole output.
pub async fn check(dir: &Path, flags: &[&str]) -> String {
    let out = Command::new(binary()).arg("check").arg(dir).args(flags).output().await.unwrap();
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}
