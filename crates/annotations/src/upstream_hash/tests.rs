//! `upstream-hash-by`: expressions, subsets, bad values.

use portico_model::{HashPart, HashVar, Severity};

use super::parse_expression;
use crate::tests::{diags_for, parse};

fn text(s: &str) -> HashPart {
    HashPart::Text(s.to_string())
}

fn var(v: HashVar) -> HashPart {
    HashPart::Var(v)
}

#[test]
fn expressions_split_into_variables_and_text() {
    let cases: Vec<(&str, Vec<HashPart>)> = vec![
        ("$request_uri", vec![var(HashVar::RequestUri)]),
        ("$request_uri$host", vec![var(HashVar::RequestUri), var(HashVar::Host)]),
        ("${request_uri}-text-value", vec![var(HashVar::RequestUri), text("-text-value")]),
        ("$remote_addr", vec![var(HashVar::RemoteAddr)]),
        ("$binary_remote_addr", vec![var(HashVar::BinaryRemoteAddr)]),
        ("$http_X_User_Id", vec![var(HashVar::Header("x-user-id".into()))]),
        ("$cookie_session", vec![var(HashVar::Cookie("session".into()))]),
        ("user-$arg_user", vec![text("user-"), var(HashVar::Arg("user".into()))]),
        ("a$", vec![text("a$")]),
        ("${-x", vec![text("${-x")]),
        ("static", vec![text("static")]),
    ];
    for (expression, want) in cases {
        let (parts, unknown) = parse_expression(expression);
        assert_eq!(parts, want, "{expression}");
        assert!(unknown.is_empty(), "{expression}");
    }
}

#[test]
fn unknown_variables_hash_as_empty_with_a_warning() {
    let (parts, unknown) = parse_expression("$server_port${1}x");
    assert_eq!(parts, [var(HashVar::Empty), var(HashVar::Empty), text("x")]);
    assert_eq!(unknown, ["server_port", "1"]);
    let parsed = parse(&[("upstream-hash-by", "$request_id")]);
    let diags = diags_for(&parsed, "upstream-hash-by");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].severity, Severity::Warning);
    assert!(diags[0].message.contains("$request_id"));
    assert!(parsed.annotations.hash_by.is_some());
}

#[test]
fn subsets_default_to_three() {
    let hash = |pairs: &[(&str, &str)]| parse(pairs).annotations.hash_by.map(|h| h.subset);
    assert_eq!(hash(&[("upstream-hash-by", "$request_uri")]), Some(None));
    let subset = [("upstream-hash-by", "$request_uri"), ("upstream-hash-by-subset", "true")];
    assert_eq!(hash(&subset), Some(Some(3)));
    let sized = [
        ("upstream-hash-by", "$request_uri"),
        ("upstream-hash-by-subset", "true"),
        ("upstream-hash-by-subset-size", "2"),
    ];
    assert_eq!(hash(&sized), Some(Some(2)));
    let zero = [
        ("upstream-hash-by", "$request_uri"),
        ("upstream-hash-by-subset", "true"),
        ("upstream-hash-by-subset-size", "0"),
    ];
    assert_eq!(hash(&zero), Some(Some(3)));
    // Subsets without a key do nothing.
    assert_eq!(hash(&[("upstream-hash-by-subset", "true")]), None);
}

#[test]
fn bad_values_leave_the_ingress_unloaded() {
    for (name, value) in [
        ("upstream-hash-by", "$request_uri $host"),
        ("upstream-hash-by", "$host.x"),
        ("upstream-hash-by-subset", "yes"),
        ("upstream-hash-by-subset-size", "three"),
    ] {
        let mut pairs = vec![(name, value)];
        if name != "upstream-hash-by" {
            pairs.push(("upstream-hash-by", "$request_uri"));
        }
        let parsed = parse(&pairs);
        assert!(parsed.fatal, "{name}: {value}");
        let diags = diags_for(&parsed, name);
        assert_eq!(diags.len(), 1, "{name}");
        assert_eq!(diags[0].severity, Severity::Error);
        assert!(diags[0].message.contains(&format!("{value:?}")));
    }
}
