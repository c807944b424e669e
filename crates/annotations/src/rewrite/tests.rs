use portico_model::{GlobalConfig, LocationPolicy, Severity};

use crate::tests::{diags_for, parse, parse_with};

const TRUE_SPELLINGS: &[&str] = &["1", "t", "T", "TRUE", "true", "True"];
const FALSE_SPELLINGS: &[&str] = &["0", "f", "F", "FALSE", "false", "False"];
const NOT_BOOLS: &[&str] = &["yes", "no", "on", "off", " true", "false ", "tRue", "2", "y"];

type Getter = fn(&LocationPolicy) -> bool;

const BOOLS: &[(&str, Getter)] = &[
    ("use-regex", |p| p.use_regex),
    ("ssl-redirect", |p| p.filters.https_redirect().is_some_and(|r| r.ssl_redirect)),
    ("force-ssl-redirect", |p| p.filters.https_redirect().is_some_and(|r| r.force)),
    ("preserve-trailing-slash", |p| {
        p.filters.https_redirect().is_some_and(|r| r.preserve_trailing_slash)
    }),
];

#[test]
fn booleans_accept_every_go_spelling() {
    for (name, get) in BOOLS {
        for (spellings, want) in [(TRUE_SPELLINGS, true), (FALSE_SPELLINGS, false)] {
            for v in spellings {
                let parsed = parse(&[(name, v)]);
                assert_eq!(get(&parsed.annotations.policy), want, "{name}={v:?}");
                assert!(parsed.diagnostics.is_empty(), "{name}={v:?}");
            }
        }
    }
}

#[test]
fn invalid_booleans_keep_the_configmap_default_with_a_warning() {
    for (name, get) in BOOLS {
        for flipped in [false, true] {
            let mut global = GlobalConfig::default();
            global.location_defaults.use_regex = flipped;
            global.location_defaults.filters.update_https_redirect(|r| {
                (r.ssl_redirect, r.force, r.preserve_trailing_slash) = (flipped, flipped, flipped);
            });
            for v in NOT_BOOLS {
                let parsed = parse_with(&[(name, v)], &global);
                assert_eq!(get(&parsed.annotations.policy), flipped, "{name}={v:?}");
                assert!(!parsed.fatal, "{name}={v:?}");
                let diags = diags_for(&parsed, name);
                assert_eq!(diags.len(), 1, "{name}={v:?}");
                assert_eq!(diags[0].severity, Severity::Warning);
                assert!(diags[0].message.contains(&format!("{v:?}")), "{}", diags[0].message);
            }
        }
    }
}

#[test]
fn rewrite_target_charset() {
    let accepted = [
        "/",
        "/$1",
        "/$2",
        "/new/$1/$2",
        "/api/v1",
        "/a:b",
        "~user",
        "a/b",
        "/foo-bar_baz.~",
        "http://example.com/x",
        "$1",
    ];
    for v in accepted {
        let parsed = parse(&[("rewrite-target", v)]);
        assert_eq!(
            parsed.annotations.policy.filters.rewrite().map(|r| r.target.as_str()),
            Some(v),
            "{v:?}"
        );
        assert!(parsed.diagnostics.is_empty(), "{v:?}");
    }
    let rejected = [
        "/foo?x=1", "/a&b", "/a=b", "/%20", "/a b", "/{x}", "/(x)", "//x?", "/a;b", "/a\"b",
        "/a\\b", "/é", "/a#b", "/a*b", "/a|b", "/a+b",
    ];
    for v in rejected {
        let parsed = parse(&[("rewrite-target", v)]);
        assert_eq!(parsed.annotations.policy.filters.rewrite(), None, "{v:?}");
        assert!(!parsed.fatal, "{v:?}");
        assert_eq!(diags_for(&parsed, "rewrite-target").len(), 1, "{v:?}");
    }
}

#[test]
fn string_values_are_trimmed() {
    let parsed = parse(&[("rewrite-target", "  /foo/$1 "), ("app-root", "\t/app ")]);
    assert_eq!(
        parsed.annotations.policy.filters.rewrite().map(|r| r.target.as_str()),
        Some("/foo/$1")
    );
    assert_eq!(parsed.annotations.app_root.as_deref(), Some("/app"));
    assert!(parsed.diagnostics.is_empty());
}

#[test]
fn app_root_must_be_a_relative_request_uri() {
    for v in ["/app", "/app/", "/a:b", "//x", "/$1", "/a.b~c-d_e"] {
        let parsed = parse(&[("app-root", v)]);
        assert_eq!(parsed.annotations.app_root.as_deref(), Some(v), "{v:?}");
        assert!(parsed.diagnostics.is_empty(), "{v:?}");
    }
    for v in ["app", "http://x/y", "https://x", "foo:bar", "/foo?a", "/a b", "/a%20", ":x"] {
        let parsed = parse(&[("app-root", v)]);
        assert_eq!(parsed.annotations.app_root, None, "{v:?}");
        assert!(!parsed.fatal, "{v:?}");
        assert_eq!(diags_for(&parsed, "app-root").len(), 1, "{v:?}");
    }
}

#[test]
fn app_root_slash_is_kept_but_warned() {
    let parsed = parse(&[("app-root", "/")]);
    assert_eq!(parsed.annotations.app_root.as_deref(), Some("/"));
    assert!(diags_for(&parsed, "app-root")[0].message.contains("loop"));
}

#[test]
fn x_forwarded_prefix_is_basic_chars_and_fatal_when_invalid() {
    for v in ["/api", "/my prefix", "/a-b_c.d~e:f", "api"] {
        let parsed = parse(&[("rewrite-target", "/"), ("x-forwarded-prefix", v)]);
        let rewrite = parsed.annotations.policy.filters.rewrite().cloned();
        assert_eq!(rewrite.and_then(|r| r.x_forwarded_prefix).as_deref(), Some(v), "{v:?}");
        assert!(parsed.diagnostics.is_empty());
    }
    for v in ["/a\u{7f}", "/é", "/a\tb", "/a\0b", "/a?b=c&d", "/$1", "/a%20b", "/a\r\nX: y"] {
        let parsed = parse(&[("x-forwarded-prefix", v)]);
        assert!(parsed.fatal, "{v:?}");
        assert_eq!(diags_for(&parsed, "x-forwarded-prefix")[0].severity, Severity::Error);
    }
}

#[test]
fn family_applies_together() {
    let parsed = parse(&[
        ("rewrite-target", "/$2"),
        ("use-regex", "true"),
        ("ssl-redirect", "false"),
        ("force-ssl-redirect", "true"),
        ("preserve-trailing-slash", "true"),
        ("x-forwarded-prefix", "/something"),
        ("app-root", "/app1"),
    ]);
    let p = &parsed.annotations.policy;
    let rewrite = p.filters.rewrite().unwrap();
    assert_eq!(rewrite.target, "/$2");
    let redirect = p.filters.https_redirect().unwrap();
    assert!(p.use_regex && !redirect.ssl_redirect && redirect.force);
    assert!(redirect.preserve_trailing_slash);
    assert_eq!(rewrite.x_forwarded_prefix.as_deref(), Some("/something"));
    assert_eq!(parsed.annotations.app_root.as_deref(), Some("/app1"));
    assert!(parsed.diagnostics.is_empty() && !parsed.fatal);
}
