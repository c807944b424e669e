//! `proxy-redirect-from`/`-to`, `proxy-cookie-domain`, `proxy-cookie-path` (nginx's
//! `proxy_redirect`, `proxy_cookie_domain`, `proxy_cookie_path` as ingress-nginx renders them)
//! through the real binary, against a backend answering a redirect with a cookie.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Response, StatusCode};
use http_body_util::Full;
use hyper_util::rt::{TokioExecutor, TokioIo};
use portico_e2e::{get, ingress, service, Dir, Portico, Reply};

const LOCATION: &str = "http://internal.svc/app/next";
const REFRESH: &str = "0; url=http://internal.svc/app/r";
const COOKIE: &str = "sid=1; Domain=.Internal.svc; Path=/app/x; HttpOnly";

/// A backend answering every request `302` with [`LOCATION`], [`REFRESH`] and [`COOKIE`].
async fn redirecting_backend() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let service = hyper::service::service_fn(|_req| async {
                let response = Response::builder()
                    .status(StatusCode::FOUND)
                    .header("location", LOCATION)
                    .header("refresh", REFRESH)
                    .header("set-cookie", COOKIE)
                    .body(Full::new(Bytes::new()))
                    .unwrap();
                Ok::<_, Infallible>(response)
            });
            tokio::spawn(async move {
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
            });
        }
    });
    addr
}

async fn start(sites: &[(&str, &[(&str, &str)])]) -> (Dir, Portico) {
    let backend = redirecting_backend().await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "app", &[backend]));
    for (host, annotations) in sites {
        let name = host.split('.').next().unwrap();
        let mut ing = ingress(name).path(Some(host), "/", "Prefix", "app");
        for (key, value) in *annotations {
            ing = ing.annotation(key, value);
        }
        dir.write(&format!("{host}.yaml"), ing);
    }
    let portico = Portico::start(dir.path(), &[]).await;
    (dir, portico)
}

async fn fetch(portico: &Portico, host: &str) -> Reply {
    let reply = get(portico.http, host, "/").await.unwrap();
    assert_eq!(reply.status, 302, "{host}: {}\n{}", reply.text(), portico.log_text());
    reply
}

#[tokio::test]
async fn proxy_redirect_rewrites_location_and_refresh() {
    let rewrite: &[(&str, &str)] =
        &[("proxy-redirect-from", "http://internal.svc/app/"), ("proxy-redirect-to", "/")];
    let off: &[(&str, &str)] = &[("proxy-redirect-from", "default"), ("proxy-redirect-to", "/")];
    let (_dir, portico) = start(&[("redirect.test", rewrite), ("plain.test", off)]).await;
    let reply = fetch(&portico, "redirect.test").await;
    assert_eq!(reply.header("location"), Some("/next"));
    assert_eq!(reply.header("refresh"), Some("0; url=/r"));
    let plain = fetch(&portico, "plain.test").await;
    assert_eq!(plain.header("location"), Some(LOCATION), "default/off rewrite nothing");
    assert_eq!(plain.header("set-cookie"), Some(COOKIE));
}

#[tokio::test]
async fn proxy_cookie_domain_and_path_rewrite_set_cookie() {
    let cookies: &[(&str, &str)] =
        &[("proxy-cookie-domain", "internal.svc cookie.test"), ("proxy-cookie-path", "/app/ /")];
    let bad: &[(&str, &str)] = &[("proxy-cookie-path", "/app/")];
    let (_dir, portico) = start(&[("cookie.test", cookies), ("bad.test", bad)]).await;
    let reply = fetch(&portico, "cookie.test").await;
    assert_eq!(reply.header("set-cookie"), Some("sid=1; Domain=.cookie.test; Path=/x; HttpOnly"));
    assert_eq!(reply.header("location"), Some(LOCATION), "no proxy_redirect configured");
    let bad_reply = fetch(&portico, "bad.test").await;
    assert_eq!(bad_reply.header("set-cookie"), Some(COOKIE));
    let check = portico.check();
    assert!(check.contains("proxy-cookie-path") && check.contains("invalid value"), "{check}");
}
