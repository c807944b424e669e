//! Fixtures: Secrets made by rcgen or the `openssl` CLI, and a handshake helper that reports
//! what the server presented.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use portico_e2e::accept_any_client;
use portico_model::{ObjectRef, TlsSecret};
use portico_tls::rustls::pki_types::pem::PemObject;
use portico_tls::rustls::pki_types::{CertificateDer, ServerName};
use portico_tls::rustls::{self, ClientConfig, ServerConfig};
use portico_tls::tokio_rustls::client::TlsStream;
use portico_tls::tokio_rustls::{TlsAcceptor, TlsConnector};
use portico_tls::{server_config, CertStore, SniResolver};
use rcgen::{CertificateParams, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

/// A Secret named `name` holding `crt` and `key`.
pub fn tls_secret(name: &str, crt: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> Arc<TlsSecret> {
    Arc::new(TlsSecret {
        secret: ObjectRef::new("Secret", "default", name),
        cert_pem: Arc::from(crt.as_ref()),
        key_pem: Arc::from(key.as_ref()),
        file: None,
    })
}

/// A Secret with a self-signed ECDSA P-256 certificate for `sans`, made by rcgen.
pub fn rcgen_secret(name: &str, sans: &[&str]) -> Arc<TlsSecret> {
    rcgen_secret_with(name, sans, |_| {})
}

pub fn rcgen_secret_with(
    name: &str,
    sans: &[&str],
    edit: impl FnOnce(&mut CertificateParams),
) -> Arc<TlsSecret> {
    let key = KeyPair::generate().unwrap();
    let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(sans).unwrap();
    edit(&mut params);
    let cert = params.self_signed(&key).unwrap();
    tls_secret(name, cert.pem(), key.serialize_pem())
}

/// `(host, Secret)` assignments as `CertStore::build` takes them.
pub fn assign(pairs: &[(&str, &Arc<TlsSecret>)]) -> Vec<(String, Arc<TlsSecret>)> {
    pairs.iter().map(|(host, s)| (host.to_string(), Arc::clone(s))).collect()
}

/// The chain a Secret's `tls.crt` holds, as DER, in file order.
pub fn chain_of(secret: &TlsSecret) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(&secret.cert_pem).map(|c| c.unwrap()).collect()
}

/// A resolver over `store` and the server config the listener would use.
pub fn server(store: CertStore) -> (Arc<SniResolver>, Arc<ServerConfig>) {
    let resolver = Arc::new(SniResolver::new(store));
    let config = server_config(Arc::clone(&resolver)).unwrap();
    (resolver, config)
}

/// A client that offers `alpn`, accepts any certificate whose signature checks out (so the
/// test can look at what was presented) and keeps sessions for resumption.
pub fn client(
    alpn: &[&[u8]],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Arc<ClientConfig> {
    Arc::new(accept_any_client(alpn, versions))
}

/// TLS 1.2 + 1.3 client offering `h2` and `http/1.1`, like curl.
pub fn default_client() -> Arc<ClientConfig> {
    client(&[b"h2", b"http/1.1"], rustls::ALL_VERSIONS)
}

/// Handshakes with `sni` (none when `None`) and returns the client stream; the server side
/// echoes whatever it reads until the client closes.
pub async fn connect(
    server: &Arc<ServerConfig>,
    client: &Arc<ClientConfig>,
    sni: Option<&str>,
) -> TlsStream<DuplexStream> {
    let (client_io, server_io) = tokio::io::duplex(1 << 16);
    let acceptor = TlsAcceptor::from(Arc::clone(server));
    tokio::spawn(async move {
        let Ok(mut tls) = acceptor.accept(server_io).await else { return };
        let mut buf = [0u8; 1024];
        while let Ok(n @ 1..) = tls.read(&mut buf).await {
            if tls.write_all(&buf[..n]).await.is_err() || tls.flush().await.is_err() {
                return;
            }
        }
    });
    let mut client = (**client).clone();
    client.enable_sni = sni.is_some();
    let name = ServerName::try_from(sni.unwrap_or("no-sni.invalid").to_owned()).unwrap();
    TlsConnector::from(Arc::new(client)).connect(name, client_io).await.unwrap()
}

/// The chain the server presented on this connection.
pub fn presented(stream: &TlsStream<DuplexStream>) -> Vec<CertificateDer<'static>> {
    let certs = stream.get_ref().1.peer_certificates().unwrap();
    certs.iter().map(|c| c.clone().into_owned()).collect()
}

/// The leaf the server presented for a fresh handshake with `sni`.
pub async fn leaf_for(server: &Arc<ServerConfig>, sni: Option<&str>) -> CertificateDer<'static> {
    presented(&connect(server, &default_client(), sni).await).remove(0)
}

/// Sends `msg` and expects it echoed back: the connection still works.
pub async fn echo(stream: &mut TlsStream<DuplexStream>, msg: &[u8]) {
    stream.write_all(msg).await.unwrap();
    stream.flush().await.unwrap();
    let mut buf = vec![0u8; msg.len()];
    stream.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf, msg);
}

/// A temp dir to run the `openssl` CLI in; `None` (with a message) when it is not installed.
pub fn openssl() -> Option<tempfile::TempDir> {
    match Command::new("openssl").arg("version").output() {
        Ok(out) if out.status.success() => Some(tempfile::tempdir().unwrap()),
        _ => {
            eprintln!("SKIPPED: the openssl CLI is not installed (.ci/run installs it)");
            None
        }
    }
}

/// Runs `openssl <args>` in `dir`, failing the test with its stderr on error.
pub fn run_openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file)).unwrap()
}
