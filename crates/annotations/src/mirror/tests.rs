//! `mirror-*`: ingress-nginx's parser cases (`mirror/main_test.go`) and what Portico does with
//! values it cannot mirror to.

use portico_model::{Mirror, Severity};

use super::build;
use crate::tests::{diags_for, parse};

fn mirror(pairs: &[(&str, &str)]) -> Option<Mirror> {
    parse(pairs).annotations.policy.mirror.map(|m| (*m).clone())
}

#[test]
fn ingress_nginx_cases() {
    // (target, mirror-host, expected Host of the copies)
    let cases = [
        ("https://test.env.com/$request_uri", None, "test.env.com"),
        ("https://test.env.com$request_uri", None, "test.env.com"),
        ("https://test.env.com:8080$request_uri", None, "test.env.com"),
        ("https://test.env.com:8080/$request_uri", None, "test.env.com"),
        ("http://some.test.env.com/$arg_x", Some("test.env.com"), "test.env.com"),
        ("http://some.test.env.com:2121/$arg_a=1&$arg_b=2", None, "some.test.env.com"),
        ("http://localhost/mirror", None, "localhost"),
    ];
    for (target, host, want) in cases {
        let mut pairs = vec![("mirror-target", target)];
        pairs.extend(host.map(|h| ("mirror-host", h)));
        let parsed = parse(&pairs);
        assert!(parsed.diagnostics.is_empty(), "{target}: {:?}", parsed.diagnostics);
        let m = parsed.annotations.policy.mirror.expect(target);
        assert_eq!(m.target.raw, target);
        assert_eq!(m.host.raw, want, "{target}");
        assert!(m.request_body, "mirror_request_body on by default");
    }
}

#[test]
fn request_body_off_and_invalid_values() {
    let m = mirror(&[("mirror-target", "http://m/"), ("mirror-request-body", "off")]).unwrap();
    assert!(!m.request_body);
    let parsed = parse(&[("mirror-target", "http://m/"), ("mirror-request-body", "no")]);
    assert!(parsed.annotations.policy.mirror.as_ref().unwrap().request_body, "invalid: on");
    assert_eq!(diags_for(&parsed, "mirror-request-body")[0].severity, Severity::Warning);
    // An invalid mirror-host falls back to the target's host (ingress-nginx's test cases).
    for host in ["someInvalidParam.%^&*()_=!@#'\"", "_sbrubles-i\"@xpto:12345"] {
        let parsed = parse(&[("mirror-target", "http://some.test.env.com"), ("mirror-host", host)]);
        assert_eq!(
            parsed.annotations.policy.mirror.as_ref().unwrap().host.raw,
            "some.test.env.com"
        );
        assert_eq!(diags_for(&parsed, "mirror-host")[0].severity, Severity::Warning);
    }
}

#[test]
fn unusable_targets_mirror_nothing_with_an_error() {
    for target in [
        "IamNotAURL",
        "ftp://m/x",
        "http://",
        "http:///x",
        "http://m:http/x",
        "http://a..b/",
        "http://$host/x",
        "http://m/$nope",
        "http://m/a b",
        "http://m/%20",
    ] {
        let parsed = parse(&[("mirror-target", target), ("mirror-request-body", "off")]);
        assert!(parsed.annotations.policy.mirror.is_none(), "{target}");
        assert!(!parsed.fatal, "{target}: the Ingress loads");
        assert!(parsed.annotations.policy.denied.is_none(), "{target}: the location is served");
        let d = diags_for(&parsed, "mirror-target");
        assert_eq!(d.len(), 1, "{target}: {d:?}");
        assert_eq!(d[0].severity, Severity::Error, "{target}");
        assert!(d[0].message.contains("no effect"), "{}", d[0].message);
    }
}

#[test]
fn a_variable_host_needs_mirror_host() {
    let m = mirror(&[("mirror-target", "http://$host/x"), ("mirror-host", "copy.test")]).unwrap();
    assert_eq!(m.host.raw, "copy.test");
    assert!(build("http://$host/x", None, true).is_err());
    assert_eq!(build("http://m:$arg_p/x", None, true).unwrap().host.raw, "m");
    assert_eq!(build("http://[::1]:8080$request_uri", None, true).unwrap().host.raw, "[::1]");
}

#[test]
fn companions_without_target_are_ignored_with_a_warning() {
    let parsed = parse(&[("mirror-host", "m"), ("mirror-request-body", "off")]);
    assert!(parsed.annotations.policy.mirror.is_none());
    assert_eq!(diags_for(&parsed, "mirror-host")[0].severity, Severity::Warning);
    assert_eq!(diags_for(&parsed, "mirror-request-body")[0].severity, Severity::Warning);
}
