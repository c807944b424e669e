//! `affinity: cookie` and the `session-cookie-*` annotations (ingress-nginx
//! `annotations/sessionaffinity/main.go`, `balancer/sticky*.lua`, `test/e2e/annotations/
//! affinity.go`) through the real binary: the cookie set on the first response and its
//! attributes, every later request with it on the same endpoint, a new pin when the pinned
//! endpoint leaves the Service (persistent) or the ring moves it (balanced), a new cookie after
//! a failure only with `session-cookie-change-on-failure`, and no cookie from the locations of
//! Ingresses without affinity.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeSet;
use std::net::SocketAddr;

use http::Request;
use http_body_util::Full;
use portico_e2e::{
    eventually, ingress, refusing_addr, request, service, Backends, Dir, Portico, Reply,
};

/// `GET path` on `host`, with `Cookie: cookie` when given.
async fn get(addr: SocketAddr, host: &str, path: &str, cookie: Option<&str>) -> Reply {
    let mut req = Request::get(path).header("host", host);
    if let Some(cookie) = cookie {
        req = req.header("cookie", cookie);
    }
    request(addr, req.body(Full::default()).unwrap()).await.unwrap()
}

/// The echo replica that answered.
fn server(reply: &Reply) -> String {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.echo()["server"].as_str().unwrap().to_string()
}

/// `name=value` of the reply's `Set-Cookie`, which must be there.
fn cookie_of(reply: &Reply) -> String {
    let set = reply.header("set-cookie").unwrap_or_else(|| panic!("no Set-Cookie: {reply:?}"));
    set.split(';').next().unwrap().trim().to_string()
}

/// Three echo backends behind Service `web`, one Ingress `sticky` (`sticky.test`, `path` →
/// `web`) with `annotations`.
async fn start(annotations: &[(&str, &str)], path: &str) -> (Backends, Dir, Portico) {
    let web = Backends::start("web", 3).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    let mut ing = ingress("sticky").path(Some("sticky.test"), path, "Prefix", "web");
    for (key, value) in annotations {
        ing = ing.annotation(key, value);
    }
    dir.write("ing.yaml", ing);
    let portico = Portico::start(dir.path(), &[]).await;
    (web, dir, portico)
}

#[tokio::test]
async fn the_first_response_sets_the_cookie_and_later_requests_stick() {
    let (_web, _dir, portico) = start(&[("affinity", "cookie")], "/").await;
    let first = get(portico.http, "sticky.test", "/", None).await;
    let pinned = server(&first);
    let set = first.header("set-cookie").unwrap().to_string();
    // `INGRESSCOOKIE=<key>|<md5 hex of the backend>; Path=/; HttpOnly`: a session cookie.
    let (pair, attributes) = set.split_once("; ").unwrap();
    assert_eq!(attributes, "Path=/; HttpOnly", "{set}");
    let value = pair.strip_prefix("INGRESSCOOKIE=").unwrap();
    let (key, backend) = value.split_once('|').unwrap();
    assert!(!key.is_empty(), "{set}");
    assert_eq!(backend.len(), 32, "{set}");
    assert!(backend.bytes().all(|b| b.is_ascii_hexdigit()), "{set}");
    let cookie = cookie_of(&first);
    for _ in 0..30 {
        let reply = get(portico.http, "sticky.test", "/", Some(&cookie)).await;
        assert_eq!(server(&reply), pinned);
        assert_eq!(reply.header("set-cookie"), None, "the pin holds: no new cookie");
    }
    // Without the cookie, clients are spread over the endpoints.
    let mut seen = BTreeSet::new();
    for _ in 0..30 {
        seen.insert(server(&get(portico.http, "sticky.test", "/", None).await));
    }
    assert!(seen.len() > 1, "{seen:?}");
}

#[tokio::test]
async fn cookie_attributes_follow_the_annotations() {
    let annotations = [
        ("affinity", "cookie"),
        ("session-cookie-name", "SERVERID"),
        ("session-cookie-domain", "foo.bar"),
        ("session-cookie-samesite", "Strict"),
        ("session-cookie-secure", "true"),
        ("session-cookie-max-age", "259200"),
        ("session-cookie-expires", "172800"),
    ];
    let (_web, _dir, portico) = start(&annotations, "/something").await;
    let reply = get(portico.http, "sticky.test", "/something", None).await;
    let set = reply.header("set-cookie").unwrap();
    assert!(set.starts_with("SERVERID="), "{set}");
    let attributes: Vec<&str> = set.split("; ").skip(1).collect();
    assert!(attributes[0].starts_with("Expires=") && attributes[0].ends_with(" GMT"), "{set}");
    assert_eq!(
        attributes[1..],
        [
            "Max-Age=259200",
            "Domain=foo.bar",
            "Path=/something",
            "Secure",
            "HttpOnly",
            "SameSite=Strict"
        ],
        "{set}"
    );
}

#[tokio::test]
async fn cookie_path_is_the_ingress_path_of_each_location() {
    let web = Backends::start("web", 2).await;
    let dir = Dir::new();
    dir.write("svc.yaml", service("default", "web", &web.addrs()));
    let ing = ingress("sticky")
        .annotation("affinity", "cookie")
        .path(Some("sticky.test"), "/something", "Prefix", "web")
        .path(Some("sticky.test"), "/somewhereelse", "Prefix", "web");
    dir.write("ing.yaml", ing);
    // An Ingress without affinity on the same backend: its locations read the cookie but
    // never set it.
    dir.write("plain.yaml", ingress("plain").path(Some("plain.test"), "/", "Prefix", "web"));
    let portico = Portico::start(dir.path(), &[]).await;
    let first = get(portico.http, "sticky.test", "/something/a", None).await;
    assert!(first.header("set-cookie").unwrap().contains("; Path=/something;"));
    let other = get(portico.http, "sticky.test", "/somewhereelse", None).await;
    assert!(other.header("set-cookie").unwrap().contains("; Path=/somewhereelse;"));
    let plain = get(portico.http, "plain.test", "/", None).await;
    assert_eq!(plain.header("set-cookie"), None);
    let cookie = cookie_of(&first);
    let pinned = server(&first);
    for _ in 0..10 {
        assert_eq!(server(&get(portico.http, "plain.test", "/", Some(&cookie)).await), pinned);
    }
}

#[tokio::test]
async fn persistent_pin_moves_when_its_endpoint_leaves_the_service() {
    let annotations = [("affinity", "cookie"), ("affinity-mode", "persistent")];
    let (web, dir, portico) = start(&annotations, "/").await;
    let first = get(portico.http, "sticky.test", "/", None).await;
    let pinned = server(&first);
    let cookie = cookie_of(&first);
    let index: usize = pinned.strip_prefix("web-").unwrap().parse().unwrap();
    let rest: Vec<SocketAddr> =
        web.addrs().into_iter().enumerate().filter(|(i, _)| *i != index).map(|(_, a)| a).collect();
    dir.write("svc.yaml", service("default", "web", &rest));
    let addr = portico.http;
    eventually("the pinned endpoint is gone from the table", || {
        let (cookie, pinned) = (cookie.clone(), pinned.clone());
        async move { server(&get(addr, "sticky.test", "/", Some(&cookie)).await) != pinned }
    })
    .await;
    // The old key names no endpoint any more: each request with it gets a new pin and cookie.
    let moved = get(addr, "sticky.test", "/", Some(&cookie)).await;
    let new_cookie = cookie_of(&moved);
    assert_ne!(new_cookie, cookie, "a new pin sets a new cookie");
    let new_pin = server(&moved);
    for _ in 0..20 {
        let reply = get(portico.http, "sticky.test", "/", Some(&new_cookie)).await;
        assert_eq!(server(&reply), new_pin);
        assert_eq!(reply.header("set-cookie"), None);
    }
}

#[tokio::test]
async fn balanced_pin_lands_on_another_endpoint_when_its_endpoint_leaves() {
    let (web, dir, portico) = start(&[("affinity", "cookie")], "/").await;
    let first = get(portico.http, "sticky.test", "/", None).await;
    let pinned = server(&first);
    let cookie = cookie_of(&first);
    let index: usize = pinned.strip_prefix("web-").unwrap().parse().unwrap();
    let rest: Vec<SocketAddr> =
        web.addrs().into_iter().enumerate().filter(|(i, _)| *i != index).map(|(_, a)| a).collect();
    dir.write("svc.yaml", service("default", "web", &rest));
    let addr = portico.http;
    eventually("the pinned endpoint is gone from the table", || {
        let (cookie, pinned) = (cookie.clone(), pinned.clone());
        async move { server(&get(addr, "sticky.test", "/", Some(&cookie)).await) != pinned }
    })
    .await;
    // The key now lands on one other endpoint of the ring, and stays there.
    let landed = server(&get(addr, "sticky.test", "/", Some(&cookie)).await);
    for _ in 0..20 {
        assert_eq!(server(&get(addr, "sticky.test", "/", Some(&cookie)).await), landed);
    }
}

#[tokio::test]
async fn a_failed_pin_changes_the_cookie_only_with_change_on_failure() {
    for change in ["false", "true"] {
        let live = Backends::start("live", 2).await;
        let dead = refusing_addr().await;
        let dir = Dir::new();
        dir.write("svc.yaml", service("default", "web", &[dead, live.addr(0), live.addr(1)]));
        let ing = ingress("sticky")
            .annotation("affinity", "cookie")
            .annotation("affinity-mode", "persistent")
            .annotation("session-cookie-change-on-failure", change)
            .path(Some("sticky.test"), "/", "Prefix", "web");
        dir.write("ing.yaml", ing);
        let portico = Portico::start(dir.path(), &[]).await;
        // A persistent key is md5(upstream name + endpoint) in hex: pin to the refusing one.
        let key = md5_hex(&format!("default-web-80{dead}"));
        let cookie = format!("INGRESSCOOKIE={key}|x");
        let reply = get(portico.http, "sticky.test", "/", Some(&cookie)).await;
        assert!(server(&reply).starts_with("live-"), "retried on a live endpoint");
        let renewed = reply.header("set-cookie").is_some();
        assert_eq!(renewed, change == "true", "change-on-failure {change}: {reply:?}");
    }
}

fn md5_hex(input: &str) -> String {
    use md5::Digest as _;
    md5::Md5::digest(input.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// `GET /` on `host` over the https listener (any certificate accepted), HTTP/1.1.
async fn https_get(addr: SocketAddr, host: &str) -> Reply {
    use portico_tls::rustls::pki_types::ServerName;
    use portico_tls::tokio_rustls::TlsConnector;
    let config =
        portico_e2e::accept_any_client(&[b"http/1.1"], portico_tls::rustls::DEFAULT_VERSIONS);
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from(host.to_string()).unwrap();
    let tls = TlsConnector::from(std::sync::Arc::new(config)).connect(name, tcp).await.unwrap();
    let io = hyper_util::rt::TokioIo::new(tls);
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(conn);
    let req = Request::get("/").header("host", host).body(Full::<bytes::Bytes>::default()).unwrap();
    let response = sender.send_request(req).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = http_body_util::BodyExt::collect(body).await.unwrap().to_bytes();
    Reply { status: parts.status, headers: parts.headers, body }
}

#[tokio::test]
async fn https_requests_get_a_secure_cookie_whatever_the_annotation() {
    for secure in ["false", "true"] {
        let annotations = [("affinity", "cookie"), ("session-cookie-secure", secure)];
        let (_web, _dir, portico) = start(&annotations, "/").await;
        let over_https = https_get(portico.https, "sticky.test").await;
        assert!(over_https.header("set-cookie").unwrap().contains("; Secure"), "{over_https:?}");
        let over_http = get(portico.http, "sticky.test", "/", None).await;
        let set = over_http.header("set-cookie").unwrap();
        assert_eq!(set.contains("; Secure"), secure == "true", "secure {secure} on http: {set}");
    }
}
