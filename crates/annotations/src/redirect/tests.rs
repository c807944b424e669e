use portico_model::{Filter, GlobalConfig, Severity, StaticRedirect};

use crate::tests::{diags_for, parse, parse_with};
use crate::Parsed;

fn redirect(parsed: &Parsed) -> Option<StaticRedirect> {
    parsed.annotations.policy.filters.iter().find_map(|f| match f {
        Filter::Redirect(r) => Some(StaticRedirect::clone(r)),
        _ => None,
    })
}

fn to(status: u16, url: &str) -> Option<StaticRedirect> {
    Some(StaticRedirect { status, url: url.to_string() })
}

#[test]
fn permanent_redirect_defaults_to_301_and_keeps_the_url_as_written() {
    let parsed = parse(&[("permanent-redirect", "http://redirect.example.com")]);
    assert_eq!(redirect(&parsed), to(301, "http://redirect.example.com"));
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let parsed = parse(&[("permanent-redirect", "/new?a=1&b=2")]);
    assert_eq!(redirect(&parsed), to(301, "/new?a=1&b=2"), "a path is accepted");
}

#[test]
fn codes_outside_their_range_fall_back_silently() {
    for (code, want) in [("302", 302), ("300", 300), ("308", 308), ("309", 301), ("200", 301)] {
        let parsed =
            parse(&[("permanent-redirect", "http://x.com"), ("permanent-redirect-code", code)]);
        assert_eq!(redirect(&parsed), to(want, "http://x.com"), "permanent {code}");
        assert!(parsed.diagnostics.is_empty());
    }
    for (code, want) in [("307", 307), ("308", 302), ("301", 301), ("-1", 302), ("99999", 302)] {
        let parsed =
            parse(&[("temporal-redirect", "https://x.com"), ("temporal-redirect-code", code)]);
        assert_eq!(redirect(&parsed), to(want, "https://x.com"), "temporal {code}");
    }
    let parsed = parse(&[("temporal-redirect", "https://x.com")]);
    assert_eq!(redirect(&parsed), to(302, "https://x.com"));
}

#[test]
fn temporal_takes_precedence_as_in_ingress_nginx() {
    let parsed = parse(&[
        ("permanent-redirect", "http://p.com"),
        ("permanent-redirect-code", "308"),
        ("temporal-redirect", "http://t.com"),
    ]);
    assert_eq!(redirect(&parsed), to(302, "http://t.com"));
    let diags = diags_for(&parsed, "permanent-redirect");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].severity, Severity::Warning);
}

#[test]
fn invalid_values_drop_the_ingress() {
    let cases: &[&[(&str, &str)]] = &[
        &[("permanent-redirect", "http://x.com/$request_uri")],
        &[("permanent-redirect", "http://x.com/a b")],
        &[("permanent-redirect", "http://x.com"), ("permanent-redirect-code", "30x")],
        &[("permanent-redirect-code", " 301")],
        &[("temporal-redirect", "http://x.com"), ("temporal-redirect-code", "x")],
        &[("relative-redirects", "yes")],
    ];
    for pairs in cases {
        let parsed = parse(pairs);
        assert!(parsed.fatal, "{pairs:?}");
        let (name, value) = pairs[pairs.len() - 1];
        let diags = diags_for(&parsed, name);
        assert_eq!(diags.len(), 1, "{pairs:?}: {:?}", parsed.diagnostics);
        assert!(diags[0].message.contains(&format!("{value:?}")), "{}", diags[0].message);
        assert_eq!(diags[0].severity, Severity::Error);
    }
}

#[test]
fn a_temporal_url_that_is_not_http_ignores_the_family_but_keeps_the_ingress() {
    for bad in ["/relative", "ftp://x.com", "http://x.com:port/"] {
        let parsed = parse(&[
            ("temporal-redirect", bad),
            ("relative-redirects", "true"),
            ("from-to-www-redirect", "true"),
        ]);
        assert!(!parsed.fatal, "{bad:?}");
        assert_eq!(redirect(&parsed), None, "{bad:?}");
        assert!(!parsed.annotations.policy.filters.relative_redirects());
        assert!(!parsed.annotations.from_to_www_redirect);
        let diags = diags_for(&parsed, "temporal-redirect");
        assert_eq!(diags.len(), 1, "{bad:?}");
        assert!(diags[0].message.contains(&format!("{bad:?}")), "{}", diags[0].message);
    }
    assert!(parse(&[("from-to-www-redirect", "true")]).annotations.from_to_www_redirect);
    assert!(parse(&[("from-to-www-redirect", "no")]).fatal);
}

#[test]
fn relative_redirects_add_to_the_configmap_default() {
    assert!(parse(&[("relative-redirects", "true")])
        .annotations
        .policy
        .filters
        .relative_redirects());
    assert!(!parse(&[("relative-redirects", "false")])
        .annotations
        .policy
        .filters
        .relative_redirects());
    let mut global = GlobalConfig::default();
    global.location_defaults.filters.set(Filter::RelativeRedirects);
    let parsed = parse_with(&[("relative-redirects", "false")], &global);
    assert!(parsed.annotations.policy.filters.relative_redirects(), "false does not undo it");
}

#[test]
fn redirect_runs_before_rewrite_target_and_the_https_redirect() {
    let parsed = parse(&[("permanent-redirect", "http://x.com"), ("rewrite-target", "/a")]);
    let kinds: Vec<_> = parsed
        .annotations
        .policy
        .filters
        .iter()
        .map(|f| match f {
            Filter::Redirect(_) => "redirect",
            Filter::Rewrite(_) => "rewrite",
            Filter::HttpsRedirect(_) => "https",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["redirect", "rewrite", "https"]);
}
