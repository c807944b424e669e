//! The copy's request-target, Host and headers, as nginx's mirror location builds them.

use std::net::SocketAddr;

use http::{HeaderMap, HeaderValue, Method, Uri};
use portico_model::{GlobalConfig, Mirror, Template, Timeouts};

use super::*;
use crate::config::ConnInfo;
use crate::forwarded::Forwarded;

fn mirror(target: &str, host: &str) -> Mirror {
    Mirror {
        target: Template::parse(target).unwrap(),
        host: Template::parse(host).unwrap(),
        request_body: true,
        source: Mirror::source_for("uid-1"),
    }
}

/// The copy of `GET <uri>` with `Host: site.test` and a few client headers.
fn copy_of(mirror: &Mirror, uri: &str) -> Result<MirrorCopy, BadTarget> {
    let mut headers = HeaderMap::new();
    headers.insert("host", HeaderValue::from_static("site.test"));
    headers.insert("connection", HeaderValue::from_static("keep-alive"));
    headers.insert("x-custom", HeaderValue::from_static("kept"));
    headers.insert("x_under", HeaderValue::from_static("dropped"));
    headers.insert("content-length", HeaderValue::from_static("5"));
    let conn = ConnInfo::new(SocketAddr::from(([127, 0, 0, 9], 4000)), 80, false);
    let host = headers.get("host").cloned();
    let view = Forwarded::new(&headers, host.as_ref(), &conn, &GlobalConfig::default());
    let uri: Uri = uri.parse().unwrap();
    let vars = VarSource {
        client: view.client,
        method: &Method::POST,
        headers: &headers,
        uri: &uri,
        path: uri.path(),
        raw_host: "site.test",
        view: &view,
        conn: &conn,
    };
    MirrorCopy::prepare(mirror, &vars, Timeouts::default())
}

fn target(target: &str, uri: &str) -> String {
    copy_of(&mirror(target, "m.test"), uri).unwrap().target.to_string()
}

#[test]
fn request_targets_follow_nginx_proxy_pass() {
    // Literal with a path: the path, then the client's arguments.
    assert_eq!(target("http://m.test/mirror", "/a/b?x=1"), "/mirror?x=1");
    assert_eq!(target("http://m.test/mirror", "/a/b"), "/mirror");
    // Literal without a path: the subrequest URI, then the arguments.
    assert_eq!(target("http://m.test:8080", "/a?x=1"), "/_mirror-uid-1?x=1");
    assert_eq!(target("http://m.test?q", "/a?x=1"), "/?q?x=1");
    // Variables: the expansion as is.
    assert_eq!(target("https://m.test$request_uri", "/a/b?x=1"), "/a/b?x=1");
    assert_eq!(target("https://m.test/$request_uri", "/a"), "//a");
    assert_eq!(target("http://m.test/p$uri", "/a"), "/p/_mirror-uid-1", "$uri is the subrequest's");
    assert_eq!(target("http://m.test/?a=$arg_x", "/z?x=7"), "/?a=7");
}

#[test]
fn the_copy_keeps_the_method_and_client_headers_with_the_mirror_host() {
    let copy = copy_of(&mirror("http://127.0.0.1:9/m", "copy.test"), "/a").unwrap();
    assert_eq!(copy.method, Method::POST);
    assert_eq!(copy.headers.get("host").unwrap(), "copy.test");
    assert_eq!(copy.headers.get("x-custom").unwrap(), "kept");
    for gone in ["connection", "x_under", "content-length", "x-forwarded-for", "x-real-ip"] {
        assert!(copy.headers.get(gone).is_none(), "{gone}");
    }
    assert!(matches!(copy.endpoint, Endpoint::Addr(addr) if addr.port() == 9));
    assert!(!copy.https);
    let copy = copy_of(&mirror("https://[::1]$request_uri", "$host"), "/a").unwrap();
    assert!(matches!(copy.endpoint, Endpoint::Addr(addr) if addr.port() == 443 && addr.is_ipv6()));
    assert_eq!(copy.headers.get("host").unwrap(), "site.test", "mirror-host expanded");
    let copy = copy_of(&mirror("http://mirror.svc:81/x", "mirror.svc"), "/").unwrap();
    assert!(matches!(&copy.endpoint, Endpoint::Dns { host, port: 81 } if host == "mirror.svc"));
}

#[test]
fn an_expansion_that_is_no_url_is_refused() {
    let odd = mirror("http://$http_x_target/a", "m.test");
    assert!(copy_of(&odd, "/").is_err(), "the header is absent: no host");
}
