use portico_model::{GlobalConfig, RequestBodyPolicy, Severity};

use crate::tests::{diags_for, parse, parse_with};

#[test]
fn request_buffering_is_on_by_default_and_follows_the_annotation() {
    assert!(parse(&[]).annotations.policy.request_body.buffering, "ingress-nginx's default");
    let off = parse(&[("proxy-request-buffering", "off")]);
    assert!(!off.annotations.policy.request_body.buffering);
    assert!(off.diagnostics.is_empty());
    let on = parse(&[("proxy-request-buffering", " on ")]);
    assert!(on.annotations.policy.request_body.buffering);
}

#[test]
fn bad_values_keep_the_configmap_default_with_a_warning() {
    let mut global = GlobalConfig::default();
    global.location_defaults.request_body =
        RequestBodyPolicy { buffering: false, memory_limit: 123, http10: true };
    let cases = [
        ("proxy-request-buffering", "On"),
        ("proxy-request-buffering", "true"),
        ("client-body-buffer-size", "0"),
        ("client-body-buffer-size", "8kb"),
        ("proxy-http-version", "2.0"),
        ("proxy-buffering", "yes"),
        ("proxy-buffers-number", "0"),
        ("proxy-buffers-number", " 4"),
        ("proxy-busy-buffers-size", "x"),
        ("proxy-max-temp-file-size", "1t"),
    ];
    for (name, v) in cases {
        let parsed = parse_with(&[(name, v)], &global);
        assert_eq!(parsed.annotations.policy, global.location_defaults, "{name}={v:?}");
        let diags = diags_for(&parsed, name);
        assert_eq!(diags.len(), 1, "{name}={v:?}");
        assert_eq!(diags[0].severity, Severity::Warning);
        assert!(diags[0].message.contains(v), "{name}={v:?}: {}", diags[0].message);
        assert!(!parsed.fatal);
    }
}

#[test]
fn buffer_size_and_http_version() {
    let parsed =
        parse(&[("client-body-buffer-size", "64k"), ("proxy-http-version", "1.0")]).annotations;
    assert_eq!(parsed.policy.request_body.memory_limit, 64 << 10);
    assert!(parsed.policy.request_body.http10);
    assert!(parsed.policy.request_body.buffers(), "HTTP/1.0 always buffers");
    let parsed = parse(&[("proxy-http-version", "1.1")]).annotations;
    assert!(!parsed.policy.request_body.http10);
}

#[test]
fn accepted_knobs_are_validated_without_effect_or_warning() {
    let cases = [
        ("proxy-buffering", "on"),
        ("proxy-buffers-number", "8"),
        ("proxy-busy-buffers-size", "16k"),
        ("proxy-max-temp-file-size", "0"),
    ];
    for (name, v) in cases {
        let parsed = parse(&[(name, v)]);
        assert!(parsed.diagnostics.is_empty(), "{name}: {:?}", parsed.diagnostics);
        assert_eq!(parsed.annotations.policy, Default::default(), "{name}");
        let spec = crate::lookup(name).unwrap();
        assert!(spec.doc.starts_with("accepted, no effect: "), "{name}");
    }
}
