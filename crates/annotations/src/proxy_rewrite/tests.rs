use std::collections::BTreeMap;

use portico_model::{GlobalConfig, Replace, ResponseRewrite, Severity};

use crate::{parse_ingress, DEFAULT_PREFIX};

fn parse(pairs: &[(&str, &str)]) -> (ResponseRewrite, Vec<portico_model::Diagnostic>) {
    let raw: BTreeMap<String, String> =
        pairs.iter().map(|(k, v)| (format!("{DEFAULT_PREFIX}/{k}"), v.to_string())).collect();
    let parsed = parse_ingress(&raw, DEFAULT_PREFIX, &GlobalConfig::default());
    (parsed.annotations.policy.upstream.rewrite, parsed.diagnostics)
}

fn replace(from: &str, to: &str) -> Option<Replace> {
    Some(Replace { from: from.to_string(), to: to.to_string() })
}

#[test]
fn redirect_needs_both_and_off_or_default_disable_it() {
    let both = [("proxy-redirect-from", "http://internal/"), ("proxy-redirect-to", "/app/")];
    assert_eq!(parse(&both).0.redirect, replace("http://internal/", "/app/"));
    assert_eq!(parse(&both[..1]).0.redirect, None);
    assert_eq!(parse(&both[1..]).0.redirect, None);
    for (from, to) in [("off", "/x"), ("default", "/x"), ("http://a/", "off")] {
        let (rewrite, diags) = parse(&[("proxy-redirect-from", from), ("proxy-redirect-to", to)]);
        assert_eq!(rewrite.redirect, None, "{from} {to}");
        assert!(diags.is_empty());
    }
}

#[test]
fn cookies_take_two_words_and_domains_lose_leading_dots() {
    let (rewrite, diags) = parse(&[
        ("proxy-cookie-domain", ".internal.svc example.com"),
        ("proxy-cookie-path", "/two/ /"),
    ]);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(rewrite.cookie_domain, replace("internal.svc", "example.com"));
    assert_eq!(rewrite.cookie_path, replace("/two/", "/"));
    let (rewrite, _) = parse(&[("proxy-cookie-domain", "off"), ("proxy-cookie-path", "off")]);
    assert!(rewrite.is_empty());
}

#[test]
fn bad_values_are_ignored_with_a_warning() {
    let cases = [
        ("proxy-cookie-domain", "only-one"),
        ("proxy-cookie-domain", "a b c"),
        ("proxy-cookie-domain", "a$ b"),
        ("proxy-cookie-path", "/only"),
        ("proxy-cookie-path", "/a /b /c"),
        ("proxy-redirect-from", "http://a/ b"),
        ("proxy-redirect-to", "$scheme://x"),
    ];
    for (name, value) in cases {
        let (rewrite, diags) = parse(&[(name, value)]);
        assert!(rewrite.is_empty(), "{name}={value}");
        assert_eq!(diags.len(), 1, "{name}={value}: {diags:?}");
        assert_eq!(diags[0].severity, Severity::Warning);
    }
}
