//! `enable-cors` and the `cors-*` annotations (ingress-nginx `annotations/cors/main.go`, the
//! template's `CORS` block, `test/e2e/annotations/cors.go`) through the real binary: preflights
//! answered 204 by Portico (the backend never sees them, not even behind basic auth or an
//! address list), the `Access-Control-*` headers on every response to an allowed origin,
//! Portico's own pages included, none for other origins, `*`, and wildcard subdomains.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use portico_e2e::{eventually, ingress, raw_from, request, service, Backends, Dir, Portico, Reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const DEFAULT_METHODS: &str = "GET, PUT, POST, DELETE, PATCH, OPTIONS";
const DEFAULT_HEADERS: &str = "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,\
                               Cache-Control,Content-Type,Range,Authorization";
/// base64 of the htpasswd line `foo:$apr1$abcdefgh$bGLO42WqKpmLoPH9uGWTg1` (`foo:bar`, written
/// by `openssl passwd -apr1 -salt abcdefgh bar`).
const HTPASSWD: &str = "Zm9vOiRhcHIxJGFiY2RlZmdoJGJHTE80MldxS3BtTG9QSDl1R1dUZzEK";

/// A backend that counts the requests it sees (and the `OPTIONS` among them) and answers
/// `200 backend` with its own `Access-Control-Max-Age: 5`, which Portico must replace.
struct Counting {
    addr: SocketAddr,
    total: Arc<AtomicUsize>,
    options: Arc<AtomicUsize>,
}

impl Counting {
    async fn start() -> Counting {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let total = Arc::new(AtomicUsize::new(0));
        let options = Arc::new(AtomicUsize::new(0));
        let (t, o) = (Arc::clone(&total), Arc::clone(&options));
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_counting(stream, Arc::clone(&t), Arc::clone(&o)));
            }
        });
        Counting { addr, total, options }
    }

    fn seen(&self) -> (usize, usize) {
        (self.total.load(Ordering::SeqCst), self.options.load(Ordering::SeqCst))
    }
}

/// Bodiless requests on one kept-alive connection: count each head, answer it.
async fn serve_counting(
    mut stream: tokio::net::TcpStream,
    total: Arc<AtomicUsize>,
    options: Arc<AtomicUsize>,
) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = buf.drain(..end + 4).collect::<Vec<u8>>();
            total.fetch_add(1, Ordering::SeqCst);
            if head.starts_with(b"OPTIONS ") {
                options.fetch_add(1, Ordering::SeqCst);
            }
            let reply =
                "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nAccess-Control-Max-Age: 5\r\n\r\nbackend";
            if stream.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// `method /` on `host` with headers, through the harness's hyper client.
async fn send(to: SocketAddr, method: &str, host: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = Request::builder().method(method).uri("/").header("host", host);
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    request(to, req.body(Full::<Bytes>::default()).unwrap()).await.unwrap()
}

/// Writes one Ingress per `(host, annotations)` onto Service `web` at `backend`, starts Portico
/// and waits until every host is served.
async fn start(backend: &[SocketAddr], hosts: &[(&str, &[(&str, &str)])]) -> (Dir, Portico) {
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", backend));
    dir.write(
        "secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: default\n\
             type: Opaque\ndata:\n  auth: {HTPASSWD}\n"
        ),
    );
    for (host, annotations) in hosts {
        let mut ing =
            ingress(host.split('.').next().unwrap()).path(Some(host), "/", "Prefix", "web");
        for (k, v) in *annotations {
            ing = ing.annotation(k, v);
        }
        dir.write(&format!("{host}.yaml"), ing);
    }
    let portico = Portico::start(dir.path(), &[]).await;
    for (host, _) in hosts {
        let to = portico.http;
        eventually(&format!("{host} is served"), || async move {
            send(to, "GET", host, &[]).await.status != 404
        })
        .await;
    }
    (dir, portico)
}

#[track_caller]
fn assert_cors(reply: &Reply, origin: &str, what: &str) {
    let h = |name| reply.header(name);
    assert_eq!(h("access-control-allow-origin"), Some(origin), "{what}: {:?}", reply.headers);
    assert_eq!(h("access-control-allow-credentials"), Some("true"), "{what}");
    assert_eq!(h("access-control-allow-methods"), Some(DEFAULT_METHODS), "{what}");
    assert_eq!(h("access-control-allow-headers"), Some(DEFAULT_HEADERS), "{what}");
    assert_eq!(h("access-control-expose-headers"), None, "{what}");
    let max_age: Vec<_> = reply.headers.get_all("access-control-max-age").iter().collect();
    assert_eq!(max_age, ["1728000"], "{what}: replaces the backend's");
}

#[track_caller]
fn assert_no_cors(reply: &Reply, what: &str) {
    for name in ["access-control-allow-origin", "access-control-allow-methods"] {
        assert_eq!(reply.header(name), None, "{what}: {name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_origins_get_headers_and_preflights_never_reach_the_backend() {
    let backend = Counting::start().await;
    let origins = "https://app.example.com, http://*.example.org:8080";
    let (_dir, portico) = start(
        &[backend.addr],
        &[("cors.test", &[("enable-cors", "true"), ("cors-allow-origin", origins)])],
    )
    .await;
    let to = portico.http;
    let app = "https://app.example.com";

    let (total, _) = backend.seen();
    let preflight = [("origin", app), ("access-control-request-method", "PUT")];
    let reply = send(to, "OPTIONS", "cors.test", &preflight).await;
    assert_eq!(reply.status, 204, "preflight: {reply:?}");
    assert_cors(&reply, app, "preflight");
    assert_eq!(reply.header("content-type"), Some("text/plain charset=UTF-8"));
    assert!(reply.body.is_empty());
    // On the wire: no Content-Length on a 204 (RFC 9110 §8.6; nginx's header filter drops
    // the template's `Content-Length: 0` too).
    let head = raw_from(
        "127.0.0.1",
        to,
        &format!(
            "OPTIONS / HTTP/1.1\r\nHost: cors.test\r\nOrigin: {app}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(head.starts_with("HTTP/1.1 204"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("content-length"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("\r\naccess-control-allow-origin: https://app.example.com\r\n"),
        "{head}"
    );

    let reply = send(to, "GET", "cors.test", &[("origin", app)]).await;
    assert_eq!((reply.status.as_u16(), reply.text().as_str()), (200, "backend"));
    assert_cors(&reply, app, "GET from an allowed origin");
    assert_eq!(backend.seen(), (total + 1, 0), "the preflights never reached the backend");

    // Not allowed: the backend answers as it likes (its own max-age), no CORS headers; a
    // preflight from such an origin is the backend's to answer.
    for origin in ["https://evil.example.com", "https://app.example.com.evil", "null"] {
        let reply = send(to, "GET", "cors.test", &[("origin", origin)]).await;
        assert_no_cors(&reply, origin);
        assert_eq!(reply.header("access-control-max-age"), Some("5"), "{origin}");
    }
    assert_no_cors(&send(to, "GET", "cors.test", &[]).await, "no Origin");
    let reply = send(to, "OPTIONS", "cors.test", &[("origin", "https://evil.example.com")]).await;
    assert_eq!((reply.status.as_u16(), reply.text().as_str()), (200, "backend"));
    assert_no_cors(&reply, "preflight from another origin");
    assert_eq!(backend.seen().1, 1, "that preflight was forwarded");

    // http://*.example.org:8080: exactly one label, the port required.
    for origin in ["http://a.example.org:8080", "http://A-b9.Example.org:8080"] {
        assert_cors(&send(to, "GET", "cors.test", &[("origin", origin)]).await, origin, origin);
    }
    for origin in [
        "http://a.b.example.org:8080",
        "http://example.org:8080",
        "http://a.example.org",
        "https://a.example.org:8080",
    ] {
        assert_no_cors(&send(to, "GET", "cors.test", &[("origin", origin)]).await, origin);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn star_and_custom_values() {
    let web = Backends::start("web", 1).await;
    let custom: &[(&str, &str)] = &[
        ("enable-cors", "true"),
        ("cors-allow-methods", "GET, POST"),
        ("cors-allow-headers", "X-Custom, Content-Type"),
        ("cors-expose-headers", "X-Total-Count"),
        ("cors-allow-credentials", "false"),
        ("cors-max-age", "600"),
    ];
    let (_dir, portico) = start(
        &web.addrs(),
        &[
            ("star.test", &[("enable-cors", "true")]),
            ("custom.test", custom),
            (
                "invalid.test",
                &[
                    ("enable-cors", "true"),
                    ("cors-max-age", "soon"),
                    ("cors-allow-methods", "GET;POST"),
                ],
            ),
            ("off.test", &[("enable-cors", "false"), ("cors-allow-origin", "*")]),
        ],
    )
    .await;
    let to = portico.http;

    // `*`: sent as `*` with or without an Origin (ingress-nginx sets $http_origin to `*`).
    let reply = send(to, "GET", "star.test", &[]).await;
    assert_eq!(reply.echo()["method"], "GET", "served by the backend");
    assert_cors(&reply, "*", "no Origin");
    assert_cors(&send(to, "GET", "star.test", &[("origin", "https://x.test")]).await, "*", "any");
    let reply = send(to, "OPTIONS", "star.test", &[]).await;
    assert_eq!(reply.status, 204, "every OPTIONS is a preflight with *");

    let reply = send(to, "OPTIONS", "custom.test", &[("origin", "https://x.test")]).await;
    assert_eq!(reply.status, 204);
    let h = |name| reply.header(name);
    assert_eq!(h("access-control-allow-origin"), Some("*"));
    assert_eq!(h("access-control-allow-credentials"), None, "credentials false: not sent");
    assert_eq!(h("access-control-allow-methods"), Some("GET, POST"));
    assert_eq!(h("access-control-allow-headers"), Some("X-Custom, Content-Type"));
    assert_eq!(h("access-control-expose-headers"), Some("X-Total-Count"));
    assert_eq!(h("access-control-max-age"), Some("600"));

    // Invalid values fall back to the defaults (and `portico check` warns).
    assert_cors(&send(to, "GET", "invalid.test", &[]).await, "*", "defaults");
    let reply = send(to, "OPTIONS", "off.test", &[("origin", "https://x.test")]).await;
    assert_eq!(reply.echo()["method"], "OPTIONS", "without enable-cors the backend answers");
    assert_no_cors(&reply, "enable-cors false");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflights_pass_before_auth_and_address_lists_whose_pages_carry_the_headers() {
    let backend = Counting::start().await;
    let cors: [(&str, &str); 2] =
        [("enable-cors", "true"), ("cors-allow-origin", "https://app.test")];
    let auth = [cors[0], cors[1], ("auth-type", "basic"), ("auth-secret", "creds")];
    let listed = [cors[0], cors[1], ("allowlist-source-range", "127.0.0.2")];
    let denied = [cors[0], cors[1], ("auth-type", "basic"), ("auth-secret", "missing")];
    let (_dir, portico) = start(
        &[backend.addr],
        &[("auth.test", &auth), ("listed.test", &listed), ("denied.test", &denied)],
    )
    .await;
    let to = portico.http;
    let origin = [("origin", "https://app.test")];
    let (total, _) = backend.seen();

    // Basic auth: the preflight is answered in nginx's rewrite phase, before auth_basic.
    let reply = send(to, "OPTIONS", "auth.test", &origin).await;
    assert_eq!(reply.status, 204, "no 401 for a preflight: {reply:?}");
    assert_cors(&reply, "https://app.test", "preflight behind auth");
    let reply = send(to, "GET", "auth.test", &origin).await;
    assert_eq!(reply.status, 401);
    assert_cors(&reply, "https://app.test", "Portico's 401");
    let credentials = [origin[0], ("authorization", "Basic Zm9vOmJhcg==")];
    let reply = send(to, "GET", "auth.test", &credentials).await;
    assert_eq!((reply.status.as_u16(), reply.text().as_str()), (200, "backend"));
    assert_cors(&reply, "https://app.test", "authenticated");

    // Address list: 127.0.0.1 is refused, but its preflight is answered first.
    let req = |method: &str| {
        format!("{method} / HTTP/1.1\r\nHost: listed.test\r\nOrigin: https://app.test\r\nConnection: close\r\n\r\n")
    };
    let reply = raw_from("127.0.0.1", to, &req("OPTIONS")).await;
    assert!(reply.starts_with("HTTP/1.1 204"), "{reply}");
    let reply = raw_from("127.0.0.1", to, &req("GET")).await;
    assert!(reply.starts_with("HTTP/1.1 403"), "{reply}");
    assert!(
        reply.to_ascii_lowercase().contains("access-control-allow-origin: https://app.test"),
        "{reply}"
    );
    let reply = raw_from("127.0.0.2", to, &req("GET")).await;
    assert!(reply.starts_with("HTTP/1.1 200") && reply.ends_with("backend"), "{reply}");

    // A denied location (503) renders no CORS block in ingress-nginx: no preflight, no headers.
    let reply = send(to, "OPTIONS", "denied.test", &origin).await;
    assert_eq!(reply.status, 503);
    assert_no_cors(&reply, "denied location");
    assert_eq!(backend.seen(), (total + 2, 0), "only the allowed GETs reached the backend");
}
