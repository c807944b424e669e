//! Routing, headers and the early-answer phases.

use std::sync::Arc;

use http::Request;
use portico_model::{
    BackendId, BasicAuth, Filter, HostPattern, LocationPolicy, PathType, Server, Target,
};

use crate::support::*;

#[tokio::test]
async fn routes_by_host_and_path_and_sets_forwarded_headers() {
    let a = backend("a").await;
    let b = backend("b").await;
    let locations = vec![
        location(
            "/api",
            PathType::Prefix,
            Target::Backend(BackendId(1)),
            LocationPolicy::default(),
        ),
        location("/", PathType::Prefix, Target::Backend(BackendId(0)), LocationPolicy::default()),
    ];
    let table = table(locations, vec![upstream("a", &[a.addr]), upstream("b", &[b.addr])]);
    let proxy = start(table).await;

    let (response, body) = send(proxy.addr, get("foo.com", "/api/x?q=1")).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("server").is_none(), "no Server header");
    let (name, line, headers) = parse_echo(&body);
    assert_eq!(name, "b");
    assert_eq!(line, "GET /api/x?q=1");
    assert_eq!(headers["host"], "foo.com");
    assert_eq!(headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(headers["x-real-ip"], "127.0.0.1");
    assert_eq!(headers["x-forwarded-host"], "foo.com");
    assert_eq!(headers["x-forwarded-port"], proxy.addr.port().to_string());
    assert_eq!(headers["x-forwarded-proto"], "http");
    assert_eq!(headers["x-scheme"], "http");
    assert_eq!(headers["x-request-id"].len(), 32);

    let req = Request::get("/apix")
        .header("host", "FOO.com:80")
        .header("x-forwarded-for", "9.9.9.9")
        .header("x-request-id", "abc")
        .body(full(""))
        .unwrap();
    let (_, body) = send(proxy.addr, req).await;
    let (name, _, headers) = parse_echo(&body);
    assert_eq!(name, "a", "/apix is not under /api");
    assert_eq!(headers["x-original-forwarded-for"], "9.9.9.9");
    assert_eq!(headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(headers["x-request-id"], "abc");

    let (response, body) = send(proxy.addr, get("other.com", "/")).await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert!(body.contains("<title>404 Not Found</title>"), "{body}");
    assert!(body.contains("<center>portico</center>"), "{body}");
    assert!(response.headers().get("server").is_none());

    let metrics = proxy.metrics.encode();
    assert!(metrics.contains(r#"status_class="2xx",ingress="default/web"} 2"#), "{metrics}");
    assert!(metrics.contains(r#"status_class="4xx",ingress=""} 1"#), "{metrics}");
    proxy.stop().await;
}

#[tokio::test]
async fn early_answers_follow_the_phase_order() {
    let a = backend("a").await;
    let denied = LocationPolicy { denied: Some(Arc::from("secret missing")), ..Default::default() };
    let mut auth = LocationPolicy::default();
    auth.filters.set(Filter::BasicAuth(Arc::new(BasicAuth {
        realm: "Zone".into(),
        secret_version: "v1".into(),
        users: BasicAuth::users_from([("foo".into(), "{PLAIN}bar".into())]),
    })));
    let backend0 = Target::Backend(BackendId(0));
    let locations = vec![
        location("/denied", PathType::Prefix, backend0, denied),
        location("/auth", PathType::Prefix, backend0, auth),
        location("/empty", PathType::Prefix, Target::Backend(BackendId(1)), Default::default()),
        location("/", PathType::Prefix, backend0, Default::default()),
    ];
    let mut table = table(locations, vec![upstream("a", &[a.addr]), upstream("none", &[])]);
    table.servers[0].app_root = Some("/app".into());
    table.servers.push(Server {
        host: HostPattern::Exact("tls.com".into()),
        has_certificate: true,
        locations: vec![location("/", PathType::Prefix, backend0, Default::default())],
        ..Server::default()
    });
    let proxy = start(table).await;

    let (response, _) = send(proxy.addr, get("foo.com:8080", "/?x=1")).await;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "http://foo.com:8080/app");
    let (response, _) = send(proxy.addr, get("foo.com", "/denied")).await;
    assert_eq!(response.status(), 503);
    let (response, body) = send(proxy.addr, get("foo.com", "/empty")).await;
    assert_eq!(response.status(), 503);
    assert!(body.contains("503 Service Temporarily Unavailable"), "{body}");
    let (response, _) = send(proxy.addr, get("foo.com", "/auth")).await;
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["www-authenticate"], "Basic realm=\"Zone\"");
    let req = Request::get("/auth")
        .header("host", "foo.com")
        .header("authorization", "Basic Zm9vOmJhcg==")
        .body(full(""))
        .unwrap();
    let (response, body) = send(proxy.addr, req).await;
    assert_eq!(response.status(), 200);
    assert!(!body.contains("authorization"), "credentials are not forwarded: {body}");
    let (response, _) = send(proxy.addr, get("tls.com:8080", "/a/?b=1")).await;
    assert_eq!(response.status(), 308);
    assert_eq!(response.headers()["location"], "https://tls.com/a/?b=1");
    let (response, _) = send(proxy.addr, get("tls.com", "/")).await;
    assert_eq!(response.headers()["location"], "https://tls.com");
    let (response, _) = send(proxy.addr, get("foo.com", "/%zz")).await;
    assert_eq!(response.status(), 400);
    proxy.stop().await;
}

#[tokio::test]
async fn body_size_limit() {
    let a = backend("a").await;
    let policy = LocationPolicy { max_body_size: Some(1024), ..Default::default() };
    let proxy = start(simple(&[a.addr], policy)).await;
    let req =
        Request::post("/count").header("host", "foo.com").body(full(vec![b'x'; 2048])).unwrap();
    let (response, body) = send(proxy.addr, req).await;
    assert_eq!(response.status(), 413);
    assert!(body.contains("413 Request Entity Too Large"), "{body}");
    assert_eq!(a.hits.load(std::sync::atomic::Ordering::Relaxed), 0, "upstream not contacted");

    // A chunked body (no Content-Length) crossing the limit while streaming.
    let chunks = futures_util::stream::iter((0..4).map(|_| {
        Ok::<_, hyper::Error>(hyper::body::Frame::data(bytes::Bytes::from(vec![b'y'; 512])))
    }));
    let body = http_body_util::BodyExt::boxed(http_body_util::StreamBody::new(chunks));
    let req = Request::post("/count").header("host", "foo.com").body(body).unwrap();
    let (response, _) = send(proxy.addr, req).await;
    assert_eq!(response.status(), 413);

    let req =
        Request::post("/count").header("host", "foo.com").body(full(vec![b'x'; 1000])).unwrap();
    let (response, body) = send(proxy.addr, req).await;
    assert_eq!((response.status().as_u16(), body.as_str()), (200, "1000"));
    proxy.stop().await;
}

#[tokio::test]
async fn h2c_prior_knowledge_is_served() {
    let a = backend("a").await;
    let proxy = start(simple(&[a.addr], LocationPolicy::default())).await;
    let stream = tokio::net::TcpStream::connect(proxy.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);
    let req = Request::get("http://foo.com/h2?x=1").body(full("")).unwrap();
    let response = sender.send_request(req).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let (name, line, headers) = parse_echo(&String::from_utf8_lossy(&body));
    assert_eq!((name.as_str(), line.as_str()), ("a", "GET /h2?x=1"));
    assert_eq!(headers["host"], "foo.com");
    proxy.stop().await;
}
