//! The affinity family: defaults, every setting, bad values.

use portico_model::{AffinityMode, Severity};

use crate::tests::{diags_for, parse};

#[test]
fn cookie_affinity_with_defaults() {
    let parsed = parse(&[("affinity", "cookie")]);
    let cookie = parsed.annotations.affinity.cookie.expect("affinity on");
    assert_eq!(cookie.name, "INGRESSCOOKIE");
    assert_eq!((cookie.path, cookie.domain, cookie.samesite), (None, None, None));
    assert_eq!((cookie.expires, cookie.max_age), (None, None));
    assert!(!cookie.secure && !cookie.change_on_failure && !cookie.conditional_samesite_none);
    assert_eq!(parsed.annotations.affinity.mode, None);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
}

#[test]
fn every_setting() {
    let parsed = parse(&[
        ("affinity", " cookie "),
        ("affinity-mode", "persistent"),
        ("session-cookie-name", "SERVERID"),
        ("session-cookie-path", "/foo/bar"),
        ("session-cookie-domain", "foo.bar"),
        ("session-cookie-samesite", "None"),
        ("session-cookie-conditional-samesite-none", "true"),
        ("session-cookie-secure", "true"),
        ("session-cookie-expires", "172800"),
        ("session-cookie-max-age", "-1"),
        ("session-cookie-change-on-failure", "true"),
    ]);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert_eq!(parsed.annotations.affinity.mode, Some(AffinityMode::Persistent));
    let c = parsed.annotations.affinity.cookie.unwrap();
    assert_eq!(c.name, "SERVERID");
    assert_eq!(c.path.as_deref(), Some("/foo/bar"));
    assert_eq!(c.domain.as_deref(), Some("foo.bar"));
    assert_eq!(c.samesite.as_deref(), Some("None"));
    assert!(c.conditional_samesite_none && c.secure && c.change_on_failure);
    assert_eq!((c.expires, c.max_age), (Some(172_800), Some(-1)));
}

#[test]
fn settings_without_affinity_do_nothing() {
    let parsed = parse(&[("session-cookie-name", "bad name"), ("affinity-mode", "balanced")]);
    assert_eq!(parsed.annotations.affinity.cookie, None);
    // The mode is recorded alone (ingress-nginx: first non-empty mode of a shared upstream).
    assert_eq!(parsed.annotations.affinity.mode, Some(AffinityMode::Balanced));
    assert!(parsed.diagnostics.is_empty());
}

#[test]
fn bad_values_fall_back_with_a_warning() {
    let cases: &[(&str, &str)] = &[
        ("affinity", "Cookie"),
        ("affinity", "ip"),
        ("affinity-mode", "sticky"),
        ("session-cookie-name", "a b"),
        ("session-cookie-path", "/a b"),
        ("session-cookie-domain", "a;b"),
        ("session-cookie-samesite", "lenient"),
        ("session-cookie-secure", "yes"),
        ("session-cookie-expires", "1h"),
        ("session-cookie-max-age", "ten"),
        ("session-cookie-change-on-failure", "on"),
        ("session-cookie-conditional-samesite-none", "nope"),
    ];
    for (name, value) in cases {
        let mut pairs = vec![(*name, *value)];
        if *name != "affinity" {
            pairs.push(("affinity", "cookie"));
        }
        let parsed = parse(&pairs);
        assert!(!parsed.fatal, "{name}");
        let diags = diags_for(&parsed, name);
        assert_eq!(diags.len(), 1, "{name}: {:?}", parsed.diagnostics);
        assert_eq!(diags[0].severity, Severity::Warning);
        assert!(diags[0].message.contains(&format!("{value:?}")), "{}", diags[0].message);
        let a = &parsed.annotations.affinity;
        match *name {
            "affinity" => assert_eq!(a.cookie, None),
            "affinity-mode" => assert_eq!(a.mode, None),
            _ => {
                let c = a.cookie.as_ref().unwrap();
                assert_eq!(c.name, "INGRESSCOOKIE");
                assert_eq!(
                    (c.path.as_deref(), c.expires, c.max_age, c.secure),
                    (None, None, None, false)
                );
            }
        }
    }
}

#[test]
fn regex_paths_want_a_cookie_path() {
    let parsed = parse(&[("affinity", "cookie"), ("use-regex", "true")]);
    let diags = diags_for(&parsed, "affinity");
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.contains("session-cookie-path should be set"));
    let parsed =
        parse(&[("affinity", "cookie"), ("use-regex", "true"), ("session-cookie-path", "/")]);
    assert!(parsed.diagnostics.is_empty());
}
