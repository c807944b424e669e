//! An HTTPS backend (HTTP/1.1 and h2 over rustls) that reports what the TLS handshake carried:
//! the SNI it received, whether a client certificate was presented, the negotiated ALPN, the
//! connection's sequence number (to see reuse), and the request's Host, as JSON. For `backend-protocol: HTTPS` and
//! `proxy-ssl-*`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::pki::Leaf;

/// A running HTTPS backend; stops when dropped.
pub struct TlsBackend {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

/// What the handshake of one connection carried.
#[derive(Debug, Clone, Default)]
struct Seen {
    sni: Option<String>,
    client_cert: bool,
    alpn: Option<String>,
    /// 1 for the first accepted connection, 2 for the next, ...
    conn: u64,
}

// === impl TlsBackend ===

impl TlsBackend {
    /// Serves `cert` on a loopback port. With `client_ca`, client certificates signed by it are
    /// asked for (not required) and reported.
    ///
    /// # Panics
    /// On a bad certificate or a failed bind (test setup errors).
    pub async fn start(cert: &Leaf, client_ca: Option<&str>) -> TlsBackend {
        let acceptor = TlsAcceptor::from(Arc::new(server_config(cert, client_ca)));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind tls backend");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            let count = Arc::new(AtomicU64::new(0));
            while let Ok((tcp, _)) = listener.accept().await {
                let conn = count.fetch_add(1, Ordering::Relaxed) + 1;
                let acceptor = acceptor.clone();
                let number = conn;
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else { return };
                    let (_, conn) = tls.get_ref();
                    let seen = Seen {
                        sni: conn.server_name().map(str::to_string),
                        client_cert: conn.peer_certificates().is_some_and(|c| !c.is_empty()),
                        alpn: conn.alpn_protocol().map(|p| String::from_utf8_lossy(p).into()),
                        conn: number,
                    };
                    let service = hyper::service::service_fn(move |req| answer(req, seen.clone()));
                    let builder = auto::Builder::new(TokioExecutor::new());
                    let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                });
            }
        });
        TlsBackend { addr, task }
    }
}

impl Drop for TlsBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn server_config(cert: &Leaf, client_ca: Option<&str>) -> ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(cert.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .expect("server chain");
    let key = PrivateKeyDer::from_pem_slice(cert.key_pem.as_bytes()).expect("server key");
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for der in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                roots.add(der.expect("client ca")).expect("client ca root");
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .expect("client verifier");
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(chain, key).expect("server cert");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config
}

async fn answer(req: Request<Incoming>, seen: Seen) -> Result<Response<Full<Bytes>>, Infallible> {
    let host = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()));
    let body = serde_json::json!({
        "sni": seen.sni,
        "client_cert": seen.client_cert,
        "alpn": seen.alpn,
        "conn": seen.conn,
        "host": host,
        "version": format!("{:?}", req.version()),
        "path": req.uri().path(),
    });
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    response
        .headers_mut()
        .insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    Ok(response)
}
