//! `backend-protocol` and `upstream-vhost` (ingress-nginx `annotations/backendprotocol`,
//! `annotations/upstreamvhost`, the template's `buildProxyPass`) through the real binary:
//! - GRPC: a real gRPC exchange (Python grpcio client → Portico over h2c → grpcio backend
//!   over h2c): unary and server-streaming calls with their trailers, a status with its
//!   message, a deadline and a client cancellation reaching the backend; GRPCS the same over
//!   TLS to the backend; Portico's own failures answered as gRPC statuses.
//! - AUTO_HTTP follows the client's scheme; unknown values fall back to HTTP; FCGI denies.
//! - `upstream-vhost` is the Host the backend sees.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::sync::Arc;

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use portico_e2e::{
    accept_any_client, eventually, get, grpc_call, ingress, pem_secret, refusing_addr, service,
    start_site, Dir, GrpcBackend, Portico, TestCa, TlsBackend,
};

/// Portico with Ingress `<host>` → Service `default/grpc` (`backend`) with `annotations`.
fn write_site(dir: &Dir, host: &str, service_name: &str, annotations: &[(&str, &str)]) {
    let name = host.split('.').next().unwrap();
    let mut ing = ingress(name).path(Some(host), "/", "Prefix", service_name);
    for (key, value) in annotations {
        ing = ing.annotation(key, value);
    }
    dir.write(&format!("{host}.yaml"), ing);
}

async fn grpc_site(backend: &GrpcBackend, protocol: &str) -> (Dir, Portico) {
    grpc_site_with(backend, protocol, &[]).await
}

async fn grpc_site_with(backend: &GrpcBackend, protocol: &str, extra: &[&str]) -> (Dir, Portico) {
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "grpc", &[backend.addr]));
    write_site(&dir, "grpc.test", "grpc", &[("backend-protocol", protocol)]);
    let portico = Portico::start(dir.path(), extra).await;
    (dir, portico)
}

/// Unary and server-streaming calls with trailers, and a status with a message, end to end.
async fn assert_calls(portico: &Portico) {
    let unary = grpc_call(portico.http, "grpc.test", "unary").await;
    assert_eq!(unary["code"], "OK", "{unary}\n{}", portico.log_text());
    assert_eq!(unary["responses"][0], "echo:hello");
    assert_eq!(unary["trailers"]["x-trailer"], "unary", "trailers reach the client: {unary}");

    let stream = grpc_call(portico.http, "grpc.test", "stream").await;
    assert_eq!(stream["code"], "OK", "{stream}");
    assert_eq!(stream["responses"], serde_json::json!(["msg-0", "msg-1", "msg-2"]));
    assert_eq!(stream["trailers"]["x-trailer"], "stream", "{stream}");

    let fail = grpc_call(portico.http, "grpc.test", "fail").await;
    assert_eq!(fail["code"], "FAILED_PRECONDITION", "{fail}");
    assert_eq!(fail["details"], "precondition failed: café", "grpc-message passes: {fail}");
}

#[tokio::test]
async fn grpc_calls_reach_an_h2c_backend_with_trailers() {
    let backend = GrpcBackend::start(None).await;
    let (_dir, portico) = grpc_site(&backend, "GRPC").await;
    assert_calls(&portico).await;
}

#[tokio::test]
async fn calls_share_one_multiplexed_backend_connection() {
    let backend = GrpcBackend::start(None).await;
    // Upstream connections are per data-plane worker (as nginx's per worker process): one
    // worker, so that every client connection shares its one upstream connection.
    let (_dir, portico) = grpc_site_with(&backend, "GRPC", &["--workers", "1"]).await;
    let first = grpc_call(portico.http, "grpc.test", "unary").await;
    let peer = first["trailers"]["x-peer"].clone();
    assert!(peer.as_str().is_some_and(|p| p.contains("127.0.0.1")), "{first}");
    // A long-lived stream holds the connection while other calls go through it.
    let calls = (0..3).map(|_| grpc_call(portico.http, "grpc.test", "unary"));
    let (cancel, rest) = tokio::join!(
        grpc_call(portico.http, "grpc.test", "cancel"),
        futures_util::future::join_all(calls)
    );
    assert_eq!(cancel["responses"][0], "first", "{cancel}");
    for call in rest {
        assert_eq!(call["code"], "OK", "{call}");
        assert_eq!(call["trailers"]["x-peer"], peer, "one upstream connection: {call}");
    }
}

#[tokio::test]
async fn grpcs_calls_reach_a_tls_backend() {
    let ca = TestCa::new("grpc-ca");
    let backend = GrpcBackend::start(Some(&ca.server(&["grpc.backend"]))).await;
    let (_dir, portico) = grpc_site(&backend, "grpcs").await;
    assert_calls(&portico).await;
}

#[tokio::test]
async fn grpcs_verifies_the_backend_with_proxy_ssl() {
    let ca = TestCa::new("grpc-ca");
    let other = TestCa::new("other-ca");
    let backend = GrpcBackend::start(Some(&ca.server(&["grpc.backend"]))).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "grpc", &[backend.addr]));
    dir.write("right.yaml", pem_secret("default", "right", &[("ca.crt", &ca.cert_pem)]));
    dir.write("wrong.yaml", pem_secret("default", "wrong", &[("ca.crt", &other.cert_pem)]));
    for (host, secret) in [("grpc.test", "default/right"), ("wrong.test", "default/wrong")] {
        let annotations = [
            ("backend-protocol", "GRPCS"),
            ("proxy-ssl-secret", secret),
            ("proxy-ssl-verify", "on"),
            ("proxy-ssl-name", "grpc.backend"),
            ("proxy-ssl-server-name", "on"),
            ("proxy-ssl-protocols", "TLSv1.2 TLSv1.3"),
        ];
        write_site(&dir, host, "grpc", &annotations);
    }
    let portico = Portico::start(dir.path(), &[]).await;
    assert_calls(&portico).await;
    let wrong = grpc_call(portico.http, "wrong.test", "unary").await;
    assert_eq!(wrong["code"], "UNAVAILABLE", "an unverified backend is a 502: {wrong}");
}

#[tokio::test]
async fn deadlines_and_cancellations_reach_the_backend() {
    let backend = GrpcBackend::start(None).await;
    let (_dir, portico) = grpc_site(&backend, "GRPC").await;

    let deadline = grpc_call(portico.http, "grpc.test", "deadline").await;
    assert_eq!(deadline["code"], "DEADLINE_EXCEEDED", "{deadline}");
    eventually("the backend sees the call past its deadline end", || {
        let ended =
            backend.events().iter().any(|e| e["event"] == "ended" && e["name"] == "deadline");
        async move { ended }
    })
    .await;

    let cancel = grpc_call(portico.http, "grpc.test", "cancel").await;
    assert_eq!(cancel["responses"][0], "first", "{cancel}");
    eventually("the client's cancellation resets the backend stream", || {
        let ended = backend.events().iter().any(|e| e["event"] == "ended" && e["name"] == "cancel");
        async move { ended }
    })
    .await;
}

#[tokio::test]
async fn portico_failures_answer_grpc_statuses() {
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "grpc", &[refusing_addr().await]));
    write_site(&dir, "grpc.test", "grpc", &[("backend-protocol", "GRPC")]);
    write_site(&dir, "denied.test", "grpc", &[("backend-protocol", "FCGI")]);
    let portico = Portico::start(dir.path(), &[]).await;
    let refused = grpc_call(portico.http, "grpc.test", "unary").await;
    assert_eq!(refused["code"], "UNAVAILABLE", "502 → UNAVAILABLE: {refused}");
    assert_eq!(refused["details"], "502 Bad Gateway", "{refused}");
    let denied = grpc_call(portico.http, "denied.test", "unary").await;
    assert_eq!(denied["code"], "UNAVAILABLE", "503 → UNAVAILABLE: {denied}");
    let unknown = grpc_call(portico.http, "nothing.test", "unary").await;
    assert_eq!(unknown["code"], "UNIMPLEMENTED", "404 → UNIMPLEMENTED: {unknown}");
}

#[tokio::test]
async fn auto_http_follows_the_client_scheme() {
    let ca = TestCa::new("auto-ca");
    let backend = TlsBackend::start(&ca.server(&["backend.test"]), None).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "secure", &[backend.addr]));
    write_site(&dir, "auto.test", "secure", &[("backend-protocol", "AUTO_HTTP")]);
    let portico = Portico::start(dir.path(), &[]).await;
    // Over http Portico speaks clear text to the TLS backend: the handshake fails.
    let plain = get(portico.http, "auto.test", "/").await.unwrap();
    assert_eq!(plain.status, 502, "{}", plain.text());
    // Over https it speaks TLS.
    let (status, body) = https_get(portico.https, "auto.test").await;
    assert_eq!(status, 200, "{body}\n{}", portico.log_text());
    assert!(body.contains("\"host\":\"auto.test\""), "{body}");
}

/// `GET /` over TLS to Portico's https listener with SNI `host`.
async fn https_get(addr: std::net::SocketAddr, host: &str) -> (u16, String) {
    let config = accept_any_client(&[b"http/1.1"], &[&rustls::version::TLS13]);
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).unwrap();
    let tls = connector.connect(name, tcp).await.unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
    tokio::spawn(conn);
    let req = Request::get("/").header("host", host).body(Full::<Bytes>::default()).unwrap();
    let response = sender.send_request(req).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn unknown_protocols_fall_back_to_http_and_fcgi_denies() {
    let sites = [
        ("h2c.test", vec![("backend-protocol", "H2C")]),
        ("ajp.test", vec![("backend-protocol", "AJP")]),
        ("fcgi.test", vec![("backend-protocol", "FCGI")]),
        ("http.test", vec![("backend-protocol", "http")]),
    ];
    let (_web, _dir, portico) = start_site(&sites, None).await;
    for host in ["h2c.test", "ajp.test", "http.test"] {
        let reply = get(portico.http, host, "/").await.unwrap();
        assert_eq!(reply.status, 200, "{host}: served over HTTP/1.1: {}", reply.text());
    }
    let fcgi = get(portico.http, "fcgi.test", "/").await.unwrap();
    assert_eq!(fcgi.status, 503);
    let check = portico.check();
    assert!(check.contains("\"H2C\"") && check.contains("\"AJP\""), "{check}");
    assert!(check.contains("FCGI (FastCGI) is not supported"), "{check}");
}

#[tokio::test]
async fn upstream_vhost_is_the_host_the_backend_sees() {
    let sites = [("vhost.test", vec![("upstream-vhost", "internal.svc")])];
    let (_web, _dir, portico) = start_site(&sites, None).await;
    let reply = get(portico.http, "vhost.test", "/").await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.echo_header("host").as_deref(), Some("internal.svc"));
    assert_eq!(reply.echo_header("x-forwarded-host").as_deref(), Some("vhost.test"));
}

#[tokio::test]
async fn connection_proxy_header_is_sent_to_http1_backends() {
    let (_web, _dir, portico) = portico_e2e::start_site(
        &[
            ("close.test", &[("connection-proxy-header", "close")][..]),
            ("keep.test", &[("connection-proxy-header", "keep-alive")][..]),
            ("default.test", &[][..]),
            ("bad.test", &[("connection-proxy-header", "upgrade")][..]),
        ],
        None,
    )
    .await;
    let seen = |host: &'static str| async move {
        let reply = portico_e2e::get(portico.http, host, "/").await.unwrap();
        assert_eq!(reply.status, 200, "{host}: {}", reply.text());
        reply.echo_header("connection")
    };
    assert_eq!(seen("close.test").await.as_deref(), Some("close"));
    // `close` is honoured: the next request still gets an answer on a new connection.
    assert_eq!(seen("close.test").await.as_deref(), Some("close"));
    assert_eq!(seen("keep.test").await.as_deref(), Some("keep-alive"));
    assert_eq!(seen("default.test").await, None, "Portico sends none of its own");
    assert_eq!(seen("bad.test").await, None, "an invalid value is ignored with a warning");
    let check = portico.check();
    assert!(check.contains("connection-proxy-header") && check.contains("\"upgrade\""), "{check}");
}
