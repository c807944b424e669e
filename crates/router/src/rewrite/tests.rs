//! rewrite-target: capture expansion, escaping, redirects, and the spec's examples.

use std::sync::Arc;

use portico_model::{LocationPolicy, ObjectRef, PathType, RewriteTarget, Severity, Target};

use super::*;

fn rule(path: &str, target: &str) -> (Option<RewriteRule>, Vec<Diagnostic>) {
    let location = Location {
        path: path.to_string(),
        path_type: PathType::ImplementationSpecific,
        backends: portico_model::Backends::single(Target::NotFound),
        policy: Arc::new({
            let mut policy = LocationPolicy::default();
            let rewrite = RewriteTarget { target: target.to_string(), x_forwarded_prefix: None };
            policy.filters.set(portico_model::Filter::Rewrite(Arc::new(rewrite)));
            policy
        }),
        ingress: Some(std::sync::Arc::new(ObjectRef::new("Ingress", "ns", "rw"))),
        implicit: false,
        order: 0,
    };
    let mut diagnostics = Vec::new();
    (RewriteRule::build(&location, &mut diagnostics), diagnostics)
}

fn uri(s: &str) -> Option<Rewrite> {
    Some(Rewrite::Uri(s.to_string()))
}

#[test]
fn expands_captures_into_the_whole_uri() {
    let cases = [
        ("/something(/|$)(.*)", "/$2", "/something", uri("/")),
        ("/something(/|$)(.*)", "/$2", "/something/", uri("/")),
        ("/something(/|$)(.*)", "/$2", "/something/new", uri("/new")),
        ("/something(/|$)(.*)", "/$2", "/SOMETHING/New/x", uri("/New/x")),
        ("/api", "/", "/api/users", uri("/")),
        ("/api", "/", "/other", None),
        // Unanchored, as nginx's rewrite regex.
        ("/api", "/v2", "/x/api", uri("/v2")),
        // A group that did not participate expands to nothing.
        ("/a(/b)?", "/x$1y", "/a", uri("/xy")),
        ("/a(/b)?", "/x$1y", "/a/b", uri("/x/by")),
        // Missing group number: empty.
        ("/a", "/$3", "/a", uri("/")),
        // `$10` is `$1` then `0`.
        ("/(a)", "/$10", "/a", uri("/a0")),
        ("/app(/|$)(.*)", "/base/$2/", "/app/x", uri("/base/x/")),
    ];
    for (path, target, request, want) in cases {
        let (rule, diagnostics) = rule(path, target);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let rule = rule.expect("compiles");
        assert_eq!(rule.apply(request), want, "{path} → {target} on {request}");
    }
}

#[test]
fn absolute_targets_redirect() {
    for (target, want) in [
        ("https://example.com/$1", "https://example.com/x"),
        ("http://example.com", "http://example.com"),
    ] {
        let (rule, _) = rule("/r/(.*)", target);
        let got = rule.expect("compiles").apply("/r/x");
        assert_eq!(got, Some(Rewrite::Redirect(want.to_string())), "{target}");
    }
}

#[test]
fn result_is_escaped_for_the_request_line() {
    let (rule, _) = rule("/f/(.*)", "/$1");
    let rule = rule.expect("compiles");
    let cases = [
        ("/f/a b", "/a%20b"),
        ("/f/café", "/caf%C3%A9"),
        ("/f/?#", "/%3F%23"),
        ("/f/100%25", "/100%25"),
        ("/f/%FF", "/%FF"),
        ("/f/a~b-c_d.e:f$", "/a~b-c_d.e:f$"),
    ];
    for (request, want) in cases {
        assert_eq!(rule.apply(request), uri(want), "{request}");
    }
}

#[test]
fn non_capture_dollars_are_kept_and_reported() {
    for target in ["/$0", "/$host", "/x$"] {
        let (rule, diagnostics) = rule("/(a)", target);
        assert_eq!(diagnostics.len(), 1, "{target}");
        assert_eq!(diagnostics[0].severity, Severity::Warning);
        assert_eq!(diagnostics[0].field.as_deref(), Some("rewrite-target"));
        assert_eq!(rule.expect("compiles").apply("/a"), uri(target), "{target}");
    }
}

#[test]
fn parses_targets() {
    use Part::{Group, Literal};
    let lit = |s: &str| Literal(s.to_string());
    let cases = [
        ("/", vec![lit("/")], false),
        ("/$1", vec![lit("/"), Group(1)], false),
        ("$1$2", vec![Group(1), Group(2)], false),
        ("/a/$9/b", vec![lit("/a/"), Group(9), lit("/b")], false),
        ("/$", vec![lit("/$")], true),
        ("/$x", vec![lit("/$x")], true),
    ];
    for (target, parts, unsupported) in cases {
        assert_eq!(parse_target(target), (parts, unsupported), "{target}");
    }
}

#[test]
fn no_rule_without_rewrite_target() {
    let location = Location {
        path: "/".to_string(),
        path_type: PathType::Prefix,
        backends: portico_model::Backends::single(Target::NotFound),
        policy: Arc::new(LocationPolicy::default()),
        ingress: None,
        implicit: true,
        order: 0,
    };
    let mut diagnostics = Vec::new();
    assert!(RewriteRule::build(&location, &mut diagnostics).is_none());
    assert!(diagnostics.is_empty());
}
