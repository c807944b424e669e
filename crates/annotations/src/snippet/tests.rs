use portico_model::{Filter, GlobalConfig, HeaderEdit, Part, Severity, Var};

use crate::tests::{diags_for, parse_with};
use crate::Parsed;

fn allowed() -> GlobalConfig {
    GlobalConfig { allow_snippet_annotations: true, ..GlobalConfig::default() }
}

fn snippet(text: &str) -> Parsed {
    parse_with(&[("configuration-snippet", text)], &allowed())
}

fn errors(parsed: &Parsed) -> usize {
    parsed.diagnostics.iter().filter(|d| d.severity == Severity::Error).count()
}

#[test]
fn ignored_unless_the_configmap_allows_snippets() {
    let parsed = parse_with(&[("configuration-snippet", "deny all;")], &GlobalConfig::default());
    assert!(crate::tests::family_filters(&parsed).is_empty());
    assert!(parsed.annotations.policy.denied.is_none(), "as ingress-nginx: ignored");
    let diags = diags_for(&parsed, "configuration-snippet");
    assert!(diags[0].message.contains("allow-snippet-annotations"), "{:?}", diags);
}

#[test]
fn the_safe_subset_becomes_filters() {
    let parsed = snippet(
        "more_set_headers \"X-Frame-Options: DENY\" 'X-A: b';\nmore_clear_headers Server;\n\
         add_header X-Always yes always;\nproxy_set_header X-Original-Host $host;\n\
         allow 10.0.0.0/8;\ndeny all;\n",
    );
    assert_eq!(errors(&parsed), 0, "{:?}", parsed.diagnostics);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let filters: Vec<&Filter> = crate::tests::family_filters(&parsed);
    assert_eq!(filters.len(), 3, "{filters:?}");
    let edits = filters.iter().find_map(|f| match f {
        Filter::ResponseHeaders(edits) => Some(edits),
        _ => None,
    });
    let edits = edits.expect("response edits");
    assert!(matches!(&edits[0], HeaderEdit::Set { name, .. } if name == "x-frame-options"));
    assert_eq!(edits.len(), 4);
    let upstream = filters.iter().find_map(|f| match f {
        Filter::UpstreamHeaders(sets) => Some(sets),
        _ => None,
    });
    assert_eq!(upstream.expect("upstream")[0].1.parts, [Part::Var(Var::Host)]);
    assert!(parsed.annotations.policy.denied.is_none());
}

#[test]
fn unknown_directives_warn_and_restricting_ones_deny() {
    let parsed = snippet("gzip on;\nexpires 1h;");
    assert_eq!(errors(&parsed), 0);
    assert_eq!(parsed.diagnostics.len(), 2);
    assert!(parsed.annotations.policy.denied.is_none());
    for text in [
        "auth_basic \"x\";",
        "satisfy any;",
        "limit_req zone=one;",
        "if ($http_x = \"y\") { return 403; }",
        "deny 10.0.0.0/33;",
        "return 444;",
        "add_header X 'unclosed;",
        "location /admin { deny all; }",
    ] {
        let parsed = snippet(text);
        assert!(parsed.annotations.policy.denied.is_some(), "{text}: fails closed");
        assert!(errors(&parsed) >= 1, "{text}");
    }
    let harmless_if = snippet("if ($http_x) { set $y 1; }");
    assert!(harmless_if.annotations.policy.denied.is_none());
}

#[test]
fn unsupported_values_of_header_directives_are_warnings() {
    let parsed =
        snippet("more_set_headers \"X-Id: $request_id\";\nproxy_set_header X-A $upstream_addr;");
    assert_eq!(errors(&parsed), 0);
    assert_eq!(parsed.diagnostics.len(), 2, "{:?}", parsed.diagnostics);
    assert!(crate::tests::family_filters(&parsed).is_empty());
}
