use std::net::SocketAddr;

use super::*;

fn conn() -> ConnInfo {
    ConnInfo::new("10.0.0.9:5555".parse::<SocketAddr>().unwrap(), 8080, false)
}

fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    map
}

fn plan() -> HeaderPlan<'static> {
    HeaderPlan {
        request_id: Some(HeaderValue::from_static("0123456789abcdef0123456789abcdef")),
        strip_authorization: false,
        upgrade: false,
        forwarded_prefix: None,
    }
}

fn build(
    pairs: &[(&'static str, &'static str)],
    global: &GlobalConfig,
    plan: HeaderPlan<'_>,
) -> HeaderMap {
    let mut map = headers(pairs);
    let host = map.get(header::HOST).cloned();
    let view = Forwarded::new(&map, host.as_ref(), &conn(), global);
    upstream_headers(&mut map, &view, plan, &conn(), global);
    map
}

#[test]
fn default_headers_replace_client_values() {
    let global = GlobalConfig::default();
    let map = build(
        &[
            ("host", "foo.com:8080"),
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-host", "evil.com"),
            ("x-forwarded-proto", "https"),
            ("x-real-ip", "6.6.6.6"),
            ("proxy", "http://evil"),
            ("te", "trailers"),
            ("keep-alive", "timeout=5"),
            ("connection", "keep-alive, x-custom"),
            ("x-custom", "kept"),
            ("x_under", "dropped"),
            ("authorization", "Basic Zm9vOmJhcg=="),
        ],
        &global,
        plan(),
    );
    assert_eq!(map["host"], "foo.com:8080");
    assert_eq!(map["x-forwarded-host"], "foo.com:8080");
    assert_eq!(map["x-forwarded-for"], "10.0.0.9");
    assert_eq!(map["x-real-ip"], "10.0.0.9");
    assert_eq!(map["x-forwarded-port"], "8080");
    assert_eq!(map["x-forwarded-proto"], "http");
    assert_eq!(map["x-forwarded-scheme"], "http");
    assert_eq!(map["x-scheme"], "http");
    assert_eq!(map["x-original-forwarded-for"], "1.2.3.4");
    assert_eq!(map["x-original-forwarded-host"], "evil.com");
    assert_eq!(map["x-request-id"], "0123456789abcdef0123456789abcdef");
    assert_eq!(map["x-custom"], "kept", "tokens listed in Connection are not stripped");
    assert_eq!(map["authorization"], "Basic Zm9vOmJhcg==");
    for gone in
        ["proxy", "te", "keep-alive", "connection", "x_under", "upgrade", "x-forwarded-prefix"]
    {
        assert!(!map.contains_key(gone), "{gone} must not be forwarded");
    }
}

#[test]
fn trusted_forwarded_headers() {
    let global = GlobalConfig { use_forwarded_headers: true, ..GlobalConfig::default() };
    let pairs = [
        ("host", "foo.com"),
        ("x-forwarded-for", "1.1.1.1, 2.2.2.2"),
        ("x-forwarded-host", "myhost, other"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-port", "443"),
    ];
    let map = build(&pairs, &global, plan());
    assert_eq!(map["host"], "myhost");
    assert_eq!(map["x-forwarded-host"], "myhost");
    assert_eq!(map["x-forwarded-for"], "1.1.1.1");
    assert_eq!(map["x-real-ip"], "1.1.1.1");
    assert_eq!(map["x-forwarded-proto"], "https");
    assert_eq!(map["x-forwarded-port"], "443");
    assert_eq!(map["x-original-forwarded-for"], "1.1.1.1, 2.2.2.2");

    let full = GlobalConfig { compute_full_forwarded_for: true, ..global };
    let map = build(&pairs, &full, plan());
    assert_eq!(map["x-forwarded-for"], "1.1.1.1, 2.2.2.2, 10.0.0.9");
    let map = build(&[("host", "foo.com")], &full, plan());
    assert_eq!(map["x-forwarded-for"], "10.0.0.9");
}

#[test]
fn upgrade_auth_and_prefix() {
    let global = GlobalConfig::default();
    let pairs = [
        ("host", "foo.com"),
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("authorization", "Basic x"),
    ];
    let plan = HeaderPlan {
        strip_authorization: true,
        upgrade: true,
        forwarded_prefix: Some("/api"),
        request_id: None,
    };
    let map = build(&pairs, &global, plan);
    assert_eq!(map["upgrade"], "websocket");
    assert_eq!(map["connection"], "upgrade");
    assert_eq!(map["x-forwarded-prefix"], "/api");
    assert!(!map.contains_key("authorization"));
    assert!(!map.contains_key("x-request-id"));
}

#[test]
fn upgrade_detection() {
    assert!(wants_upgrade(&headers(&[("connection", "keep-alive, Upgrade"), ("upgrade", "ws")])));
    assert!(!wants_upgrade(&headers(&[("upgrade", "websocket")])));
    assert!(!wants_upgrade(&headers(&[("connection", "upgrade")])));
}

#[test]
fn response_headers_cleaned() {
    let mut map = headers(&[
        ("server", "gunicorn"),
        ("date", "yesterday"),
        ("connection", "keep-alive"),
        ("keep-alive", "timeout=5"),
        ("location", "/kept"),
    ]);
    downstream_headers(&mut map, false);
    assert_eq!(map.len(), 1);
    assert_eq!(map["location"], "/kept");
    let mut map = headers(&[("connection", "upgrade"), ("upgrade", "websocket")]);
    downstream_headers(&mut map, true);
    assert_eq!(map.len(), 2);
}

#[test]
fn first_entry_trims() {
    assert_eq!(first_entry(&HeaderValue::from_static(" a , b")).unwrap(), "a");
    assert_eq!(first_entry(&HeaderValue::from_static("a")).unwrap(), "a");
    assert!(first_entry(&HeaderValue::from_static(" ,b")).is_none());
}
