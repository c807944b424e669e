use portico_model::{Cors, CorsOrigins, Filter, OriginPattern, Phase, Severity};

use super::{DEFAULT_HEADERS, DEFAULT_METHODS};
use crate::tests::{diags_for, parse};
use crate::Parsed;

fn cors(parsed: &Parsed) -> Option<Cors> {
    parsed.annotations.policy.filters.cors().cloned()
}

fn enabled(pairs: &[(&str, &str)]) -> (Cors, Parsed) {
    let mut all = vec![("enable-cors", "true")];
    all.extend_from_slice(pairs);
    let parsed = parse(&all);
    (cors(&parsed).expect("CORS filters"), parsed)
}

fn warned(parsed: &Parsed, name: &str) -> bool {
    diags_for(parsed, name).iter().any(|d| d.severity == Severity::Warning)
}

#[test]
fn defaults_are_ingress_nginx_s() {
    let (cors, parsed) = enabled(&[]);
    assert_eq!(cors.origins, CorsOrigins::Any);
    assert!(cors.allow_credentials);
    assert_eq!(cors.allow_methods, DEFAULT_METHODS);
    assert_eq!(cors.allow_methods, "GET, PUT, POST, DELETE, PATCH, OPTIONS");
    assert_eq!(cors.allow_headers, DEFAULT_HEADERS);
    assert_eq!(
        cors.allow_headers,
        "DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,\
         Content-Type,Range,Authorization"
    );
    assert_eq!(cors.expose_headers, None);
    assert_eq!(cors.max_age, "1728000");
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let phases: Vec<Phase> =
        crate::tests::family_filters(&parsed).into_iter().map(Filter::phase).collect();
    assert_eq!(phases, [Phase::Rewrite, Phase::Response]);
}

#[test]
fn disabled_or_invalid_enable_cors_has_no_filters() {
    for value in ["false", "0", "yes", " true", ""] {
        let parsed = parse(&[("enable-cors", value), ("cors-allow-origin", "https://a.test")]);
        assert_eq!(cors(&parsed), None, "{value:?}");
        assert!(crate::tests::family_filters(&parsed).is_empty(), "{value:?}");
    }
    assert!(warned(&parse(&[("enable-cors", "yes")]), "enable-cors"));
    assert!(cors(&parse(&[("cors-allow-origin", "https://a.test")])).is_none());
}

#[test]
fn values_as_written() {
    let (cors, parsed) = enabled(&[
        ("cors-allow-methods", "GET, POST"),
        ("cors-allow-headers", "X-Forwarded-For, X-app123-XPTO"),
        ("cors-expose-headers", "X-CustomResponseHeader, X-AnotherCustomHeader, *"),
        ("cors-allow-credentials", "false"),
        ("cors-max-age", "86400"),
    ]);
    assert_eq!(cors.allow_methods, "GET, POST");
    assert_eq!(cors.allow_headers, "X-Forwarded-For, X-app123-XPTO");
    assert_eq!(
        cors.expose_headers.as_ref().map(|v| v.to_str().unwrap()),
        Some("X-CustomResponseHeader, X-AnotherCustomHeader, *")
    );
    assert!(!cors.allow_credentials);
    assert_eq!(cors.max_age, "86400");
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let (cors, _) = enabled(&[("cors-max-age", "-5")]);
    assert_eq!(cors.max_age, "-5", "Go Atoi accepts a sign; ingress-nginx renders it");
}

#[test]
fn invalid_values_fall_back_to_the_defaults_with_a_warning() {
    let cases = [
        ("cors-allow-methods", "GET;POST"),
        ("cors-allow-methods", "GET,  POST"),
        ("cors-allow-methods", "$request_method"),
        ("cors-allow-headers", "X-Header; $pid"),
        ("cors-expose-headers", "X-Header;"),
        ("cors-allow-credentials", "yes"),
        ("cors-max-age", "1d"),
        ("cors-max-age", " 60"),
        ("cors-allow-origin", "HTTPS://a.test"),
        ("cors-allow-origin", "https://a.test/path"),
        ("cors-allow-origin", "$http_origin"),
    ];
    let (default, _) = enabled(&[]);
    for (name, value) in cases {
        let (cors, parsed) = enabled(&[(name, value)]);
        assert_eq!(cors, default, "{name}: {value:?}");
        assert!(warned(&parsed, name), "{name}: {value:?} warns");
        assert!(
            parsed.diagnostics.iter().all(|d| d.severity == Severity::Warning),
            "{name}: {value:?}"
        );
        assert!(!parsed.fatal && parsed.annotations.policy.denied.is_none());
    }
}

#[test]
fn origin_lists() {
    let list = |value: &str| enabled(&[("cors-allow-origin", value)]);
    let patterns = |value: &str| match list(value).0.origins {
        CorsOrigins::List(p) => p,
        CorsOrigins::Any => panic!("{value:?} is a list"),
    };
    assert_eq!(list("*").0.origins, CorsOrigins::Any);
    assert_eq!(list("https://a.test, *").0.origins, CorsOrigins::Any, "invalid as a whole");
    assert_eq!(list("*, foo.bar.com").0.origins, CorsOrigins::Any);
    assert_eq!(
        patterns("https://origin.cors.com:8080, http://*.origin.com:8080 ,null"),
        [
            OriginPattern::Exact("https://origin.cors.com:8080".into()),
            OriginPattern::Subdomain {
                prefix: "http://".into(),
                suffix: ".origin.com:8080".into()
            },
            OriginPattern::Exact("null".into()),
        ]
    );
    // Valid as a whole but not as an entry (no scheme): skipped with a warning.
    let (cors, parsed) = list("origin.cors.com, https://b.test");
    assert_eq!(
        cors.origins,
        CorsOrigins::List(vec![OriginPattern::Exact("https://b.test".into())])
    );
    assert!(warned(&parsed, "cors-allow-origin"));
    let (cors, parsed) = list("origin.cors.com:8080");
    assert_eq!(cors.origins, CorsOrigins::List(vec![]), "no origin matches then");
    assert!(warned(&parsed, "cors-allow-origin"));
}
