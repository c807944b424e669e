use std::time::Duration;

use portico_model::{GlobalConfig, NextUpstream, Severity};

use super::parse_next_upstream;
use crate::tests::{diags_for, parse, parse_with};

#[test]
fn body_size() {
    let cases: &[(&str, Option<u64>)] = &[
        ("0", None),
        ("8k", Some(8 << 10)),
        ("10m", Some(10 << 20)),
        ("1G", Some(1 << 30)),
        ("512", Some(512)),
        (" 2m ", Some(2 << 20)),
    ];
    for (v, want) in cases {
        let parsed = parse(&[("proxy-body-size", v)]);
        assert_eq!(parsed.annotations.policy.max_body_size, *want, "{v:?}");
        assert!(parsed.diagnostics.is_empty(), "{v:?}");
    }
    let mut global = GlobalConfig::default();
    global.location_defaults.max_body_size = Some(42);
    for v in ["1mb", "big", "-1", "1.5m", "1 m", "1t"] {
        let parsed = parse_with(&[("proxy-body-size", v)], &global);
        assert_eq!(parsed.annotations.policy.max_body_size, Some(42), "{v:?}");
        assert!(!parsed.fatal);
        assert_eq!(diags_for(&parsed, "proxy-body-size")[0].severity, Severity::Warning);
    }
}

#[test]
fn timeouts_are_unitless_seconds() {
    let names = ["proxy-connect-timeout", "proxy-read-timeout", "proxy-send-timeout"];
    for (i, name) in names.into_iter().enumerate() {
        let parsed = parse(&[(name, "3600")]);
        let t = parsed.annotations.policy.timeouts;
        let got = [t.connect, t.read, t.send][i];
        assert_eq!(got, Duration::from_secs(3600), "{name}");
        for v in ["5s", "1m", " 5", "0", "-1", "1.5", "x"] {
            let parsed = parse(&[(name, v)]);
            assert_eq!(parsed.annotations.policy.timeouts, Default::default(), "{name}={v:?}");
            assert!(!parsed.fatal);
            assert_eq!(diags_for(&parsed, name).len(), 1, "{name}={v:?}");
        }
    }
}

#[test]
fn next_upstream_conditions() {
    let base = NextUpstream { tries: 7, ..NextUpstream::default() };
    let cases: &[(&str, (bool, bool, bool), usize)] = &[
        ("error", (true, false, false), 0),
        ("timeout", (false, true, false), 0),
        ("error timeout", (true, true, false), 0),
        ("error  timeout\tnon_idempotent", (true, true, true), 0),
        ("off", (false, false, false), 0),
        ("error http_502 http_503", (true, false, false), 2),
        ("invalid_header http_500 http_504 http_403 http_404 http_429", (false, false, false), 6),
    ];
    for (v, (on_error, on_timeout, non_idempotent), ignored) in cases {
        let (next, unsupported) =
            parse_next_upstream(v, base).unwrap_or_else(|e| panic!("{v:?}: {e}"));
        let want = NextUpstream {
            tries: 7,
            on_error: *on_error,
            on_timeout: *on_timeout,
            non_idempotent: *non_idempotent,
        };
        assert_eq!(next, want, "{v:?}");
        assert_eq!(unsupported.len(), *ignored, "{v:?}");
    }
    for v in ["", "bogus", "error bogus", "off error", "ERROR", "http_5xx", "error,timeout"] {
        assert!(parse_next_upstream(v, base).is_err(), "{v:?}");
    }
}

#[test]
fn next_upstream_annotation() {
    let parsed = parse(&[("proxy-next-upstream", "error http_502")]);
    let next = parsed.annotations.policy.next_upstream;
    assert!(next.on_error && !next.on_timeout && next.tries == 3);
    let diags = diags_for(&parsed, "proxy-next-upstream");
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.contains("http_502 not supported by Portico"), "{}", diags[0].message);

    let parsed = parse(&[("proxy-next-upstream", "error sometimes")]);
    assert_eq!(parsed.annotations.policy.next_upstream, NextUpstream::default());
    assert!(!parsed.fatal);
    assert_eq!(diags_for(&parsed, "proxy-next-upstream").len(), 1);
}

#[test]
fn next_upstream_tries() {
    for (v, want) in [("5", 5), ("0", 0), ("+2", 2)] {
        let parsed = parse(&[("proxy-next-upstream-tries", v)]);
        assert_eq!(parsed.annotations.policy.next_upstream.tries, want, "{v:?}");
    }
    for v in ["-1", "three", " 3", "4294967296"] {
        let parsed = parse(&[("proxy-next-upstream-tries", v)]);
        assert_eq!(parsed.annotations.policy.next_upstream.tries, 3, "{v:?}");
        assert_eq!(diags_for(&parsed, "proxy-next-upstream-tries").len(), 1, "{v:?}");
    }
    let parsed = parse(&[("proxy-next-upstream", "off"), ("proxy-next-upstream-tries", "1")]);
    let next = parsed.annotations.policy.next_upstream;
    assert_eq!(
        next,
        NextUpstream { tries: 1, on_error: false, on_timeout: false, non_idempotent: false }
    );
}

#[test]
fn buffer_size_bounds_the_response_head() {
    let parsed = parse(&[("proxy-buffer-size", "16k")]);
    assert_eq!(parsed.annotations.policy.proxy_buffer_size, 16 << 10);
    assert!(parsed.diagnostics.is_empty());
    for v in ["0", "4kb", "-1", "x"] {
        let parsed = parse(&[("proxy-buffer-size", v)]);
        assert_eq!(parsed.annotations.policy.proxy_buffer_size, 4096, "{v:?}");
        assert_eq!(diags_for(&parsed, "proxy-buffer-size").len(), 1, "{v:?}");
    }
}
