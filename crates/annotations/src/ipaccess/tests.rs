use std::collections::BTreeMap;

use portico_model::{Severity, SourceRange};

use super::parse_cidrs;
use crate::tests::{diags_for, parse, parse_with};
use crate::{parse_configmap, Parsed};

fn range(parsed: &Parsed) -> Option<SourceRange> {
    parsed.annotations.policy.filters.source_range().cloned()
}

fn texts(nets: &[portico_model::IpNet]) -> Vec<String> {
    nets.iter().map(ToString::to_string).collect()
}

#[test]
fn cidr_lists() {
    let ok: &[(&str, &[&str])] = &[
        ("10.0.0.0/8", &["10.0.0.0/8"]),
        (" 10.0.0.0/8 , 192.168.1.7 ,, ", &["10.0.0.0/8", "192.168.1.7/32"]),
        ("10.1.2.3/8", &["10.0.0.0/8"]),
        ("::1, 2001:db8::/32", &["::1/128", "2001:db8::/32"]),
        ("", &[]),
    ];
    for (value, want) in ok {
        assert_eq!(texts(&parse_cidrs(value).unwrap()), *want, "{value:?}");
    }
    for value in ["10.0.0.0/33", "example.com", "10.0.0.0/8;", "1.2.3", "10.0.0.0/8 10.1.0.0/16"] {
        assert!(parse_cidrs(value).is_err(), "{value:?}");
    }
}

#[test]
fn annotations_build_one_filter() {
    let parsed = parse(&[
        ("whitelist-source-range", "10.0.0.0/8"),
        ("denylist-source-range", "10.1.0.0/16"),
    ]);
    let r = range(&parsed).expect("filter");
    assert_eq!(
        (texts(&r.allow), texts(&r.deny)),
        (vec!["10.0.0.0/8".into()], vec!["10.1.0.0/16".into()])
    );
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    assert!(parsed.annotations.policy.denied.is_none());
    // The new name wins over the old one.
    let parsed = parse(&[
        ("allowlist-source-range", "192.0.2.0/24"),
        ("whitelist-source-range", "10.0.0.0/8"),
    ]);
    assert_eq!(texts(&range(&parsed).unwrap().allow), ["192.0.2.0/24"]);
    assert!(range(&parse(&[])).is_none(), "no lists, no filter: nothing to pay");
}

#[test]
fn an_invalid_entry_denies_with_an_error() {
    for name in ["allowlist-source-range", "whitelist-source-range", "denylist-source-range"] {
        let parsed = parse(&[(name, "10.0.0.0/8, nonsense")]);
        assert!(parsed.annotations.policy.denied.is_some(), "{name}: never open");
        let diags = diags_for(&parsed, name);
        assert_eq!(diags.len(), 1, "{name}");
        assert_eq!(diags[0].severity, Severity::Error);
        assert!(diags[0].message.contains("nonsense"), "{}", diags[0].message);
        assert!(!parsed.fatal);
    }
}

#[test]
fn configmap_lists_are_defaults_that_annotations_replace() {
    let data: BTreeMap<String, String> = [
        ("whitelist-source-range".to_string(), "10.0.0.0/8".to_string()),
        ("denylist-source-range".to_string(), "10.9.0.0/16".to_string()),
    ]
    .into();
    let (global, diagnostics) = parse_configmap(&data);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let inherited = parse_with(&[], &global);
    let r = range(&inherited).unwrap();
    assert_eq!(
        (texts(&r.allow), texts(&r.deny)),
        (vec!["10.0.0.0/8".into()], vec!["10.9.0.0/16".into()])
    );
    let replaced = parse_with(&[("whitelist-source-range", "192.0.2.1")], &global);
    let r = range(&replaced).unwrap();
    assert_eq!(
        (texts(&r.allow), texts(&r.deny)),
        (vec!["192.0.2.1/32".into()], vec!["10.9.0.0/16".into()])
    );

    let bad: BTreeMap<String, String> =
        [("whitelist-source-range".to_string(), "10.0.0.0/8,bogus".to_string())].into();
    let (global, diagnostics) = parse_configmap(&bad);
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(diagnostics[0].severity, Severity::Error);
    assert!(global.location_defaults.denied.is_some(), "every location denied");
}
